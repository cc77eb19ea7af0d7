package org.dyve.stream;

/**
 * Latencies in a fixed number of logarithmic buckets (each 1% wider than the one below, from 1 us to over an
 * hour), so a stream that runs for days keeps constant memory; a percentile is the nearest-rank bucket's
 * geometric middle, within 0.5% of the exact value.
 */
final class LatencyHistogram {
    private static final double LOWEST_MS = 1e-3;
    private static final double RATIO = 1.01;
    private static final double LOG_RATIO = Math.log(RATIO);
    private static final int BUCKETS = 2300;
    private final long[] counts = new long[BUCKETS];
    private long total;

    /** Records one latency in milliseconds (below 1 us counts as 1 us, above the top as the top bucket). */
    void add(double ms) {
        int b = ms <= LOWEST_MS ? 0 : (int) (Math.log(ms / LOWEST_MS) / LOG_RATIO);
        counts[Math.min(BUCKETS - 1, b)]++;
        total++;
    }

    long count() {
        return total;
    }

    /** The nearest-rank {@code p}-th percentile in milliseconds, NaN when nothing was recorded. */
    double percentile(double p) {
        if (total == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += counts[b];
            if (seen >= rank) {
                return LOWEST_MS * Math.pow(RATIO, b + 0.5);
            }
        }
        return LOWEST_MS * Math.pow(RATIO, BUCKETS - 0.5);
    }
}
