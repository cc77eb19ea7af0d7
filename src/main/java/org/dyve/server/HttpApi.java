package org.dyve.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.dyve.DyveException;
import org.dyve.data.Images;
import org.dyve.model.Shape;
import org.dyve.runtime.Classification;
import org.dyve.runtime.Classifier;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.LoadedModel;
import org.dyve.runtime.RequestRejected;
import org.dyve.metrics.RequestCounters;
import org.dyve.runtime.StreamDescription;
import org.dyve.runtime.StreamHandle;
import org.dyve.runtime.Subscription;
import org.dyve.stream.SourceException;
import org.dyve.stream.SourceSpec;

/**
 * The HTTP routes of {@code dyve serve}. Every answer is JSON (errors as {@code {"error": "..."}} with their status)
 * except the events stream. Work that computes or compiles runs on the blocking dispatcher, never on the HTTP one.
 */
final class HttpApi extends AllDirectives {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Dyve dyve;
    private final ServeSettings settings;
    private final List<String> models;
    private final SourcePolicy sources;
    private final Executor blocking;
    private final Materializer materializer;
    private final String version;
    private final PrometheusExport prometheus;
    private volatile boolean ready;

    HttpApi(Dyve dyve, ServeSettings settings, List<String> models, String version) {
        this.dyve = dyve;
        this.settings = settings;
        this.models = List.copyOf(models);
        this.sources = new SourcePolicy(settings.sources());
        this.blocking = dyve.system().dispatchers().lookup(
                org.apache.pekko.actor.typed.DispatcherSelector.blocking());
        this.materializer = Materializer.matFromSystem(dyve.system());
        this.version = version;
        this.prometheus = new PrometheusExport(dyve);
    }

    /** The models' engines are warm: {@code /v2/health/ready} says so from now on. */
    void ready() {
        ready = true;
    }

    /** Answers with {@code status} and {@code body} as JSON. */
    static HttpResponse json(int status, Object body) {
        try {
            return HttpResponse.create().withStatus(status)
                    .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
                            JSON.writeValueAsBytes(body)));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse error(int status, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        return json(status, m);
    }

    /** An answer with a status, raised anywhere below a route and turned into a JSON error. */
    static final class Refused extends RuntimeException {
        final int status;

