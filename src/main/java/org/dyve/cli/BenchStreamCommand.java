package org.dyve.cli;

import java.io.PrintWriter;
import org.dyve.DyveException;
import org.dyve.bench.StreamBench;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.runtime.Dyve;
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

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        ModelDescriptor d = model.descriptor();
        try (Dyve dyve = Dyve.open(model.settings())) {
            dyve.register(d, null);
            StreamBench.Result r = new StreamBench(dyve, d, source, limit).measure(repeat, new StreamBench.Listener() {
                @Override
                public void sequential(double fps) {
                    out.printf("decode + preprocess + engine, one after another: %.1f frames/s%n", fps);
                    out.flush();
                }

                @Override
                public void plain(double one, double each, int cores, int workers) {
                    out.printf("decoder thread + plain engine threads (a blocking queue, no actors): %.1f frames/s"
                            + " with one engine thread, %.1f with %d; measured beside each pipeline run with %d%n", one,
                            each, cores, workers);
                }

                @Override
                public void pipeline(int stages, int actorsPerStage) {
                    out.printf("pipeline: %d layer stage(s) x %d actor(s) (dyve.stream.stages, split, replicas)%n",
                            stages, actorsPerStage);
                    out.flush();
                }

                @Override
                public void run(StreamBench.Run x) {
                    out.printf("run %d: engine alone %.1f / %.1f (batch 1) and %.1f / %.1f (batch 4) frames/s before /"
                            + " after, pipeline %.1f frames/s, ratio %.2f; plain threads %.1f frames/s, ratio %.2f; CPU"
                            + " per frame: engine %.2f ms, pipeline %.2f ms%n", x.round(), x.engine1Before(),
                            x.engine1After(), x.engine4Before(), x.engine4After(), x.pipelineFps(), x.ratio(),
                            x.plainFps(), x.plainRatio(), x.engineCpuMs(), x.pipelineCpuMs());
                    out.flush();
                }
            });
            out.printf("pipeline / best engine on pre-decoded frames: median %.2f (%.2f-%.2f over %d runs);"
                    + " pipeline / decoder and engines on plain threads (the actors' cost): median %.2f (%.2f-%.2f);"
                    + " median pipeline / sequential end to end = %.2f; CPU per frame, engine / pipeline (decoding"
                    + " included): median %.2f (%.2f-%.2f)%n", r.ratio(), r.ratioLow(), r.ratioHigh(), r.rounds(),
                    r.overPlain(), r.overPlainLow(), r.overPlainHigh(), r.overSequential(), r.cpuRatio(), r.cpuLow(),
                    r.cpuHigh());
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DyveException("bench-stream interrupted");
        }
    }
}
