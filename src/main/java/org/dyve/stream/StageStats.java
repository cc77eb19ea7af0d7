package org.dyve.stream;

import java.util.concurrent.atomic.AtomicLong;

/** Per-stage totals of queue wait and compute time (written by the stage's actors, read by the summary). */
public final class StageStats {
    private final String name;
    private final AtomicLong frames = new AtomicLong();
    private final AtomicLong waitNanos = new AtomicLong();
    private final AtomicLong computeNanos = new AtomicLong();

    StageStats(String name) {
        this.name = name;
    }

    void record(long wait, long compute) {
        frames.incrementAndGet();
        waitNanos.addAndGet(wait);
        computeNanos.addAndGet(compute);
    }

    public String name() {
        return name;
    }

    public long frames() {
        return frames.get();
    }

    /** Mean queue wait per computed frame, ms. */
    public double meanWaitMs() {
        return frames.get() == 0 ? 0 : waitNanos.get() / 1e6 / frames.get();
    }

    /** Mean compute time per computed frame, ms. */
    public double meanComputeMs() {
        return frames.get() == 0 ? 0 : computeNanos.get() / 1e6 / frames.get();
    }
}
