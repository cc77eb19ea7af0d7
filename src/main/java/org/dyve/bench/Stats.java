package org.dyve.bench;

import java.util.Arrays;

/** Order statistics of timing samples. */
public final class Stats {
    private Stats() {
    }

    /** The median of {@code v} (not modified). */
    public static double median(double[] v) {
        return percentile(v, 50);
    }

    /** The {@code p}-th percentile of {@code v} (nearest rank; not modified). */
    public static double percentile(double[] v, double p) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(p / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length - 1, rank - 1))];
    }
}
