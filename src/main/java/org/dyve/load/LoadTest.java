package org.dyve.load;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.dyve.DyveException;

/**
 * A load test of a running {@code dyve serve}: steps through loads and measures each. Latency runs from each request's
 * intended send time (open loop and streams: its place on the schedule; closed loop: when it was sent), so a server
 * that stalls is charged for every request that should have gone out meanwhile (no coordinated omission). Every
 * request is accounted for: scheduled = sent + not sent in time; sent = ok + rejected + expired + failed + outstanding.
 */
public final class LoadTest {
    /** How load is offered. */
    public enum Mode {
        /** Closed loop: this many requests outstanding at all times. */
        CONCURRENCY,
        /** Open loop: this many requests per second, whatever the answers. */
        RATE,
        /** This many camera-like streams, each sending frames at {@code fps}. */
        STREAMS
    }

    /**
     * A test.
     *
     * @param urls servers, the requests spread over them in turn
     * @param steps the loads, in order (requests outstanding, requests/s, or streams)
     * @param fps each stream's frame rate ({@link Mode#STREAMS})
     * @param duration measured time per step (after {@code warmUp})
     * @param maxRequests cap on requests per step (0: none)
     * @param latencyThresholdMs stop stepping up once the {@code percentile} latency exceeds this (0: run every step)
     * @param poisson open-loop arrivals as a Poisson process instead of evenly spaced
     */
    public record Spec(List<URI> urls, String model, String token, String effort, Mode mode, List<Double> steps,
            double fps, Duration duration, Duration warmUp, long maxRequests, double latencyThresholdMs,
            double percentile, boolean poisson) {
    }

