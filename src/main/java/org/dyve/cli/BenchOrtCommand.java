package org.dyve.cli;

import org.dyve.report.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.dyve.ModelFormatException;
import org.dyve.bench.OrtComparison;
import org.dyve.data.Dataset;
import org.dyve.data.Image;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.format.onnx.OnnxImporter;
import org.dyve.model.Network;
import org.dyve.model.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve bench-ort}: the dense engine against ONNX Runtime on the same network, one process. */
@Command(name = "bench-ort", mixinStandardHelpOptions = true,
        description = {"Time DyVE's dense engine against ONNX Runtime on the same ONNX file and inputs, in one"
            + " process: warm-up, then alternating blocks of runs; prints medians, their ratio and the largest output"
            + " difference. --caffe runs DyVE on the descriptor's Caffe import instead."})
final class BenchOrtCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = "--onnx", paramLabel = "FILE", description = "ONNX file (default: the descriptor's files.onnx).")
    Path onnx;

    @Option(names = "--caffe", description = "Run DyVE on the descriptor's Caffe import instead of the ONNX file.")
    boolean caffe;

    @Option(names = "--data", paramLabel = "SPEC", description = "Take inputs from this data set (default: random"
            + " images, seeded).")
    String data;

    @Option(names = "--batch", defaultValue = "1", description = "Samples per run (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "20", description = "Warm-up runs each (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--reps", defaultValue = "100", description = "Timed runs each (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--threads", defaultValue = "2",
            description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--profile",
            description = "Also print the dense engine's per-layer median times.")
    boolean profile;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the result as JSON.")
    Path json;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        ModelDescriptor d = model.descriptor();
        Path file = onnx != null ? onnx : d.onnx();
        if (file == null) {
            throw new ModelFormatException(d.id() + ": no ONNX file (pass --onnx FILE or set files.onnx in the"
                    + " descriptor)");
        }
        // By default both runtimes execute the very same ONNX file.
        Network net = caffe || d.format().equals("onnx") ? d.load() : OnnxImporter.load(file);
        Preprocessing pre = d.preprocessing(net);
        float[][] inputs = new float[batch][];
        Dataset ds = data == null ? null : Dataset.open(data);
        Random rnd = new Random(42);
        Shape s = net.input().shape();
        for (int i = 0; i < batch; i++) {
            Image img;
            if (ds != null) {
                img = ds.get(i % ds.size()).image();
            } else {
                float[] px = new float[s.size()];
                for (int k = 0; k < px.length; k++) {
                    px[k] = rnd.nextInt(256);
                }
                img = new Image(s.c(), s.h(), s.w(), px);
            }
            inputs[i] = pre.apply(img);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (OrtComparison cmp = new OrtComparison(net, file, batch, threads)) {
            cmp.setInputs(inputs);
            OrtComparison.Result r = cmp.measure(d.id(), warmup, reps);
            out.printf("| model | batch | DyVE dense ms | ONNX Runtime ms | DyVE / ORT | max abs diff | top-1 agree |%n");
            out.printf("|---|---|---|---|---|---|---|%n");
            out.printf("| %s | %d | %.3f | %.3f | %.2fx | %.2e | %s |%n", r.model(), r.batch(), r.dyveMs(), r.ortMs(),
                    r.ratio(), r.maxAbsDiff(), r.top1Agrees() ? "yes" : "NO");
            out.printf("(medians of %d interleaved runs after %d warm-up runs; ORT %d intra-op threads)%n", reps,
                    warmup, threads);
            if (profile) {
                double[] ms = cmp.layerProfile(Math.max(10, reps / 2));
                out.println();
                double total = 0;
                for (double m : ms) {
                    total += m;
                }
                for (int i = 0; i < ms.length; i++) {
                    out.printf("%3d  %-28s %-13s %8.3f ms %5.1f%%%n", i, net.layers().get(i).name(),
                            net.layers().get(i).type(), ms[i], 100 * ms[i] / total);
                }
            }
            if (json != null) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", r.model());
                m.put("onnx", file.toString());
                m.put("batch", r.batch());
                m.put("reps", r.reps());
                m.put("dyve_ms", r.dyveMs());
                m.put("ort_ms", r.ortMs());
                m.put("ratio", r.ratio());
                m.put("max_abs_diff", r.maxAbsDiff());
                m.put("max_rel_diff", r.maxRelDiff());
                m.put("top1_agrees", r.top1Agrees());
                Json.writeFile(json, m);
            }
        }
        out.flush();
    }
}
