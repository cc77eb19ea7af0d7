package org.dyve.engine;

/**
 * Operation accounting of one convolution or fully connected layer, summed over the samples it ran on.
 * Scalar operations are {@code 2 * macs + overheadOps}; the overhead is what the knobs spend on their
 * decisions (statistics, compares, interpolation), counted rather than hidden.
 *
 * @param denseMacs MACs the dense layer would execute
 * @param macs MACs executed
 * @param sfmaSkipped MACs skipped by SFMA (dropped input maps)
 * @param sdssSkipped MACs skipped by SDSS (outputs zeroed or interpolated from the grid)
 * @param spetSkipped MACs skipped by SPET (neurons predicted saturated)
 * @param zeroSkipped MACs skipped because their weight is zero (a pruned layer run by its nonzero weights; exact)
 * @param zeroInputSkipped MACs skipped because their input is zero (and their weight not skipped as zero; exact)
 * @param overheadOps scalar operations spent on decisions
 * @param exitSkipped MACs skipped because samples left the network at an earlier {@link EarlyExit}
 */
public record Work(String layer, long samples, long denseMacs, long macs, long sfmaSkipped, long sdssSkipped,
        long spetSkipped, long zeroSkipped, long zeroInputSkipped, long overheadOps, long exitSkipped) {

    /** Scalar operations executed: two per MAC plus the knobs' overhead. */
    public long ops() {
        return 2 * macs + overheadOps;
    }

    /** Dense MACs over executed MACs (1 when nothing ran). */
    public double reduction() {
        return macs == 0 ? 1 : (double) denseMacs / macs;
    }

    /** The sum of this and {@code o} (same layer). */
    public Work plus(Work o) {
        return new Work(layer, samples + o.samples, denseMacs + o.denseMacs, macs + o.macs,
                sfmaSkipped + o.sfmaSkipped, sdssSkipped + o.sdssSkipped, spetSkipped + o.spetSkipped,
                zeroSkipped + o.zeroSkipped, zeroInputSkipped + o.zeroInputSkipped,
                overheadOps + o.overheadOps, exitSkipped + o.exitSkipped);
    }
}
