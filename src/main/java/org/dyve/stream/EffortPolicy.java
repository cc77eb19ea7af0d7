package org.dyve.stream;

import java.util.List;

/**
 * The per-stream decision rules of an {@link EffortController}, without the actor: reuse a frame's
 * predecessor when their thumbnails hardly differ (temporal reuse), and move along the effort ladder (index 0
 * = exact, higher = cheaper) to hold a rate or latency target: one step cheaper when the recent average
 * service time or latency misses the target or frames were dropped, one step back towards exact when it is
 * comfortably met. Mutable; owned by one actor.
 */
final class EffortPolicy {
    /** What to do with one frame. */
    enum Action { COMPUTE, REUSE }

    /** A decision and why. */
    record Decision(Action action, String effort, String reason) {
    }

    private final List<String> ladder;
    private final double reuseThreshold;
    private final int maxReuse;
    private final double budgetMs;
    private final boolean latencyTarget;
    private final int window;
    private float[] reference;
    private int reused;
    private int level;
    private double sum;
    private int count;
    private long dropsInWindow;

    /**
     * @param budgetMs per-frame budget: the latency target, or 1000 / target fps for a rate target; 0 for none
     * @param latencyTarget whether the budget bounds end-to-end latency (else service time per frame)
     */
    EffortPolicy(List<String> ladder, double reuseThreshold, int maxReuse, double budgetMs, boolean latencyTarget,
            int window) {
        if (ladder.isEmpty()) {
            throw new IllegalArgumentException("the effort ladder needs at least 'exact'");
        }
        this.ladder = List.copyOf(ladder);
        this.reuseThreshold = reuseThreshold;
        this.maxReuse = maxReuse;
        this.budgetMs = budgetMs;
        this.latencyTarget = latencyTarget;
        this.window = Math.max(1, window);
    }

    /** Decides for a frame given its thumbnail (16 x 16 grey, 0..255). */
    Decision decide(float[] thumbnail) {
        if (reference != null && reuseThreshold > 0 && reused < maxReuse) {
            double diff = meanAbsDiff(thumbnail, reference);
            if (diff < reuseThreshold) {
                reused++;
                return new Decision(Action.REUSE, ladder.get(level), String.format("diff %.2f < %.2f", diff,
                        reuseThreshold));
            }
        }
        reference = thumbnail;
        reused = 0;
        return new Decision(Action.COMPUTE, ladder.get(level), "");
    }

    /** Feeds back one finished frame: its service time (compute) and end-to-end latency. */
    void completed(double serviceMs, double latencyMs) {
        sum += latencyTarget ? latencyMs : serviceMs;
        count++;
        if (count >= window) {
            adjust();
        }
    }

    /** Feeds back frames a live source dropped. */
    void dropped(long frames) {
        dropsInWindow += frames;
    }

    private void adjust() {
        double avg = sum / count;
        if (budgetMs > 0) {
            if ((avg > budgetMs || dropsInWindow > 0) && level < ladder.size() - 1) {
                level++;
            } else if (avg < 0.7 * budgetMs && dropsInWindow == 0 && level > 0) {
                level--;
            }
        }
        sum = 0;
        count = 0;
        dropsInWindow = 0;
    }

    /** Current effort level name. */
    String effort() {
        return ladder.get(level);
    }

    static double meanAbsDiff(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s / a.length;
    }

    /** A 16 x 16 grey thumbnail of an image (box averages), the controller's cheap view of a frame. */
    static float[] thumbnail(org.dyve.data.Image img) {
        int n = 16;
        float[] t = new float[n * n];
        int h = img.height();
        int w = img.width();
        int plane = h * w;
        float[] d = img.data();
        for (int ty = 0; ty < n; ty++) {
            int y0 = ty * h / n;
            int y1 = Math.max(y0 + 1, (ty + 1) * h / n);
            for (int tx = 0; tx < n; tx++) {
                int x0 = tx * w / n;
                int x1 = Math.max(x0 + 1, (tx + 1) * w / n);
                double s = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        int i = y * w + x;
                        s += img.channels() == 1 ? d[i] : (d[i] + d[plane + i] + d[2 * plane + i]) / 3.0;
                    }
                }
                t[ty * n + tx] = (float) (s / ((y1 - y0) * (x1 - x0)));
            }
        }
        return t;
    }
}
