package org.dyve.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.engine.Engine;
import org.dyve.model.Network;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.DyveSettings;
import org.dyve.runtime.StreamDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code dyve serve} over a real bound port on loopback, with the JDK's HTTP client: the KServe v2 endpoints, classify,
 * managed streams and their events, the token, the limits and the source allow-list. The embedded model, no sleeps.
 */
class ServerTest {
    private static final String TOKEN = "s3cret-t0ken";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final String M = ModelCatalog.DEFAULT_MODEL;
    private static Path allowed;
    private static Dyve dyve;
    private static DyveServer server;
    private static String base;

    @BeforeAll
    static void start() throws IOException {
        allowed = Files.createTempDirectory("dyve-serve-allowed");
        DyveSettings s = DyveSettings.from(ConfigFactory.load()).withModelHome(allowed);
        dyve = Dyve.open(s);
        ServeSettings serve = ServeSettings.from(s.config()).withAddress("127.0.0.1", 0).withToken(TOKEN)
                .withSources(new ServeSettings.Sources(List.of(allowed.toRealPath()), false, List.of("rtsp"), true));
        server = DyveServer.start(dyve, serve, "test");
        base = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterAll
    static void stop() {
        server.close();
        dyve.close();
    }

    private record Answer(int status, JsonNode json, String text) {
    }

    private static Answer send(String method, String path, byte[] body, String contentType, boolean auth)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (auth) {
            b.header("Authorization", "Bearer " + TOKEN);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode j = null;
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
            j = JSON.readTree(r.body());
        }
        return new Answer(r.statusCode(), j, r.body());
    }

    private static Answer get(String path) throws Exception {
        return send("GET", path, null, null, true);
    }

    private static Answer post(String path, Object json) throws Exception {
        return send("POST", path, JSON.writeValueAsBytes(json), "application/json", true);
    }

    private static void refused(Answer a, int status, String start) {
        assertEquals(status, a.status(), a.text());
        assertTrue(a.json() != null && a.json().path("error").asText().startsWith(start), a.text());
    }

    private static byte[] png(int w, int h, int seed) throws IOException {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (x * seed + y * 7) % 256;
                bi.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(bi, "png", out);
        return out.toByteArray();
    }