        Refused(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The error answer for {@code t} (a failed future's cause, a thrown exception). */
    static HttpResponse failure(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof Refused r) {
            return error(r.status, r.getMessage());
        }
        if (t instanceof RequestRejected rr) {
            return error(rr.outcome() == RequestCounters.RequestOutcome.QUEUE_FULL ? 429 : 504, rr.getMessage());
        }
        if (t instanceof SourcePolicy.Forbidden f) {
            return error(403, f.getMessage());
        }
        if (t instanceof DyveException d) {
            return error(400, d.getMessage());
        }
        return error(500, "internal error (" + DyveException.reason(t) + ")");
    }

    Route routes() {
        ExceptionHandler exceptions = ExceptionHandler.newBuilder().match(Throwable.class, HttpApi::failureRoute)
                .build();
        RejectionHandler rejections = RejectionHandler.defaultHandler().mapRejectionResponse(r -> {
            if (r.entity().getContentType().equals(ContentTypes.APPLICATION_JSON)) {
                return r;
            }
            String text = r.entity() instanceof HttpEntity.Strict s ? s.getData().utf8String() : r.status().reason();
            return error(r.status().intValue(), text.isBlank() ? r.status().reason() : text);
        });
        return handleRejections(rejections, () -> handleExceptions(exceptions, () -> concat(
                path(PathMatchers.segment("v2").slash("health").slash("live"), () -> get(() ->
                        complete(json(200, Map.of("live", true))))),
                path(PathMatchers.segment("v2").slash("health").slash("ready"), () -> get(() ->
                        complete(ready ? json(200, Map.of("ready", true))
                                : error(503, "warming up the models' engines")))),
                pathSingleSlash(() -> get(this::dashboard)),
                authorized(this::protectedRoutes))));
    }

    private static Route failureRoute(Throwable t) {
        return new AllDirectives() {
        }.complete(failure(t));
    }

    /** {@code inner} for a request with the token (bearer header, or the dashboard's cookie); 401 otherwise. */
    private Route authorized(Supplier<Route> inner) {
        if (settings.token().isEmpty()) {
            return inner.get();
        }
        return optionalHeaderValueByName("Authorization", header -> optionalCookie("dyve_token", cookie -> {
            String given = bearer(header).orElse(cookie.map(c -> c.value()).orElse(null));
            if (matches(given)) {
                return inner.get();
            }
            return complete(error(401, given == null ? "authorization required (Authorization: Bearer TOKEN)"
                    : "wrong token"));
        }));
    }

    private Route protectedRoutes() {
        return concat(pathPrefix("v2", this::v2),
                path(PathMatchers.segment("v1").slash("dashboard").slash("events"), () -> get(this::dashboardEvents)),
                pathPrefix("v1", this::v1),
                path("metrics", () -> get(() -> completeWithFuture(CompletableFuture.supplyAsync(() -> {
                    try {
                        return HttpResponse.create().withEntity(HttpEntities.create(
                                org.apache.pekko.http.javadsl.model.ContentTypes.parse(prometheus.contentType()),
                                prometheus.scrape()));
                    } catch (java.io.IOException e) {
                        throw new IllegalStateException(e);
                    }
                }, blocking)))));
    }

    private Route v2() {
        return concat(
                pathEnd(() -> get(() -> complete(json(200, serverMetadata())))),
                pathPrefix("models", () -> pathPrefix(PathMatchers.segment(), this::modelRoutes)));
    }

    private Route modelRoutes(String m) {
        return concat(
                pathEnd(() -> get(() -> complete(json(200, modelMetadata(model(m)))))),
                path("ready", () -> get(() -> complete(json(200, Map.of("name", model(m).descriptor().id(),
                        "ready", ready))))),
                path("infer", () -> post(() -> body(bytes -> infer(model(m), bytes)))));
    }

    private Route v1() {
        return concat(
                path(PathMatchers.segment("models").slash(PathMatchers.segment()).slash("classify"),
                        m -> post(() -> parameterOptional("effort", effort -> body(bytes -> classify(model(m), bytes,
                                effort))))),
                pathPrefix("streams", () -> concat(
                        pathEnd(() -> concat(
                                get(() -> complete(json(200, streamList()))),
                                post(() -> body(this::startStream)))),
                        pathPrefix(PathMatchers.segment(), this::streamRoutes))));
    }

    private Route streamRoutes(String id) {
        return concat(
                pathEnd(() -> concat(
                        get(() -> complete(json(200, streamState(stream(id))))),
                        delete(() -> completeWithFuture(stopStream(stream(id)))))),
                path("events", () -> get(() -> events(stream(id)))),
                path("ws", () -> get(() -> webSocket(stream(id)))));
    }

    /**
     * The live dashboard. With a token set, {@code /?token=T} stores it in an HttpOnly, SameSite=Strict cookie and
     * returns to {@code /}; without a valid cookie or header the page is a small form asking for it.
     */
    private Route dashboard() {
        return parameterOptional("token", query -> optionalCookie("dyve_token", cookie ->
                optionalHeaderValueByName("Authorization", header -> {
                    String token = settings.token();
                    if (token.isEmpty() || matches(cookie.map(c -> c.value()).orElse(null))
                            || matches(bearer(header).orElse(null))) {
                        return complete(page(200, DASHBOARD.get()));
                    }
                    if (query.isPresent() && matches(query.get())) {
                        return complete(HttpResponse.create().withStatus(StatusCodes.SEE_OTHER)
                                .addHeader(org.apache.pekko.http.javadsl.model.headers.Location.create("/"))
                                .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create("Set-Cookie",
                                        "dyve_token=" + token + "; Path=/; HttpOnly; SameSite=Strict")));
                    }
                    return complete(page(401, LOGIN));
                })));
    }

