package org.dyve.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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

    @Option(names = "--effort", required = true, paramLabel = "PROFILE", description = "Effort profile.")
    String effort;

    @Option(names = "--profiles", paramLabel = "FILE", description = "Effort profiles file (default: bundled).")
    Path profiles;

    @Option(names = "--limit", paramLabel = "N", description = "Samples for accuracy (default: all).")
    int limit;

    @Option(names = "--timing-images", defaultValue = "32", paramLabel = "N",
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
        Preprocessing pre = d.preprocessing(net);
        Dataset ds = Dataset.open(data);
        EffortProfile profile = EffortProfiles.load(d.id(), profiles).get(effort);
        Engine dense = Engine.of(net, 1);
        Engine dyve = Engine.of(net, 1, profile.layers());
        int n = limit > 0 ? Math.min(limit, ds.size()) : ds.size();
        String in = net.input().name();
        float[] scores = new float[net.shape(net.output()).size()];
        int correctDense = 0;
        int correctDyve = 0;
        int agree = 0;
        int labelled = 0;
        Progress progress = new Progress(quiet);
        int nt = Math.min(timingImages, n);
        float[][] timing = new float[nt][];
        for (int i = 0; i < n; i++) {
            var s = ds.get(i);
            float[] x = pre.apply(s.image());
            if (i < nt) {
                timing[i] = x;
            }
            int a = top1(dense, in, x, scores);
            int b = top1(dyve, in, x, scores);
            agree += a == b ? 1 : 0;
            if (s.label() >= 0) {
                labelled++;
                correctDense += a == s.label() ? 1 : 0;
                correctDyve += b == s.label() ? 1 : 0;
            }
            progress.update("accuracy", i + 1, n);
        }
        WorkSummary work = WorkSummary.of(dyve.work());
        // timing: warm-up, then alternating repetitions over the same images; medians
        double[] td = new double[reps];
        double[] tv = new double[reps];
        time(dense, in, timing);
        time(dyve, in, timing);
        for (int r = 0; r < reps; r++) {
            td[r] = time(dense, in, timing);
            tv[r] = time(dyve, in, timing);
            progress.update("timing", r + 1, reps);
        }
        double denseMs = Stats.median(td);
        double dyveMs = Stats.median(tv);
        double top1Dense = 100.0 * correctDense / Math.max(1, labelled);
        double top1Dyve = 100.0 * correctDyve / Math.max(1, labelled);
        double agreement = 100.0 * agree / Math.max(1, n);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("| model | effort | dense MACs | DyVE MACs | reduction | dense ms/img | DyVE ms/img | speed-up"
                + " | top-1 dense | top-1 DyVE | agreement |%n|---|---|---|---|---|---|---|---|---|---|---|%n");
        out.printf("| %s | %s | %.1f M | %.1f M | %.2fx | %.2f | %.2f | %.2fx | %.2f%% | %.2f%% | %.2f%% |%n", d.id(),
                profile.name(), work.denseMacs() / 1e6, work.macs() / 1e6, work.reduction(), denseMs, dyveMs,
                denseMs / dyveMs, top1Dense, top1Dyve, agreement);
        out.printf("%d images (%s); timing: %d images x %d repetitions, batch 1, medians; skipped MACs/image: SFMA"
                + " %.2f M, SDSS %.2f M, SPET %.2f M; knob overhead %.2f M ops/image%n", n, ds.describe(), nt, reps,
                work.sfma() / 1e6, work.sdss() / 1e6, work.spet() / 1e6, work.overheadOps() / 1e6);
        out.flush();
        if (json != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", d.id());
            m.put("data", ds.describe());
            m.put("count", n);
            m.put("effort", profile.name());
            m.put("dense_ms", denseMs);
            m.put("dyve_ms", dyveMs);
            m.put("speedup", denseMs / dyveMs);
            m.put("top1_dense", top1Dense);
            m.put("top1_dyve", top1Dyve);
            m.put("agreement", agreement);
            m.putAll(work.toJson());
            Json.writeFile(json, m);
        }
    }

    private static int top1(Engine e, String in, float[] x, float[] scores) {
        e.setInput(in, 0, x);
        e.run(1);
        e.getOutput(e.network().output(), 0, scores);
        return TopK.of(scores, 1)[0];
    }

    /** Milliseconds per image over {@code images}, batch 1. */
    private static double time(Engine e, String in, float[][] images) {
        long t0 = System.nanoTime();
        for (float[] x : images) {
            e.setInput(in, 0, x);
            e.run(1);
        }
        return (System.nanoTime() - t0) / 1e6 / images.length;
    }
}
