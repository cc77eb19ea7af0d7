package org.dyve.metrics;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import org.HdrHistogram.Histogram;
import org.dyve.Wire;

/**
 * A stream's counters at one moment (see {@link StreamCounters}), or the total of several streams ({@link #total}).
 *
 * @param framesIn frames that entered the pipeline
 * @param inFlight frames that entered and have no outcome yet: {@code framesIn} minus the sum of the outcomes
 * @param framesPerRung frames the network ran on at each effort rung, in the order rungs were first used
 * @param macs multiply-accumulates executed
 * @param denseMacs MACs of one frame through the dense network
 * @param labelled answered frames with a label; {@code correct} of them were classified right
 * @param firstNanos {@link System#nanoTime()} when the first frame arrived, -1 before
 * @param lastNanos {@link System#nanoTime()} of the last result, -1 before
 * @param lastRung the latest answered frame's effort rung, null before
 * @param lastLabel the latest answered frame's label, null before
 * @param exitsByCut frames that left the network early, by the tensor they left at
 */
public record CountersSnapshot(String stream, String model, String source, long framesIn, long inFlight,
        Map<Outcome, Long> outcomes, Map<DropReason, Long> drops, Map<String, Long> framesPerRung, long macs,
        long denseMacs, long labelled, long correct,
        @JsonSerialize(using = HistogramJson.Out.class) @JsonDeserialize(using = HistogramJson.In.class)
        Histogram latencyMicros, long firstNanos, long lastNanos, List<StageCounters.Stage> stages, String lastRung,
        String lastLabel, Map<String, Long> exitsByCut) implements Wire {

    public CountersSnapshot {
        outcomes = Map.copyOf(outcomes);
        drops = Map.copyOf(drops);
        framesPerRung = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(framesPerRung));
        stages = List.copyOf(stages);
        exitsByCut = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(exitsByCut));
    }

    /** Seconds from the first frame's arrival to the last result. */
    public double seconds() {
        return firstNanos < 0 || lastNanos < firstNanos ? 0 : (lastNanos - firstNanos) / 1e9;
    }

    public long count(Outcome o) {
        return outcomes.getOrDefault(o, 0L);
    }

    /** Frames with a result: computed, reused or early exit. */
    public long answered() {
        return count(Outcome.COMPUTED) + count(Outcome.REUSED) + count(Outcome.EARLY_EXIT);
    }

    /** Frames with a result per second, from the first frame's arrival to the last result. */
    public double throughput() {
        return seconds() <= 0 ? 0 : answered() / seconds();
    }

    /** The {@code p}-th latency percentile in ms of frames with a result (within 0.1%), NaN when there is none. */
    public double latencyMs(double p) {
        return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getValueAtPercentile(p) / 1000.0;
    }

    /** The share of the dense network's MACs for every answered frame that was not executed. */
    public double macsSaved() {
        double dense = (double) answered() * denseMacs;
        return dense == 0 ? 0 : 1.0 - macs / dense;
    }

    /** Top-1 accuracy (%) over labelled answered frames, NaN without labels. */
    public double accuracy() {
        return labelled == 0 ? Double.NaN : 100.0 * correct / labelled;
    }

    /**
     * The sum of several streams' counters ({@code name} as its stream, and as its model when they differ): frames,
     * outcomes, MACs and histograms add up; its time runs from the first stream's first frame to the last stream's
     * last result, so its throughput is the streams' together.
     */
    public static CountersSnapshot total(String name, List<CountersSnapshot> parts) {
        Map<Outcome, Long> out = new EnumMap<>(Outcome.class);
        Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        Map<String, Long> rungs = new LinkedHashMap<>();
        Map<String, Long> exits = new LinkedHashMap<>();
        Histogram h = new Histogram(3);
        long in = 0;
        long inFlight = 0;
        long macs = 0;
        long dense = 0;
        long labelled = 0;
        long correct = 0;
        long first = -1;
        long last = -1;
        for (CountersSnapshot c : parts) {
            c.outcomes.forEach((k, v) -> out.merge(k, v, Long::sum));
            c.drops.forEach((k, v) -> drops.merge(k, v, Long::sum));
            c.framesPerRung.forEach((k, v) -> rungs.merge(k, v, Long::sum));
            c.exitsByCut.forEach((k, v) -> exits.merge(k, v, Long::sum));
            h.add(c.latencyMicros);
            in += c.framesIn;
            inFlight += c.inFlight;
            macs += c.macs;
            // the dense MACs the answered frames would have cost, as one per-frame figure
            dense += c.answered() * c.denseMacs;
            labelled += c.labelled;
            correct += c.correct;
            if (c.firstNanos >= 0) {
                first = first < 0 ? c.firstNanos : Math.min(first, c.firstNanos);
            }
            last = Math.max(last, c.lastNanos);
        }
        String model = parts.stream().map(CountersSnapshot::model).distinct().count() == 1 ? parts.get(0)
                .model() : name;
        long answered = out.values().stream().mapToLong(Long::longValue).sum() - out.getOrDefault(Outcome.DROPPED, 0L)
                - out.getOrDefault(Outcome.ERROR, 0L);
        return new CountersSnapshot(name, model, name, in, inFlight, out, drops, rungs, macs,
                answered == 0 ? 0 : dense / answered, labelled, correct, h, first, last, List.of(), null, null, exits);
    }

    /** {@code x}, or null when it is not a number (no latency or accuracy yet): JSON has no NaN. */
    private static Double finite(double x) {
        return Double.isFinite(x) ? x : null;
    }

    /** The counters as a JSON-ready map (the summary line's fields, README "Frame results"). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stream", stream);
        m.put("model", model);
        m.put("source", source);
        m.put("duration_s", seconds());
        m.put("frames_in", framesIn);
        m.put("in_flight", inFlight);
        for (Outcome o : Outcome.values()) {
            m.put(o.wire().replace('-', '_'), count(o));
        }
        Map<String, Object> why = new LinkedHashMap<>();
        drops.entrySet().stream().filter(e -> e.getValue() > 0).sorted(Map.Entry.comparingByKey())
                .forEach(e -> why.put(e.getKey().wire(), e.getValue()));
        m.put("dropped_by_reason", why);
        m.put("throughput_fps", throughput());
        m.put("latency_p50_ms", finite(latencyMs(50)));
        m.put("latency_p95_ms", finite(latencyMs(95)));
        m.put("latency_p99_ms", finite(latencyMs(99)));
        m.put("frames_per_rung", new LinkedHashMap<>(framesPerRung));
        m.put("exits_by_cut", new LinkedHashMap<>(exitsByCut));
        if (lastRung != null) {
            m.put("last_rung", lastRung);
            m.put("last_label", lastLabel);
        }
        m.put("macs", macs);
        m.put("macs_saved", macsSaved());
        m.put("top1", finite(accuracy()));
        List<Map<String, Object>> st = new java.util.ArrayList<>();
        for (StageCounters.Stage s : stages) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("stage", s.name());
            x.put("frames", s.frames());
            x.put("wait_ms", s.waitMs());
            x.put("compute_ms", s.computeMs());
            st.add(x);
        }
        m.put("stages", st);
        return m;
    }
}
