package org.dyve.bench;

import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.javadsl.Sink;
import org.dyve.DyveException;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.engine.Engine;
import org.dyve.model.Network;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.StreamDescription;
import org.dyve.stream.FrameSources;
import org.dyve.stream.StreamSettings;
import org.dyve.stream.StreamSummary;

/**
 * The streaming pipeline against the bare engine on the same frames ({@code dyve bench-stream}): the engine alone on
 * frames decoded and preprocessed up front (batch 1 and 4, all cores) just before and just after each pipeline run on
 * the same source, and the same frames decoded on one thread and inferred on plain threads (no actors) right after
 * it. Ratios are side by side in one run; their medians over the rounds are the result.
 */
public final class StreamBench {
    private final Dyve dyve;
    private final ModelDescriptor d;
    private final String source;
    private final long limit;

    /** Measures {@code source} (its first {@code limit} frames, 0: all) through {@code d}, registered in {@code dyve}. */
    public StreamBench(Dyve dyve, ModelDescriptor d, String source, long limit) {
        this.dyve = dyve;
        this.d = d;
        this.source = source;
        this.limit = limit;
    }

    /** What the measurement tells as it goes. */
    public interface Listener {
        /** Decode, preprocess and engine one after another on one thread. */
        void sequential(double fps);

        /** The plain threads with one engine thread and with {@code cores}; {@code workers} is used from now on. */
        void plain(double one, double each, int cores, int workers);

        /** The pipeline's shape. */
        void pipeline(int stages, int actorsPerStage);

        /** One round. */
        void run(Run r);
    }

    /**
     * One round: the engine alone at batch 1 and 4 before and after, the pipeline, the plain threads, and their
     * ratios; CPU per frame of the engine (the mean of before and after) and of the pipeline.
     */
    public record Run(int round, double engine1Before, double engine1After, double engine4Before,
            double engine4After, double pipelineFps, double ratio, double plainFps, double plainRatio,
            double engineCpuMs, double pipelineCpuMs) {
    }

    /** Medians (and ranges) over the rounds. */
    public record Result(int rounds, double ratio, double ratioLow, double ratioHigh, double overPlain,
            double overPlainLow, double overPlainHigh, double overSequential, double cpuRatio, double cpuLow,
            double cpuHigh) {
    }

    /** A run's frames per second and the process's CPU time per frame (all its threads), in ms. */
    private record Rate(double fps, double cpuMs) {
    }

    /** CPU time of the whole process so far (all threads: stages, decoder, actors, JIT, GC), in ns. */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * One pipeline run over the source at the exact profile. Its CPU time per frame counts from the first result to
     * the last, so the stages' set-up (split measurement, engines compiled and warmed up) is left out.
     */
    private Rate pipeline() {
        long[] first = {0};
        long[] results = {0};
        StreamSummary sum = dyve.streams().start(StreamDescription.of(d.id(), source).withEffort("exact")
                .withLimit(limit), r -> {
                    if (results[0]++ == 0) {
                        first[0] = cpuNanos();
                    }
                }).done().toCompletableFuture().join();
        return new Rate(sum.throughput(), (cpuNanos() - first[0]) / 1e6 / Math.max(1, results[0] - 1));
    }

    /** Each engine's rate over {@code inputs} (the engines use every core). */
    private static Rate[] engineRates(Engine[] engines, String in, List<float[]> inputs) {
        Rate[] r = new Rate[engines.length];
        for (int k = 0; k < engines.length; k++) {
            long c0 = cpuNanos();
            double fps = engineFps(engines[k], in, inputs);
            r[k] = new Rate(fps, (cpuNanos() - c0) / 1e6 / Math.max(1, inputs.size()));
        }
        return r;
    }

    /** The faster of {@code r}'s rates. */
    private static Rate best(Rate[] r) {
        return r[0].fps() >= r[1].fps() ? r[0] : r[1];
    }

