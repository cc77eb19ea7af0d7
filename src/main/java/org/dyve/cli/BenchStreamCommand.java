package org.dyve.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.javadsl.Sink;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.engine.Engine;
import org.dyve.model.Network;
import org.dyve.stream.FrameSources;
import org.dyve.stream.StreamPipeline;
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
                + " preprocessed up front; batch 1 and 4, all cores) and the streaming pipeline's throughput on the"
                + " same source, and print their ratio.")
final class BenchStreamCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = {"-s", "--source"}, required = true, paramLabel = "SPEC", description = "A file or data-set source.")
    String source;

    @Option(names = "--limit", paramLabel = "N", description = "Frames to use (default: all).")
    long limit;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        Preprocessing pre = d.preprocessing(net);
        PrintWriter out = spec.commandLine().getOut();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dyve-bench", ConfigFactory.load());
        try {
            var frames = FrameSources.open(source, system.dispatchers().lookup(DispatcherSelector.blocking()));
            if (limit > 0) {
                frames = frames.take(limit);
            }
            // only the preprocessed inputs are kept (not the decoded frames as well)
            List<float[]> inputs = frames.filter(f -> f.image() != null).map(f -> pre.apply(f.image()))
                    .runWith(Sink.seq(), system).toCompletableFuture().join();
            int cores = Runtime.getRuntime().availableProcessors();
            Engine.setNativeThreads(cores);
            double best = 0;
            for (int batch : new int[] {1, 4}) {
                Engine e = Engine.of(net, batch);
                String in = net.input().name();
                for (int i = 0; i < Math.min(8, inputs.size()); i++) {
                    e.setInput(in, i % batch, inputs.get(i));
                    e.run(1);
                }
                long t0 = System.nanoTime();
                for (int start = 0; start < inputs.size(); start += batch) {
                    int n = Math.min(batch, inputs.size() - start);
                    for (int i = 0; i < n; i++) {
                        e.setInput(in, i, inputs.get(start + i));
                    }
                    e.run(n);
                }
                double fps = inputs.size() / ((System.nanoTime() - t0) / 1e9);
                out.printf("engine alone, batch %d: %.1f frames/s%n", batch, fps);
                best = Math.max(best, fps);
            }
            // the same frames end to end in one thread: decode, preprocess, infer at batch 1
            Engine one = Engine.of(net, 1);
            var again = FrameSources.open(source, system.dispatchers().lookup(DispatcherSelector.blocking()));
            if (limit > 0) {
                again = again.take(limit);
            }
            long t0 = System.nanoTime();
            long[] done = {0};
            again.runWith(Sink.foreach(f -> {
                if (f.image() != null) {
                    one.setInput(net.input().name(), 0, pre.apply(f.image()));
                    one.run(1);
                    done[0]++;
                }
            }), system).toCompletableFuture().join();
            double sequential = done[0] / ((System.nanoTime() - t0) / 1e9);
            out.printf("decode + preprocess + engine, one after another: %.1f frames/s%n", sequential);
            StreamSettings s = StreamSettings.from(ConfigFactory.load());
            StreamSummary sum = StreamPipeline.run(system, d, net, source, s, List.of(EffortProfile.EXACT), limit,
                    r -> { })
                    .toCompletableFuture().join();
            out.printf("pipeline: %.1f frames/s (%d frames)%n", sum.throughput(), sum.framesIn());
            out.printf("pipeline / best engine on pre-decoded frames = %.2f; pipeline / sequential end to end = %.2f%n",
                    sum.throughput() / best, sum.throughput() / sequential);
            out.flush();
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
    }
}
