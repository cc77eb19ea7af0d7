package org.dyve.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.bench.Stats;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.effort.EffortProfiles;
import org.dyve.effort.WorkSummary;
import org.dyve.engine.Engine;
import org.dyve.eval.TopK;
import org.dyve.model.Network;
import org.dyve.report.Json;
import org.dyve.report.Plot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve bench}: dense vs dynamic effort side by side, the paper's table row. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the dense engine and an effort profile side by side in one process (batch 1): MACs,"
                + " ms/image (median of alternating repetitions after a warm-up), top-1 and agreement.")
final class BenchCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "SPEC", description = "Test data.")
    String data;

    @Option(names = "--effort", required = true, paramLabel = "PROFILE",
            description = "An effort profile of the model, or all (every profile but exact, one row each).")
    String effort;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Also draw top-1 against MACs per image.")
    Path plot;

    @Option(names = "--profiles", paramLabel = "FILE", description = "Effort profiles file (default: bundled).")
    Path profiles;

    @Option(names = "--limit", paramLabel = "N", description = "Samples for accuracy (default: all).")
    int limit;

    @Option(names = "--timing-images", defaultValue = "128", paramLabel = "N",
            description = "Images per timing repetition (default: ${DEFAULT-VALUE}).")
    int timingImages;

    @Option(names = "--reps", defaultValue = "7", paramLabel = "N",
            description = "Timing repetitions, dense and DyVE alternating (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the row as JSON.")
    Path json;

    @Option(names = {"-q", "--quiet"}, description = "No progress line.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        EffortProfiles ladder = EffortProfiles.load(d.id(), profiles).withBuiltIns(net);
        List<EffortProfile> rungs = effort.equals("all") ? ladder.all().stream()
                .filter(p -> !p.name().equals(EffortProfile.EXACT.name())).toList() : List.of(ladder.get(effort));
        Preprocessing pre = d.preprocessing(net);
        Dataset ds = Dataset.open(data);
        int n = limit > 0 ? Math.min(limit, ds.size()) : ds.size();
        String in = net.input().name();
        float[] scores = new float[net.shape(net.output()).size()];
        Progress progress = new Progress(quiet);
        float[][] images = new float[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            var s = ds.get(i);
            images[i] = pre.apply(s.image());
            labels[i] = s.label();
        }
        Engine dense = Engine.builder(net).build();
        int[] denseTop = new int[n];
        int correctDense = 0;
        int labelled = 0;
        for (int i = 0; i < n; i++) {
            denseTop[i] = top1(dense, in, images[i], scores);
            if (labels[i] >= 0) {
                labelled++;
                correctDense += denseTop[i] == labels[i] ? 1 : 0;
            }
            progress.update("dense", i + 1, n);
        }
        double top1Dense = 100.0 * correctDense / Math.max(1, labelled);
        float[][] timing = java.util.Arrays.copyOf(images, Math.min(timingImages, n));
        warmUp(dense, dense, in, timing); // so the first rung's dense time is not the cold one
        PrintWriter out = spec.commandLine().getOut();
        out.printf("| model | effort | dense MACs | DyVE MACs | reduction | dense ms/img | DyVE ms/img | speed-up"
                + " | top-1 dense | top-1 DyVE | agreement |%n|---|---|---|---|---|---|---|---|---|---|---|%n");
        out.flush();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<Plot.Point> points = new ArrayList<>();
        for (EffortProfile profile : rungs) {
            Engine dyve = profile.engine(net, 1);
            int correctDyve = 0;
            int agree = 0;
            for (int i = 0; i < n; i++) {
                int b = top1(dyve, in, images[i], scores);
                agree += denseTop[i] == b ? 1 : 0;
                correctDyve += labels[i] >= 0 && b == labels[i] ? 1 : 0;
                progress.update(profile.name(), i + 1, n);
            }
            WorkSummary work = WorkSummary.of(dyve.work());
            // timing: warm-up, then alternating repetitions over the same images; medians
            double[] td = new double[reps];
            double[] tv = new double[reps];
            warmUp(dense, dyve, in, timing);
            for (int r = 0; r < reps; r++) {
                td[r] = time(dense, in, timing);
                tv[r] = time(dyve, in, timing);
                progress.update("timing " + profile.name(), r + 1, reps);
            }
            double denseMs = Stats.median(td);
            double dyveMs = Stats.median(tv);
            double top1Dyve = 100.0 * correctDyve / Math.max(1, labelled);
            double agreement = 100.0 * agree / Math.max(1, n);
            out.printf("| %s | %s | %.1f M | %.1f M | %.2fx | %.3f | %.3f | %.2fx | %.2f%% | %.2f%% | %.2f%% |%n",
                    d.id(), profile.name(), work.denseMacs() / 1e6, work.macs() / 1e6, work.reduction(), denseMs,
                    dyveMs, denseMs / dyveMs, top1Dense, top1Dyve, agreement);
            out.printf("    skipped MACs/image: SFMA %.2f M, SDSS %.2f M, SPET %.2f M, zero weights %.2f M, zero inputs"
                    + " %.2f M, early exit %.2f M; knob overhead %.2f M ops/image%n", work.sfma() / 1e6,
                    work.sdss() / 1e6, work.spet() / 1e6, work.zero() / 1e6, work.zeroInputs() / 1e6, work.exit() / 1e6,
                    work.overheadOps() / 1e6);
            out.flush();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", d.id());
            m.put("data", ds.describe());
            m.put("count", n);
            m.put("effort", profile.name());
            m.put("precision", profile.precision().id());
            m.put("dense_ms", denseMs);
            m.put("dyve_ms", dyveMs);
            m.put("speedup", denseMs / dyveMs);
            m.put("top1_dense", top1Dense);
            m.put("top1_dyve", top1Dyve);
            m.put("agreement", agreement);
            m.putAll(work.toJson());
            m.put("exits", dyve.exitCounts());
            rows.add(m);
            points.add(new Plot.Point(profile.name(), work.macs() / 1e6, top1Dyve));
        }
        out.printf("%d images (%s); timing: %d images x %d repetitions, batch 1, medians%n", n, ds.describe(),
                timing.length, reps);
        out.flush();
        if (json != null) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("model", d.id());
            all.put("rows", rows);
            Json.writeFile(json, rows.size() == 1 ? rows.get(0) : all);
        }
        if (plot != null) {
            Plot.top1VsMacs(plot, d.id() + ": top-1 vs MACs per image along the effort ladder, " + n + " test images",
                    new Plot.Point("dense", net.totalMacs() / 1e6, top1Dense), points);
            out.println("plot written to " + plot);
        }
    }

    private static int top1(Engine e, String in, float[] x, float[] scores) {
        e.infer(List.of(x));
        e.getOutput(e.network().output(), 0, scores);
        return TopK.of(scores, 1)[0];
    }

    /**
     * Alternates both engines over {@code images} until each one's last three passes are within 10% of its
     * fastest (at most {@link #WARM_UP_NANOS}). While the JIT compiles in the background (for seconds after start
     * and after a new engine first runs) a two-core machine runs the native two-thread kernels at half speed,
     * the dense engine's as well; timing then would compare noise.
     */
    private static void warmUp(Engine a, Engine b, String in, float[][] images) {
        long t0 = System.nanoTime();
        double minA = Double.MAX_VALUE;
        double minB = Double.MAX_VALUE;
        int steady = 0;
        while (steady < 3 && System.nanoTime() - t0 < WARM_UP_NANOS) {
            double ta = time(a, in, images);
            double tb = time(b, in, images);
            minA = Math.min(minA, ta);
            minB = Math.min(minB, tb);
            steady = ta <= 1.1 * minA && tb <= 1.1 * minB ? steady + 1 : 0;
        }
    }

    private static final long WARM_UP_NANOS = 30_000_000_000L;

    /** Milliseconds per image over {@code images}, batch 1. */
    private static double time(Engine e, String in, float[][] images) {
        long t0 = System.nanoTime();
        for (float[] x : images) {
            e.infer(List.of(x));
        }
        return (System.nanoTime() - t0) / 1e6 / images.length;
    }
}