    /** The token of an {@code Authorization: Bearer T} header. */
    private static Optional<String> bearer(Optional<String> header) {
        return header.filter(h -> h.startsWith("Bearer ")).map(h -> h.substring(7).trim());
    }

    /** Whether {@code given} is the token (compared in constant time). */
    private boolean matches(String given) {
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                settings.token().getBytes(StandardCharsets.UTF_8));
    }

    private static HttpResponse page(int status, String html) {
        return HttpResponse.create().withStatus(status).withEntity(HttpEntities.create(
                ContentTypes.TEXT_HTML_UTF8, html));
    }

    private static final String LOGIN = "<!doctype html><meta name=viewport content=\"width=device-width\">"
            + "<title>DyVE</title><form method=get action=/><p>This DyVE server needs its token.</p>"
            + "<input name=token type=password autofocus> <button>Open</button></form>";

    /** The dashboard page, read once from the class path. */
    private static final Supplier<String> DASHBOARD = new Supplier<>() {
        private volatile String page;

        @Override
        public String get() {
            if (page == null) {
                try (var in = HttpApi.class.getResourceAsStream("dashboard.html")) {
                    page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException | NullPointerException e) {
                    page = "<!doctype html><p>dashboard.html is missing from this build</p>";
                }
            }
            return page;
        }
    };

    /** A snapshot of every stream and model each second, as Server-Sent Events of type {@code snapshot}. */
    private Route dashboardEvents() {
        Source<ServerSentEvent, NotUsed> ticks = Source.tick(java.time.Duration.ZERO, java.time.Duration.ofSeconds(1),
                NotUsed.getInstance()).mapMaterializedValue(c -> NotUsed.getInstance())
                .map(x -> ServerSentEvent.create(write(dashboardSnapshot()), "snapshot"));
        return completeOK(ticks, EventStreamMarshalling.toEventStream());
    }

