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
    private final long denseMacs;
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

    StreamSummary(long denseMacs, List<StageStats> stages) {
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
        m.put("frames_in", framesIn());
        for (FrameResult.Status s : FrameResult.Status.values()) {
            m.put(s.wire().replace('-', '_'), count(s));
        }
        m.put("throughput_fps", throughput());
        m.put("latency_p50_ms", latencyPercentile(50));
        m.put("latency_p95_ms", latencyPercentile(95));
        m.put("latency_p99_ms", latencyPercentile(99));
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
        b.append(String.format("%nresident memory %.0f MB at start, %.0f MB at end", rssStartKb / 1024.0,
                rssKb() / 1024.0));
        for (StageStats s : stages) {
            b.append(String.format("%n  %s: %d frames, wait %.2f ms, compute %.2f ms", s.name(), s.frames(),
                    s.meanWaitMs(), s.meanComputeMs()));
        }
        return b.toString();
    }
}
