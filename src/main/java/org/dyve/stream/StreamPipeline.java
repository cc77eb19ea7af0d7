package org.dyve.stream;

import org.dyve.metrics.Outcome;
import org.dyve.metrics.DropReason;
import org.dyve.metrics.StageCounters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.dyve.engine.CoreBudget;
import org.dyve.metrics.StreamCounters;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.dyve.DyveException;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.engine.Engine;
import org.dyve.eval.TopK;
import org.dyve.model.Network;

/**
 * The streaming pipeline: source -> (live buffer) -> decode/preprocess -> effort controller -> layer stages
 * (one actor each, asynchronous boundaries between them, so stages work on different frames at once) ->
 * results. Every frame the source produces leaves as exactly one {@link FrameResult}, in order.
 */
public final class StreamPipeline {
    private StreamPipeline() {
    }

    /** The layer ranges {@code [from, to)} of the stages, timed with {@code threads} native threads per stage. */
    public static List<int[]> split(Network net, int stages, List<String> at, IntSupplier threads) {
        int n = net.layers().size();
        List<int[]> out = new ArrayList<>();
        if (!at.isEmpty()) {
            int from = 0;
            for (String name : at) {
                int i = net.indexOf(name);
                if (i <= from) {
                    throw new DyveException("dyve.stream.split: layer " + name + " is not in " + net.name()
                            + " after the previous split point");
                }
                out.add(new int[] {from, i});
                from = i;
            }
            out.add(new int[] {from, n});
            return out;
        }
        int k = Math.max(1, Math.min(stages, n));
        // balanced by measured per-layer time: per-layer minima of 15 runs at batch 1 after a warm-up
        Engine e = Engine.builder(net).threads(threads).build();
        for (int r = 0; r < 15; r++) {
            e.run(1);
        }
        int runs = 15;
        double[][] samples = new double[n][runs];
        long[] nanos = new long[n];
        for (int r = 0; r < runs; r++) {
            java.util.Arrays.fill(nanos, 0);
            e.run(1, nanos);
            for (int i = 0; i < n; i++) {
                samples[i][r] = nanos[i];
            }
        }
        double[] cost = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            // the fastest run: what the layer costs when nothing else takes its core (a median moves with the load
            // of the moment; README "Why the split is not re-balanced while streaming")
            cost[i] = java.util.Arrays.stream(samples[i]).min().orElse(0);
            total += cost[i];
        }
        int from = 0;
        double acc = 0;
        for (int i = 0; i < n && out.size() < k - 1; i++) {
            acc += cost[i];
            if (acc >= total * (out.size() + 1) / k && i + 1 < n) {
                out.add(new int[] {from, i + 1});
                from = i + 1;
            }
        }
        out.add(new int[] {from, n});
        refine(net, out, threads);
        return out;
    }

    /** Layers a boundary between two stages may move from the per-layer estimate (see {@link #refine}). */
    private static final int REFINE_REACH = 2;

    /**
     * Moves each boundary between two stages by up to {@link #REFINE_REACH} layers to where the slower of the two
     * stages, compiled and timed as the stages will run them, is fastest: the per-layer times of the whole network's
     * engine leave out what a boundary adds (the tensors written out and read back at the cut, a segment split in
     * two), which left SqueezeNet's two stages 4.1 and 3.75 ms per frame.
     */
    private static void refine(Network net, List<int[]> ranges, IntSupplier threads) {
        for (int b = 0; b + 1 < ranges.size(); b++) {
            int[] left = ranges.get(b);
            int[] right = ranges.get(b + 1);
            int best = right[0];
            double bestCost = Double.MAX_VALUE;
            for (int cut = Math.max(left[0] + 1, right[0] - REFINE_REACH);
                    cut <= Math.min(right[1] - 1, right[0] + REFINE_REACH); cut++) {
                double cost = Math.max(rangeMs(net, left[0], cut, threads), rangeMs(net, cut, right[1], threads));
                if (cost < bestCost) {
                    bestCost = cost;
                    best = cut;
                }
            }
            ranges.set(b, new int[] {left[0], best});
            ranges.set(b + 1, new int[] {best, right[1]});
        }
    }

    /** Fastest of nine runs of layers {@code [from, to)} as a stage's engine runs them at batch 1, in ms. */
    private static double rangeMs(Network net, int from, int to, IntSupplier threads) {
        Engine e = Engine.builder(net).range(from, to).threads(threads).build();
        for (int r = 0; r < 5; r++) {
            e.run(1);
        }
        double best = Double.MAX_VALUE;
        for (int r = 0; r < 9; r++) {
            long t0 = System.nanoTime();
            e.run(1);
            best = Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }

    /**
     * The heavy part of a stream's set-up, done before its actors start: the network split into layer ranges (timed
     * under the share of the cores the stages will have) and, for each stage and each of its actors, one engine per
     * effort rung, compiled and warmed up. Holds {@code lease} (the stage actors' claim on the cores) until
     * {@link #release}.
     */
    public record Plan(List<int[]> ranges, List<List<Map<String, Engine>>> engines, CoreBudget.Lease lease) {
        /** Returns the stages' claim on the cores (when the stream has ended). */
        public void release() {
            lease.close();
        }
    }

    /** Splits the network and compiles the stages' engines for {@code ladder}; blocks for the whole compilation. */
    public static Plan plan(Network net, StreamSettings s, List<EffortProfile> ladder, CoreBudget budget) {
        int replicas = s.actorsPerStage();
        int stageCount = s.stageCount(budget.cores());
        CoreBudget.Lease lease = budget.lease(stageCount * replicas);
        try {
            // the balanced split is measured under the share the stages will have
            List<int[]> ranges = split(net, stageCount, s.split(), lease::share);
            List<List<Map<String, Engine>>> engines = new ArrayList<>();
            for (int[] r : ranges) {
                List<Map<String, Engine>> perActor = new ArrayList<>();
                for (int c = 0; c < replicas; c++) {
                    perActor.add(LayerStage.compile(net, r[0], r[1], Math.max(1, s.maxBatch()), ladder, s.warmUpRuns(),
                            lease::share));
                }
                engines.add(perActor);
            }
            return new Plan(ranges, engines, lease);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    /** Creates the actors a stream owns: its effort controller and layer stages (a supervisor's context, a system). */
    public interface Spawner {
        <T> ActorRef<T> spawn(Behavior<T> behavior, String name, Props props);

        /** Top-level actors of {@code system}, under names unique to this spawner (tests and one-off runs). */
        static Spawner of(ActorSystem<?> system) {
            String prefix = java.util.UUID.randomUUID().toString().substring(0, 8) + "-";
            return new Spawner() {
                @Override
                public <T> ActorRef<T> spawn(Behavior<T> behavior, String name, Props props) {
                    return system.systemActorOf(behavior, prefix + name, props);
                }
            };
        }
    }

    /**
     * The pipeline as a source of results, one per frame in frame order, with a kill switch that stops the
     * source and lets frames already in flight finish (a graceful shutdown); the counters fill as frames pass, and
     * {@code end} gathers how the stream ends.
     */
    public record Results(Source<FrameResult, UniqueKillSwitch> source, StreamCounters counters, StreamEnd end) {
        /** The summary from the counters now (once the source has completed: the stream's final summary). */
        public StreamSummary summary() {
            return end.summary(counters.snapshot());
        }
    }

    /**
     * Plans and builds a stream whose actors are top-level actors of {@code system} (tests, benchmarks); the plan's
     * claim on the cores is returned when the stream ends.
     */
    public static Results build(ActorSystem<?> system, ModelDescriptor d, Network net, String sourceSpec,
            StreamSettings s, List<EffortProfile> ladder, long limit) {
        SourceSpec.parse(sourceSpec);
        Plan plan = plan(net, s, ladder, new CoreBudget(Runtime.getRuntime().availableProcessors()));
        Results r = build(Spawner.of(system), system, "stream", d, net, sourceSpec, s, ladder, limit, plan, null);
        return new Results(r.source().watchTermination((mat, done) -> {
            done.whenComplete((ok, err) -> plan.release());
            return mat;
        }), r.counters(), r.end());
    }

    /**
     * Builds the pipeline for {@code sourceSpec} on {@code plan}'s engines, its actors made by {@code spawner};
     * nothing runs until the source is materialised (in {@code system}).
     *
     * @param stream the stream's id, told in every result
     * @param start when the source is opened (null: at once), e.g. when a stream's first subscriber arrives
     */
    public static Results build(Spawner spawner, ActorSystem<?> system, String stream, ModelDescriptor d, Network net,
            String sourceSpec, StreamSettings s, List<EffortProfile> ladder, long limit, Plan plan,
            java.util.concurrent.CompletionStage<?> start) {
        SourceSpec src = SourceSpec.parse(sourceSpec);
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        Preprocessing pre = d.preprocessing(net);
        List<String> names = ladder.stream().map(EffortProfile::name).toList();
        ActorRef<EffortController.Command> controller = spawner.spawn(EffortController.create(names, s),
                "effort-controller", Props.empty());
        List<int[]> ranges = plan.ranges();
        int replicas = plan.engines().get(0).size();
        StreamCounters counters = new StreamCounters(stream, d.id(), sourceSpec, net.totalMacs());
        List<StageCounters> stats = new ArrayList<>();
        List<ActorRef<LayerStage.Command>> stageRefs = new ArrayList<>();
        for (int[] r : ranges) {
            stats.add(counters.stage("stage " + stats.size() + " [" + net.layers().get(r[0]).name() + " .. "
                    + net.layers().get(r[1] - 1).name() + "]" + (replicas > 1 ? " x " + replicas : "")));
        }
        // the stages from the last to the first, each handing its batches straight to the next one's actors
        Consumer<LayerStage.Process> next = null;
        for (int k = ranges.size() - 1; k >= 0; k--) {
            int[] r = ranges.get(k);
            List<ActorRef<LayerStage.Command>> refs = new ArrayList<>();
            for (int c = 0; c < replicas; c++) {
                String name = "layer-stage-" + k + (replicas > 1 ? "-" + c : "");
                refs.add(spawner.spawn(LayerStage.create(net, r[0], r[1], plan.engines().get(k).get(c), stats.get(k),
                        next), name, DispatcherSelector.fromConfig("dyve.stream.stage-dispatcher")));
            }
            stageRefs.addAll(0, refs);
            next = inTurn(refs);
        }
        Consumer<LayerStage.Process> first = next;
        // batches in flight through all stages at once: one in each actor and stage-buffer more queued per stage
        int inFlight = (Math.max(1, s.stageBuffer()) + 1) * ranges.size() * replicas;
        Flow<List<LayerStage.Work>, List<LayerStage.Work>, NotUsed> stages = Flow.<List<LayerStage.Work>>create()
                .async().mapAsync(inFlight, b -> {
                    CompletableFuture<List<LayerStage.Work>> done = new CompletableFuture<>();
                    first.accept(new LayerStage.Process(b, done));
                    return done;
                });
        SourceHealth health = new SourceHealth();
        StreamEnd end = new StreamEnd(limit, health);
        String input = net.input().name();
        String output = net.output();
        boolean probabilities = net.outputIsSoftmax();

        // FFmpeg resizes and crops while decoding, so those frames only need the rest of the preprocessing
        Source<Frame, NotUsed> frames = FrameSources.open(src, blocking,
                FrameSources.Decoding.of(pre, s.decodeThreads()), s, health);
        Preprocessing framePre = src.isFfmpeg() ? pre.forInputSizedImages() : pre;
        if (start != null) {
            Source<Frame, NotUsed> opened = frames;
            frames = Source.completionStage(start.thenApply(x -> NotUsed.getInstance())).flatMapConcat(x -> opened);
        }
        if (limit > 0) {
            frames = frames.take(limit);
        }
        Source<Frame, UniqueKillSwitch> in = frames.viaMat(KillSwitches.single(), Keep.right());
        if (src.live()) {
            // the buffer runs on its own (an asynchronous boundary after it): it keeps taking the source's frames and
            // sheds by its policy whatever holds the stages or the output, so the source stays on time
            in = in.via(new LiveBuffer(s.liveBuffer(), s.overflow(), s.pressureBacklog(),
                    (f, backlog) -> controller.tell(new EffortController.Pressure(backlog, f.seq())))).async();
        }
        int buffer = Integer.highestOneBit(Math.max(1, s.stageBuffer()) * 2 - 1);
        Source<FrameResult, UniqueKillSwitch> results = in
                // preprocessing (0.1-0.2 ms for SqueezeNet) runs in the stream's own actor: a hop to another thread
                // per frame cost more on 2 cores than it freed
                .map(f -> {
                    counters.arrived(Math.max(1, f.droppedCount()), f.arrivedNanos());
                    return prepare(f, framePre, input);
                })
                .mapAsync(1, w -> decide(controller, w, s.reuseThreshold() > 0))
                // frames that queue while the first stage is busy travel together (up to max-batch): batches
                // form only under load, so a lightly loaded live source still goes frame by frame
                .<List<LayerStage.Work>>batch(Math.max(1, s.maxBatch()), w -> {
                    List<LayerStage.Work> b = new ArrayList<>();
                    b.add(w);
                    return b;
                }, (b, w) -> {
                    b.add(w);
                    return b;
                })
                .via(stages)
                .mapConcat(b -> b)
                .statefulMapConcat(() -> new ResultAssembler(stream, d, output, probabilities, controller, counters))
                .watchTermination((mat, done) -> {
                    // the stream's actors end with it
                    done.whenComplete((ok, err) -> {
                        if (err != null) {
                            end.failed(DyveException.reason(err instanceof java.util.concurrent.CompletionException
                                    && err.getCause() != null ? err.getCause() : err));
                        }
                        controller.tell(new EffortController.Stop());
                        stageRefs.forEach(ref -> ref.tell(new LayerStage.Stop()));
                    });
                    return mat;
                })
                // small buffers at every asynchronous boundary: frames in flight stay few, latency bounded
                .addAttributes(Attributes.inputBuffer(buffer, buffer));
        return new Results(results, counters, end);
    }

    /**
     * Hands batches to {@code refs} in turn. The last stage completes the future a batch carries (the stream's
     * mapAsync puts the batches back in order); the others hand the batch on to the next stage's actors. Actors tell
     * each other directly and complete futures rather than answer asks: no stream operator between two stages, no
     * temporary actor and timeout timer per batch, which the pipeline's 2-core budget pays for.
     */
    private static Consumer<LayerStage.Process> inTurn(List<ActorRef<LayerStage.Command>> refs) {
        AtomicInteger next = new AtomicInteger();
        return p -> refs.get(Math.floorMod(next.getAndIncrement(), refs.size())).tell(p);
    }

    private static LayerStage.Work prepare(Frame f, Preprocessing pre, String input) {
        if (f.image() == null) {
            return new LayerStage.Work(f, null, null, System.nanoTime(), 0, 0, 0, null);
        }
        try {
            Map<String, float[]> t = new HashMap<>();
            t.put(input, pre.apply(f.image()));
            return new LayerStage.Work(f, null, t, System.nanoTime(), 0, 0, 0, null);
        } catch (DyveException e) {
            return new LayerStage.Work(Frame.failed(f.seq(), f.source(), f.ptsMs(), e.getMessage()).named(f.name()),
                    null, null, System.nanoTime(), 0, 0, 0, null);
        }
    }

    /** Asks the controller about {@code w}'s frame; {@code reuse}: temporal reuse is on, so it needs a thumbnail. */
    private static CompletionStage<LayerStage.Work> decide(ActorRef<EffortController.Command> controller,
            LayerStage.Work w, boolean reuse) {
        Frame f = w.frame();
        if (f.isDropped()) {
            // frames a live source missed while it reconnected say nothing about the pipeline's speed
            if (!DropReason.SOURCE_RECONNECT.equals(f.dropReason())) {
                controller.tell(new EffortController.Dropped(f.droppedCount()));
            }
            return CompletableFuture.completedFuture(w);
        }
        if (f.image() == null) {
            return CompletableFuture.completedFuture(w);
        }
        float[] thumb = reuse ? EffortPolicy.thumbnail(f.image()) : null;
        CompletableFuture<EffortController.Decided> answer = new CompletableFuture<>();
        controller.tell(new EffortController.Decide(f.seq(), thumb, f.backlog(), answer));
        return answer.thenApply(dec -> new LayerStage.Work(f, dec, dec.reuse() ? null : w.tensors(),
                System.nanoTime(), 0, 0, 0, null));
    }

    /** Turns finished work into results; remembers the last computed answer for reused frames. */
    private static final class ResultAssembler implements org.apache.pekko.japi.function.Function<LayerStage.Work,
            Iterable<FrameResult>> {
        private final String stream;
        private final StreamCounters counters;
        private final ModelDescriptor d;
        private final String output;
        private final boolean probabilities;
        private final ActorRef<EffortController.Command> controller;
        private int lastTop1 = -1;
        private float lastProb;

        ResultAssembler(String stream, ModelDescriptor d, String output, boolean probabilities,
                ActorRef<EffortController.Command> controller, StreamCounters counters) {
            this.stream = stream;
            this.counters = counters;
            this.d = d;
            this.output = output;
            this.probabilities = probabilities;
            this.controller = controller;
        }

        @Override
        public Iterable<FrameResult> apply(LayerStage.Work w) {
            Frame f = w.frame();
            double latency = (System.nanoTime() - f.arrivedNanos()) / 1e6;
            long now = System.currentTimeMillis();
            if (f.isDropped()) {
                counters.finished(Outcome.DROPPED, f.droppedCount(), f.dropReason(), null, 0, 0, -1, -1);
                List<FrameResult> out = new ArrayList<>(f.droppedCount());
                for (int i = 0; i < f.droppedCount(); i++) {
                    out.add(new FrameResult(stream, f.seq() + i, f.source(), -1, Outcome.DROPPED,
                            f.dropReason().wire(), -1, null, 0f, null, 0, 0, -1, null, now));
                }
                return out;
            }
            FrameResult r;
            if (f.image() == null) {
                r = new FrameResult(stream, f.seq(), f.source(), f.ptsMs(), Outcome.ERROR, f.error(), -1, null, 0f,
                        null,
                        0, latency, f.label(), f.name(), now);
                counters.finished(Outcome.ERROR, 1, null, null, 0, latency, -1, -1);
                return List.of(r);
            }
            EffortController.Decided dec = w.decision();
            if (dec.reuse() && lastTop1 >= 0) {
                r = new FrameResult(stream, f.seq(), f.source(), f.ptsMs(), Outcome.REUSED, dec.reason(), lastTop1,
                        d.label(lastTop1), lastProb, dec.effort(), 0, latency, f.label(), f.name(), now);
            } else {
                boolean exited = w.exitedAt() != null;
                float[] scores = w.tensors().get(output);
                float[] p = probabilities || exited ? scores : TopK.softmax(scores);
                int top = TopK.of(scores, 1)[0];
                lastTop1 = top;
                lastProb = p[top];
                // the reason says where an exited frame left and why the effort level last moved, if it did
                String reason = exited ? "exit@" + w.exitedAt() : null;
                if (!dec.reason().isEmpty()) {
                    reason = reason == null ? dec.reason() : reason + "; " + dec.reason();
                }
                r = new FrameResult(stream, f.seq(), f.source(), f.ptsMs(), exited ? Outcome.EARLY_EXIT
                        : Outcome.COMPUTED, reason, top, d.label(top), p[top], dec.effort(), w.macs(), latency,
                        f.label(), f.name(), now);
            }
            boolean ran = r.status().ran();
            counters.finished(r.status(), 1, null, ran ? r.effort() : null, r.macs(), latency, f.label(), r.top1());
            counters.latest(r.effort(), r.label());
            if (w.exitedAt() != null) {
                counters.exited(w.exitedAt());
            }
            controller.tell(new EffortController.Completed(f.seq(), ran ? dec.effort() : null,
                    w.computeNanos() / 1e6, latency));
            return List.of(r);
        }
    }
}
