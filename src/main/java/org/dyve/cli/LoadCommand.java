package org.dyve.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dyve.DyveException;
import org.dyve.load.LoadPlot;
import org.dyve.load.LoadTest;
import org.dyve.load.Payloads;
import org.dyve.report.Json;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve load}: load-test a running {@code dyve serve}. */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load-test a running dyve serve: step through loads (closed loop, open loop, camera-like"
                + " streams), latency from each request's intended send time, every request accounted for, the"
                + " server's own queue and compute time from its /metrics. Stops by itself.")
final class LoadCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
            description = "Server to load; repeat to spread the requests over several (default: ${DEFAULT-VALUE}).")
    List<URI> urls;

    @Option(names = {"-m", "--model"}, paramLabel = "M", defaultValue = "fashion_cnn",
            description = "Model the requests ask for (default: ${DEFAULT-VALUE}).")
    String model;

    @picocli.CommandLine.Mixin
    Tokens tokens;

    @Option(names = "--effort", paramLabel = "RUNG", description = "Effort every request asks for (default: none, so"
            + " the server's load-adaptive rung applies).")
    String effort;

    @Option(names = "--input", paramLabel = "SPEC", defaultValue = "synthetic:28x28",
            description = "What is sent: images:DIR (the files as they are) or synthetic:WxH (default: ${DEFAULT-VALUE}).")
    String input;

    static final class Mode {
        @Option(names = "--concurrency", paramLabel = "STEPS", description = "Closed loop: requests outstanding,"
                + " e.g. 1:32:x2.")
        String concurrency;

        @Option(names = "--rate", paramLabel = "STEPS", description = "Open loop: requests per second, e.g."
                + " 20:400:+20.")
        String rate;

        @Option(names = "--streams", paramLabel = "STEPS", description = "Camera-like streams at --fps, e.g. 1:16.")
        String streams;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    @Option(names = "--fps", paramLabel = "N", defaultValue = "10", description = "Frames per second of each stream"
            + " (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--distribution", paramLabel = "D", defaultValue = "constant",
            description = "Open-loop arrivals: constant or poisson (default: ${DEFAULT-VALUE}).")
    String distribution;

    @Option(names = "--duration", paramLabel = "S", defaultValue = "5", description = "Measured seconds per step"
            + " (default: ${DEFAULT-VALUE}).")
    double duration;

    @Option(names = "--warm-up", paramLabel = "S", defaultValue = "1", description = "Unmeasured seconds before each"
            + " step (default: ${DEFAULT-VALUE}).")
    double warmUp;

    @Option(names = "--requests", paramLabel = "N", description = "At most N requests per step.")
    long requests;

    @Option(names = "--latency-threshold", paramLabel = "MS", description = "Stop stepping up once the --percentile"
            + " latency exceeds MS (or anything is refused, expires or fails); report the largest load that held.")
    double latencyThreshold;

    @Option(names = "--percentile", paramLabel = "P", defaultValue = "99", description = "Percentile for"
            + " --latency-threshold (default: ${DEFAULT-VALUE}).")
    double percentile;

    @Option(names = "--in-process", description = "Load the runtime in this process instead of a server (the same"
            + " queue, batcher and engines, no HTTP): run beside an HTTP run of the same steps, it shows the server's"
            + " own cost. --url is not used.")
    boolean inProcess;

    @Option(names = "--model-home", paramLabel = "DIR", description = "With --in-process: folder with model files"
            + " (default: DYVE_MODEL_HOME, else dyve.model-home).")
    Path modelHome;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Plot latency percentiles against throughput.")
    Path plot;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write one row per step.")
    Path csv;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the steps as a JSON array.")
    Path json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!distribution.equals("constant") && !distribution.equals("poisson")) {
            throw new DyveException("--distribution " + distribution + ": expected constant or poisson");
        }
        if (fps <= 0 || duration <= 0 || warmUp < 0 || percentile <= 0 || percentile > 100) {
            throw new DyveException("--fps and --duration must be positive, --percentile in (0, 100]");
        }
        LoadTest.Mode m = mode.concurrency != null ? LoadTest.Mode.CONCURRENCY
                : mode.rate != null ? LoadTest.Mode.RATE : LoadTest.Mode.STREAMS;
        String steps = mode.concurrency != null ? mode.concurrency : mode.rate != null ? mode.rate : mode.streams;
        LoadTest.Spec s = new LoadTest.Spec(urls, model, tokens.read(""), effort, m, LoadTest.steps(steps), fps,
                Duration.ofMillis((long) (duration * 1000)), Duration.ofMillis((long) (warmUp * 1000)), requests,
                latencyThreshold, percentile, distribution.equals("poisson"));
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%-8s %9s %9s %8s %8s %8s %8s %8s %6s %6s %6s %6s %6s %8s %8s %6s%n", "load", "sched", "ok/s",
                "p50 ms", "p90", "p99", "max", "late", "429", "504", "fail", "unsent", "out", "srv q", "srv comp",
                "batch");
        out.flush();
        Payloads payloads = Payloads.of(input);
        org.dyve.runtime.Dyve dyve = null;
        LoadTest test;
        if (inProcess) {
            dyve = org.dyve.runtime.Dyve.open(org.dyve.runtime.DyveSettings.load(modelHome));
            test = LoadTest.inProcess(s, payloads, dyve);
        } else {
            test = new LoadTest(s, payloads);
        }
        List<LoadTest.Step> done;
        try {
            done = run(test, out);
        } finally {
            if (dyve != null) {
                dyve.close();
            }
        }
        report(done, m, out);
        return 0;
    }

    private static List<LoadTest.Step> run(LoadTest test, PrintWriter out) {
        return test.run(x -> {
            out.printf("%-8s %9d %9.1f %8.1f %8.1f %8.1f %8.1f %8d %6d %6d %6d %6d %6d %8.2f %8.2f %6.2f%s%n",
                    trim(x.load()), x.scheduled(), x.throughput(), x.p50(), x.p90(), x.p99(), x.max(), x.late(),
                    x.rejected(), x.expired(), x.failed(), x.notSent(), x.outstanding(), x.serverQueueMs(),
                    x.serverComputeMs(), x.meanBatch(), x.rungs().isEmpty() ? "" : "  " + x.rungs());
            out.flush();
        });
    }

    private void report(List<LoadTest.Step> done, LoadTest.Mode m, PrintWriter out) throws IOException {
        if (latencyThreshold > 0) {
            LoadTest.Step best = null;
            for (LoadTest.Step x : done) {
                if (x.held()) {
                    best = x;
                }
            }
            out.println(best == null ? String.format("no step held p%s <= %s ms", trim(percentile),
                    trim(latencyThreshold)) : String.format("largest load that held p%s <= %s ms: %s (%s)",
                    trim(percentile), trim(latencyThreshold), trim(best.load()), m.name().toLowerCase(
                            java.util.Locale.ROOT)));
        }
        if (plot != null && !done.isEmpty()) {
            LoadPlot.write(done, model + ", " + m.name().toLowerCase(java.util.Locale.ROOT) + " steps", plot);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        done.forEach(x -> rows.add(x.toMap()));
        if (json != null) {
            Files.writeString(json, Json.line(rows) + "\n");
        }
        if (csv != null) {
            StringBuilder b = new StringBuilder(String.join(",", rows.get(0).keySet())).append('\n');
            for (Map<String, Object> r : rows) {
                List<String> cells = new ArrayList<>();
                r.values().forEach(v -> cells.add(String.valueOf(v).replace(',', ';')));
                b.append(String.join(",", cells)).append('\n');
            }
            Files.writeString(csv, b);
        }
        out.flush();
    }

    private static String trim(double x) {
        return x == Math.rint(x) ? String.valueOf((long) x) : String.valueOf(x);
    }
}
