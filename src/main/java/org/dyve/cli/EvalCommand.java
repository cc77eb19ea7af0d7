package org.dyve.cli;

import org.dyve.report.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dyve.DataException;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.effort.EffortProfiles;
import org.dyve.effort.WorkSummary;
import org.dyve.eval.Evaluator;
import org.dyve.model.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve eval}: accuracy on a labelled data set. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a model on a labelled data set: top-1, top-5, MACs and time per image.")
final class EvalCommand implements Runnable {
    /** Where Debian's dataset-fashion-mnist package puts the files. */
    static final String FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

    @Mixin
    ModelOptions model;

    @Option(names = {"-d", "--data"}, paramLabel = "SPEC",
            description = "cifar10:FILE.bin, images:DIR (with labels.txt) or idx:DIR[#train]. Default for the"
                    + " embedded model: idx:" + FASHION_MNIST + ".")
    String data;

    @Option(names = "--limit", paramLabel = "N", description = "Evaluate only the first N samples.")
    int limit;

    @Option(names = "--batch", paramLabel = "N", description = "Samples per engine run (default: by input size).")
    int batch;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the summary as JSON.")
    Path json;

    @Option(names = "--predictions", paramLabel = "FILE",
            description = "Write per-sample predictions as TSV: id, label, top1, top5, maxprob.")
    Path predictions;

    @Option(names = {"-q", "--quiet"}, description = "No progress line.")
    boolean quiet;

    @Option(names = "--effort", paramLabel = "PROFILE", defaultValue = "exact",
            description = "Effort profile of the model (exact, fast-0.5, loss-0.5, ...; see dyve calibrate; sparse on a"
                    + " pruned model: exact, from the nonzero weights only; sparse-inputs where 1x1 layers read ReLU"
                    + " outputs: exact, their zero inputs skipped too). With a profile other than exact the dense"
                    + " network runs too, for agreement. Default: ${DEFAULT-VALUE}.")
    String effort;

    @Option(names = "--profiles", paramLabel = "FILE",
            description = "Effort profiles file (default: the model's bundled models/<model>.effort.conf).")
    Path profiles;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        String spec0 = data;
        if (spec0 == null) {
            if (!model.model.equals(ModelCatalog.DEFAULT_MODEL)) {
                throw new DataException("--data is required for model " + model.model
                        + " (cifar10:FILE.bin, images:DIR or idx:DIR)");
            }
            spec0 = "idx:" + FASHION_MNIST;
        }
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        EffortProfile profile = EffortProfiles.load(d.id(), profiles).withBuiltIns(net).get(effort);
        boolean exact = profile.name().equals("exact");
        Preprocessing pre = d.preprocessing(net);
        Dataset ds = Dataset.open(spec0);
        int b = batch > 0 ? batch : defaultBatch(net);
        int n = limit > 0 ? Math.min(limit, ds.size()) : ds.size();
        int[] denseTop1 = null;
        if (!exact) {
            int[] top = new int[n];
            int[] at = {0};
            Progress dp = new Progress(quiet);
            new Evaluator(net, pre, b).run(ds, limit, new Evaluator.Listener() {
                @Override
                public void progress(int done, int total) {
                    dp.update("dense", done, total);
                }

                @Override
                public void prediction(Evaluator.Prediction p) {
                    top[at[0]++] = p.top5()[0];
                }
            });
            denseTop1 = top;
        }
        int[] dyveTop1 = new int[n];
        int[] idx = {0};
        Evaluator ev = new Evaluator(net, pre, b, profile.layers(), profile.exits(), profile.precision());
        Progress progress = new Progress(quiet);
        Evaluator.Result r;
        try (Writer pw = predictions == null ? null : Files.newBufferedWriter(predictions)) {
            if (pw != null) {
                pw.write("id\tlabel\ttop1\ttop5\tmaxprob\n");
            }
            r = ev.run(ds, limit, new Evaluator.Listener() {
                @Override
                public void progress(int done, int total) {
                    progress.update("eval", done, total);
                }

                @Override
                public void prediction(Evaluator.Prediction p) {
                    dyveTop1[idx[0]++] = p.top5()[0];
                    if (pw == null) {
                        return;
                    }
                    StringBuilder t5 = new StringBuilder();
                    for (int k : p.top5()) {
                        t5.append(t5.length() == 0 ? "" : ",").append(k);
                    }
                    try {
                        pw.write(p.id() + "\t" + p.label() + "\t" + p.top5()[0] + "\t" + t5 + "\t"
                                + String.format("%.6f", p.maxProb()) + "\n");
                    } catch (IOException e) {
                        throw new DataException(predictions + ": cannot write (" + e.getMessage() + ")");
                    }
                }
            });
        } catch (IOException e) {
            throw new DataException(predictions + ": cannot write (" + e.getMessage() + ")");
        }
        WorkSummary work = WorkSummary.of(ev.work());
        double agreement = 100;
        if (denseTop1 != null) {
            int a = 0;
            for (int i = 0; i < dyveTop1.length; i++) {
                a += dyveTop1[i] == denseTop1[i] ? 1 : 0;
            }
            agreement = 100.0 * a / Math.max(1, dyveTop1.length);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("model %s on %s: %d images, top-1 %.2f%%, top-5 %.2f%%, %,d MACs/image, %.3f ms/image"
                + " (engine, batch %d), %.3f ms/image wall%n", d.id(), ds.describe(), r.count(), r.top1(), r.top5(),
                Math.round(work.macs()), r.msPerImage(), r.batch(), r.wallMsPerImage());
        if (denseTop1 != null) {
            out.printf("effort %s: %.3fx fewer MACs (%,d of %,d dense; skipped: SFMA %,d, SDSS %,d, SPET %,d,"
                    + " zero weights %,d, zero inputs %,d, early exit %,d), top-1 agreement with dense %.2f%%%n",
                    profile.name(), work.reduction(), Math.round(work.macs()), Math.round(work.denseMacs()),
                    Math.round(work.sfma()), Math.round(work.sdss()), Math.round(work.spet()), Math.round(work.zero()),
                    Math.round(work.zeroInputs()), Math.round(work.exit()), agreement);
            if (!ev.exitCounts().isEmpty()) {
                out.printf("early exits: %s of %d images%n", ev.exitCounts(), r.count());
            }
        }
        out.flush();
        if (json != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", d.id());
            m.put("data", ds.describe());
            m.put("count", r.count());
            m.put("labelled", r.labelled());
            m.put("top1", r.top1());
            m.put("top5", r.top5());
            m.put("ms_per_image", r.msPerImage());
            m.put("wall_ms_per_image", r.wallMsPerImage());
            m.put("batch", r.batch());
            m.put("effort", profile.name());
            m.put("precision", profile.precision().id());
            m.put("agreement", agreement);
            m.putAll(work.toJson());
            m.put("exits", ev.exitCounts());
            Json.writeFile(json, m);
        }
    }

    static int defaultBatch(Network net) {
        int size = net.input().shape().size();
        return size <= 4096 ? 64 : 4;
    }
}
