package org.dyve.metrics;

import java.util.concurrent.atomic.AtomicLong;

/** Per-stage totals of queue wait and compute time (written by the stage's actors, read by any snapshot). */
public final class StageCounters {
    private final String name;
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong waitNanos = new AtomicLong();
    private final AtomicLong computeNanos = new AtomicLong();

    public StageCounters(String name) {
        this.name = name;
    }

    /** One frame computed here after waiting {@code wait} ns in front of the stage and {@code compute} ns of work. */
    public void record(long wait, long compute) {
        frames.incrementAndGet();
        waitNanos.addAndGet(wait);
        computeNanos.addAndGet(compute);
    }

    /** The totals so far. */
    public Stage snapshot() {
        long n = frames.get();
        return new Stage(name, n, n == 0 ? 0 : waitNanos.get() / 1e6 / n, n == 0 ? 0 : computeNanos.get() / 1e6 / n);
    }

    /**
     * A stage's totals at one moment.
     *
     * @param waitMs mean queue wait per computed frame
     * @param computeMs mean compute time per computed frame
     */
    public record Stage(String name, long frames, double waitMs, double computeMs) {
    }
}
