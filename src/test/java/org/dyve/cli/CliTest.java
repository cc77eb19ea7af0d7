package org.dyve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dyve.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code dyve} command end to end: outputs, files written, and one-line errors with exit code 1. */
class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run dyve(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private static void assertOneLineError(Run r, String... fragments) {
        assertEquals(1, r.code(), r.err());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        assertTrue(r.err().startsWith("dyve: "), r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "expected '" + f + "' in: " + r.err());
        }
    }

    @Test
    void infoOfTheEmbeddedModelListsLayersAndMacs() {
        Run r = dyve("info");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("model fashion_cnn: input data 1x28x28"), r.out());
        assertTrue(r.out().contains("conv2  Convolution   32x14x14"), r.out());
        // conv1 627,200 + conv2 5,017,600 + conv3 903,168 + ip1 5,760
        assertTrue(r.out().contains("total") && r.out().contains("6,553,728"), r.out());
        // the embedded model is not pruned: all of conv2's weights are nonzero
        String conv2 = r.out().lines().filter(l -> l.contains(" conv2 ")).findFirst().orElseThrow();
        assertTrue(conv2.matches(".*\\s100%\\s+5,017,600\\s.*"), conv2);
        String total = r.out().lines().filter(l -> l.contains(" total ")).findFirst().orElseThrow();
        assertTrue(total.matches(".*\\s100%\\s+6,553,728\\s.*"), total);
    }

    @Test
    void infoOfThePrunedSqueezeNetShowsItsNonzeroWeights() {
        Run r = dyve("info", "--model", "squeezenet_v1.0_deep_compression", "--model-home",
                Shared.models().toString());
        assertEquals(0, r.code(), r.err());
        // 51.5% of the MACs have a nonzero weight (the sparse profile, which leaves the 98-100% dense layers to the
        // dense kernels, executes 51.8%); conv_final keeps a fifth of its weights
        String total = r.out().lines().filter(l -> l.contains(" total ")).findFirst().orElseThrow();
        assertTrue(total.matches(".*\\s51%\\s+861,339,936\\s.*"), total);
        String last = r.out().lines().filter(l -> l.contains(" conv_final ")).findFirst().orElseThrow();
        assertTrue(last.matches(".*\\s20%\\s+115,200,000\\s.*"), last);
        assertTrue(r.out().contains("pruned: --effort sparse computes it exactly from its nonzero weights (13 layers),"
                + " 1.930x fewer MACs"), r.out());
        assertFalse(dyve("info").out().contains("pruned"), "the embedded model is dense");
        assertTrue(r.out().contains(org.dyve.engine.Precision.BF16.isNative() ? "--effort bf16 runs the oneDNN"
                : "no native bfloat16"), r.out());
    }

    @Test
    void unknownModelAndBadDataSpecAreOneLineErrors() {
        assertOneLineError(dyve("info", "--model", "no_such_model"), "no_such_model: unknown model");
        assertOneLineError(dyve("eval", "--data", "tape:/dev/null"), "tape:/dev/null: unknown data kind 'tape'");
        assertOneLineError(dyve("eval", "--data", "cifar10:" + dir.resolve("missing.bin")),
                dir.resolve("missing.bin") + ": CIFAR-10 batch not found");
    }

    @Test
    void contradictoryCalibrationOptionsAndNoProbeForExitsOnlyAreOneLineErrors() throws Exception {
        assertOneLineError(dyve("calibrate", "--data", "cifar10:" + dir.resolve("missing.bin"), "--no-exits",
                "--exits-only"), "--no-exits and --exits-only: choose one");
        // 20 samples of 10 classes: too few after the calibration ones for any probe
        byte[] batch = new byte[20 * 3073];
        for (int i = 0; i < 20; i++) {
            batch[i * 3073] = (byte) (i % 10);
        }
        Path bin = dir.resolve("tiny.bin");
        Files.write(bin, batch);
        assertOneLineError(dyve("calibrate", "--model", "cifar10_quick", "--model-home", Shared.models().toString(),
                "--data", "cifar10:" + bin, "--limit", "10", "--exits-only", "--out", dir.resolve("x.conf").toString()),
                "cifar10_quick: --exits-only, but no early-exit probe could be fitted");
    }

    @Test
    void unknownEffortProfileIsAOneLineError() {
        Run r = dyve("eval", "--effort", "turbo");
        assertOneLineError(r, "dyve: unknown effort profile 'turbo'", "exact");
        assertOneLineError(dyve("eval", "--profiles", dir.resolve("none.conf").toString()),
                dir.resolve("none.conf") + ": effort profiles not found");
    }

    @Test
    void corruptDataAndImagesAreOneLineErrors() throws Exception {
        Path bin = dir.resolve("bad.bin");
        Files.write(bin, new byte[100]);
        assertOneLineError(dyve("eval", "--data", "cifar10:" + bin), bin + ": not a CIFAR-10 binary batch");
        Path img = dir.resolve("broken.jpg");
        Files.write(img, new byte[] {(byte) 0xFF, (byte) 0xD8, 1, 2, 3});
        assertOneLineError(dyve("classify", img.toString()), img + ": unreadable image");
        Path proto = dir.resolve("x.prototxt");
        Files.writeString(proto, "input: \"data\"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\ninput_dim: 8\n"
                + "layer { name: \"c\" type: \"Convolution\" bottom: \"data\" top: \"c\" }\n");
        assertOneLineError(dyve("info", "--model", proto.toString()), "layer c needs convolution_param num_output");
    }

    @Test
    void evalWritesJsonAndPredictions() throws Exception {
        Path json = dir.resolve("r.json");
        Path pred = dir.resolve("p.tsv");
        Run r = dyve("eval", "--limit", "200", "--json", json.toString(), "--predictions", pred.toString(), "-q");
        assertEquals(0, r.code(), r.err());
        String j = Files.readString(json);
        for (String key : new String[] {"\"model\": \"fashion_cnn\"", "\"count\": 200", "\"top1\":", "\"top5\":",
            "\"macs_per_image\": 6553728", "\"ms_per_image\":"}) {
            assertTrue(j.contains(key), key + " in " + j);
        }
        List<String> lines = Files.readAllLines(pred);
        assertEquals("id\tlabel\ttop1\ttop5\tmaxprob", lines.get(0));
        assertEquals(201, lines.size());
        String[] first = lines.get(1).split("\t");
        assertEquals("0", first[0]);
        assertEquals(5, first[3].split(",").length);
        assertEquals(first[2], first[3].split(",")[0]);
    }

    @Test
    void exportWritesAnOnnxFileThatDyveReadsBack() throws Exception {
        Path onnx = dir.resolve("fashion.onnx");
        Run r = dyve("export", "--onnx", onnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("-> " + onnx), r.out());
        Run info = dyve("info", "--model", onnx.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("6,553,728"), info.out());
        Path broken = dir.resolve("broken.onnx");
        Files.write(broken, java.util.Arrays.copyOf(Files.readAllBytes(onnx), 1000));
        assertOneLineError(dyve("info", "--model", broken.toString()), broken + ": ");
    }

    @Test
    void evalOfThePrunedSqueezeNetWithTheSparseProfileReportsTheZeroWeights() throws Exception {
        Path json = dir.resolve("sparse.json");
        Run r = evalSqueezeNet("sparse", json);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("effort sparse: 1.930x fewer MACs"), r.out());
        assertTrue(r.out().contains("top-1 agreement with dense 100.00%"), r.out());
        String j = Files.readString(json);
        // dense, executed, and the rest skipped for a zero weight: what the weights say, the same for every image
        for (String key : new String[] {"\"macs_dense_per_image\": 861339936", "\"macs_per_image\": 446340646",
            "\"zero_weight_skipped_macs\": 414999290", "\"zero_weight_skipped\":", "\"zero_input_skipped_macs\": 0"}) {
            assertTrue(j.contains(key), key + " in " + j);
        }
        // sparse-inputs skips the pointwise layers' zero inputs as well: how many depends on the images
        Path inputs = dir.resolve("sparse-inputs.json");
        Run ri = evalSqueezeNet("sparse-inputs", inputs);
        assertEquals(0, ri.code(), ri.err());
        assertTrue(ri.out().contains("top-1 agreement with dense 100.00%"), ri.out());
        String ji = Files.readString(inputs);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"zero_input_skipped_macs\": (\\d+)").matcher(ji);
        assertTrue(m.find(), ji);
        long zeroInputs = Long.parseLong(m.group(1));
        assertTrue(zeroInputs > 40_000_000L, "zero-input MACs per image " + zeroInputs);
        assertTrue(ji.contains("\"zero_weight_skipped_macs\": 414999290"), ji);
    }

    /** {@code dyve eval} of SqueezeNet on four ImageNet samples at {@code effort}, the summary to {@code json}. */
    private Run evalSqueezeNet(String effort, Path json) {
        return dyve("eval", "--model", "squeezenet_v1.0_deep_compression", "--model-home", Shared.models().toString(),
                "--data", "images:" + Shared.require("data/imagenet-samples"), "--limit", "4", "--effort", effort,
                "--json", json.toString(), "-q");
    }

    @Test
    void classifyPrintsTopFiveWithClassNames() {
        Path img = Shared.require("data/imagenet-samples/images/n01440764.jpg");
        Run r = dyve("classify", "--model", "squeezenet_v1.0_deep_compression", "--model-home",
                Shared.models().toString(), img.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(6, r.out().strip().lines().count(), r.out());
        assertTrue(r.out().contains("tench"), r.out());
    }
}
