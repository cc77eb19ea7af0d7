package org.dyve.metrics;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A stream's live counters: frames in, frames by outcome and drop reason, frames per effort rung, MACs executed,
 * labelled and correct frames, the latency histogram, per-stage times. Written as frames arrive and finish (the
 * stream's own operators), readable at any moment from any thread: {@link #snapshot} is consistent (frames in = the
 * sum of the outcomes + frames in flight), and the stream's final summary is its last snapshot.
 */
public final class StreamCounters {
    /** Latencies are recorded in microseconds, to three significant digits (0.1% of the value). */
    private static final int DIGITS = 3;

    private final String stream;
    private final String model;
    private final String source;
    private final long denseMacs;
    private final List<StageCounters> stages = new ArrayList<>();
    // guarded by this: one writer per stream (its operators, one at a time) and rare readers
    private final long[] outcomes = new long[Outcome.values().length];
    private final long[] drops = new long[DropReason.values().length];
    private final Map<String, Long> rungs = new LinkedHashMap<>();
    private final Map<String, Long> exits = new LinkedHashMap<>();
    private final Histogram latency = new Histogram(DIGITS);
    private long in;
    private long macs;
    private long labelled;
    private long correct;
    private long firstArrival = -1;
    private String lastRung;
    private String lastLabel;
    private long lastFinish = -1;

    /**
     * @param stream the stream's id
     * @param denseMacs MACs of one frame through the dense network
     */
    public StreamCounters(String stream, String model, String source, long denseMacs) {
        this.stream = stream;
        this.model = model;
        this.source = source;
        this.denseMacs = denseMacs;
    }

    /** A new stage's counters, reported in this stream's snapshots (in the order they were added). */
    public synchronized StageCounters stage(String name) {
        StageCounters s = new StageCounters(name);
        stages.add(s);
        return s;
    }

    /** {@code frames} frames entered the pipeline; the first of them arrived from the source at {@code nanos}. */
    public synchronized void arrived(long frames, long nanos) {
        if (firstArrival < 0) {
            firstArrival = nanos;
        }
        in += frames;
    }

    /**
     * {@code frames} frames (more than one only for a run of dropped frames) finished with {@code outcome}.
     *
     * @param drop why they were dropped; null unless {@code outcome} is {@link Outcome#DROPPED}
     * @param rung the effort rung the frame ran at, null when the network did not run on it
     * @param latencyMs from the frame's arrival to its result (not recorded for dropped and failed frames)
     * @param truth the frame's label, -1 when it has none
     */
    public synchronized void finished(Outcome outcome, int frames, DropReason drop, String rung, long frameMacs,
            double latencyMs, int truth, int top1) {
        outcomes[outcome.ordinal()] += frames;
        if (drop != null) {
            drops[drop.ordinal()] += frames;
        }
        if (rung != null && outcome.ran()) {
            rungs.merge(rung, 1L, Long::sum);
        }
        macs += frameMacs;
        if (outcome.answered()) {
            latency.recordValue(Math.max(0, Math.round(latencyMs * 1000)));
            if (truth >= 0) {
                labelled++;
                if (top1 == truth) {
                    correct++;
                }
            }
        }
        lastFinish = System.nanoTime();
    }

    /** A frame left the network early at tensor {@code cut}. */
    public synchronized void exited(String cut) {
        exits.merge(cut, 1L, Long::sum);
    }

    /** The latest answered frame's rung and label (what a live view shows). */
    public synchronized void latest(String rung, String label) {
        lastRung = rung;
        lastLabel = label;
    }

    public String stream() {
        return stream;
    }

    /** The counters now: an immutable copy. */
    public synchronized CountersSnapshot snapshot() {
        Map<Outcome, Long> out = new EnumMap<>(Outcome.class);
        long done = 0;
        for (Outcome o : Outcome.values()) {
            out.put(o, outcomes[o.ordinal()]);
            done += outcomes[o.ordinal()];
        }
        Map<DropReason, Long> dropped = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            dropped.put(r, drops[r.ordinal()]);
        }
        List<StageCounters.Stage> st = new ArrayList<>();
        for (StageCounters s : stages) {
            st.add(s.snapshot());
        }
        return new CountersSnapshot(stream, model, source, in, in - done, out, dropped, rungs, macs, denseMacs,
                labelled, correct, latency.copy(), firstArrival, lastFinish, st, lastRung, lastLabel, exits);
    }
}
