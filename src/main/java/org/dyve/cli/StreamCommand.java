package org.dyve.cli;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.dyve.DataException;
import org.dyve.DyveException;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.effort.EffortProfiles;
import org.dyve.model.Network;
import org.dyve.report.Json;
import org.dyve.stream.FrameResult;
import org.dyve.stream.StreamPipeline;
import org.dyve.stream.StreamSettings;
import org.dyve.stream.StreamSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve stream}: classify a video, camera, folder, data set or synthetic stream through the pipeline. */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = "Classify a stream of frames through the Pekko Streams pipeline (layer-stage actors, effort"
                + " controller) and write one JSON line per frame, then a summary.")
final class StreamCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = {"-s", "--source"}, required = true, paramLabel = "SPEC",
            description = "video:FILE, camera:DEVICE, rtsp://... or http(s)://..., images:DIR, cifar10:FILE, idx:DIR,"
                    + " synthetic:WxH@FPS[:COUNT]")
    String source;

    @Option(names = "--effort", defaultValue = "auto", paramLabel = "PROFILE",
            description = "auto (the controller moves along the model's effort ladder), exact, or one of the"
                    + " model's profiles held for every frame. Default: auto.")
    String effort;

    @Option(names = "--profiles", paramLabel = "FILE",
            description = "Effort ladder file (default: models/<model>.effort.conf; exact only when there is none).")
    Path profiles;

    @Option(names = "--target-fps", paramLabel = "N", description = "Frame rate for the controller to hold.")
    double targetFps;

    @Option(names = "--latency-ms", paramLabel = "N", description = "Latency for the controller to hold.")
    double latencyMs;

    @Option(names = "--reuse", paramLabel = "T", description = "Temporal-reuse threshold (mean absolute thumbnail"
            + " difference, 0..255); 0 disables. Default: dyve.stream.reuse.threshold.")
    Double reuse;

    @Option(names = "--sink", defaultValue = "jsonl:-", paramLabel = "SINK",
            description = "jsonl:FILE, jsonl:- (standard output) or none. Default: ${DEFAULT-VALUE}.")
    String sink;

    @Option(names = "--limit", paramLabel = "N", description = "Take only the first N frames.")
    long limit;

    @Option(names = {"-q", "--quiet"}, description = "No progress line.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        StreamSettings s = StreamSettings.from(ConfigFactory.load()).withTargets(targetFps, latencyMs);
        if (reuse != null) {
            s = s.withReuse(reuse);
        }
        EffortProfiles ladder = EffortProfiles.load(d.id(), profiles).withBuiltIns(net);
        List<EffortProfile> rungs = effort.equals("auto") ? ladder.ladder() : List.of(ladder.get(effort));
        PrintWriter err = spec.commandLine().getErr();
        stream(d, net, source, s, rungs, limit, sink, quiet, err);
    }

    /** Runs one stream to the sink; shared with {@code dyve demo}. */
    static StreamSummary stream(ModelDescriptor d, Network net, String source, StreamSettings s,
            List<EffortProfile> ladder, long limit, String sink, boolean quiet, PrintWriter err) {
        if (!sink.startsWith("jsonl:") && !sink.equals("none")) {
            throw new DataException(sink + ": unknown sink (expected jsonl:FILE, jsonl:- or none)");
        }
        String target = sink.equals("none") ? null : sink.substring("jsonl:".length());
        PrintStream out;
        try {
            out = target == null ? new PrintStream(java.io.OutputStream.nullOutputStream())
                    : target.equals("-") ? System.out : new PrintStream(Files.newOutputStream(Path.of(target)), false,
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DataException(target + ": cannot write (" + e.getMessage() + ")");
        }
        Progress progress = new Progress(quiet);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dyve", StreamPipeline.systemConfig(source));
        try {
            long[] n = {0};
            StreamPipeline.Running running = StreamPipeline.start(system, d, net, source, s, ladder, limit, r -> {
                out.println(Json.line(line(r)));
                n[0]++;
                progress.update("stream", (int) n[0], limit > 0 ? (int) limit : 0);
            });
            // Ctrl-C / SIGTERM: stop the source, let frames in flight finish, and hold the exit until the summary
            // is written (the JVM halts when its shutdown hooks return)
            java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
            Thread drain = new Thread(() -> {
                running.killSwitch().shutdown();
                try {
                    written.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "dyve-drain");
            Runtime.getRuntime().addShutdownHook(drain);
            StreamSummary summary = running.summary().toCompletableFuture().join();
            try {
                Runtime.getRuntime().removeShutdownHook(drain);
            } catch (IllegalStateException shuttingDown) {
                // the hook is already running: it waits for this very summary
            }
            out.flush();
            out.println(Json.line(summary.toMap()));
            out.flush();
            err.println(summary.describe());
            err.flush();
            written.countDown();
            return summary;
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof DyveException de) {
                throw de;
            }
            throw new DyveException(source + ": stream failed (" + c + ")", c);
        } finally {
            if (out != System.out) {
                out.close();
            }
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
    }

    static Map<String, Object> line(FrameResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", r.seq());
        m.put("source", r.source());
        m.put("pts_ms", r.ptsMs());
        m.put("top1", r.top1() < 0 ? null : r.top1());
        m.put("label", r.label());
        m.put("prob", r.top1() < 0 ? null : r.prob());
        m.put("status", r.status().wire());
        m.put("effort", r.effort());
        m.put("macs", r.macs());
        m.put("latency_ms", r.latencyMs());
        if (r.reason() != null && !r.reason().isEmpty()) {
            m.put("reason", r.reason());
        }
        if (r.truth() >= 0) {
            m.put("truth", r.truth());
        }
        return m;
    }
}
