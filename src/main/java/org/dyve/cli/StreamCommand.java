package org.dyve.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.dyve.DyveException;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.metrics.CountersSnapshot;
import org.dyve.metrics.Outcome;
import org.dyve.report.Json;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.StreamDescription;
import org.dyve.runtime.StreamHandle;
import org.dyve.stream.FrameResult;
import org.dyve.stream.JsonLinesSink;
import org.dyve.stream.StreamSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve stream}: classify a video, camera, folder, data set or synthetic stream through the pipeline. */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = "Classify streams of frames through the Pekko Streams pipeline (layer-stage actors, an effort"
                + " controller per stream), several side by side in one process, and write one JSON line per frame"
                + " (tagged with its stream), then a summary line per stream (and their total).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the input ended cleanly (or the limit, a signal or a closed output stopped it)",
            "1:error", "2:usage error", "3:the input was damaged (truncated file, undecodable frames or images)"})
final class StreamCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = {"-s", "--source"}, required = true, paramLabel = "SPEC",
            description = "Repeat for several streams in one process. video:FILE[?loop=N&realtime=1],"
                    + " camera:DEVICE[?size=WxH&fps=N], lavfi:GRAPH (an FFmpeg test"
                    + " source, e.g. lavfi:testsrc=size=640x480:rate=10), rtsp://..., http(s)://...[?live=1],"
                    + " images:DIR, cifar10:FILE, idx:DIR, synthetic:WxH@FPS[:COUNT]")
    List<String> sources;

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
        PrintWriter err = spec.commandLine().getErr();
        try (Dyve dyve = Dyve.open(model.settings())) {
            dyve.register(d, profiles);
            List<StreamDescription> streams = new ArrayList<>();
            for (String s : sources) {
                StreamDescription desc = StreamDescription.of(d.id(), s).withEffort(effort).withLimit(limit)
                        .withTargets(targetFps, latencyMs);
                streams.add(reuse == null ? desc : desc.withReuse(reuse));
            }
            List<StreamSummary> done = stream(dyve, streams, sink, quiet, err);
            return done.stream().mapToInt(StreamCommand::exitCode).max().orElse(0);
        }
    }

    /** Exit code of a stream whose input was damaged (a truncated file, undecodable frames or images). */
    static final int EXIT_INPUT_DAMAGED = 3;

    /**
     * Runs {@code streams} side by side in {@code dyve} to one sink (each result a JSON line tagged with its stream),
     * then writes each stream's summary line and, for several, their total; shared with {@code dyve demo}.
     */
    static List<StreamSummary> stream(Dyve dyve, List<StreamDescription> streams, String sink, boolean quiet,
            PrintWriter err) {
        Progress progress = new Progress(quiet);
        long limit = streams.stream().mapToLong(StreamDescription::limit).anyMatch(l -> l == 0) ? 0
                : streams.stream().mapToLong(StreamDescription::limit).sum();
        // the sink is checked before anything is compiled, the sources as each stream starts
        try (JsonLinesSink out = JsonLinesSink.open(sink)) {
            AtomicLong n = new AtomicLong();
            AtomicLong dropped = new AtomicLong();
            List<StreamHandle> handles = new ArrayList<>();
            Consumer<FrameResult> write = r -> {
                if (out.closedByReader() || !out.println(Json.line(r.toMap()))) {
                    // the reader of standard output went away (| head): stop the streams as a signal would
                    dyve.streams().stopAll(StreamSummary.OUTPUT_CLOSED);
                }
                long k = n.incrementAndGet();
                long drops = r.status() == Outcome.DROPPED ? dropped.incrementAndGet() : dropped.get();
                progress.update("stream", k, limit, () -> (drops > 0 ? ", dropped " + drops : "")
                        + (r.effort() != null ? ", rung " + r.effort() : ""));
            };
            // Ctrl-C / SIGTERM: stop the sources, let frames in flight finish, and hold the exit until the summaries
            // are written (the JVM halts when its shutdown hooks return)
            CountDownLatch written = new CountDownLatch(1);
            Thread drain = new Thread(() -> {
                dyve.streams().stopAll(StreamSummary.SIGNAL);
                try {
                    written.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "dyve-drain");
            Runtime.getRuntime().addShutdownHook(drain);
            try {
                handles.addAll(dyve.streams().startAll(streams, write));
                List<StreamSummary> summaries = new ArrayList<>();
                for (StreamHandle h : handles) {
                    summaries.add(h.done().toCompletableFuture().join());
                }
                out.flush();
                progress.clear();
                for (StreamSummary s : summaries) {
                    out.println(Json.line(s.toMap()));
                    if (!StreamSummary.ERROR.equals(s.endReason())) {
                        // a failed stream's one line comes last, as the command's error
                        err.println(s.describe());
                    }
                }
                if (summaries.size() > 1) {
                    CountersSnapshot total = CountersSnapshot.total("total",
                            summaries.stream().map(StreamSummary::counters).toList());
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("total", true);
                    line.put("streams", summaries.size());
                    line.putAll(total.toMap());
                    out.println(Json.line(line));
                    err.println(StreamSummary.describe(total, summaries.size() + " streams side by side"));
                }
                out.flush();
                err.flush();
                for (StreamSummary s : summaries) {
                    if (StreamSummary.ERROR.equals(s.endReason())) {
                        throw new DyveException(s.error() != null ? s.error() : s.counters().source() + ": failed");
                    }
                }
                return summaries;
            } catch (RuntimeException e) {
                // a stream that cannot start stops those already running
                dyve.streams().stopAll(StreamSummary.ERROR);
                progress.clear();
                throw e;
            } finally {
                // written, or failed: either way a signal has nothing more to wait for
                written.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(drain);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is already running: it waits for these very summaries
                }
            }
        }
    }

    /** The exit code for a finished stream: 0, or {@link #EXIT_INPUT_DAMAGED} when its input was damaged. */
    static int exitCode(StreamSummary summary) {
        return summary.damage() != null ? EXIT_INPUT_DAMAGED : 0;
    }
}
