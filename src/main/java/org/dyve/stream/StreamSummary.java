package org.dyve.stream;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.metrics.CountersSnapshot;
import org.dyve.metrics.Outcome;
import org.dyve.metrics.StageCounters;

/**
 * How a stream ended: its final counters (the same counters that could be read while it ran), why it ended, what
 * was damaged in its input, how often its source reconnected, and the process's resident memory.
 *
 * @param end one of {@link #END_OF_INPUT}, {@link #INPUT_DAMAGED}, {@link #LIMIT}, {@link #SIGNAL},
 *     {@link #STOPPED}, {@link #OUTPUT_CLOSED}, {@link #ERROR}
 * @param damage what was damaged in the input, or null
 * @param error why the stream failed ({@link #ERROR}), or null
 */
public record StreamSummary(CountersSnapshot counters, String end, String damage, String error, long reconnects,
        double rssStartMb, double rssEndMb) {
    /** The input ended as it should (a file's last frame, a data set's last sample). */
    public static final String END_OF_INPUT = "end-of-input";
    /** The input ended before its container said it would, or some of its frames did not decode. */
    public static final String INPUT_DAMAGED = "input-damaged";
    /** The frame limit was reached. */
    public static final String LIMIT = "limit";
    /** Stopped by a signal (Ctrl-C, SIGTERM). */
    public static final String SIGNAL = "signal";
    /** Stopped on request (the stream manager, an operator). */
    public static final String STOPPED = "stopped";
    /** The output was closed (a pipe's reader went away). */
    public static final String OUTPUT_CLOSED = "output-closed";
    /** The stream failed. */
    public static final String ERROR = "error";

    public String endReason() {
        return end;
    }

    public long count(Outcome o) {
        return counters.count(o);
    }

    public long framesIn() {
        return counters.framesIn();
    }

    public double throughput() {
        return counters.throughput();
    }

    public double durationSeconds() {
        return counters.seconds();
    }

    /** The {@code p}-th latency percentile (ms) of frames with a result. */
    public double latencyPercentile(double p) {
        return counters.latencyMs(p);
    }

    public Map<String, Long> framesPerRung() {
        return counters.framesPerRung();
    }

    public double macsSavedFraction() {
        return counters.macsSaved();
    }

    public double accuracy() {
        return counters.accuracy();
    }

    public List<StageCounters.Stage> stages() {
        return counters.stages();
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

    /** The summary as a JSON-ready map: the summary line of the JSON-lines output. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("summary", true);
        m.put("end", end);
        if (damage != null) {
            m.put("damage", damage);
        }
        if (error != null) {
            m.put("error", error);
        }
        m.put("reconnects", reconnects);
        m.putAll(counters.toMap());
        m.put("rss_start_mb", rssStartMb);
        m.put("rss_end_mb", rssEndMb);
        return m;
    }

    /** One human-readable paragraph. */
    public String describe() {
        return describe(counters, String.format("%s after %.1f s%s%s%s", end, counters.seconds(),
                damage == null ? "" : " (" + damage + ")", error == null ? "" : " (" + error + ")",
                reconnects == 0 ? "" : ", " + reconnects + " reconnect(s)"))
                + String.format("%nresident memory %.0f MB at start, %.0f MB at end", rssStartMb, rssEndMb);
    }

    /** A paragraph on {@code c}, its first line ending with {@code how}. */
    public static String describe(CountersSnapshot c, String how) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%s on %s: %s%n", c.model(), c.source(), how));
        b.append(String.format("frames in %d = computed %d + reused %d + early-exit %d + dropped %d + errors %d%s%n",
                c.framesIn(), c.count(Outcome.COMPUTED), c.count(Outcome.REUSED), c.count(Outcome.EARLY_EXIT),
                c.count(Outcome.DROPPED), c.count(Outcome.ERROR), c.inFlight() == 0 ? "" : " + in flight "
                        + c.inFlight()));
        b.append(String.format("throughput %.1f frames/s, latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, MACs saved"
                + " %.1f%%", c.throughput(), c.latencyMs(50), c.latencyMs(95), c.latencyMs(99), 100 * c.macsSaved()));
        if (!Double.isNaN(c.accuracy())) {
            b.append(String.format(", top-1 %.2f%% on %d labelled frames", c.accuracy(), c.labelled()));
        }
        StringBuilder why = new StringBuilder();
        c.drops().entrySet().stream().filter(e -> e.getValue() > 0).sorted(Map.Entry.comparingByKey())
                .forEach(e -> why.append(why.length() == 0 ? "" : ", ").append(e.getKey().wire()).append(' ')
                        .append(e.getValue()));
        if (why.length() > 0) {
            b.append(String.format("%ndropped: %s", why));
        }
        if (!c.framesPerRung().isEmpty()) {
            StringBuilder per = new StringBuilder();
            c.framesPerRung().forEach((k, v) -> per.append(per.length() == 0 ? "" : ", ").append(k).append(' ')
                    .append(v));
            b.append(String.format("%nframes per rung: %s", per));
        }
        for (StageCounters.Stage s : c.stages()) {
            b.append(String.format("%n  %s: %d frames, wait %.2f ms, compute %.2f ms", s.name(), s.frames(),
                    s.waitMs(), s.computeMs()));
        }
        return b.toString();
    }
}
