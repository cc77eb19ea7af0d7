package org.dyve.server;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.dyve.DyveException;
import org.dyve.model.Shape;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.LoadedModel;
import org.dyve.runtime.StreamDescription;
import org.dyve.stream.StreamSummary;

/**
 * {@code dyve serve} running: the HTTP routes bound on their address over a {@link Dyve} runtime. {@link #start}
 * loads the models, binds, warms every model's engines (ready from then on) and starts the streams declared in
 * {@code dyve.serve.streams}; {@link #stop} stops accepting, lets requests in flight finish and drains the streams.
 */
public final class DyveServer implements AutoCloseable {
    private final Dyve dyve;
    private final ServeSettings settings;
    private final ServerBinding binding;
    private final HttpApi api;

    private DyveServer(Dyve dyve, ServeSettings settings, ServerBinding binding, HttpApi api) {
        this.dyve = dyve;
        this.settings = settings;
        this.binding = binding;
        this.api = api;
    }

    /**
     * Loads {@code settings.models()} (the embedded default model when empty), binds, warms up, starts the declared
     * streams.
     *
     * @throws DyveException when a model does not load, the address cannot be bound, or a declared stream is bad
     */
    public static DyveServer start(Dyve dyve, ServeSettings settings, String version) {
        List<String> models = settings.models().isEmpty()
                ? List.of(org.dyve.descriptor.ModelCatalog.DEFAULT_MODEL) : settings.models();
        List<String> ids = new ArrayList<>();
        for (String m : models) {
            ids.add(dyve.model(m).descriptor().id());
        }
        HttpApi api = new HttpApi(dyve, settings, ids, version);
        ServerBinding b;
        try {
            b = Http.get(dyve.system()).newServerAt(settings.host(), settings.port()).bind(api.routes())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            throw new DyveException(settings.host() + ":" + settings.port() + ": cannot listen ("
                    + DyveException.reason(c) + ")", c);
        }
        DyveServer server = new DyveServer(dyve, settings, b, api);
        try {
            for (String id : ids) {
                warm(dyve, dyve.model(id));
                dyve.requests(id);
            }
            for (Map<String, Object> s : settings.streams()) {
                dyve.streams().start(declared(s, ids.get(0)), r -> { });
            }
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        api.ready();
        return server;
    }

    /** Runs each model's classifier once at batch 1 and at a full batch, so its engines are compiled and pooled. */
    private static void warm(Dyve dyve, LoadedModel m) {
        Shape in = m.network().shape(m.network().input().name());
        List<float[]> one = List.of(new float[in.size()]);
        List<float[]> many = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            many.add(new float[in.size()]);
        }
        var c = dyve.classifier(m.descriptor().id());
        c.infer(one, "exact");
        c.infer(many, "exact");
    }

    /** A stream declared in {@code dyve.serve.streams}. */
    private static StreamDescription declared(Map<String, Object> s, String defaultModel) {
        Object source = s.get("source");
        if (source == null) {
            throw new DyveException("dyve.serve.streams: a stream needs a source, found " + s);
        }
        StreamDescription d = StreamDescription.of(String.valueOf(s.getOrDefault("model", defaultModel)),
                source.toString()).withEffort(String.valueOf(s.getOrDefault("effort", "auto")));
        if (s.get("target_fps") instanceof Number n) {
            d = d.withTargets(n.doubleValue(), d.latencyMs());
        }
        if (s.get("latency_ms") instanceof Number n) {
            d = d.withTargets(d.targetFps(), n.doubleValue());
        }
        return d;
    }

    /** The address it listens on (the port chosen when {@code dyve.serve.port} is 0). */
    public InetSocketAddress address() {
        return binding.localAddress();
    }

    /**
     * Stops accepting, lets requests in flight finish within {@code dyve.serve.shutdown-deadline}, then stops the
     * streams (their frames in flight finish, their summaries complete).
     */
    public void stop() {
        long deadline = settings.shutdownDeadline().toMillis();
        try {
            binding.terminate(java.time.Duration.ofMillis(deadline)).toCompletableFuture()
                    .get(deadline + 5000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // the deadline passed: streams are drained all the same
        }
        dyve.streams().stopAll(StreamSummary.SIGNAL);
        for (var h : dyve.streams().list()) {
            try {
                h.done().toCompletableFuture().get(deadline, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // past the deadline: the process ends anyway
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