    /** A PNG whose header claims {@code w x h} pixels, with almost no data: a decompression bomb's first bytes. */
    private static byte[] bomb(int w, int h) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 3, 0, 0, 0, 0, 1});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    @Test
    void healthAndMetadataFollowKServeV2() throws Exception {
        assertEquals(200, send("GET", "/v2/health/live", null, null, false).status(), "health needs no token");
        assertEquals(200, send("GET", "/v2/health/ready", null, null, false).status());
        Answer meta = get("/v2");
        assertEquals("dyve", meta.json().path("name").asText());
        Answer model = get("/v2/models/" + M);
        assertEquals(200, model.status());
        assertEquals("[-1,1,28,28]", model.json().path("inputs").get(0).path("shape").toString());
        assertEquals("FP32", model.json().path("inputs").get(0).path("datatype").asText());
        assertTrue(model.json().path("parameters").path("rungs").toString().contains("exact"));
        assertEquals(true, get("/v2/models/" + M + "/ready").json().path("ready").asBoolean());
        refused(get("/v2/models/nope"), 404, "unknown model 'nope'");
        refused(get("/v9/nothing"), 404, "");
    }

    @Test
    void withATokenEverythingButHealthNeedsIt() throws Exception {
        refused(send("GET", "/v2", null, null, false), 401, "authorization required");
        HttpResponse<String> wrong = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v2/models/" + M))
                .header("Authorization", "Bearer nope").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, wrong.statusCode());
        HttpResponse<String> cookie = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v2"))
                .header("Cookie", "dyve_token=" + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, cookie.statusCode(), "the dashboard's cookie carries the token");
    }

    @Test
    void aKServeInferRoundTripEqualsTheEngine() throws Exception {
        Network net = dyve.model(M).network();
        int size = net.shape(net.input().name()).size();
        List<float[]> samples = new ArrayList<>();
        List<Float> flat = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            float[] x = new float[size];
            for (int j = 0; j < size; j++) {
                x[j] = (float) Math.sin(j * 0.37 + i) * 2;
                flat.add(x[j]);
            }
            samples.add(x);
        }
        Answer a = post("/v2/models/" + M + "/infer", Map.of("id", "r-1", "inputs", List.of(Map.of("name", "data",
                "shape", List.of(3, 1, 28, 28), "datatype", "FP32", "data", flat)), "parameters",
                Map.of("effort", "exact")));
        assertEquals(200, a.status(), a.text());
        assertEquals("r-1", a.json().path("id").asText());
        assertEquals("exact", a.json().path("parameters").path("effort").asText());
        JsonNode out = a.json().path("outputs").get(0);
        assertEquals("[3,10]", out.path("shape").toString());
        Engine e = Engine.builder(net).batch(3).build();
        e.infer(samples);
        for (int i = 0; i < 3; i++) {
            float[] want = e.output(net.output(), i);
            for (int c = 0; c < 10; c++) {
                assertEquals(want[c], out.path("data").get(i * 10 + c).floatValue(), 1e-6, "sample " + i);
            }
        }
    }

    @Test
    void badInferenceRequestsAreRefusedNamingTheProblem() throws Exception {
        String infer = "/v2/models/" + M + "/infer";
        refused(post(infer, Map.of("inputs", List.of(Map.of("name", "data", "shape", List.of(1, 3, 28, 28),
                "datatype", "FP32", "data", List.of(1))))), 400, "input shape: expected [N, 1, 28, 28], found [1, 3,");
        refused(post(infer, Map.of("inputs", List.of(Map.of("name", "data", "shape", List.of(1, 1, 28, 28),
                "datatype", "INT8", "data", List.of(1))))), 400, "input datatype: expected FP32, found INT8");
        refused(post(infer, Map.of("inputs", List.of(Map.of("name", "data", "shape", List.of(1, 1, 28, 28),
                "datatype", "FP32", "data", List.of(1, 2))))), 400, "input data: expected 784 values");
        refused(post(infer, Map.of("inputs", List.of(Map.of("name", "data", "shape", List.of(100000, 1, 28, 28),
                "datatype", "FP32", "data", List.of())))), 413, "batch of 100000 inputs");
        refused(post(infer, Map.of("inputs", List.of(Map.of("name", "data", "shape", List.of(1, 1, 28, 28),
                "datatype", "FP32", "data", new float[784])), "parameters", Map.of("effort", "loss-99"))), 400,
                "unknown effort profile 'loss-99'");
        refused(send("POST", infer, new byte[0], "application/json", true), 400, "empty request body");
        refused(send("POST", infer, "{\"inputs\": [".getBytes(), "application/json", true), 400,
                "request body is not JSON");
        // a client that says what it will send and waits for the go-ahead (Expect: 100-continue) hears the 413 before
        // it sends the body; one that sends it at once may find the connection closed under it
        byte[] huge = new byte[(int) (ServeSettings.from(ConfigFactory.load()).maxBody() + 1)];
        HttpResponse<String> big = HTTP.send(HttpRequest.newBuilder(URI.create(base + infer)).expectContinue(true)
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(huge)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(413, big.statusCode(), big.body());
        assertTrue(big.body().contains("request body of " + huge.length + " bytes is larger than"), big.body());
    }

    @Test
    void classifyAnswersAsTheClassifierAndRefusesBadImages() throws Exception {
        byte[] image = png(28, 28, 5);
        Answer a = send("POST", "/v1/models/" + M + "/classify", image, "image/png", true);
        assertEquals(200, a.status(), a.text());
        var local = dyve.classifier(M).classify(List.of(org.dyve.data.Images.read(image, "x", 1 << 20)), "exact", 5)
                .get(0);
        assertEquals(5, a.json().path("top").size());
        for (int k = 0; k < 5; k++) {
            assertEquals(local.classes().get(k).index(), a.json().path("top").get(k).path("index").asInt());
            assertEquals(local.classes().get(k).probability(), a.json().path("top").get(k).path("prob").floatValue(),
                    1e-6);
        }
        assertEquals(a.json().path("macs").asLong(), a.json().path("macs_dense").asLong());
        String classify = "/v1/models/" + M + "/classify";
        refused(send("POST", classify, java.util.Arrays.copyOf(image, image.length / 2), "image/png", true), 400,
                "request body: ");
        refused(send("POST", classify, bomb(100_000, 100_000), "image/png", true), 400,
                "request body: image of 100000 x 100000 pixels is larger than");
        refused(send("POST", classify, new byte[0], "image/png", true), 400, "request body: empty image");
        refused(send("POST", classify, "not an image".getBytes(), "image/png", true), 400,
                "request body: unreadable image");
    }

    @Test
    void theSourceAllowListRefusesWhatItMust() throws Exception {
        refused(post("/v1/streams", Map.of("source", "lavfi:testsrc")), 403, "lavfi:testsrc: lavfi: sources are never");
        refused(post("/v1/streams", Map.of("source", "video:/etc/passwd")), 403, "video:/etc/passwd: path is outside");
        refused(post("/v1/streams", Map.of("source", "video:" + allowed + "/../x.mp4")), 403, "video:");
        refused(post("/v1/streams", Map.of("source", "camera:/dev/video0")), 403, "camera:/dev/video0: cameras are");
        refused(post("/v1/streams", Map.of("source", "http://example.com/x.mp4")), 403,
                "http://example.com/x.mp4: URL scheme 'http' is not allowed");
        refused(post("/v1/streams", Map.of("source", "nonsense")), 400, "nonsense: invalid source");
        refused(post("/v1/streams", Map.of("source", "synthetic:28x28@10", "model", "nope")), 404, "unknown model");
        refused(get("/v1/streams/s999"), 404, "unknown stream 's999'");
    }

    @Test
    void aHeldStreamsEventsAreOnePerFrameInOrderThenTheSummary() throws Exception {
        int frames = 40;
        Answer created = post("/v1/streams", Map.of("source", "synthetic:28x28@400:" + frames, "held", true));
        assertEquals(201, created.status(), created.text());
        String id = created.json().path("id").asText();
        assertEquals(200, get("/v1/streams/" + id).status());
        HttpResponse<java.util.stream.Stream<String>> sse = HTTP.send(HttpRequest.newBuilder(URI.create(base
                + "/v1/streams/" + id + "/events")).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, sse.statusCode());
        assertTrue(sse.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> types = new ArrayList<>();
        List<JsonNode> data = new ArrayList<>();
        sse.body().forEach(line -> {
            try {
                if (line.startsWith("event:")) {
                    types.add(line.substring(6).trim());
                } else if (line.startsWith("data:")) {
                    data.add(JSON.readTree(line.substring(5)));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(frames + 1, types.size(), types.toString());
        for (int i = 0; i < frames; i++) {
            assertEquals("frame", types.get(i));
            assertEquals(i, data.get(i).path("seq").asLong(), "in order, none missing");
            assertEquals(id, data.get(i).path("stream").asText());
        }
        assertEquals("summary", types.get(frames));
        assertEquals(frames, data.get(frames).path("frames_in").asLong());
        refused(get("/v1/streams/" + id), 404, "unknown stream");
    }

    @Test
    void aStreamIsListedReadLiveAndStoppedWithItsSummary() throws Exception {
        Answer created = post("/v1/streams", Map.of("source", "synthetic:28x28@100"));
        String id = created.json().path("id").asText();
        assertTrue(get("/v1/streams").json().toString().contains("\"id\":\"" + id + "\""));
        JsonNode live = get("/v1/streams/" + id).json();
        assertEquals(live.path("frames_in").asLong(), live.path("computed").asLong() + live.path("reused").asLong()
                + live.path("early_exit").asLong() + live.path("dropped").asLong() + live.path("error").asLong()
                + live.path("in_flight").asLong());
        Answer stopped = send("DELETE", "/v1/streams/" + id, null, null, true);
        assertEquals(200, stopped.status(), stopped.text());
        assertEquals("stopped", stopped.json().path("end").asText());
        assertEquals(0, stopped.json().path("in_flight").asLong());
    }

    @Test
    void sixtyFourConcurrentClassifyRequestsAreAllAnsweredInBatches() throws Exception {
        byte[] image = png(28, 28, 9);
        long before = dyve.requestCounters().get(M).count(org.dyve.metrics.RequestCounters.RequestOutcome.OK);
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/models/" + M + "/classify"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "image/png")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        String first = null;
        for (var c : calls) {
            HttpResponse<String> r = c.get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode top = JSON.readTree(r.body()).path("top").get(0);
            first = first == null ? top.toString() : first;
            JsonNode want = JSON.readTree(first);
            assertEquals(want.path("index").asInt(), top.path("index").asInt(), "the same image, the same answer");
            assertEquals(want.path("prob").floatValue(), top.path("prob").floatValue(), 1e-5, "in any batch");
        }
        var after = dyve.requestCounters().get(M);
        assertEquals(before + 64, after.count(org.dyve.metrics.RequestCounters.RequestOutcome.OK));
        assertTrue(after.meanBatch() > 1, "requests that wait together are batched: mean " + after.meanBatch());
    }

    /** A second server whose requests are batched by {@code r}. */
    private static void withServer(org.dyve.runtime.RequestSettings r, java.util.function.BiConsumer<Dyve, String>
            test) throws Exception {
        DyveSettings s = DyveSettings.from(ConfigFactory.load()).withModelHome(allowed).withRequests(r);
        try (Dyve d = Dyve.open(s); DyveServer srv = DyveServer.start(d, ServeSettings.from(s.config())
                .withAddress("127.0.0.1", 0), "test")) {
            test.accept(d, "http://127.0.0.1:" + srv.address().getPort());
        }
    }

    private static HttpResponse<String> inferAsync(String at, int n, long timeoutMs) throws Exception {
        return HTTP.send(inferRequest(at, n, timeoutMs), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest inferRequest(String at, int n, long timeoutMs) throws IOException {
        Map<String, Object> body = Map.of("inputs", List.of(Map.of("name", "data", "shape", List.of(n, 1, 28, 28),
                "datatype", "FP32", "data", new float[n * 784])), "parameters", Map.of("timeout_ms", timeoutMs));
        return HttpRequest.newBuilder(URI.create(at + "/v2/models/" + M + "/infer"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
    }

    @Test
    void anExpiredDeadlineIs504AndNothingIsComputedForIt() throws Exception {
        // the first request of a batch waits 300 ms for company: a 1 ms deadline passes meanwhile
        withServer(new org.dyve.runtime.RequestSettings(8, Duration.ofMillis(300), 16, 1, Duration.ofSeconds(30),
                0.25, Duration.ofSeconds(30)), (d, at) -> {
                    try {
                        long computed = d.requestCounters().get(M).inputs();
                        HttpResponse<String> r = inferAsync(at, 1, 1);
                        assertEquals(504, r.statusCode(), r.body());
                        assertTrue(JSON.readTree(r.body()).path("error").asText().contains("deadline passed"), r.body());
                        var c = d.requestCounters().get(M);
                        assertEquals(1, c.count(org.dyve.metrics.RequestCounters.RequestOutcome.EXPIRED));
                        assertEquals(computed, c.inputs(), "nothing computed for it");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    @Test
    void aFullQueueIs429AndCounted() throws Exception {
        // one worker, one request at a time, one waiting: a burst of large requests overflows it
        withServer(new org.dyve.runtime.RequestSettings(1, Duration.ZERO, 1, 1, Duration.ofSeconds(30), 1.0,
                Duration.ofSeconds(30)),
                (d, at) -> {
                    try {
                        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                        for (int i = 0; i < 24; i++) {
                            calls.add(HTTP.sendAsync(inferRequest(at, 64, 0), HttpResponse.BodyHandlers.ofString()));
                        }
                        int refused = 0;
                        for (var c : calls) {
                            HttpResponse<String> r = c.get(120, java.util.concurrent.TimeUnit.SECONDS);
                            if (r.statusCode() == 429) {
                                refused++;
                                assertTrue(r.body().contains("request queue full"), r.body());
                            } else {
                                assertEquals(200, r.statusCode(), r.body());
                            }
                        }
                        assertTrue(refused > 0, "some of 24 large requests at once find the queue full");
                        assertEquals(refused, d.requestCounters().get(M).count(
                                org.dyve.metrics.RequestCounters.RequestOutcome.QUEUE_FULL));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
    }

    @Test
    void metricsAreThePrometheusTextFormatAndPassPromtool() throws Exception {
        assertEquals(200, send("POST", "/v1/models/" + M + "/classify", png(28, 28, 3), "image/png", true).status());
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        String text = r.body();
        for (String name : List.of("dyve_requests_total{model=\"" + M + "\",outcome=\"ok\"}",
                "dyve_request_duration_seconds_bucket", "dyve_request_queue_duration_seconds_count",
                "dyve_request_compute_duration_seconds_sum", "dyve_request_batch_size_count",
                "dyve_request_queue_length", "dyve_streams_running", "jvm_memory_used_bytes",
                "process_resident_memory_bytes")) {
            assertTrue(text.contains(name), name + " in\n" + text);
        }
        assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode(), "metrics need the token too");
        Path promtool = Path.of("/usr/bin/promtool");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(promtool), "promtool not installed");
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), said);
        assertEquals("", said.strip(), "no lint findings");
    }

    @Test
    void aStreamsResultsOverAWebSocketThenItsSummary() throws Exception {
        int frames = 15;
        String id = post("/v1/streams", Map.of("source", "synthetic:28x28@300:" + frames, "held", true)).json()
                .path("id").asText();
        List<String> messages = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.CompletableFuture<Void> closed = new java.util.concurrent.CompletableFuture<>();
        java.net.http.WebSocket ws = HTTP.newWebSocketBuilder().header("Authorization", "Bearer " + TOKEN)
                .buildAsync(URI.create(base.replace("http:", "ws:") + "/v1/streams/" + id + "/ws"),
                        new java.net.http.WebSocket.Listener() {
                            private final StringBuilder part = new StringBuilder();

                            @Override
                            public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket w,
                                    CharSequence data, boolean last) {
                                part.append(data);
                                if (last) {
                                    messages.add(part.toString());
                                    part.setLength(0);
                                }
                                w.request(1);
                                return null;
                            }

                            @Override
                            public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket w,
                                    int status, String reason) {
                                closed.complete(null);
                                return null;
                            }
                        }).get(30, java.util.concurrent.TimeUnit.SECONDS);
        closed.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(frames + 1, messages.size(), messages.toString());
        for (int i = 0; i < frames; i++) {
            assertEquals(i, JSON.readTree(messages.get(i)).path("seq").asLong());
        }
        assertTrue(JSON.readTree(messages.get(frames)).path("summary").asBoolean());
        ws.abort();
    }

    @Test
    void streamsDeclaredInTheSettingsStartWithTheService() throws Exception {
        com.typesafe.config.Config c = ConfigFactory.parseString(
                "dyve.serve.streams = [{source = \"synthetic:28x28@10\", effort = exact}]")
                .withFallback(ConfigFactory.load());
        DyveSettings s = DyveSettings.from(c).withModelHome(allowed);
        try (Dyve d = Dyve.open(s); DyveServer srv = DyveServer.start(d, ServeSettings.from(s.config())
                .withAddress("127.0.0.1", 0), "test")) {
            assertEquals(1, d.streams().list().size());
            assertEquals("synthetic:28x28@10", d.streams().list().get(0).description().source());
            assertEquals("exact", d.streams().list().get(0).description().effort());
        }
    }

    @Test
    void sharedDataOverHttpAVideosEventsOnePerFrameAndJpegsClassifiedAsTheCommandDoes() throws Exception {
        Path video = org.dyve.Shared.require("videos/car-detection.mp4").toRealPath();
        Path images = org.dyve.Shared.require("data/imagenet-samples/images").toRealPath();
        Path shared = org.dyve.Shared.root();
        DyveSettings s = DyveSettings.from(ConfigFactory.load()).withModelHome(shared.resolve("models"));
        String squeeze = "squeezenet_v1.0_deep_compression";
        try (Dyve d = Dyve.open(s); DyveServer srv = DyveServer.start(d, ServeSettings.from(s.config())
                .withAddress("127.0.0.1", 0).withModels(List.of(squeeze)).withSources(new ServeSettings.Sources(
                        List.of(video.getParent()), false, List.of(), false)), "test")) {
            String at = "http://127.0.0.1:" + srv.address().getPort();
            HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(at + "/v1/streams"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(Map.of("model", squeeze,
                            "source", "video:" + video, "effort", "exact", "held", true)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body());
            String id = JSON.readTree(created.body()).path("id").asText();
            List<String> lines = HTTP.send(HttpRequest.newBuilder(URI.create(at + "/v1/streams/" + id + "/events"))
                    .build(), HttpResponse.BodyHandlers.ofLines()).body().filter(l -> l.startsWith("data:")).toList();
            assertEquals(377 + 1, lines.size(), "one event per frame of the 377-frame video, then the summary");
            for (int i = 0; i < 377; i++) {
                JsonNode f = JSON.readTree(lines.get(i).substring(5));
                assertEquals(i, f.path("seq").asLong());
                assertEquals("computed", f.path("status").asText());
            }
            assertEquals(377, JSON.readTree(lines.get(377).substring(5)).path("computed").asLong());
            for (String name : List.of("n01440764.jpg", "n01443537.jpg", "n01484850.jpg")) {
                Path jpg = images.resolve(name);
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(at + "/v1/models/" + squeeze
                        + "/classify")).header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofFile(
                        jpg)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode top = JSON.readTree(r.body()).path("top");
                java.io.StringWriter out = new java.io.StringWriter();
                java.io.StringWriter err = new java.io.StringWriter();
                int code = org.dyve.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                        new String[] {"classify", "--model", squeeze, "--model-home", shared.resolve("models")
                                .toString(), jpg.toString()});
                assertEquals(0, code, err.toString());
                List<String> printed = out.toString().lines().skip(1).map(String::trim).toList();
                assertEquals(5, printed.size(), out.toString());
                for (int k = 0; k < 5; k++) {
                    String[] cols = printed.get(k).split("\\s+", 3);
                    assertEquals(Integer.parseInt(cols[1]), top.get(k).path("index").asInt(), name + " rank " + k);
                    assertEquals(String.format("%.2f%%", 100 * top.get(k).path("prob").floatValue()), cols[0],
                            name + " rank " + k);
                }
            }
        }
    }

    @Test
    void aSlowEventsClientLosesResultsCountedWhileTheStreamRunsOn() throws Exception {
        DyveSettings s = DyveSettings.from(ConfigFactory.load()).withModelHome(allowed);
        try (Dyve d = Dyve.open(s); DyveServer srv = DyveServer.start(d, ServeSettings.from(s.config())
                .withAddress("127.0.0.1", 0).withSseBuffer(4), "test")) {
            String at = "http://127.0.0.1:" + srv.address().getPort();
            int frames = 3000;
            var h = d.streams().start(StreamDescription.of(M, "synthetic:28x28@4000:" + frames).withHeld(true),
                    r -> { });
            // the client connects and reads nothing until the stream has ended
            HttpResponse<java.io.InputStream> sse = HTTP.send(HttpRequest.newBuilder(URI.create(at + "/v1/streams/"
                    + h.id() + "/events")).build(), HttpResponse.BodyHandlers.ofInputStream());
            var summary = h.done().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(frames, summary.framesIn(), "the stream ran to its end while its client did not read");
            List<String> data = new String(sse.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .lines().filter(l -> l.startsWith("data:")).toList();
            JsonNode last = JSON.readTree(data.get(data.size() - 1).substring(5));
            assertTrue(last.path("summary").asBoolean());
            long lost = last.path("events_dropped").asLong();
            assertTrue(lost > 0, "a client that does not read loses results");
            assertEquals(frames, data.size() - 1 + lost, "every result was either delivered or counted as lost");
        }
    }
}
