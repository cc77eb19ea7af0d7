package org.dyve.runtime;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.dyve.DyveException;
import org.dyve.effort.EffortProfile;
import org.dyve.engine.CoreBudget;
import org.dyve.metrics.CountersSnapshot;
import org.dyve.stream.FrameResult;
import org.dyve.stream.SourceSpec;
import org.dyve.stream.StreamPipeline;
import org.dyve.stream.StreamSettings;
import org.dyve.stream.StreamSummary;

/** Starts, lists and stops streams at run time, each owned by its {@link StreamSupervisor}. */
public final class StreamManager {
    private final ActorSystem<Void> system;
    private final Models models;
    private final CoreBudget budget;
    private final StreamSettings defaults;
    private final Map<String, StreamHandle> streams = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    /** Per model, the summed last counters of its streams that have ended (guarded by this). */
    private final Map<String, CountersSnapshot> retired = new java.util.HashMap<>();

    StreamManager(ActorSystem<Void> system, Models models, CoreBudget budget, StreamSettings defaults) {
        this.system = system;
        this.models = models;
        this.budget = budget;
        this.defaults = defaults;
    }

    /**
     * Starts {@code d}: checks its source, compiles its stages (this call waits for that), starts its supervisor and
     * returns once frames flow. Every result goes to {@code output} in frame order on the stream's own thread (it
     * may wait: a file stream then waits with it) and to the stream's subscribers.
     *
     * @throws DyveException when the model, the effort or the source is not usable (one line)
     */
    public StreamHandle start(StreamDescription d, Consumer<FrameResult> output) {
        return launch(prepare(d), output);
    }

    /**
     * Starts several streams at once: compiles them all first, then starts them together, so that they run side by
     * side from their first frames. Nothing is started when one of them is not usable.
     */
    public List<StreamHandle> startAll(List<StreamDescription> ds, Consumer<FrameResult> output) {
        List<Prepared> ready = new ArrayList<>();
        try {
            for (StreamDescription d : ds) {
                ready.add(prepare(d));
            }
        } catch (RuntimeException e) {
            ready.forEach(p -> p.plan().release());
            throw e;
        }
        List<StreamHandle> out = new ArrayList<>();
        for (int i = 0; i < ready.size(); i++) {
            try {
                out.add(launch(ready.get(i), output));
            } catch (RuntimeException e) {
                ready.subList(i + 1, ready.size()).forEach(p -> p.plan().release());
                out.forEach(h -> h.stop(StreamSummary.ERROR));
                throw e;
            }
        }
        return out;
    }

    /** A stream compiled and ready to start. */
    private record Prepared(String id, StreamDescription description, LoadedModel model, StreamSettings settings,
            List<EffortProfile> ladder, StreamPipeline.Plan plan) {
    }

    private Prepared prepare(StreamDescription d) {
        SourceSpec.parse(d.source());
        LoadedModel m = models.get(d.model());
        List<EffortProfile> ladder = m.ladder(d.effort());
        StreamSettings s = settings(d);
        return new Prepared("s" + ids.incrementAndGet(), d, m, s, ladder,
                StreamPipeline.plan(m.network(), s, ladder, budget));
    }

    private StreamHandle launch(Prepared p, Consumer<FrameResult> output) {
        ResultFanOut fanOut = new ResultFanOut(system);
        CompletableFuture<StreamPipeline.Results> running = new CompletableFuture<>();
        CompletableFuture<StreamSummary> done = new CompletableFuture<>();
        CompletableFuture<Void> start = new CompletableFuture<>();
        ActorRef<StreamSupervisor.Command> ref;
        try {
            ref = system.systemActorOf(StreamSupervisor.create(new StreamSupervisor.Setup(p.id(), p.description(),
                    p.model(), p.settings(), p.ladder(), p.plan(), output, fanOut, running, done, start)),
                    "stream-" + p.id(),
                    Props.empty());
        } catch (RuntimeException e) {
            p.plan().release();
            throw e;
        }
        StreamPipeline.Results r;
        try {
            r = running.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof DyveException de ? de
                    : new DyveException(p.description().source() + ": stream failed to start ("
                            + DyveException.reason(e.getCause()) + ")", e.getCause());
        }
        // the handle's end completes once the stream has left the list, so whoever waits for it sees the list and the
        // model's totals as they are after the stream
        CompletableFuture<StreamSummary> ended = new CompletableFuture<>();
        StreamHandle h = new StreamHandle(p.id(), p.description(), ref, r, fanOut, ended, start);
        streams.put(p.id(), h);
        done.whenComplete((x, err) -> {
            retire(h);
            if (err != null) {
                ended.completeExceptionally(err);
            } else {
                ended.complete(x);
            }
        });
        return h;
    }

    /** A stream has ended: it leaves the list, its last counters join its model's retired totals. */
    private synchronized void retire(StreamHandle h) {
        if (streams.remove(h.id()) != null) {
            String model = h.description().model();
            retired.merge(model, h.counters(), (a, b) -> CountersSnapshot.total(model, List.of(a, b)));
        }
    }

    /**
     * Per model, the counters of every stream it has run in this process, ended and running (the streams' own
     * counters summed: nothing is counted twice, and the totals only grow).
     */
    public synchronized Map<String, CountersSnapshot> countersByModel() {
        Map<String, List<CountersSnapshot>> parts = new java.util.TreeMap<>();
        retired.forEach((m, c) -> parts.computeIfAbsent(m, k -> new ArrayList<>()).add(c));
        for (StreamHandle h : streams.values()) {
            parts.computeIfAbsent(h.description().model(), k -> new ArrayList<>()).add(h.counters());
        }
        Map<String, CountersSnapshot> out = new java.util.TreeMap<>();
        parts.forEach((m, list) -> out.put(m, CountersSnapshot.total(m, list)));
        return out;
    }

    /** The settings of a stream: the runtime's, with the description's targets and reuse threshold. */
    private StreamSettings settings(StreamDescription d) {
        StreamSettings s = defaults.withTargets(d.targetFps(), d.latencyMs());
        return d.reuse() >= 0 ? s.withReuse(d.reuse()) : s;
    }

    /** The streams running now, in the order they started. */
    public List<StreamHandle> list() {
        List<StreamHandle> out = new ArrayList<>(streams.values());
        out.sort(java.util.Comparator.comparingLong(h -> Long.parseLong(h.id().substring(1))));
        return out;
    }

    /** The running stream {@code id}. */
    public Optional<StreamHandle> get(String id) {
        return Optional.ofNullable(streams.get(id));
    }

    /** Stops every running stream for {@code reason}. */
    public void stopAll(String reason) {
        streams.values().forEach(h -> h.stop(reason));
    }

    /** Streams running now. */
    Collection<StreamHandle> running() {
        return streams.values();
    }
}
