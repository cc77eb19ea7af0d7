package org.dyve.cli;

import java.io.PrintWriter;
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
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve bench-stream}: the pipeline's throughput against the bare engine's on the same frames. */
@Command(name = "bench-stream", mixinStandardHelpOptions = true,
        description = "Measure in one run the bare engine's best throughput on a source's frames (decoded and"
                + " preprocessed up front; batch 1 and 4, all cores) just before and just after each run of the"
                + " streaming pipeline on the same source, and the same frames decoded on one thread and inferred on"
                + " plain threads (no actors) right after it; print the median of the pipeline's throughput over the"
                + " engine's (the mean of the two) and over the plain threads', and of the engine's CPU time per frame"
                + " over the pipeline's.")
final class BenchStreamCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = {"-s", "--source"}, required = true, paramLabel = "SPEC",
            description = "A file or data-set source.")
    String source;

    @Option(names = "--limit", paramLabel = "N", description = "Frames to use (default: all).")
    long limit;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "5",
            description = "Measured runs of each, alternating (after one pipeline run to warm up); the ratio's median"
                    + " is reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Spec
    CommandSpec spec;

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
    private Rate pipeline(Dyve dyve, ModelDescriptor d) {
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
            int n = Math.min(e.batch(), inputs.size() - start);
            for (int i = 0; i < n; i++) {
                e.setInput(in, i, inputs.get(start + i));
            }
            e.run(n);
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
        e.setInput(in, 0, pre.apply(f.image()));
        e.run(1);
        return true;
    }

    /** The stream settings, read when the measurement starts. */
    private StreamSettings settings;

    /** The source's frames (its first {@code --limit} ones), decoded as {@code decoding} says. */
    private org.apache.pekko.stream.javadsl.Source<org.dyve.stream.Frame, org.apache.pekko.NotUsed> frames(
            java.util.concurrent.Executor blocking, FrameSources.Decoding decoding) {
        var frames = FrameSources.open(org.dyve.stream.SourceSpec.parse(source), blocking, decoding, settings,
                new org.dyve.stream.SourceHealth());
        return limit > 0 ? frames.take(limit) : frames;
    }

    @Override
    public void run() {
        try {
            measure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DyveException("bench-stream interrupted");
        }
    }

    private void measure() throws InterruptedException {
        if (repeat < 1) {
            throw new DyveException("--repeat must be at least 1");
        }
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        Preprocessing pre = d.preprocessing(net);
        PrintWriter out = spec.commandLine().getOut();
        try (Dyve dyve = Dyve.open(model.settings())) {
            dyve.register(d, null);
            ActorSystem<Void> system = dyve.system();
            StreamSettings s = dyve.settings().stream();
            settings = s;
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
            out.printf("decode + preprocess + engine, one after another: %.1f frames/s%n", sequential);
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
            out.printf("decoder thread + plain engine threads (a blocking queue, no actors): %.1f frames/s with one"
                    + " engine thread, %.1f with %d; measured beside each pipeline run with %d%n", one, each, cores,
                    workers);
            out.printf("pipeline: %d layer stage(s) x %d actor(s) (dyve.stream.stages, split, replicas)%n",
                    s.stageCount(cores), s.actorsPerStage());
            // one pipeline run first, not counted, so that the actors' and the stream's code is compiled as the
            // engine's already is
            pipeline(dyve, d);
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
                Rate p = pipeline(dyve, d);
                plain[rep] = plainThreads(pool, share, in, framePre, decoding, blocking, system, workers, cores);
                plainRatios[rep] = p.fps() / plain[rep];
                Rate[] after = engineRates(engines, in, inputs);
                piped[rep] = p.fps();
                ratios[rep] = p.fps() / ((best(before).fps() + best(after).fps()) / 2);
                // CPU time per frame moves less than wall-clock time when the machine's speed drifts
                double engineCpu = (best(before).cpuMs() + best(after).cpuMs()) / 2;
                cpuRatios[rep] = engineCpu / p.cpuMs();
                out.printf("run %d: engine alone %.1f / %.1f (batch 1) and %.1f / %.1f (batch 4) frames/s before /"
                        + " after, pipeline %.1f frames/s, ratio %.2f; plain threads %.1f frames/s, ratio %.2f; CPU per"
                        + " frame: engine %.2f ms, pipeline %.2f ms%n", rep + 1, before[0].fps(), after[0].fps(),
                        before[1].fps(), after[1].fps(), p.fps(), ratios[rep], plain[rep], plainRatios[rep], engineCpu,
                        p.cpuMs());
                out.flush();
            }
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            double[] fps = piped.clone();
            Arrays.sort(fps);
            double[] cpu = cpuRatios.clone();
            Arrays.sort(cpu);
            double[] overPlain = plainRatios.clone();
            Arrays.sort(overPlain);
            out.printf("pipeline / best engine on pre-decoded frames: median %.2f (%.2f-%.2f over %d runs);"
                    + " pipeline / decoder and engines on plain threads (the actors' cost): median %.2f (%.2f-%.2f);"
                    + " median pipeline / sequential end to end = %.2f; CPU per frame, engine / pipeline (decoding"
                    + " included): median %.2f (%.2f-%.2f)%n", sorted[repeat / 2], sorted[0], sorted[repeat - 1],
                    repeat, overPlain[repeat / 2], overPlain[0], overPlain[repeat - 1], fps[repeat / 2] / sequential,
                    cpu[repeat / 2], cpu[0], cpu[repeat - 1]);
            out.flush();
        }
    }
}
