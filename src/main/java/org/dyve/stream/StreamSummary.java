package org.dyve.stream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Running totals of a stream, updated by the sink (one thread) and read at the end: frames by outcome,
 * throughput, latency percentiles, MACs executed against dense, accuracy on labelled frames, per-stage times.
 */
public final class StreamSummary {
    /** The input ended as it should (a file's last frame, a data set's last sample). */
    public static final String END_OF_INPUT = "end-of-input";
    /** The input ended before its container said it would, or some of its frames did not decode. */
    public static final String INPUT_DAMAGED = "input-damaged";
    /** The frame limit was reached. */
    public static final String LIMIT = "limit";
    /** Stopped by a signal (Ctrl-C, SIGTERM). */
    public static final String SIGNAL = "signal";
    /** The output was closed (a pipe's reader went away). */
    public static final String OUTPUT_CLOSED = "output-closed";
    /** The stream failed. */
    public static final String ERROR = "error";

    private final String model;
    private final String source;
    private final SourceHealth health;
    private final long denseMacs;
    private final Map<String, Long> rungs = new LinkedHashMap<>();
    private volatile String stopReason;
    private long limit;
    /** When the first frame arrived from the source (until then, when the summary was made). */
    private long start = System.nanoTime();
    private final long rssStartKb = rssKb();
    private final Map<FrameResult.Status, Long> counts = new LinkedHashMap<>();
    private final LatencyHistogram latencies = new LatencyHistogram();
    private final List<StageStats> stages;
    private long macs;
    private long labelled;
    private long correct;
    private long end;
    private boolean started;

    StreamSummary(String model, String source, long denseMacs, List<StageStats> stages, SourceHealth health) {
        this.model = model;
        this.source = source;
        this.health = health;
        this.denseMacs = denseMacs;
        this.stages = stages;
        for (FrameResult.Status s : FrameResult.Status.values()) {
            counts.put(s, 0L);
        }
    }

    void add(FrameResult r) {
        long now = System.nanoTime();
        if (!started && r.latencyMs() > 0) {
            // the clock starts at the first frame's arrival, not while the source opens (FFmpeg opening a file)
            start = Math.max(start, now - (long) (r.latencyMs() * 1e6));
        }
        started = true;
        counts.merge(r.status(), 1L, Long::sum);
        if (r.effort() != null && (r.status() == FrameResult.Status.COMPUTED
                || r.status() == FrameResult.Status.EARLY_EXIT)) {
            rungs.merge(r.effort(), 1L, Long::sum);
        }
        macs += r.macs();
        if (r.status() != FrameResult.Status.DROPPED && r.status() != FrameResult.Status.ERROR) {
            latencies.add(r.latencyMs());
            if (r.truth() >= 0) {
                labelled++;
                if (r.top1() == r.truth()) {
                    correct++;
                }
            }
        }
        end = now;
    }

    /** The frame limit the stream was started with (0: none), so that reaching it is told apart from the end. */
    void limit(long frames) {
        limit = frames;
    }

    /** Records why the stream is being stopped ({@link #SIGNAL}, {@link #OUTPUT_CLOSED}, {@link #ERROR}); the first
     * reason given is kept. */
    public void stopping(String reason) {
        if (stopReason == null) {
            stopReason = reason;
        }
    }

    /**
     * Why the stream ended: the reason it was stopped for, else {@link #INPUT_DAMAGED} when its input was damaged,
     * {@link #LIMIT} when it took its frame limit, else {@link #END_OF_INPUT}.
     */
    public String endReason() {
        if (stopReason != null) {
            return stopReason;
        }
        if (damage() != null) {
            return INPUT_DAMAGED;
        }
        return limit > 0 && framesIn() >= limit ? LIMIT : END_OF_INPUT;
    }

    /** What was damaged in the input, or null. */
    public String damage() {
        return health.damage();
    }

