package org.dyve.effort;

import java.util.function.IntToDoubleFunction;

/**
 * Chooses early-exit thresholds for a calibration: from what each probe answers, how confident it is and what it has
 * cost up to there, per calibration sample ({@link Table}), the thresholds that save the most MACs within a top-1
 * budget. Pure arithmetic over the table; the {@link Calibrator} measures the table.
 */
final class ExitThresholds {
    private final int[] labels;
    private final IntToDoubleFunction loss;

    /**
     * @param labels the calibration samples' labels
     * @param loss the top-1 loss in points of a number of right answers on those samples
     */
    ExitThresholds(int[] labels, IntToDoubleFunction loss) {
        this.labels = labels;
        this.loss = loss;
    }

    /** Confidence thresholds tried per exit; above 1 = exit off. */
    private static final double[] THRESHOLDS = {0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995,
        2};

    /** What a knob setting gives at each probe and at the end, per calibration sample. */
    record Table(int[] top, int[][] answer, float[][] confidence, double[] macsUpTo, double fullMacs) {
    }

    /**
     * The thresholds (one per probe, {@link #THRESHOLDS}) with the fewest MACs whose top-1 loss stays within
     * {@code budget}; returns them and, last, the estimated MACs per image. Every combination is tried for up to
     * {@link #EXHAUSTIVE_PROBES} probes; with more, coordinate descent from all exits off: each probe's threshold in
     * turn is set to its best with the others fixed, round after round until no round changes anything
     * (deterministic, a local optimum).
     */
    double[] best(Table t, int probes, double budget) {
        double[] best = null;
        if (probes <= EXHAUSTIVE_PROBES) {
            int combos = (int) Math.pow(THRESHOLDS.length, probes);
            for (int c = 0; c < combos; c++) {
                double[] th = new double[probes + 1];
                int code = c;
                for (int q = 0; q < probes; q++) {
                    th[q] = THRESHOLDS[code % THRESHOLDS.length];
                    code /= THRESHOLDS.length;
                }
                best = better(t, th, budget, best);
            }
            return best;
        }
        double[] off = new double[probes + 1];
        java.util.Arrays.fill(off, THRESHOLDS[THRESHOLDS.length - 1]);
        best = better(t, off, budget, null);
        for (boolean changed = best != null; changed; ) {
            changed = false;
            for (int q = 0; q < probes; q++) {
                for (double v : THRESHOLDS) {
                    if (v == best[q]) {
                        continue; // the current best itself: measured already
                    }
                    double[] trial = best.clone();
                    trial[q] = v;
                    double[] b = better(t, trial, budget, best);
                    if (b != best) {
                        best = b;
                        changed = true;
                    }
                }
            }
        }
        return best;
    }

    /** Probes up to which {@link #best} tries every combination of thresholds. */
    private static final int EXHAUSTIVE_PROBES = 3;

    /**
     * {@code th} with its estimated MACs per image set as its last element, when it stays within {@code budget}
     * and has fewer MACs than {@code best}; else {@code best}.
     */
    private double[] better(Table t, double[] th, double budget, double[] best) {
        int n = labels.length;
        int probes = th.length - 1;
        int correct = 0;
        double macs = 0;
        for (int i = 0; i < n; i++) {
            int ans = t.top()[i];
            double m = t.fullMacs();
            for (int q = 0; q < probes; q++) {
                if (t.confidence()[q][i] >= th[q]) {
                    ans = t.answer()[q][i];
                    m = t.macsUpTo()[q];
                    break;
                }
            }
            correct += ans == labels[i] ? 1 : 0;
            macs += m;
        }
        th[probes] = macs / n;
        return loss.applyAsDouble(correct) <= budget + 1e-9 && (best == null || th[probes] < best[probes] - 1e-6) ? th
                : best;
    }
}
