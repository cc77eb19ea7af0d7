package org.dyve.effort;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.engine.Work;

/**
 * Per-image operation accounting of a run: dense vs executed MACs, scalar operations (knob overhead
 * included), and MACs skipped per mechanism (SFMA, SDSS, SPET, zero weights, zero inputs, early exit), in total and per
 * layer; early-exit probes appear as layers {@code exit@<tensor>} with no dense MACs of their own.
 */
public record WorkSummary(long samples, double denseMacs, double macs, double ops, double sfma,
        double sdss, double spet, double zero, double zeroInputs, double exit, List<Work> layers) {

    /** Averages {@code work} (one entry per layer, all over the same samples) per image. */
    public static WorkSummary of(List<Work> work) {
        long n = work.isEmpty() ? 0 : Math.max(1, work.get(0).samples());
        double dm = 0;
        double m = 0;
        double ops = 0;
        double f = 0;
        double d = 0;
        double s = 0;
        double z = 0;
        double zi = 0;
        double x = 0;
        for (Work w : work) {
            dm += w.denseMacs();
            m += w.macs();
            ops += w.ops();
            f += w.sfmaSkipped();
            d += w.sdssSkipped();
            s += w.spetSkipped();
            z += w.zeroSkipped();
            zi += w.zeroInputSkipped();
            x += w.exitSkipped();
        }
        return new WorkSummary(n, dm / n, m / n, ops / n, f / n, d / n, s / n, z / n, zi / n, x / n,
                List.copyOf(work));
    }

    /** Scalar operations of the dense layers: two per MAC. */
    public double denseOps() {
        return 2 * denseMacs;
    }

    /** Scalar operations the knobs spent on their decisions. */
    public double overheadOps() {
        return ops - 2 * macs;
    }

    /** Dense MACs over executed MACs. */
    public double reduction() {
        return macs == 0 ? 1 : denseMacs / macs;
    }

    /** The JSON fields: totals, {@code mechanisms} and {@code layers} (per image). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("macs_dense_per_image", Math.round(denseMacs));
        m.put("macs_per_image", Math.round(macs));
        m.put("reduction", reduction());
        m.put("ops_dense_per_image", Math.round(denseOps()));
        m.put("ops_per_image", Math.round(ops));
        Map<String, Object> mech = new LinkedHashMap<>();
        mech.put("sfma_skipped_macs", Math.round(sfma));
        mech.put("sdss_skipped_macs", Math.round(sdss));
        mech.put("spet_skipped_macs", Math.round(spet));
        mech.put("zero_weight_skipped_macs", Math.round(zero));
        mech.put("zero_input_skipped_macs", Math.round(zeroInputs));
        mech.put("exit_skipped_macs", Math.round(exit));
        mech.put("overhead_ops", Math.round(overheadOps()));
        m.put("mechanisms", mech);
        List<Object> ls = new ArrayList<>();
        for (Work w : layers) {
            long n = Math.max(1, w.samples());
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("layer", w.layer());
            l.put("macs_dense", w.denseMacs() / n);
            l.put("macs", w.macs() / n);
            l.put("reduction", w.reduction());
            l.put("sfma_skipped", w.sfmaSkipped() / n);
            l.put("sdss_skipped", w.sdssSkipped() / n);
            l.put("spet_skipped", w.spetSkipped() / n);
            l.put("zero_weight_skipped", w.zeroSkipped() / n);
            l.put("zero_input_skipped", w.zeroInputSkipped() / n);
            l.put("exit_skipped", w.exitSkipped() / n);
            l.put("overhead_ops", w.overheadOps() / n);
            ls.add(l);
        }
        m.put("layers", ls);
        return m;
    }
}
