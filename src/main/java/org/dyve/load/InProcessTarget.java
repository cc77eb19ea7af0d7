package org.dyve.load;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.HdrHistogram.Histogram;
import org.dyve.data.Images;
import org.dyve.metrics.RequestCounters;
import org.dyve.runtime.Classifier;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.RequestRejected;

/**
 * The runtime in this process as a load-test target: each request's image is decoded and preprocessed on a pool of
 * threads (as the server's blocking dispatcher does) and queued on the model's batcher; no HTTP, no JSON.
 */
final class InProcessTarget implements Target, AutoCloseable {
    private final Dyve dyve;
    private final String model;
    private final String effort;
    private final Payloads payloads;
    private final ExecutorService decoders = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "dyve-load-decode");
        t.setDaemon(true);
        return t;
    });

    InProcessTarget(Dyve dyve, String model, String effort, Payloads payloads) {
        this.dyve = dyve;
        this.model = model;
        this.effort = effort == null || effort.isEmpty() ? null : effort;
        this.payloads = payloads;
    }

    @Override
    public void ready() {
        dyve.requests(model);
    }

    @Override
    public CompletableFuture<Answer> classify(int k) {
        Classifier c = dyve.classifier(model);
        return CompletableFuture.supplyAsync(() -> c.prepare(Images.read(payloads.bodies().get(k), "payload " + k,
                Images.MAX_PIXELS)), decoders)
                .thenCompose(x -> dyve.requests(model).submit(List.of(x), effort, 0))
                .handle((out, err) -> {
                    if (err == null) {
                        return new Answer(200, out.get(0).rung());
                    }
                    Throwable t = err.getCause() != null ? err.getCause() : err;
                    if (t instanceof RequestRejected r) {
                        return new Answer(r.outcome() == RequestCounters.RequestOutcome.QUEUE_FULL ? 429 : 504, null);
                    }
                    return new Answer(500, null);
                });
    }

    @Override
    public Map<String, Double> serverTimes() {
        Map<String, Double> m = new HashMap<>();
        RequestCounters.Snapshot s = dyve.requestCounters().get(model);
        if (s != null) {
            put(m, "queue", s.queueMicros(), 1e-6);
            put(m, "compute", s.computeMicros(), 1e-6);
            put(m, "batch", s.batchSizes(), 1);
        }
        return m;
    }

    private static void put(Map<String, Double> m, String key, Histogram h, double scale) {
        m.put(key + "_count", (double) h.getTotalCount());
        m.put(key + "_sum", h.getTotalCount() == 0 ? 0 : h.getMean() * h.getTotalCount() * scale);
    }

    @Override
    public void close() {
        decoders.shutdownNow();
    }
}
