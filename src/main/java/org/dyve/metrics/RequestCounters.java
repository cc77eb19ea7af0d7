package org.dyve.metrics;

import java.util.EnumMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * A model's request counters: requests by {@link RequestOutcome}, inputs computed, batches and their sizes, and
 * latency histograms of the whole request, its wait in the queue and its batch's compute (the split that tells a
 * full queue from a slow model). Written by the model's batcher, readable at any moment.
 */
public final class RequestCounters {
    private final String model;
    // guarded by this
    private final long[] outcomes = new long[RequestOutcome.values().length];
    private final Map<String, Long> rungs = new java.util.LinkedHashMap<>();
    private final Map<String, Long> exits = new java.util.LinkedHashMap<>();
    private final Histogram total = new Histogram(3);
    private final Histogram queue = new Histogram(3);
    private final Histogram compute = new Histogram(3);
    private final Histogram batchSizes = new Histogram(3);
    private long inputs;
    private long macs;
    private long denseMacs;
    private long queued;

    public RequestCounters(String model) {
        this.model = model;
    }

    /** How a request ended. */
    public enum RequestOutcome {
        /** Answered. */
        OK,
        /** Refused: the queue was full (429). */
        QUEUE_FULL,
        /** Its deadline passed before it was computed (504); nothing was computed for it. */
        EXPIRED,
        /** Failed (a bad effort, an engine error). */
        ERROR;

        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** A request entered the queue. */
    public synchronized void queued() {
        queued++;
    }

    /** A request left the queue without being computed. */
    public synchronized void ended(RequestOutcome o, double totalMs) {
        outcomes[o.ordinal()]++;
        if (o != RequestOutcome.QUEUE_FULL) {
            queued--;
            total.recordValue(micros(totalMs));
        }
    }

    /** A batch of {@code size} inputs ran at {@code rung} in {@code ms}, executing {@code executed} MACs. */
    public synchronized void batch(int size, String rung, double ms, long executed, long dense) {
        batchSizes.recordValue(size);
        compute.recordValue(micros(ms));
        rungs.merge(rung, (long) size, Long::sum);
        inputs += size;
        macs += executed;
        denseMacs += dense;
    }

    /** An input left the network early at tensor {@code cut}. */
    public synchronized void exited(String cut) {
        exits.merge(cut, 1L, Long::sum);
    }

    /** A request was answered after {@code queueMs} in the queue and {@code totalMs} in all. */
    public synchronized void answered(double queueMs, double totalMs) {
        outcomes[RequestOutcome.OK.ordinal()]++;
        queued--;
        queue.recordValue(micros(queueMs));
        total.recordValue(micros(totalMs));
    }

    private static long micros(double ms) {
        return Math.max(0, Math.round(ms * 1000));
    }

    /** The counters now. */
    public synchronized Snapshot snapshot() {
        Map<RequestOutcome, Long> o = new EnumMap<>(RequestOutcome.class);
        for (RequestOutcome x : RequestOutcome.values()) {
            o.put(x, outcomes[x.ordinal()]);
        }
        return new Snapshot(model, Map.copyOf(o), new java.util.LinkedHashMap<>(rungs), inputs, macs, denseMacs,
                queued, total.copy(), queue.copy(), compute.copy(), batchSizes.copy(),
                new java.util.LinkedHashMap<>(exits));
    }

    /**
     * A model's request counters at one moment; histograms in microseconds (batch sizes in inputs).
     *
     * @param waiting requests in the queue now
     * @param exitsByCut inputs that left the network early, by the tensor they left at
     */
    public record Snapshot(String model, Map<RequestOutcome, Long> outcomes, Map<String, Long> inputsPerRung,
            long inputs, long macs, long denseMacs, long waiting, Histogram totalMicros, Histogram queueMicros,
            Histogram computeMicros, Histogram batchSizes, Map<String, Long> exitsByCut) {
        public long count(RequestOutcome o) {
            return outcomes.getOrDefault(o, 0L);
        }

        /** Mean inputs per batch, 0 before the first. */
        public double meanBatch() {
            return batchSizes.getTotalCount() == 0 ? 0 : batchSizes.getMean();
        }
    }
}