    private Map<String, Object> dashboardSnapshot() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", System.currentTimeMillis());
        m.put("rss_mb", org.dyve.stream.StreamSummary.rssKb() / 1024.0);
        List<Map<String, Object>> streams = new ArrayList<>();
        for (StreamHandle h : dyve.streams().list()) {
            Map<String, Object> x = streamState(h);
            x.put("rung", x.remove("last_rung"));
            x.put("label", x.remove("last_label"));
            x.remove("stages");
            streams.add(x);
        }
        m.put("streams", streams);
        List<Map<String, Object>> ms = new ArrayList<>();
        dyve.requestCounters().forEach((model, c) -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("model", model);
            x.put("ok", c.count(RequestCounters.RequestOutcome.OK));
            x.put("queue_full", c.count(RequestCounters.RequestOutcome.QUEUE_FULL));
            x.put("expired", c.count(RequestCounters.RequestOutcome.EXPIRED));
            x.put("waiting", c.waiting());
            x.put("mean_batch", c.meanBatch());
            x.put("queue_ms", c.queueMicros().getTotalCount() == 0 ? null : c.queueMicros().getMean() / 1000);
            x.put("compute_ms", c.computeMicros().getTotalCount() == 0 ? null : c.computeMicros().getMean() / 1000);
            ms.add(x);
        });
        m.put("models", ms);
        return m;
    }

    /** Reads the request body (at most {@code dyve.serve.max-body} bytes; 413 beyond) and answers with {@code then}. */
    private Route body(Function<byte[], CompletionStage<HttpResponse>> then) {
        return extractRequestEntity(entity -> {
            long max = settings.maxBody();
            if (entity.getContentLengthOption().isPresent() && entity.getContentLengthOption().getAsLong() > max) {
                return complete(error(413, "request body of " + entity.getContentLengthOption().getAsLong()
                        + " bytes is larger than the " + max + " accepted (dyve.serve.max-body)"));
            }
            CompletionStage<HttpResponse> answer = entity.withSizeLimit(max).toStrict(30_000, materializer)
                    .thenCompose(strict -> then.apply(strict.getData().toArray()))
                    .exceptionally(t -> {
                        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
                        return c instanceof EntityStreamSizeException ? error(413, "request body larger than the "
                                + max + " bytes accepted (dyve.serve.max-body)") : failure(c);
                    });
            return completeWithFuture(answer);
        });
    }

    private LoadedModel model(String name) {
        if (!models.contains(name)) {
            throw new Refused(404, "unknown model '" + name + "' (served: " + models + ")");
        }
        return dyve.model(name);
    }

    private StreamHandle stream(String id) {
        return dyve.streams().get(id).orElseThrow(() -> new Refused(404, "unknown stream '" + id + "'"));
    }

    private Map<String, Object> serverMetadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "dyve");
        m.put("version", version);
        m.put("extensions", List.of("classify", "streams", "effort"));
        m.put("models", models);
        return m;
    }

    private Map<String, Object> modelMetadata(LoadedModel lm) {
        Shape in = lm.network().shape(lm.network().input().name());
        Shape out = lm.network().shape(lm.network().output());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", lm.descriptor().id());
        m.put("versions", List.of("1"));
        m.put("platform", "dyve");
        m.put("inputs", List.of(Map.of("name", lm.network().input().name(), "datatype", "FP32", "shape",
                List.of(-1, in.c(), in.h(), in.w()))));
        m.put("outputs", List.of(Map.of("name", lm.network().output(), "datatype", "FP32", "shape",
                List.of(-1, out.size()))));
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("rungs", lm.profiles().ladder().stream().map(r -> r.name()).toList());
        p.put("macs_dense", lm.network().totalMacs());
        p.put("labels", lm.descriptor().labels().size());
        m.put("parameters", p);
        return m;
    }

    /** KServe v2 inference: FP32 inputs in the model's input shape (a batch dimension allowed). */
    private CompletionStage<HttpResponse> infer(LoadedModel lm, byte[] body) {
        JsonNode req = parse(body);
        JsonNode inputs = req.path("inputs");
        if (!inputs.isArray() || inputs.size() != 1) {
            throw new Refused(400, "expected \"inputs\" with one tensor, found " + (inputs.isArray() ? inputs.size()
                    + " tensors" : "none"));
        }
        JsonNode t = inputs.get(0);
        String datatype = t.path("datatype").asText("");
        if (!datatype.equals("FP32")) {
            throw new Refused(400, "input datatype: expected FP32, found " + (datatype.isEmpty() ? "none" : datatype));
        }
        Shape s = lm.network().shape(lm.network().input().name());
        List<Long> shape = new ArrayList<>();
        t.path("shape").forEach(x -> shape.add(x.asLong()));
        int n;
        if (shape.size() == 4 && shape.get(1) == s.c() && shape.get(2) == s.h() && shape.get(3) == s.w()) {
            n = (int) Math.min(Integer.MAX_VALUE, shape.get(0));
        } else if (shape.size() == 3 && shape.get(0) == s.c() && shape.get(1) == s.h() && shape.get(2) == s.w()) {
            n = 1;
        } else {
            throw new Refused(400, "input shape: expected [N, " + s.c() + ", " + s.h() + ", " + s.w() + "], found "
                    + shape);
        }
        if (n < 1 || n > settings.maxBatchRequest()) {
            throw new Refused(n < 1 ? 400 : 413, "batch of " + n + " inputs: expected 1 to "
                    + settings.maxBatchRequest() + " (dyve.serve.max-batch-request)");
        }
        float[] flat = new float[n * s.size()];
        int[] at = {0};
        flatten(t.path("data"), flat, at);
        if (at[0] != flat.length) {
            throw new Refused(400, "input data: expected " + flat.length + " values for shape " + shape + ", found "
                    + at[0]);
        }
        List<float[]> samples = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            samples.add(java.util.Arrays.copyOfRange(flat, i * s.size(), (i + 1) * s.size()));
        }
        JsonNode params = req.path("parameters");
        String effort = params.hasNonNull("effort") ? params.path("effort").asText() : null;
        long timeout = params.path("timeout_ms").asLong(0);
        String id = req.path("id").asText(null);
        return dyve.requests(lm.descriptor().id()).submit(samples, effort, timeout).thenApply(out -> {
            int classes = out.get(0).probabilities().length;
            float[] probs = new float[n * classes];
            List<String> exits = new ArrayList<>();
            List<Long> macs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                System.arraycopy(out.get(i).probabilities(), 0, probs, i * classes, classes);
                exits.add(out.get(i).exit());
                macs.add(out.get(i).macs());
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model_name", lm.descriptor().id());
            r.put("model_version", "1");
            if (id != null) {
                r.put("id", id);
            }
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("effort", out.get(0).rung());
            p.put("macs", macs);
            p.put("macs_dense", out.get(0).denseMacs());
            p.put("exit", exits);
            r.put("parameters", p);
            r.put("outputs", List.of(Map.of("name", lm.network().output(), "datatype", "FP32", "shape",
                    List.of(n, classes), "data", probs)));
            return json(200, r);
        });
    }

    /** Copies the numbers of {@code data} (flat or nested arrays) into {@code out}, counting them past its end too. */
    private static void flatten(JsonNode data, float[] out, int[] at) {
        if (data.isArray()) {
            for (JsonNode x : data) {
                flatten(x, out, at);
            }
        } else if (data.isNumber()) {
            if (at[0] < out.length) {
                out[at[0]] = data.floatValue();
            }
            at[0]++;
        } else {
            throw new Refused(400, "input data: expected numbers, found " + (data.isMissingNode() ? "no \"data\""
                    : data.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        }
    }

    /** One image in the body: the model's own preprocessing, top 5, through the model's request queue. */
    private CompletionStage<HttpResponse> classify(LoadedModel lm, byte[] body, Optional<String> effort) {
        long t0 = System.nanoTime();
        Classifier c = dyve.classifier(lm.descriptor().id());
        return CompletableFuture.supplyAsync(() -> c.prepare(Images.read(body, "request body", settings.maxPixels())),
                blocking).thenCompose(x -> dyve.requests(lm.descriptor().id()).submit(List.of(x),
                        effort.orElse(null), 0)).thenApply(out -> {
                            Classification top = c.top(out, 5).get(0);
                            Map<String, Object> r = new LinkedHashMap<>();
                            List<Map<String, Object>> classes = new ArrayList<>();
                            for (Classification.Scored s : top.classes()) {
                                Map<String, Object> x = new LinkedHashMap<>();
                                x.put("index", s.index());
                                x.put("label", s.label());
                                x.put("prob", s.probability());
                                classes.add(x);
                            }
                            r.put("top", classes);
                            r.put("effort", top.rung());
                            r.put("macs", top.macs());
                            r.put("macs_dense", top.denseMacs());
                            r.put("exit", top.exit());
                            r.put("latency_ms", (System.nanoTime() - t0) / 1e6);
                            return json(200, r);
                        });
    }

    private CompletionStage<HttpResponse> startStream(byte[] body) {
        JsonNode req = parse(body);
        String model = req.path("model").asText("");
        String source = req.path("source").asText("");
        if (source.isEmpty()) {
            throw new Refused(400, "a stream needs a \"source\"");
        }
        LoadedModel lm = model(model.isEmpty() ? models.get(0) : model);
        SourceSpec spec;
        try {
            spec = SourceSpec.parse(source);
        } catch (SourceException e) {
            throw new Refused(400, e.getMessage());
        }
        sources.check(spec);
        StreamDescription d = StreamDescription.of(lm.descriptor().id(), source)
                .withEffort(req.path("effort").asText("auto"))
                .withLimit(req.path("limit").asLong(0))
                .withTargets(req.path("target_fps").asDouble(0), req.path("latency_ms").asDouble(0))
                .withReuse(req.has("reuse") ? req.path("reuse").asDouble() : -1)
                .withHeld(req.path("held").asBoolean(false));
        return CompletableFuture.supplyAsync(() -> {
            StreamHandle h = dyve.streams().start(d, r -> { });
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", h.id());
            r.putAll(describe(h));
            return json(201, r);
        }, blocking);
    }

    private static Map<String, Object> describe(StreamHandle h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", h.id());
        m.put("model", h.description().model());
        m.put("source", h.description().source());
        m.put("effort", h.description().effort());
        return m;
    }

    private List<Map<String, Object>> streamList() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (StreamHandle h : dyve.streams().list()) {
            Map<String, Object> m = describe(h);
            var c = h.counters();
            m.put("frames_in", c.framesIn());
            m.put("throughput_fps", c.throughput());
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> streamState(StreamHandle h) {
        Map<String, Object> m = describe(h);
        m.putAll(h.counters().toMap());
        return m;
    }

    private CompletionStage<HttpResponse> stopStream(StreamHandle h) {
        h.stop(org.dyve.stream.StreamSummary.STOPPED);
        return h.done().thenApply(s -> json(200, s.toMap()));
    }

    /** One Server-Sent Event per frame (type {@code frame}), then the summary (type {@code summary}). */
    private Route events(StreamHandle h) {
        Subscription sub = h.subscribe(settings.sseBuffer());
        Source<ServerSentEvent, NotUsed> frames = sub.results()
                .map(r -> ServerSentEvent.create(write(r.toMap()), "frame"));
        // the summary tells this client how many results it lost by falling behind
        Source<ServerSentEvent, NotUsed> summary = Source.completionStage(h.done())
                .map(s -> ServerSentEvent.create(write(withDrops(s.toMap(), sub)), "summary"));
        return completeOK(frames.concat(summary), EventStreamMarshalling.toEventStream());
    }

    /**
     * The same results as {@link #events} over a WebSocket: one text message per frame (the frame's JSON), then one
     * with the summary; what the client sends is ignored.
     */
    private Route webSocket(StreamHandle h) {
        Subscription sub = h.subscribe(settings.sseBuffer());
        Source<org.apache.pekko.http.javadsl.model.ws.Message, NotUsed> out = sub.results()
                .<org.apache.pekko.http.javadsl.model.ws.Message>map(r ->
                        org.apache.pekko.http.javadsl.model.ws.TextMessage.create(write(r.toMap())))
                .concat(Source.completionStage(h.done()).map(x ->
                        org.apache.pekko.http.javadsl.model.ws.TextMessage.create(write(withDrops(x.toMap(), sub)))));
        return handleWebSocketMessages(org.apache.pekko.stream.javadsl.Flow.fromSinkAndSourceCoupled(
                org.apache.pekko.stream.javadsl.Sink.ignore(), out));
    }

    private static Map<String, Object> withDrops(Map<String, Object> summary, Subscription sub) {
        Map<String, Object> m = new LinkedHashMap<>(summary);
        m.put("events_dropped", sub.dropped().getAsLong());
        return m;
    }

    private static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(byte[] body) {
        if (body.length == 0) {
            throw new Refused(400, "empty request body (expected JSON)");
        }
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw new Refused(400, "request body: expected a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Refused(400, "request body is not JSON (" + e.getOriginalMessage() + ")");
        } catch (java.io.IOException e) {
            throw new Refused(400, "request body is not JSON (" + DyveException.reason(e) + ")");
        }
    }
}
