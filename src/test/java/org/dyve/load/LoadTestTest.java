package org.dyve.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.DyveSettings;
import org.dyve.runtime.RequestSettings;
import org.dyve.server.DyveServer;
import org.dyve.server.ServeSettings;
import org.junit.jupiter.api.Test;

/** {@code dyve load} against real servers on loopback: every request accounted for, no coordinated omission. */
class LoadTestTest {
    private static final String M = ModelCatalog.DEFAULT_MODEL;

    private static LoadTest.Spec spec(URI url, LoadTest.Mode mode, List<Double> steps, double seconds) {
        return new LoadTest.Spec(List.of(url), M, "", null, mode, steps, 20, Duration.ofMillis((long) (seconds * 1000)),
                Duration.ZERO, 0, 0, 99, false);
    }

    @Test
    void everyRequestIsAccountedForInEveryModeIncludingAnOverload() throws Exception {
        // one worker computing one input at a time, four waiting, 1 ms deadlines: 32 requests outstanding overload it
        DyveSettings s = DyveSettings.from(ConfigFactory.load()).withModelHome(Files.createTempDirectory("dyve-load"))
                .withRequests(new RequestSettings(1, Duration.ZERO, 4, 1, Duration.ofMillis(1), 1.0,
                        Duration.ofSeconds(30)));
        try (Dyve d = Dyve.open(s); DyveServer srv = DyveServer.start(d, ServeSettings.from(s.config())
                .withAddress("127.0.0.1", 0), "test")) {
            URI url = URI.create("http://127.0.0.1:" + srv.address().getPort());
            Payloads p = Payloads.of("synthetic:28x28");
            List<LoadTest.Step> all = new java.util.ArrayList<>();
            all.addAll(new LoadTest(spec(url, LoadTest.Mode.RATE, List.of(50.0), 0.5), p).run(x -> { }));
            all.addAll(new LoadTest(spec(url, LoadTest.Mode.STREAMS, List.of(3.0), 0.5), p).run(x -> { }));
            List<LoadTest.Step> over = new LoadTest(spec(url, LoadTest.Mode.CONCURRENCY, List.of(32.0), 1.0), p)
                    .run(x -> { });
            all.addAll(over);
            for (LoadTest.Step x : all) {
                assertTrue(x.balanced(), "scheduled = sent + not sent; sent = ok + 429 + 504 + failed + outstanding: "
                        + x.toMap());
                assertEquals(0, x.outstanding(), "nothing left outstanding: " + x.toMap());
                assertEquals(0, x.failed(), x.toMap().toString());
            }
            LoadTest.Step o = over.get(0);
            assertTrue(o.rejected() + o.expired() > 0, "the overload is refused (429) or expires (504) in part: "
                    + o.toMap());
            var counters = d.requestCounters().get(M);
            assertEquals(counters.count(org.dyve.metrics.RequestCounters.RequestOutcome.QUEUE_FULL),
                    all.stream().mapToLong(LoadTest.Step::rejected).sum(), "the client's 429s are the server's");
            assertEquals(counters.count(org.dyve.metrics.RequestCounters.RequestOutcome.EXPIRED),
                    all.stream().mapToLong(LoadTest.Step::expired).sum(), "the client's 504s are the server's");
        }
    }

    @Test
    void aServerThatStallsIsChargedForEveryRequestScheduledDuringTheStall() throws Exception {
        // a stub that answers at once, except that it holds every request that arrives in [300 ms, 800 ms) until
        // 800 ms: an open loop at 100/s sends about 50 requests into the stall, 2.5% of... p99 must include it
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        long[] stallFrom = {Long.MAX_VALUE};
        stub.createContext("/", ex -> {
            long now = System.nanoTime();
            String path = ex.getRequestURI().getPath();
            if (path.endsWith("/classify")) {
                ex.getRequestBody().readAllBytes();
                if (stallFrom[0] == Long.MAX_VALUE) {
                    stallFrom[0] = now + 300_000_000L;
                }
                long until = stallFrom[0] + 500_000_000L;
                if (now >= stallFrom[0] && now < until) {
                    java.util.concurrent.locks.LockSupport.parkNanos(until - now);
                }
            }
            byte[] body = path.endsWith("/classify") ? "{\"effort\":\"exact\"}".getBytes() : "{}".getBytes();
            ex.sendResponseHeaders(path.equals("/metrics") ? 404 : 200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        stub.setExecutor(Executors.newCachedThreadPool());
        stub.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + stub.getAddress().getPort());
            LoadTest.Step x = new LoadTest(spec(url, LoadTest.Mode.RATE, List.of(100.0), 2.0),
                    Payloads.of("synthetic:8x8")).run(s -> { }).get(0);
            assertTrue(x.balanced(), x.toMap().toString());
            assertEquals(0, x.failed(), x.toMap().toString());
            // the request scheduled as the stall began waited about 500 ms; latency from the schedule shows it
            assertTrue(x.max() >= 450, "the stall is in the latencies: " + x.toMap());
            // about a quarter of the 200 requests were scheduled during the stall: the 90th percentile is inside it
            assertTrue(x.p90() >= 100, "requests scheduled during the stall are charged for it: " + x.toMap());
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void inProcessTheSameStepsRunOnTheRuntimeWithoutHttp() throws Exception {
        DyveSettings s = DyveSettings.from(ConfigFactory.load()).withModelHome(Files.createTempDirectory("dyve-load"));
        try (Dyve d = Dyve.open(s)) {
            List<LoadTest.Step> steps = LoadTest.inProcess(spec(URI.create("http://unused"), LoadTest.Mode.CONCURRENCY,
                    List.of(4.0), 0.5), Payloads.of("synthetic:28x28"), d).run(x -> { });
            LoadTest.Step x = steps.get(0);
            assertTrue(x.balanced(), x.toMap().toString());
            assertTrue(x.ok() > 0 && x.failed() == 0, x.toMap().toString());
            assertEquals(x.ok(), x.rungs().values().stream().mapToLong(Long::longValue).sum(), "every answer's rung");
            assertTrue(x.serverComputeMs() > 0, "the runtime's own compute time: " + x.toMap());
            java.nio.file.Path png = Files.createTempDirectory("dyve-plot").resolve("steps.png");
            LoadPlot.write(steps, "test", png);
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
            assertEquals("\u0089PNG", new String(head, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
    }
}
