package org.dyve.server;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.dyve.metrics.CountersSnapshot;
import org.dyve.metrics.DropReason;
import org.dyve.metrics.Outcome;
import org.dyve.metrics.RequestCounters;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.StreamHandle;

/**
 * {@code GET /metrics}: the runtime's own counters (requests, streams, models) turned into Prometheus metric
 * snapshots at scrape time (no second count), with the JVM's and the process's, in the Prometheus text format. Every
 * DyVE metric is prefixed {@code dyve_}, its unit in its name (README, "Metrics").
 */
final class PrometheusExport implements MultiCollector {
    /** Latency buckets, seconds. */
    private static final double[] SECONDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
        10, 30};
    /** Batch-size buckets, inputs. */
    private static final double[] SIZES = {1, 2, 4, 8, 16, 32, 64};

    private final Dyve dyve;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    PrometheusExport(Dyve dyve) {
        this.dyve = dyve;
        registry.register(this);
        JvmMetrics.builder().register(registry);
    }

    String contentType() {
        return writer.getContentType();
    }

    /** Everything, in the text format. */
    byte[] scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(out, registry.scrape());
        return out.toByteArray();
    }

    @Override
    public MetricSnapshots collect() {
        List<MetricSnapshot> out = new ArrayList<>();
        requests(out, dyve.requestCounters());
        streams(out, dyve.streams().list());
        models(out, dyve.streams().countersByModel());
        return new MetricSnapshots(out);
    }

    private static void requests(List<MetricSnapshot> out, Map<String, RequestCounters.Snapshot> all) {
        CounterSnapshot.Builder requests = CounterSnapshot.builder().name("dyve_requests")
                .help("Inference requests (infer and classify) by model and outcome");
        CounterSnapshot.Builder inputs = CounterSnapshot.builder().name("dyve_request_inputs")
                .help("Inputs computed for requests, by model and effort rung");
        CounterSnapshot.Builder macs = CounterSnapshot.builder().name("dyve_request_macs")
                .help("Multiply-accumulates for requests: executed, and what the dense network would have spent");
        GaugeSnapshot.Builder waiting = GaugeSnapshot.builder().name("dyve_request_queue_length")
                .help("Requests waiting in the model's queue now");
        HistogramSnapshot.Builder total = HistogramSnapshot.builder().name("dyve_request_duration_seconds")
                .help("Request time from arrival in the queue to the answer").unit(Unit.SECONDS);
        HistogramSnapshot.Builder queue = HistogramSnapshot.builder().name("dyve_request_queue_duration_seconds")
                .help("Time answered requests waited in the queue").unit(Unit.SECONDS);
        HistogramSnapshot.Builder compute = HistogramSnapshot.builder().name("dyve_request_compute_duration_seconds")
                .help("Compute time of each batch of requests").unit(Unit.SECONDS);
        HistogramSnapshot.Builder batch = HistogramSnapshot.builder().name("dyve_request_batch_size")
                .help("Inputs per computed batch");
        all.forEach((m, c) -> {
            for (RequestCounters.RequestOutcome o : RequestCounters.RequestOutcome.values()) {
                requests.dataPoint(count(c.count(o), "model", m, "outcome", o.wire()));
            }
            c.inputsPerRung().forEach((rung, n) -> inputs.dataPoint(count(n, "model", m, "rung", rung)));
            macs.dataPoint(count(c.macs(), "model", m, "kind", "executed"));
            macs.dataPoint(count(c.denseMacs(), "model", m, "kind", "dense"));
            waiting.dataPoint(gauge(c.waiting(), "model", m));
            Labels model = Labels.of("model", m);
            total.dataPoint(histogram(c.totalMicros(), SECONDS, 1e-6, model));
            queue.dataPoint(histogram(c.queueMicros(), SECONDS, 1e-6, model));
            compute.dataPoint(histogram(c.computeMicros(), SECONDS, 1e-6, model));
            batch.dataPoint(histogram(c.batchSizes(), SIZES, 1, model));
        });
        out.add(exits("dyve_request_early_exits", "Request inputs that left the network early, by model and the tensor"
                + " they left at", all, RequestCounters.Snapshot::exitsByCut));
        out.add(requests.build());
        out.add(inputs.build());
        out.add(macs.build());
        out.add(waiting.build());
        out.add(total.build());
        out.add(queue.build());
        out.add(compute.build());
        out.add(batch.build());
    }

    private static void streams(List<MetricSnapshot> out, List<StreamHandle> running) {
        GaugeSnapshot.Builder count = GaugeSnapshot.builder().name("dyve_streams_running")
                .help("Streams running now");
        count.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(running.size()).build());
        CounterSnapshot.Builder frames = CounterSnapshot.builder().name("dyve_stream_frames")
                .help("Frames of each running stream by outcome");
        GaugeSnapshot.Builder fps = GaugeSnapshot.builder().name("dyve_stream_throughput_frames_per_second")
                .help("Frames with a result per second of each running stream, since its first frame");
        for (StreamHandle h : running) {
            CountersSnapshot c = h.counters();
            for (Outcome o : Outcome.values()) {
                frames.dataPoint(count(c.count(o), "stream", h.id(), "model", c.model(), "status", o.wire()));
            }
            fps.dataPoint(gauge(c.throughput(), "stream", h.id(), "model", c.model()));
        }
        out.add(count.build());
        out.add(frames.build());
        out.add(fps.build());
    }

    private static void models(List<MetricSnapshot> out, Map<String, CountersSnapshot> byModel) {
        CounterSnapshot.Builder frames = CounterSnapshot.builder().name("dyve_frames")
                .help("Stream frames by model and outcome, ended and running streams together");
        CounterSnapshot.Builder drops = CounterSnapshot.builder().name("dyve_frames_dropped")
                .help("Stream frames dropped, by model and reason");
        CounterSnapshot.Builder rungs = CounterSnapshot.builder().name("dyve_frames_per_rung")
                .help("Stream frames the network ran on, by model and effort rung");
        CounterSnapshot.Builder macs = CounterSnapshot.builder().name("dyve_frame_macs")
                .help("Multiply-accumulates for stream frames: executed, and what the dense network would have spent");
        HistogramSnapshot.Builder latency = HistogramSnapshot.builder().name("dyve_frame_latency_seconds")
                .help("Stream frames' time from arrival at the source to the result").unit(Unit.SECONDS);
        byModel.forEach((m, c) -> {
            for (Outcome o : Outcome.values()) {
                frames.dataPoint(count(c.count(o), "model", m, "status", o.wire()));
            }
            for (DropReason r : DropReason.values()) {
                drops.dataPoint(count(c.drops().getOrDefault(r, 0L), "model", m, "reason", r.wire()));
            }
            c.framesPerRung().forEach((rung, n) -> rungs.dataPoint(count(n, "model", m, "rung", rung)));
            macs.dataPoint(count(c.macs(), "model", m, "kind", "executed"));
            macs.dataPoint(count((double) c.answered() * c.denseMacs(), "model", m, "kind", "dense"));
            latency.dataPoint(histogram(c.latencyMicros(), SECONDS, 1e-6, Labels.of("model", m)));
        });
        out.add(exits("dyve_frame_early_exits", "Stream frames that left the network early, by model and the tensor"
                + " they left at", byModel, CountersSnapshot::exitsByCut));
        out.add(frames.build());
        out.add(drops.build());
        out.add(rungs.build());
        out.add(macs.build());
        out.add(latency.build());
    }

    private static CounterSnapshot.CounterDataPointSnapshot count(double value, String... labels) {
        return CounterSnapshot.CounterDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }

    private static GaugeSnapshot.GaugeDataPointSnapshot gauge(double value, String... labels) {
        return GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build();
    }

    /** A counter of early exits by model and cut, the cuts of each model's counters {@code c} read by {@code cuts}. */
    private static <T> CounterSnapshot exits(String name, String help, Map<String, T> byModel,
            java.util.function.Function<T, Map<String, Long>> cuts) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        byModel.forEach((m, c) -> cuts.apply(c).forEach((cut, n) -> b.dataPoint(count(n, "model", m, "cut", cut))));
        return b.build();
    }

    /**
     * {@code h}'s values (times {@code scale}: microseconds to seconds) in classic buckets with upper bounds
     * {@code bounds} and +Inf, its sum from its mean.
     */
    private static HistogramSnapshot.HistogramDataPointSnapshot histogram(Histogram h, double[] bounds, double scale,
            Labels labels) {
        double[] upper = new double[bounds.length + 1];
        long[] counts = new long[bounds.length + 1];
        long below = 0;
        for (int i = 0; i < bounds.length; i++) {
            upper[i] = bounds[i];
            long atMost = h.getTotalCount() == 0 ? 0 : h.getCountBetweenValues(0, (long) Math.floor(bounds[i] / scale));
            counts[i] = atMost - below;
            below = atMost;
        }
        upper[bounds.length] = Double.POSITIVE_INFINITY;
        counts[bounds.length] = h.getTotalCount() - below;
        return HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, counts))
                .sum(h.getTotalCount() == 0 ? 0 : h.getMean() * h.getTotalCount() * scale).labels(labels).build();
    }
}
