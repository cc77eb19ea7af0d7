package org.dyve.engine;

/**
 * The dynamic-effort knobs of one convolution layer (DyVEDeep's SFMA, SDSS and SPET). A negative threshold
 * turns its knob off; {@link #EXACT} turns all off and computes the layer exactly. SDSS and SPET apply only to
 * layers whose output goes through a plain ReLU; they are ignored elsewhere.
 *
 * @param sfma SFMA: an input map whose variance is at most {@code sfma * mean^2} is replaced by its mean and
 *     its channel's MACs are skipped (0 drops exactly the all-zero and constant maps)
 * @param sdssSig SDSS: outputs are computed on a stride-2 grid first; a remaining output whose grid
 *     neighbours (after ReLU) are all at most {@code sdssSig} times the layer's RMS is set to 0
 * @param sdssSim SDSS: otherwise, when its neighbours differ by at most {@code sdssSim} times the RMS, it is
 *     interpolated (their mean); otherwise computed exactly
 * @param sdssCols SDSS granularity: negative = per neuron (each remaining output that fails both tests is
 *     computed on its own); in [0, 1] = per output position: a position is computed for all channels at once
 *     (one SGEMM over the gathered positions) when more than {@code sdssCols} of its channels fail the tests,
 *     otherwise its failing channels are interpolated too, so skipped work is whole GEMM columns
 * @param spetFraction SPET: fraction of the input channels (most significant first, by filter L1 norm)
 *     summed before the saturation check, in (0, 1)
 * @param spet SPET: a neuron whose partial sum plus bias is below {@code spet} times what the unsummed inputs
 *     can still add ({@code ||w_rest|| * RMS(x_rest) * sqrt(n_rest)}, per output channel and input) is predicted
 *     saturated (output 0) and not finished; negative values are conservative. With a {@code proxy}: a neuron
 *     whose predicted pre-activation is below {@code spet} times the proxy's residual sigma
 * @param proxy SPET's predictor: null for partial sums over the first {@code spetFraction} of the input
 *     channels, else a low-rank projection of the whole pre-activation fitted on calibration data (used when
 *     no input map was dropped by SFMA; otherwise SPET is off for that input)
 * @param sparse skip the MACs whose weight is zero (a pruned layer computed exactly from its nonzero weights);
 *     applies when the three knobs are off (their kernel multiplies every weight)
 * @param zeroInputs skip the MACs whose input is zero, and those whose weight is zero in a pruned layer (a 1x1
 *     convolution computed exactly from its nonzero inputs); applies to 1x1 layers when the three knobs are off
 */
public record ConvEffort(double sfma, double sdssSig, double sdssSim, double sdssCols, double spetFraction,
        double spet, SpetProxy proxy, boolean sparse, boolean zeroInputs) {

    /** All knobs off: the layer is computed exactly. */
    public static final ConvEffort EXACT = new ConvEffort(-1, -1, -1, -1, 0.5, Double.NEGATIVE_INFINITY, null,
            false, false);

    /** All knobs off, zero weights skipped: the layer is computed exactly from its nonzero weights. */
    public static final ConvEffort SPARSE = EXACT.withSparse(true);

    /** All knobs off, zero inputs (and a pruned layer's zero weights) skipped: exact. */
    public static final ConvEffort ZERO_INPUTS = EXACT.withZeroInputs(true);

    /**
     * Layers with at most this fraction of nonzero weights are worth computing by them ({@link #SPARSE}); denser
     * ones lose less to zeros than the sparse kernel loses to the dense ones.
     */
    public static final double SPARSE_MAX_DENSITY = 0.75;

    public ConvEffort {
        if (!(spetFraction > 0 && spetFraction < 1)) {
            throw new IllegalArgumentException("spet-fraction must be in (0, 1), found " + spetFraction);
        }
    }

    /** Whether one of the three knobs (SFMA, SDSS, SPET) is on. */
    public boolean knobsOn() {
        return sfmaOn() || sdssOn() || spetOn();
    }

    /** This setting with zero-weight skipping set to {@code on}. */
    public ConvEffort withSparse(boolean on) {
        return new ConvEffort(sfma, sdssSig, sdssSim, sdssCols, spetFraction, spet, proxy, on, zeroInputs);
    }

    /** This setting with zero-input skipping set to {@code on}. */
    public ConvEffort withZeroInputs(boolean on) {
        return new ConvEffort(sfma, sdssSig, sdssSim, sdssCols, spetFraction, spet, proxy, sparse, on);
    }

    /** Whether SFMA is on. */
    public boolean sfmaOn() {
        return sfma >= 0;
    }

    /** Whether SDSS is on. */
    public boolean sdssOn() {
        return sdssSig >= 0 || sdssSim >= 0;
    }

    /** Whether SPET is on. */
    public boolean spetOn() {
        return spet != Double.NEGATIVE_INFINITY && !Double.isNaN(spet);
    }

    /** This setting with SFMA's threshold replaced. */
    public ConvEffort withSfma(double t) {
        return new ConvEffort(t, sdssSig, sdssSim, sdssCols, spetFraction, spet, proxy, sparse, zeroInputs);
    }

    /** This setting with SDSS's thresholds replaced (per-neuron granularity). */
    public ConvEffort withSdss(double sig, double sim) {
        return withSdss(sig, sim, -1);
    }

    /** This setting with SDSS's thresholds and granularity replaced. */
    public ConvEffort withSdss(double sig, double sim, double cols) {
        return new ConvEffort(sfma, sig, sim, cols, spetFraction, spet, proxy, sparse, zeroInputs);
    }

    /** Whether SDSS decides per output position (whole GEMM columns) rather than per neuron. */
    public boolean sdssColumns() {
        return sdssCols >= 0;
    }

    /** This setting with SPET's check point and threshold replaced (partial-sum predictor). */
    public ConvEffort withSpet(double fraction, double t) {
        return new ConvEffort(sfma, sdssSig, sdssSim, sdssCols, fraction, t, null, sparse, zeroInputs);
    }

    /** This setting with SPET predicting by {@code p}, threshold {@code t} (in units of the proxy's sigma). */
    public ConvEffort withSpet(SpetProxy p, double t) {
        return new ConvEffort(sfma, sdssSig, sdssSim, sdssCols, spetFraction, t, p, sparse, zeroInputs);
    }
}