    /** The engine's throughput over {@code inputs}, batches filled in order. */
    private static double engineFps(Engine e, String in, List<float[]> inputs) {
        long t0 = System.nanoTime();
        for (int start = 0; start < inputs.size(); start += e.batch()) {
            e.infer(inputs.subList(start, Math.min(inputs.size(), start + e.batch())));
        }
        return inputs.size() / ((System.nanoTime() - t0) / 1e9);
    }

    /**
     * The same frames through the simplest concurrent program without actors: the source decodes on its own thread into
     * a bounded blocking queue, {@code workers} plain threads each take frames from it and preprocess and infer them
     * at batch 1 with {@code cores / workers} native threads ({@code share}, which the pool's engines read), each with
     * its engine from {@code pool}. Frames per second from the first decoded frame.
     */
    private double plainThreads(Engine[] pool, int[] share, String in, Preprocessing framePre,
            FrameSources.Decoding decoding, java.util.concurrent.Executor blocking, ActorSystem<Void> system,
            int workers, int cores) throws InterruptedException {
        share[0] = Math.max(1, cores / workers);
        // empty: the end of the frames
        java.util.concurrent.BlockingQueue<java.util.Optional<org.dyve.stream.Frame>> queue =
                new java.util.concurrent.ArrayBlockingQueue<>(8);
        java.util.Optional<org.dyve.stream.Frame> end = java.util.Optional.empty();
        Thread[] threads = new Thread[workers];
        long[] done = new long[workers];
        for (int w = 0; w < workers; w++) {
            int k = w;
            Engine e = pool[w];
            threads[w] = new Thread(() -> {
                try {
                    for (var next = queue.take(); next.isPresent(); next = queue.take()) {
                        if (infer(e, in, framePre, next.get())) {
                            done[k]++;
                        }
                    }
                    queue.put(end);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }, "plain-engine-" + w);
            // a failing source must not leave them waiting forever in a JVM that cannot exit
            threads[w].setDaemon(true);
            threads[w].start();
        }
        long[] t0 = {0};
        frames(blocking, decoding).runWith(Sink.foreach(f -> {
            if (t0[0] == 0) {
                t0[0] = System.nanoTime();
            }
            queue.put(java.util.Optional.of(f));
        }), system).toCompletableFuture().join();
        queue.put(end);
        for (Thread t : threads) {
            t.join();
        }
        long n = java.util.Arrays.stream(done).sum();
        return n / ((System.nanoTime() - t0[0]) / 1e9);
    }

    /** Preprocesses {@code f} and infers it at batch 1 on {@code e}; false for a frame without an image. */
    private static boolean infer(Engine e, String in, Preprocessing pre, org.dyve.stream.Frame f) {
        if (f.image() == null) {
            return false;
        }
        e.infer(List.of(pre.apply(f.image())));
        return true;
    }

    /** The source's frames (its first {@code --limit} ones), decoded as {@code decoding} says. */
    private org.apache.pekko.stream.javadsl.Source<org.dyve.stream.Frame, org.apache.pekko.NotUsed> frames(
            java.util.concurrent.Executor blocking, FrameSources.Decoding decoding) {
        var frames = FrameSources.open(org.dyve.stream.SourceSpec.parse(source), blocking, decoding, dyve.settings().stream(),
                new org.dyve.stream.SourceHealth());
        return limit > 0 ? frames.take(limit) : frames;
    }

    /**
     * Measures {@code repeat} rounds (after one pipeline run to warm up), telling {@code listener} as it goes.
     *
     * @return the medians over the rounds
     */
    public Result measure(int repeat, Listener listener) throws InterruptedException {
        if (repeat < 1) {
            throw new DyveException("--repeat must be at least 1");
        }
        Network net = dyve.model(d.id()).network();
        Preprocessing pre = d.preprocessing(net);
        ActorSystem<Void> system = dyve.system();
        StreamSettings s = dyve.settings().stream();
        // decoded and preprocessed exactly as the pipeline does it (FFmpeg sources: resized and cropped by
        // FFmpeg), so all three measurements see the same frames
        var decoding = FrameSources.Decoding.of(pre, s.decodeThreads());
        Preprocessing framePre = org.dyve.stream.SourceSpec.parse(source).isFfmpeg() ? pre.forInputSizedImages()
                : pre;
        var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        // only the preprocessed inputs are kept (not the decoded frames as well)
        List<float[]> inputs = frames(blocking, decoding).filter(f -> f.image() != null)
                .map(f -> framePre.apply(f.image()))
                .runWith(Sink.seq(), system).toCompletableFuture().join();
        int cores = dyve.cores().cores();
        String in = net.input().name();
        Engine[] engines = {Engine.builder(net).build(), Engine.builder(net).batch(4).build()};
        for (Engine e : engines) {
            for (int i = 0; i < Math.min(8, inputs.size()); i++) {
                e.setInput(in, i % e.batch(), inputs.get(i));
                e.run(1);
            }
        }
        // the same frames end to end in one thread: decode, preprocess, infer at batch 1
        long t0 = System.nanoTime();
        long[] done = {0};
        frames(blocking, decoding).runWith(Sink.foreach(f -> {
            if (infer(engines[0], in, framePre, f)) {
                done[0]++;
            }
        }), system).toCompletableFuture().join();
        double sequential = done[0] / ((System.nanoTime() - t0) / 1e9);
        listener.sequential(sequential);
        // the concurrent program without actors: one engine thread with all cores, or one per core
        Engine[] pool = new Engine[cores];
        int[] share = {cores};
        for (int w = 0; w < cores; w++) {
            pool[w] = Engine.builder(net).threads(() -> share[0]).build();
            pool[w].run(1);
        }
        double one = plainThreads(pool, share, in, framePre, decoding, blocking, system, 1, cores);
        double each = plainThreads(pool, share, in, framePre, decoding, blocking, system, cores, cores);
        int workers = one >= each ? 1 : cores;
        listener.plain(one, each, cores, workers);
        listener.pipeline(s.stageCount(cores), s.actorsPerStage());
        // one pipeline run first, not counted, so that the actors' and the stream's code is compiled as the
        // engine's already is
        pipeline();
        double[] ratios = new double[repeat];
        double[] piped = new double[repeat];
        double[] cpuRatios = new double[repeat];
        double[] plain = new double[repeat];
        double[] plainRatios = new double[repeat];
        for (int rep = 0; rep < repeat; rep++) {
            // the engine just before and just after the pipeline, their mean the baseline: on a machine whose
            // speed drifts (a shared virtual machine), a drift over the run cancels out instead of landing on
            // one side
            Rate[] before = engineRates(engines, in, inputs);
            Rate p = pipeline();
            plain[rep] = plainThreads(pool, share, in, framePre, decoding, blocking, system, workers, cores);
            plainRatios[rep] = p.fps() / plain[rep];
            Rate[] after = engineRates(engines, in, inputs);
            piped[rep] = p.fps();
            ratios[rep] = p.fps() / ((best(before).fps() + best(after).fps()) / 2);
            // CPU time per frame moves less than wall-clock time when the machine's speed drifts
            double engineCpu = (best(before).cpuMs() + best(after).cpuMs()) / 2;
            cpuRatios[rep] = engineCpu / p.cpuMs();
            listener.run(new Run(rep + 1, before[0].fps(), after[0].fps(), before[1].fps(), after[1].fps(), p.fps(),
                    ratios[rep], plain[rep], plainRatios[rep], engineCpu, p.cpuMs()));
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        double[] fps = piped.clone();
        Arrays.sort(fps);
        double[] cpu = cpuRatios.clone();
        Arrays.sort(cpu);
        double[] overPlain = plainRatios.clone();
        Arrays.sort(overPlain);
        return new Result(repeat, sorted[repeat / 2], sorted[0], sorted[repeat - 1], overPlain[repeat / 2],
                overPlain[0], overPlain[repeat - 1], fps[repeat / 2] / sequential, cpu[repeat / 2], cpu[0],
                cpu[repeat - 1]);
    }
}
