package org.dyve.stream;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
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
    private static final AtomicInteger STREAMS = new AtomicInteger();

    private StreamPipeline() {
    }

    /** The layer ranges {@code [from, to)} of the stages. */
    public static List<int[]> split(Network net, int stages, List<String> at) {
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
        Engine e = Engine.of(net, 1);
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
        refine(net, out);
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
    private static void refine(Network net, List<int[]> ranges) {
        for (int b = 0; b + 1 < ranges.size(); b++) {
            int[] left = ranges.get(b);
            int[] right = ranges.get(b + 1);
            int best = right[0];
            double bestCost = Double.MAX_VALUE;
            for (int cut = Math.max(left[0] + 1, right[0] - REFINE_REACH);
                    cut <= Math.min(right[1] - 1, right[0] + REFINE_REACH); cut++) {
                double cost = Math.max(rangeMs(net, left[0], cut), rangeMs(net, cut, right[1]));
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
    private static double rangeMs(Network net, int from, int to) {
        Engine e = Engine.range(net, from, to, 1);
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
     * The actor system's configuration for a stream from {@code sourceSpec}: a live source keeps
     * {@code pekko.scheduler.tick-duration} (1 ms: its timers pace the frames); a file or data set gets
     * {@code dyve.stream.file-tick-duration}, since its timers only time out waits and a 1 ms tick wakes a thread a
     * thousand times a second on cores the stages need.
     */
    public static Config systemConfig(String sourceSpec) {
        Config c = ConfigFactory.load();
        if (SourceSpec.parse(sourceSpec).live()) {
            return c;
        }
        return ConfigFactory.parseMap(Map.of("pekko.scheduler.tick-duration",
                c.getString("dyve.stream.file-tick-duration"))).withFallback(c);
    }

    /**
     * Runs {@code sourceSpec} through the model and hands every result to {@code out} (called on one thread,
     * in frame order).
     *
     * @param limit frames to take from the source, 0 for all
     * @param ladder effort rungs, exact first (see {@link org.dyve.effort.EffortProfiles#ladder})
     */
    public static CompletionStage<StreamSummary> run(ActorSystem<?> system, ModelDescriptor d, Network net,
            String sourceSpec, StreamSettings s, List<EffortProfile> ladder, long limit, Consumer<FrameResult> out) {
        Results r = build(system, d, net, sourceSpec, s, ladder, limit);
        return r.source().runWith(Sink.foreach(out::accept), system).thenApply(done -> r.summary());
    }

    /**
     * Like {@link #run}, returning the kill switch as well: {@code shutdown()} stops the source, lets frames
     * already in flight finish, and completes the summary (how {@code dyve stream} handles Ctrl-C).
     */
    public static Running start(ActorSystem<?> system, ModelDescriptor d, Network net, String sourceSpec,
            StreamSettings s, List<EffortProfile> ladder, long limit, Consumer<FrameResult> out) {
        Results r = build(system, d, net, sourceSpec, s, ladder, limit);
        var m = r.source().toMat(Sink.foreach(out::accept), Keep.both()).run(system);
        return new Running(m.first(), r.summary(), m.second().thenApply(done -> r.summary()));
    }

    /**
     * A running stream: its kill switch, its summary as it fills ({@code live}: the reason it is stopped for is told
     * there) and the summary once the stream has ended.
     */
    public record Running(UniqueKillSwitch killSwitch, StreamSummary live, CompletionStage<StreamSummary> summary) {
        /** Stops the source for {@code reason} and lets frames in flight finish. */
        public void stop(String reason) {
            live.stopping(reason);
            killSwitch.shutdown();
        }
    }

    /**
     * The pipeline as a source of results, one per frame in frame order, with a kill switch that stops the
     * source and lets frames already in flight finish (a graceful shutdown); the summary fills as results
     * pass.
     */
    public record Results(Source<FrameResult, UniqueKillSwitch> source, StreamSummary summary) {
    }

    /** Builds the pipeline for {@code sourceSpec}; nothing runs until the source is materialised. */
    public static Results build(ActorSystem<?> system, ModelDescriptor d, Network net, String sourceSpec,
            StreamSettings s, List<EffortProfile> ladder, long limit) {
        SourceSpec src = SourceSpec.parse(sourceSpec);
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        Preprocessing pre = d.preprocessing(net);
        int id = STREAMS.incrementAndGet();
        List<String> names = ladder.stream().map(EffortProfile::name).toList();
        ActorRef<EffortController.Command> controller = system.systemActorOf(EffortController.create(names, s),
                "effort-controller-" + id, org.apache.pekko.actor.typed.Props.empty());
        int cores = Runtime.getRuntime().availableProcessors();
        int replicas = s.actorsPerStage();
        int stageCount = s.stageCount(cores);
        // Stages run at once, each on its own thread: give each a share of the cores for ND4J's native threads
        // (process-wide settings), and measure the balanced split under that setting.
        int nativeThreads = Math.max(1, cores / (stageCount * replicas));
        Engine.setNativeThreads(nativeThreads);
        List<int[]> ranges = split(net, stageCount, s.split());
        List<StageStats> stats = new ArrayList<>();
        List<ActorRef<LayerStage.Process>> stageRefs = new ArrayList<>();
        for (int[] r : ranges) {
            stats.add(new StageStats("stage " + stats.size() + " [" + net.layers().get(r[0]).name() + " .. "
                    + net.layers().get(r[1] - 1).name() + "]" + (replicas > 1 ? " x " + replicas : "")));
        }
        // the stages from the last to the first, each handing its batches straight to the next one's actors
        Consumer<LayerStage.Process> next = null;
        for (int k = ranges.size() - 1; k >= 0; k--) {
            int[] r = ranges.get(k);
            List<ActorRef<LayerStage.Process>> refs = new ArrayList<>();
            for (int c = 0; c < replicas; c++) {
                var engines = LayerStage.compile(net, r[0], r[1], Math.max(1, s.maxBatch()), ladder, s.warmUpRuns());
                String name = "layer-stage-" + id + "-" + k + (replicas > 1 ? "-" + c : "");
                refs.add(system.systemActorOf(LayerStage.create(net, r[0], r[1], engines, stats.get(k), next), name,
                        DispatcherSelector.fromConfig("dyve.stream.stage-dispatcher")));
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
        StreamSummary summary = new StreamSummary(d.id(), sourceSpec, net.totalMacs(), stats, health);
        summary.limit(limit);
        String input = net.input().name();
        String output = net.output();
        boolean probabilities = net.outputIsSoftmax();

        // FFmpeg resizes and crops while decoding, so those frames only need the rest of the preprocessing
        Source<Frame, NotUsed> frames = FrameSources.open(src, blocking,
                FrameSources.Decoding.of(pre, s.decodeThreads()), s, health);
        Preprocessing framePre = src.isFfmpeg() ? pre.forInputSizedImages() : pre;
        if (limit > 0) {
            frames = frames.take(limit);
        }
        Source<Frame, UniqueKillSwitch> in = frames.viaMat(KillSwitches.single(), Keep.right());
        if (src.live()) {
            in = in.via(new LiveBuffer(s.liveBuffer(), s.overflow(), s.pressureBacklog(),
                    (f, backlog) -> controller.tell(new EffortController.Pressure(backlog, f.seq()))));
        }
        int buffer = Integer.highestOneBit(Math.max(1, s.stageBuffer()) * 2 - 1);
        Source<FrameResult, UniqueKillSwitch> results = in
                // preprocessing (0.1-0.2 ms for SqueezeNet) runs in the stream's own actor: a hop to another thread
                // per frame cost more on 2 cores than it freed
                .map(f -> prepare(f, framePre, input))
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
                .statefulMapConcat(() -> new ResultAssembler(d, output, probabilities, controller))
                .map(r -> {
                    summary.add(r);
                    return r;
                })
                .watchTermination((mat, done) -> {
                    // the stream's actors end with it
                    done.whenComplete((ok, err) -> {
                        if (err != null) {
                            summary.stopping(StreamSummary.ERROR);
                        }
                        controller.tell(new EffortController.Stop());
                        stageRefs.forEach(ref -> ref.tell(new LayerStage.Process(null, null)));
                    });
                    return mat;
                })
                // small buffers at every asynchronous boundary: frames in flight stay few, latency bounded
                .addAttributes(Attributes.inputBuffer(buffer, buffer));
        return new Results(results, summary);
    }

    /**
     * Hands batches to {@code refs} in turn. The last stage completes the future a batch carries (the stream's
     * mapAsync puts the batches back in order); the others hand the batch on to the next stage's actors. Actors tell
     * each other directly and complete futures rather than answer asks: no stream operator between two stages, no
     * temporary actor and timeout timer per batch, which the pipeline's 2-core budget pays for.
     */
    private static Consumer<LayerStage.Process> inTurn(List<ActorRef<LayerStage.Process>> refs) {
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
            if (!FfmpegSource.RECONNECT_REASON.equals(f.dropReason())) {
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
        private final ModelDescriptor d;
        private final String output;
        private final boolean probabilities;
        private final ActorRef<EffortController.Command> controller;
        private int lastTop1 = -1;
        private float lastProb;

        ResultAssembler(ModelDescriptor d, String output, boolean probabilities,
                ActorRef<EffortController.Command> controller) {
            this.d = d;
            this.output = output;
            this.probabilities = probabilities;
            this.controller = controller;
        }

        @Override
        public Iterable<FrameResult> apply(LayerStage.Work w) {
            Frame f = w.frame();
            double latency = (System.nanoTime() - f.arrivedNanos()) / 1e6;
            if (f.isDropped()) {
                List<FrameResult> out = new ArrayList<>(f.droppedCount());
                for (int i = 0; i < f.droppedCount(); i++) {
                    out.add(new FrameResult(f.seq() + i, f.source(), -1, FrameResult.Status.DROPPED, f.dropReason(), -1,
                            null, 0f, null, 0, 0, -1, null, System.currentTimeMillis()));
                }
                return out;
            }
            if (f.image() == null) {
                return List.of(new FrameResult(f.seq(), f.source(), f.ptsMs(), FrameResult.Status.ERROR, f.error(), -1,
                        null, 0f, null, 0, latency, f.label(), f.name(), System.currentTimeMillis()));
            }
            EffortController.Decided dec = w.decision();
            FrameResult r;
            if (dec.reuse() && lastTop1 >= 0) {
                r = new FrameResult(f.seq(), f.source(), f.ptsMs(), FrameResult.Status.REUSED, dec.reason(), lastTop1,
                        d.label(lastTop1), lastProb, dec.effort(), 0, latency, f.label(), f.name(),
                        System.currentTimeMillis());
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
                r = new FrameResult(f.seq(), f.source(), f.ptsMs(), exited ? FrameResult.Status.EARLY_EXIT
                        : FrameResult.Status.COMPUTED, reason, top, d.label(top), p[top], dec.effort(), w.macs(),
                        latency, f.label(), f.name(), System.currentTimeMillis());
            }
            boolean ran = r.status() == FrameResult.Status.COMPUTED || r.status() == FrameResult.Status.EARLY_EXIT;
            controller.tell(new EffortController.Completed(f.seq(), ran ? dec.effort() : null,
                    w.computeNanos() / 1e6, latency));
            return List.of(r);
        }
    }
}
