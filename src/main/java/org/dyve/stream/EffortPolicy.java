package org.dyve.stream;

import java.util.List;
import java.util.Locale;

/**
 * The per-stream decision rules of an {@link EffortController}, without the actor: reuse a frame's
 * predecessor when their thumbnails hardly differ (temporal reuse), and move along the effort ladder (index 0
 * = exact, later rungs = fewer MACs) to hold a rate or latency target. Fewer MACs need not mean less time, so
 * the policy measures each rung's service time as frames complete (a running mean) and trusts the
 * measurement, not the ladder's order: when the recent average service time or latency misses the target or
 * frames were dropped, it moves to the next cheaper rung not yet tried, else to the fastest measured rung if it
 * is clearly faster than the current one; when the target is comfortably met, back to the nearest more exact
 * rung not measured too slow for it. A live source's backlog acts sooner: {@code pressureBacklog} or more frames
 * waiting in the live buffer (as it fills, or when a frame leaves it) move the rung cheaper at once (then not again
 * for half a window of decisions), so effort drops before frames do; after two windows with no backlog and no drops it moves one rung back
 * towards exact. Mutable; owned by one actor.
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
    private final int pressureBacklog;
    private int maxBacklog;
    private int sinceMove;
    private int quietWindows;
    /** Why the rung last moved ("why: from -> to"), told with the next computed frame; "" when it has been. */
    private String move = "";
    /** Per rung: running mean service time (ms), NaN until a frame was computed there. */
    private final double[] cost;

    /**
     * @param budgetMs per-frame budget: the latency target, or 1000 / target fps for a rate target; 0 for none
     * @param latencyTarget whether the budget bounds end-to-end latency (else service time per frame)
     * @param pressureBacklog live-buffer backlog that moves the rung cheaper at once; 0 = off
     */
    EffortPolicy(List<String> ladder, double reuseThreshold, int maxReuse, double budgetMs, boolean latencyTarget,
            int window, int pressureBacklog) {
        if (ladder.isEmpty()) {
            throw new IllegalArgumentException("the effort ladder needs at least 'exact'");
        }
        this.ladder = List.copyOf(ladder);
        this.reuseThreshold = reuseThreshold;
        this.maxReuse = maxReuse;
        this.budgetMs = budgetMs;
        this.latencyTarget = latencyTarget;
        this.window = Math.max(1, window);
        this.pressureBacklog = pressureBacklog;
        cost = new double[this.ladder.size()];
        java.util.Arrays.fill(cost, Double.NaN);
        // the first pressure may act at once
        sinceMove = this.window;
    }

    /**
     * Decides for a frame given its thumbnail (16 x 16 grey, 0..255; null when reuse is off) and the live-buffer
     * backlog it left behind.
     */
    Decision decide(float[] thumbnail, int backlog) {
        sinceMove++;
        pressure(backlog, -1);
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
        String why = move;
        move = "";
        return new Decision(Action.COMPUTE, ladder.get(level), why);
    }

    /**
     * Feeds back one finished frame: the rung it was computed at (null if reused), its service time (compute)
     * and end-to-end latency.
     */
    void completed(String effort, double serviceMs, double latencyMs) {
        int rung = effort == null ? -1 : ladder.indexOf(effort);
        if (rung >= 0) {
            cost[rung] = Double.isNaN(cost[rung]) ? serviceMs : 0.8 * cost[rung] + 0.2 * serviceMs;
        }
        sum += latencyTarget ? latencyMs : serviceMs;
        count++;
        if (count >= window) {
            adjust();
        }
    }

    /**
     * A live source's buffer holds {@code backlog} frames waiting, the newest frame {@code seq} (-1 when told by a
     * frame leaving it): at {@code pressureBacklog} or more the rung moves cheaper at once, unless it moved in the
     * last half window of decisions.
     */
    void pressure(int backlog, long seq) {
        maxBacklog = Math.max(maxBacklog, backlog);
        if (pressureBacklog > 0 && backlog >= pressureBacklog && sinceMove > window / 2) {
            moveTo(cheaper(), "backlog " + backlog + (seq >= 0 ? " at frame " + seq : ""));
        }
    }

    /** Feeds back frames a live source dropped. */
    void dropped(long frames) {
        dropsInWindow += frames;
    }

    private void adjust() {
        double avg = sum / count;
        boolean quiet = dropsInWindow == 0 && maxBacklog == 0;
        quietWindows = quiet ? quietWindows + 1 : 0;
        // without a target, drops and backlog move the rung cheaper and two quiet windows move it back
        String measured = latencyTarget ? "latency" : "service";
        if (budgetMs > 0 && avg > budgetMs) {
            moveTo(cheaper(), String.format(Locale.ROOT, "%s %.2f ms > %.2f ms", measured, avg,
                    budgetMs));
        } else if (dropsInWindow > 0) {
            moveTo(cheaper(), dropsInWindow + " dropped");
        } else if (budgetMs > 0 && avg < 0.7 * budgetMs) {
            for (int r = level - 1; r >= 0; r--) {
                if (Double.isNaN(cost[r]) || cost[r] < 0.9 * budgetMs) {
                    moveTo(r, String.format(Locale.ROOT, "%s %.2f ms < 0.7 x %.2f ms", measured, avg, budgetMs));
                    break;
                }
            }
        } else if (budgetMs == 0 && pressureBacklog > 0 && quietWindows >= 2 && level > 0) {
            moveTo(level - 1, "2 quiet windows");
        }
        sum = 0;
        count = 0;
        dropsInWindow = 0;
        maxBacklog = 0;
    }

    /** The next untried cheaper rung, else the fastest measured one if clearly faster than this one, else this. */
    private int cheaper() {
        for (int r = level + 1; r < ladder.size(); r++) {
            if (Double.isNaN(cost[r])) {
                return r;
            }
        }
        int next = level;
        for (int r = 0; r < ladder.size(); r++) {
            // NaN costs compare false: unmeasured rungs are never picked here, nor from an unmeasured one
            if (cost[r] < 0.95 * cost[level] && cost[r] < cost[next]) {
                next = r;
            }
        }
        return next;
    }

    private void moveTo(int rung, String why) {
        if (rung != level) {
            move = why + ": " + ladder.get(level) + " -> " + ladder.get(rung);
            level = rung;
            sinceMove = 0;
            quietWindows = 0;
        }
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
        int channels = img.channels() == 1 ? 1 : 3;
        float[] d = img.data();
        float[] cols = new float[w];
        for (int ty = 0; ty < n; ty++) {
            int y0 = ty * h / n;
            int y1 = Math.max(y0 + 1, (ty + 1) * h / n);
            // sum the band's rows and channels column by column (a vectorisable pass), then box the columns
            java.util.Arrays.fill(cols, 0f);
            for (int c = 0; c < channels; c++) {
                for (int y = y0; y < y1; y++) {
                    int row = c * plane + y * w;
                    for (int x = 0; x < w; x++) {
                        cols[x] += d[row + x];
                    }
                }
            }
            for (int tx = 0; tx < n; tx++) {
                int x0 = tx * w / n;
                int x1 = Math.max(x0 + 1, (tx + 1) * w / n);
                double s = 0;
                for (int x = x0; x < x1; x++) {
                    s += cols[x];
                }
                t[ty * n + tx] = (float) (s / ((double) channels * (y1 - y0) * (x1 - x0)));
            }
        }
        return t;
    }
}
