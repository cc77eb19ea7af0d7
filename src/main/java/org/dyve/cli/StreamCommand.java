package org.dyve.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.dyve.DyveException;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.effort.EffortProfiles;
import org.dyve.model.Network;
import org.dyve.report.Json;
import org.dyve.stream.FrameResult;
import org.dyve.stream.JsonLinesSink;
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
                + " controller) and write one JSON line per frame, then a summary.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the input ended cleanly (or the limit, a signal or a closed output stopped it)",
            "1:error", "2:usage error", "3:the input was damaged (truncated file, undecodable frames or images)"})
final class StreamCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = {"-s", "--source"}, required = true, paramLabel = "SPEC",
            description = "video:FILE[?loop=N&realtime=1], camera:DEVICE[?size=WxH&fps=N], lavfi:GRAPH (an FFmpeg test"
                    + " source, e.g. lavfi:testsrc=size=640x480:rate=10), rtsp://..., http(s)://...[?live=1],"
                    + " images:DIR, cifar10:FILE, idx:DIR, synthetic:WxH@FPS[:COUNT]")
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
            description = "jsonl:FILE (appended to; ?max-size=100MB&keep=5 rotates it, ?truncate=1 starts it afresh),"
                    + " jsonl:- (standard output) or none. Default: ${DEFAULT-VALUE}.")
    String sink;

    @Option(names = "--limit", paramLabel = "N", description = "Take only the first N frames.")
    long limit;

    @Option(names = {"-q", "--quiet"}, description = "No progress line.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        StreamSettings s = StreamSettings.from(ConfigFactory.load()).withTargets(targetFps, latencyMs);
        if (reuse != null) {
            s = s.withReuse(reuse);
        }
        EffortProfiles ladder = EffortProfiles.load(d.id(), profiles).withBuiltIns(net);
        List<EffortProfile> rungs = effort.equals("auto") ? ladder.ladder() : List.of(ladder.get(effort));
        PrintWriter err = spec.commandLine().getErr();
        return exitCode(stream(d, net, source, s, rungs, limit, sink, quiet, err));
    }

    /** Exit code of a stream whose input was damaged (a truncated file, undecodable frames or images). */
    static final int EXIT_INPUT_DAMAGED = 3;

    /** Runs one stream to the sink; shared with {@code dyve demo}. */
    static StreamSummary stream(ModelDescriptor d, Network net, String source, StreamSettings s,
            List<EffortProfile> ladder, long limit, String sink, boolean quiet, PrintWriter err) {
        Progress progress = new Progress(quiet);
        // the sink is checked before anything is compiled, the source when the pipeline is built
        try (JsonLinesSink out = JsonLinesSink.open(sink)) {
            ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dyve",
                    StreamPipeline.systemConfig(source));
            try {
                long[] n = {0};
                long[] dropped = {0};
                java.util.concurrent.atomic.AtomicReference<StreamPipeline.Running> runningRef =
                        new java.util.concurrent.atomic.AtomicReference<>();
                StreamPipeline.Running running = StreamPipeline.start(system, d, net, source, s, ladder, limit, r -> {
                    if (out.closedByReader() || !out.println(Json.line(line(r)))) {
                        // the reader of standard output went away (| head): stop the stream as a signal would
                        StreamPipeline.Running now = runningRef.getAndSet(null);
                        if (now != null) {
                            now.stop(StreamSummary.OUTPUT_CLOSED);
                        }
                    }
                    n[0]++;
                    if (r.status() == FrameResult.Status.DROPPED) {
                        dropped[0]++;
                    }
                    progress.update("stream", n[0], limit, (dropped[0] > 0 ? ", dropped " + dropped[0] : "")
                            + (r.effort() != null ? ", rung " + r.effort() : ""));
                });
                runningRef.set(running);
                // Ctrl-C / SIGTERM: stop the source, let frames in flight finish, and hold the exit until the summary
                // is written (the JVM halts when its shutdown hooks return)
                java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
                Thread drain = new Thread(() -> {
                    running.stop(StreamSummary.SIGNAL);
                    try {
                        written.await(60, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "dyve-drain");
                Runtime.getRuntime().addShutdownHook(drain);
                try {
                    StreamSummary summary = running.summary().toCompletableFuture().join();
                    out.flush();
                    out.println(Json.line(summary.toMap()));
                    out.flush();
                    progress.clear();
                    err.println(summary.describe());
                    err.flush();
                    return summary;
                } finally {
                    // written, or failed: either way a signal has nothing more to wait for
                    written.countDown();
                    try {
                        Runtime.getRuntime().removeShutdownHook(drain);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is already running: it waits for this very summary
                    }
                }
            } catch (CompletionException e) {
                progress.clear();
                Throwable c = e.getCause();
                if (c instanceof DyveException de) {
                    throw de;
                }
                throw new DyveException(source + ": stream failed (" + c + ")", c);
            } finally {
                system.terminate();
                system.getWhenTerminated().toCompletableFuture().join();
            }
        }
    }

    /** The exit code for a finished stream: 0, or {@link #EXIT_INPUT_DAMAGED} when its input was damaged. */
    static int exitCode(StreamSummary summary) {
        return summary.damage() != null ? EXIT_INPUT_DAMAGED : 0;
    }

    static Map<String, Object> line(FrameResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", r.seq());
        m.put("time", java.time.Instant.ofEpochMilli(r.wallMs()).toString());
        m.put("source", r.source());
        if (r.name() != null) {
            m.put("file", r.name());
        }
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
