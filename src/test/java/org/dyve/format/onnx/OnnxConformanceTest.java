package org.dyve.format.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.dyve.DyveException;
import org.dyve.ModelFormatException;
import org.dyve.engine.Engine;
import org.dyve.model.Network;
import org.junit.jupiter.api.Test;

/**
 * The ONNX project's own backend tests (Debian's libonnx-testdata): every test model the importer accepts
 * must reproduce the expected outputs within the ONNX backend tolerances (rtol 1e-3, atol 1e-7, widened to
 * 1e-5 absolute for sums of products); every model it rejects is reported as skipped with the importer's
 * one-line reason. The report is written to {@code target/onnx-conformance.md}.
 */
class OnnxConformanceTest {
    static final Path DATA = Path.of("/usr/share/libonnx-testdata/data");
    static final double RTOL = 1e-3;
    static final double ATOL = 1e-5;

    record Outcome(String suite, String test, String result, String detail) {
    }

    @Test
    void backendTestsPassForEverySupportedModel() throws IOException {
        assumeTrue(Files.isDirectory(DATA), "libonnx-testdata not installed");
        List<Outcome> outcomes = new ArrayList<>();
        for (String suite : new String[] {"node", "simple", "pytorch-converted", "pytorch-operator"}) {
            Path dir = DATA.resolve(suite);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> s = Files.list(dir)) {
                for (Path t : s.sorted().toList()) {
                    if (Files.isRegularFile(t.resolve("model.onnx"))) {
                        outcomes.add(run(suite, t));
                    }
                }
            }
        }
        StringBuilder report = new StringBuilder("# ONNX backend conformance\n\n");
        Map<String, Integer> totals = new TreeMap<>();
        for (Outcome o : outcomes) {
            totals.merge(o.suite() + " " + o.result(), 1, Integer::sum);
        }
        report.append("| suite / result | tests |\n|---|---|\n");
        totals.forEach((k, v) -> report.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        report.append("\n| suite | test | result | detail |\n|---|---|---|---|\n");
        List<String> failures = new ArrayList<>();
        int passed = 0;
        for (Outcome o : outcomes) {
            report.append("| ").append(o.suite()).append(" | ").append(o.test()).append(" | ").append(o.result())
                    .append(" | ").append(o.detail().replace("|", "\\|")).append(" |\n");
            if (o.result().equals("fail")) {
                failures.add(o.suite() + "/" + o.test() + ": " + o.detail());
            } else if (o.result().equals("pass")) {
                passed++;
            }
        }
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/onnx-conformance.md"), report);
        System.out.println("ONNX conformance: " + passed + " passed, " + failures.size() + " failed, "
                + (outcomes.size() - passed - failures.size()) + " skipped (report: target/onnx-conformance.md)");
        assertEquals(List.of(), failures);
        assertTrue(passed >= 60, "only " + passed + " backend tests ran through the importer");
    }

    @Test
    void unsupportedOperatorsNameTheNodeAndOpType() {
        Path model = DATA.resolve("node/test_resize_downsample_scales_linear/model.onnx");
        assumeTrue(Files.isRegularFile(model), "libonnx-testdata not installed");
        OnnxGraph g = OnnxGraph.read(model);
        foldConstantInputs(g, model.resolveSibling("test_data_set_0"));
        ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(ModelFormatException.class,
                () -> OnnxImporter.load(model, g));
        assertEquals(model + ": node Y (Resize): unsupported operator Resize", e.getMessage());
    }

    /** Turns every runtime input but the first into a constant with the data set's values; returns the inputs. */
    private static List<String> foldConstantInputs(OnnxGraph g, Path set) {
        List<String> runtimeInputs = new ArrayList<>();
        for (OnnxGraph.ValueInfo vi : g.inputs) {
            if (!g.initializers.containsKey(vi.name())) {
                runtimeInputs.add(vi.name());
            }
        }
        for (int i = 1; i < runtimeInputs.size(); i++) {
            g.initializers.put(runtimeInputs.get(i), OnnxGraph.readTensorFile(set.resolve("input_" + i + ".pb")));
        }
        return runtimeInputs;
    }

    private static Outcome run(String suite, Path dir) {
        String name = dir.getFileName().toString();
        Path model = dir.resolve("model.onnx");
        Network net;
        List<Path> sets;
        OnnxGraph g;
        try (Stream<Path> s = Files.list(dir)) {
            sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
        } catch (IOException e) {
            return new Outcome(suite, name, "skip", "cannot list: " + e.getMessage());
        }
        if (sets.isEmpty()) {
            return new Outcome(suite, name, "skip", "no test data set");
        }
        List<String> runtimeInputs;
        try {
            g = OnnxGraph.read(model);
            // The engine takes weights as constants: feed the test's values of every input but the first.
            runtimeInputs = foldConstantInputs(g, sets.get(0));
            if (runtimeInputs.isEmpty()) {
                return new Outcome(suite, name, "skip", "no runtime input");
            }
            net = OnnxImporter.load(model, g);
        } catch (DyveException e) {
            return new Outcome(suite, name, "skip", e.getMessage().replace(model.toString() + ": ", ""));
        }
        try {
            for (Path set : sets) {
                OnnxGraph.Const x = OnnxGraph.readTensorFile(set.resolve("input_0.pb"));
                if (x.floats() == null || x.dims().length == 0) {
                    return new Outcome(suite, name, "skip", "input is not a float tensor with a batch axis");
                }
                for (int i = 1; i < runtimeInputs.size() && sets.size() > 1; i++) {
                    return new Outcome(suite, name, "skip", "several data sets with varying constant inputs");
                }
                int n = (int) x.dims()[0];
                int per = net.input().shape().size();
                if (x.floats().length != (long) n * per) {
                    return new Outcome(suite, name, "skip", "input size does not match the imported shape");
                }
                Engine e = Engine.builder(net).batch(n).build();
                for (int b = 0; b < n; b++) {
                    float[] sample = new float[per];
                    System.arraycopy(x.floats(), b * per, sample, 0, per);
                    e.setInput(net.input().name(), b, sample);
                }
                e.run(n);
                for (int o = 0; o < net.outputs().size(); o++) {
                    OnnxGraph.Const want = OnnxGraph.readTensorFile(set.resolve("output_" + o + ".pb"));
                    String t = net.outputs().get(o);
                    int size = net.shape(t).size();
                    if (want.floats() == null || want.floats().length != (long) n * size) {
                        return new Outcome(suite, name, "fail", "output " + o + " has " + n * size
                                + " values, expected " + (want.floats() == null ? "a float tensor"
                                : want.floats().length));
                    }
                    for (int b = 0; b < n; b++) {
                        float[] got = e.output(t, b);
                        for (int k = 0; k < size; k++) {
                            float w = want.floats()[b * size + k];
                            if (Math.abs(got[k] - w) > ATOL + RTOL * Math.abs(w)
                                    && !(Float.isNaN(w) && Float.isNaN(got[k])) && got[k] != w) {
                                return new Outcome(suite, name, "fail", set.getFileName() + " output " + o + "["
                                        + (b * size + k) + "] = " + got[k] + ", expected " + w);
                            }
                        }
                    }
                }
            }
        } catch (RuntimeException ex) {
            return new Outcome(suite, name, "fail", "error while running: " + ex);
        }
        return new Outcome(suite, name, "pass", "");
    }
}