    /** One step's outcome; latencies in ms; {@code server*}: from the server's metrics over the step. */
    public record Step(Mode mode, double load, long scheduled, long sent, long notSent, long ok, long rejected,
            long expired, long failed, long outstanding, long late, double seconds, double throughput, double p50,
            double p90, double p95, double p99, double max, double serverQueueMs, double serverComputeMs,
            double meanBatch, Map<String, Long> rungs, double clientCpuMs, boolean held) {

        /** Whether every request is accounted for. */
        public boolean balanced() {
            return scheduled == sent + notSent && sent == ok + rejected + expired + failed + outstanding;
        }

        /** The step as a flat map (CSV and JSON columns). */
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
            m.put("load", load);
            m.put("scheduled", scheduled);
            m.put("sent", sent);
            m.put("not_sent", notSent);
            m.put("ok", ok);
            m.put("rejected_429", rejected);
            m.put("expired_504", expired);
            m.put("failed", failed);
            m.put("outstanding", outstanding);
            m.put("late", late);
            m.put("seconds", seconds);
            m.put("throughput", throughput);
            m.put("p50_ms", p50);
            m.put("p90_ms", p90);
            m.put("p95_ms", p95);
            m.put("p99_ms", p99);
            m.put("max_ms", max);
            m.put("server_queue_ms", serverQueueMs);
            m.put("server_compute_ms", serverComputeMs);
            m.put("mean_batch", meanBatch);
            m.put("rungs", rungs);
            m.put("client_cpu_ms_per_request", clientCpuMs);
            m.put("held", held);
            return m;
        }
    }

    /** Told as the test goes. */
    public interface Listener {
        void step(Step s);
    }

    private static final Pattern EFFORT = Pattern.compile("\"effort\":\"([^\"]+)\"");
    /** Requests one open-loop step may have outstanding before it stops sending (counted as not sent in time). */
    private static final int MAX_OUTSTANDING = 512;

    private final Spec spec;
    private final Payloads payloads;
    private final Target target;
    private final AtomicLong turn = new AtomicLong();

    /**
     * The loads of a step specification: {@code N}, {@code FROM:TO} (step +1), {@code FROM:TO:+K} or
     * {@code FROM:TO:xK}.
     *
     * @throws DyveException naming the specification when it is malformed or empty
     */
    public static List<Double> steps(String spec) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)(?::(\\d+(?:\\.\\d+)?)(?::([+x])(\\d+(?:\\.\\d+)?))?)?")
                .matcher(spec.trim());
        if (!m.matches()) {
            throw new DyveException(spec + ": invalid steps (expected N, FROM:TO, FROM:TO:+K or FROM:TO:xK)");
        }
        double from = Double.parseDouble(m.group(1));
        double to = m.group(2) == null ? from : Double.parseDouble(m.group(2));
        boolean times = "x".equals(m.group(3));
        double k = m.group(4) == null ? 1 : Double.parseDouble(m.group(4));
        if (from <= 0 || to < from || (times ? k <= 1 : k <= 0)) {
            throw new DyveException(spec + ": invalid steps (loads must be positive and rise)");
        }
        List<Double> out = new ArrayList<>();
        for (double x = from; x <= to + 1e-9 && out.size() < 1000; x = times ? x * k : x + k) {
            out.add(x);
        }
        return out;
    }

    /** A test of the servers at {@code spec.urls()}. */
    public LoadTest(Spec spec, Payloads payloads) {
        this(spec, payloads, new Http(spec, payloads));
    }

    /** A test of {@code dyve}, the runtime in this process ({@code spec.urls()} unused): the server's cost left out. */
    public static LoadTest inProcess(Spec spec, Payloads payloads, org.dyve.runtime.Dyve dyve) {
        return new LoadTest(spec, payloads, new InProcessTarget(dyve, spec.model(), spec.effort(), payloads));
    }

    private LoadTest(Spec spec, Payloads payloads, Target target) {
        this.spec = spec;
        this.payloads = payloads;
        this.target = target;
    }

    /**
     * Runs the steps in order (stopping after the first whose latency crosses the threshold); returns them.
     *
     * @throws DyveException when a server cannot be reached or does not serve the model
     */
    public List<Step> run(Listener listener) {
        target.ready();
        List<Step> out = new ArrayList<>();
        for (double load : spec.steps()) {
            if (spec.warmUp().toMillis() > 0) {
                measure(load, spec.warmUp(), false);
            }
            Step s = measure(load, spec.duration(), true);
            out.add(s);
            listener.step(s);
            if (!s.held()) {
                break;
            }
        }
        return out;
    }

    /** The counts of one step, updated from the HTTP client's threads. */
    private static final class Tally {
        final AtomicLong scheduled = new AtomicLong();
        final AtomicLong sent = new AtomicLong();
        final AtomicLong notSent = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();
        final AtomicLong expired = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong outstanding = new AtomicLong();
        final AtomicLong late = new AtomicLong();
        final Map<String, Long> rungs = new ConcurrentHashMap<>();
        final Histogram latency = new Histogram(3);
        volatile boolean recording;
    }

    private Step measure(double load, Duration length, boolean record) {
        Tally t = new Tally();
        t.recording = record;
        Map<String, Double> before = record ? target.serverTimes() : Map.of();
        long cpu0 = cpuNanos();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        long cap = spec.maxRequests() > 0 ? spec.maxRequests() : Long.MAX_VALUE;
        switch (spec.mode()) {
            case CONCURRENCY -> closed(t, (int) Math.max(1, load), end, cap);
            case RATE -> open(t, List.of(0L), 1e9 / Math.max(1e-9, load), end, cap, 0);
            case STREAMS -> {
                int n = (int) Math.max(1, load);
                List<Long> offsets = new ArrayList<>();
                for (int s = 0; s < n; s++) {
                    offsets.add((long) (1e9 / spec.fps() * s / n));
                }
                open(t, offsets, 1e9 / spec.fps(), end, cap, 1e3 / spec.fps());
            }
        }
        // wait for what is outstanding (every request has a deadline on the server; 60 s more at most here)
        long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (t.outstanding.get() > 0 && System.nanoTime() < wait) {
            LockSupport.parkNanos(1_000_000);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> after = record ? target.serverTimes() : Map.of();
        Histogram h = t.latency;
        double p = spec.percentile();
        double atP;
        synchronized (h) {
            atP = h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1000.0;
        }
        boolean held = spec.latencyThresholdMs() <= 0 || (atP <= spec.latencyThresholdMs() && t.failed.get() == 0
                && t.rejected.get() == 0 && t.expired.get() == 0 && t.notSent.get() == 0);
        long sent = t.sent.get();
        synchronized (h) {
            return new Step(spec.mode(), load, t.scheduled.get(), sent, t.notSent.get(), t.ok.get(), t.rejected.get(),
                    t.expired.get(), t.failed.get(), t.outstanding.get(), t.late.get(), seconds,
                    t.ok.get() / Math.max(1e-9, seconds), ms(h, 50),
                    ms(h, 90), ms(h, 95), ms(h, 99), h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0,
                    delta(before, after, "queue"), delta(before, after, "compute"), delta(before, after, "batch"),
                    new java.util.TreeMap<>(t.rungs), (cpuNanos() - cpu0) / 1e6 / Math.max(1, sent), held);
        }
    }

    private static double ms(Histogram h, double p) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(p) / 1000.0;
    }

    /** Closed loop: {@code n} requests outstanding until {@code end}. */
    private void closed(Tally t, int n, long end, long cap) {
        CompletableFuture<?>[] loops = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            loops[i] = loop(t, end, cap);
        }
        CompletableFuture.allOf(loops).join();
    }

    private CompletableFuture<Void> loop(Tally t, long end, long cap) {
        long now = System.nanoTime();
        if (now >= end || t.scheduled.get() >= cap) {
            return CompletableFuture.completedFuture(null);
        }
        t.scheduled.incrementAndGet();
        return send(t, now, 0).thenCompose(x -> loop(t, end, cap));
    }

    /**
     * Open loop: sources (one per offset) each due every {@code periodNanos} from their offset, sent when due whatever
     * is outstanding (up to {@link #MAX_OUTSTANDING}; beyond it a request is not sent in time); {@code lateMs}: an
     * answer later than this is late (a camera's next frame was due), 0 for none.
     */
    private void open(Tally t, List<Long> offsets, double periodNanos, long end, long cap, double lateMs) {
        long start = System.nanoTime();
        // the next due time of each source
        PriorityQueue<long[]> due = new PriorityQueue<>((a, b) -> Long.compare(a[0], b[0]));
        java.util.Random random = new java.util.Random(42);
        for (int s = 0; s < offsets.size(); s++) {
            due.add(new long[] {start + offsets.get(s), s});
        }
        while (!due.isEmpty() && t.scheduled.get() < cap) {
            long[] next = due.poll();
            if (next[0] >= end) {
                break;
            }
            long wait = next[0] - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            t.scheduled.incrementAndGet();
            if (t.outstanding.get() >= MAX_OUTSTANDING) {
                t.notSent.incrementAndGet();
            } else {
                send(t, next[0], lateMs);
            }
            double gap = spec.poisson() && spec.mode() == Mode.RATE
                    ? -Math.log(1 - random.nextDouble()) * periodNanos : periodNanos;
            next[0] += (long) gap;
            due.add(next);
        }
    }

    /** Sends one request intended at {@code intended}; its latency counts from then. */
    private CompletableFuture<Void> send(Tally t, long intended, double lateMs) {
        int k = (int) (turn.getAndIncrement() % payloads.bodies().size());
        t.sent.incrementAndGet();
        t.outstanding.incrementAndGet();
        return target.classify(k).handle((r, err) -> {
            long micros = (System.nanoTime() - intended) / 1000;
            if (err != null || r.status() != 200 && r.status() != 429 && r.status() != 504) {
                t.failed.incrementAndGet();
            } else if (r.status() == 200) {
                t.ok.incrementAndGet();
                if (t.recording) {
                    synchronized (t.latency) {
                        t.latency.recordValue(Math.max(0, micros));
                    }
                }
                if (lateMs > 0 && micros / 1000.0 > lateMs) {
                    t.late.incrementAndGet();
                }
                if (r.rung() != null) {
                    t.rungs.merge(r.rung(), 1L, Long::sum);
                }
            } else if (r.status() == 429) {
                t.rejected.incrementAndGet();
            } else {
                t.expired.incrementAndGet();
            }
            t.outstanding.decrementAndGet();
            return null;
        });
    }

    /** Servers over HTTP: classify requests spread over the URLs in turn. */
    static final class Http implements Target {
        private final Spec spec;
        private final Payloads payloads;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final AtomicLong turn = new AtomicLong();

        Http(Spec spec, Payloads payloads) {
            this.spec = spec;
            this.payloads = payloads;
        }

        @Override
        public void ready() {
            for (URI u : spec.urls()) {
                HttpResponse<String> r = get(u.resolve("/v2/models/" + spec.model() + "/ready"));
                if (r.statusCode() != 200) {
                    throw new DyveException(u + ": model " + spec.model() + " not ready (HTTP " + r.statusCode()
                            + ": " + r.body().strip() + ")");
                }
            }
        }

        @Override
        public CompletableFuture<Answer> classify(int k) {
            URI base = spec.urls().get((int) (turn.getAndIncrement() % spec.urls().size()));
            String query = spec.effort() == null || spec.effort().isEmpty() ? "" : "?effort=" + spec.effort();
            HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/models/" + spec.model() + "/classify"
                    + query)).timeout(Duration.ofSeconds(60)).header("Content-Type", payloads.contentTypes().get(k))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(payloads.bodies().get(k)));
            if (!spec.token().isEmpty()) {
                b.header("Authorization", "Bearer " + spec.token());
            }
            return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).handle((r, err) -> {
                if (err != null) {
                    return new Answer(-1, null);
                }
                String rung = null;
                if (r.statusCode() == 200) {
                    Matcher m = EFFORT.matcher(r.body());
                    rung = m.find() ? m.group(1) : null;
                }
                return new Answer(r.statusCode(), rung);
            });
        }

        @Override
        public Map<String, Double> serverTimes() {
            Map<String, Double> m = new java.util.HashMap<>();
            for (URI u : spec.urls()) {
                HttpResponse<String> r = get(u.resolve("/metrics"));
                if (r.statusCode() != 200) {
                    continue;
                }
                for (String line : r.body().lines().toList()) {
                    for (String[] k : new String[][] {{"queue", "dyve_request_queue_duration_seconds"},
                        {"compute", "dyve_request_compute_duration_seconds"}, {"batch", "dyve_request_batch_size"}}) {
                        for (String part : new String[] {"_sum", "_count"}) {
                            String prefix = k[1] + part + "{model=\"" + spec.model() + "\"} ";
                            if (line.startsWith(prefix)) {
                                m.merge(k[0] + part, Double.parseDouble(line.substring(prefix.length()).trim()),
                                        Double::sum);
                            }
                        }
                    }
                }
            }
            return m;
        }

        private HttpResponse<String> get(URI u) {
            HttpRequest.Builder b = HttpRequest.newBuilder(u).timeout(Duration.ofSeconds(30));
            if (!spec.token().isEmpty()) {
                b.header("Authorization", "Bearer " + spec.token());
            }
            try {
                return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
                throw new DyveException(u + ": cannot reach the server (" + DyveException.reason(e) + ")");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DyveException(u + ": interrupted");
            }
        }
    }

    /** The mean of {@code key} over the step (ms for times, inputs for batch sizes); NaN without data. */
    private static double delta(Map<String, Double> before, Map<String, Double> after, String key) {
        double n = after.getOrDefault(key + "_count", 0.0) - before.getOrDefault(key + "_count", 0.0);
        double sum = after.getOrDefault(key + "_sum", 0.0) - before.getOrDefault(key + "_sum", 0.0);
        if (n <= 0) {
            return Double.NaN;
        }
        return key.equals("batch") ? sum / n : 1000 * sum / n;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