    /** Frames computed (in full or to an early exit) at each effort rung, in the order rungs were first used. */
    public Map<String, Long> framesPerRung() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(rungs));
    }

    /** Seconds from the first frame's arrival to the last result. */
    public double durationSeconds() {
        return started ? Math.max(0, (end - start) / 1e9) : 0;
    }

    public long count(FrameResult.Status s) {
        return counts.get(s);
    }

    /** Every frame the source produced. */
    public long framesIn() {
        long n = 0;
        for (long c : counts.values()) {
            n += c;
        }
        return n;
    }

    /**
     * Frames with a result (computed, reused, early exit) per second of wall time, from the first frame's arrival
     * to the last result.
     */
    public double throughput() {
        long done = count(FrameResult.Status.COMPUTED) + count(FrameResult.Status.REUSED)
                + count(FrameResult.Status.EARLY_EXIT);
        return done / Math.max(1e-9, (end - start) / 1e9);
    }

    /** The {@code p}-th latency percentile (ms) of frames with a result, within 0.5%. */
    public double latencyPercentile(double p) {
        return latencies.percentile(p);
    }

    /** MACs the dense network would have spent on every frame with a result, over those executed. */
    public double macsSavedFraction() {
        long results = count(FrameResult.Status.COMPUTED) + count(FrameResult.Status.REUSED)
                + count(FrameResult.Status.EARLY_EXIT);
        long dense = results * denseMacs;
        return dense == 0 ? 0 : 1.0 - (double) macs / dense;
    }

    /** Top-1 accuracy (%) over labelled frames with a result, NaN without labels. */
    public double accuracy() {
        return labelled == 0 ? Double.NaN : 100.0 * correct / labelled;
    }

    public List<StageStats> stages() {
        return stages;
    }

    /** Resident set size of this process in KiB (Linux), or -1. */
    public static long rssKb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The summary as a JSON-ready map. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("summary", true);
        m.put("model", model);
        m.put("source", source);
        m.put("end", endReason());
        if (damage() != null) {
            m.put("damage", damage());
        }
        m.put("reconnects", health.reconnects());
        m.put("duration_s", durationSeconds());
        m.put("frames_in", framesIn());
        for (FrameResult.Status s : FrameResult.Status.values()) {
            m.put(s.wire().replace('-', '_'), count(s));
        }
        m.put("throughput_fps", throughput());
        m.put("latency_p50_ms", latencyPercentile(50));
        m.put("latency_p95_ms", latencyPercentile(95));
        m.put("latency_p99_ms", latencyPercentile(99));
        m.put("frames_per_rung", new LinkedHashMap<>(rungs));
        m.put("macs_saved", macsSavedFraction());
        m.put("top1", accuracy());
        m.put("rss_start_mb", rssStartKb / 1024.0);
        m.put("rss_end_mb", rssKb() / 1024.0);
        List<Map<String, Object>> st = new ArrayList<>();
        for (StageStats s : stages) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("stage", s.name());
            x.put("frames", s.frames());
            x.put("wait_ms", s.meanWaitMs());
            x.put("compute_ms", s.meanComputeMs());
            st.add(x);
        }
        m.put("stages", st);
        return m;
    }

    /** One human-readable paragraph. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%s on %s: %s after %.1f s%s%s%n", model, source, endReason(), durationSeconds(),
                damage() == null ? "" : " (" + damage() + ")",
                health.reconnects() == 0 ? "" : ", " + health.reconnects() + " reconnect(s)"));
        b.append(String.format("frames in %d = computed %d + reused %d + early-exit %d + dropped %d + errors %d%n",
                framesIn(), count(FrameResult.Status.COMPUTED), count(FrameResult.Status.REUSED),
                count(FrameResult.Status.EARLY_EXIT), count(FrameResult.Status.DROPPED),
                count(FrameResult.Status.ERROR)));
        b.append(String.format("throughput %.1f frames/s, latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, MACs saved %.1f%%",
                throughput(), latencyPercentile(50), latencyPercentile(95), latencyPercentile(99),
                100 * macsSavedFraction()));
        if (!Double.isNaN(accuracy())) {
            b.append(String.format(", top-1 %.2f%% on %d labelled frames", accuracy(), labelled));
        }
        if (!rungs.isEmpty()) {
            StringBuilder per = new StringBuilder();
            rungs.forEach((k, v) -> per.append(per.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
            b.append(String.format("%nframes per rung: %s", per));
        }
        b.append(String.format("%nresident memory %.0f MB at start, %.0f MB at end", rssStartKb / 1024.0,
                rssKb() / 1024.0));
        for (StageStats s : stages) {
            b.append(String.format("%n  %s: %d frames, wait %.2f ms, compute %.2f ms", s.name(), s.frames(),
                    s.meanWaitMs(), s.meanComputeMs()));
        }
        return b.toString();
    }
}
