package org.dyve.runtime;

import java.nio.file.Path;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.engine.CoreBudget;
import org.dyve.stream.StreamSummary;

/**
 * DyVE in one process: one actor system, the models (each loaded once), the machine's cores as one budget, and the
 * streams running on them. Open it once; every command and the server go through it. Closing it stops the streams
 * that still run (letting their frames in flight finish) and the actor system.
 */
public final class Dyve implements AutoCloseable {
    private final DyveSettings settings;
    private final ActorSystem<Void> system;
    private final Models models;
    private final CoreBudget budget;
    private final StreamManager streams;
    private final java.util.Map<String, Classifier> classifiers = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, RequestBatcher> batchers = new java.util.concurrent.ConcurrentHashMap<>();

    private Dyve(DyveSettings settings) {
        this.settings = settings;
        this.system = ActorSystem.create(Behaviors.empty(), "dyve", settings.config());
        this.models = new Models(settings.modelHome());
        this.budget = new CoreBudget(settings.cores());
        this.streams = new StreamManager(system, models, budget, settings.stream());
    }

    /** Opens a runtime with {@code settings}. */
    public static Dyve open(DyveSettings settings) {
        return new Dyve(settings);
    }

    public DyveSettings settings() {
        return settings;
    }

    public ActorSystem<Void> system() {
        return system;
    }

    public CoreBudget cores() {
        return budget;
    }

    public StreamManager streams() {
        return streams;
    }

    /**
     * Loads {@code d} once under its id (its effort ladder from {@code profiles}, null: the model's own file), for
     * streams and classifiers to name; a model already loaded under that id is kept.
     */
    public LoadedModel register(ModelDescriptor d, Path profiles) {
        return models.register(d, profiles);
    }

    /** The model {@code name}: registered, or a descriptor in the model home, loaded on first use. */
    public LoadedModel model(String name) {
        return models.get(name);
    }

    /** The classifier of model {@code name} (see {@link #model}), one per model, shared by every caller. */
    public Classifier classifier(String name) {
        LoadedModel m = models.get(name);
        return classifiers.computeIfAbsent(m.descriptor().id(), id -> new Classifier(m, budget));
    }

    /** The request queue and batcher of model {@code name} (see {@link #model}), one per model. */
    public RequestBatcher requests(String name) {
        Classifier c = classifier(name);
        return batchers.computeIfAbsent(c.model().descriptor().id(), id -> new RequestBatcher(c,
                settings.requests().forModel(settings.config(), id)));
    }

    /** Every model's request counters now, by model. */
    public java.util.Map<String, org.dyve.metrics.RequestCounters.Snapshot> requestCounters() {
        java.util.Map<String, org.dyve.metrics.RequestCounters.Snapshot> out = new java.util.TreeMap<>();
        batchers.forEach((m, b) -> out.put(m, b.counters().snapshot()));
        return out;
    }

    @Override
    public void close() {
        batchers.values().forEach(RequestBatcher::close);
        streams.stopAll(StreamSummary.STOPPED);
        for (StreamHandle h : streams.running()) {
            try {
                h.done().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // closing anyway: the actor system's end stops what is left
            }
        }
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().join();
    }
}
