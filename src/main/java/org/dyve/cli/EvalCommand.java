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
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
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
        Dataset ds = Dataset.open(spec0);
        int b = batch > 0 ? batch : defaultBatch(net);
        Evaluator ev = new Evaluator(net, d.preprocessing(net), b);
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
        PrintWriter out = spec.commandLine().getOut();
        out.printf("model %s on %s: %d images, top-1 %.2f%%, top-5 %.2f%%, %,d MACs/image, %.3f ms/image"
                + " (engine, batch %d), %.3f ms/image wall%n", d.id(), ds.describe(), r.count(), r.top1(), r.top5(),
                r.macsPerImage(), r.msPerImage(), r.batch(), r.wallMsPerImage());
        out.flush();
        if (json != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", d.id());
            m.put("data", ds.describe());
            m.put("count", r.count());
            m.put("labelled", r.labelled());
            m.put("top1", r.top1());
            m.put("top5", r.top5());
            m.put("macs_per_image", r.macsPerImage());
            m.put("ms_per_image", r.msPerImage());
            m.put("wall_ms_per_image", r.wallMsPerImage());
            m.put("batch", r.batch());
            m.put("effort", "exact");
            try {
                Files.writeString(json, Json.write(m) + "\n");
            } catch (IOException e) {
                throw new DataException(json + ": cannot write (" + e.getMessage() + ")");
            }
        }
    }

    static int defaultBatch(Network net) {
        int size = net.input().shape().size();
        return size <= 4096 ? 64 : 4;
    }
}
