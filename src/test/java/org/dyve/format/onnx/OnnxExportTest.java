package org.dyve.format.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.dyve.Shared;
import org.dyve.TestNets;
import org.dyve.bench.OrtComparison;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.engine.Engine;
import org.dyve.model.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exported ONNX files run in ONNX Runtime with DyVE's results, and import back to the same network. */
class OnnxExportTest {
    @TempDir
    Path dir;

    private static float[][] randomInputs(Network net, int n, long seed) {
        Random r = new Random(seed);
        float[][] in = new float[n][net.input().shape().size()];
        for (float[] x : in) {
            for (int i = 0; i < x.length; i++) {
                x[i] = r.nextFloat() * 4 - 2;
            }
        }
        return in;
    }

    private void exportAndCompare(Network net, float[][] inputs, double tolerance) throws IOException {
        exportAndCompare(net, inputs, tolerance, false);
    }

    private void exportAndCompare(Network net, float[][] inputs, double tolerance, boolean external)
            throws IOException {
        Path f = dir.resolve(net.name() + (external ? "-ext" : "") + ".onnx");
        OnnxExporter.write(net, f, external);
        assertEquals(external, java.nio.file.Files.exists(f.resolveSibling(f.getFileName() + ".data")));
        try (OrtComparison cmp = new OrtComparison(net, f, inputs.length, 1)) {
            cmp.setInputs(inputs);
            OrtComparison.Result r = cmp.measure(net.name(), 0, 1);
            assertTrue(r.maxRelDiff() <= tolerance, net.name() + ": ONNX Runtime differs by " + r.maxRelDiff());
            assertTrue(r.top1Agrees(), net.name() + ": top-1 differs from ONNX Runtime");
        }
        // round trip: the exported file imports back to a network computing the same function
        Network back = OnnxImporter.load(f);
        assertEquals(net.totalMacs(), back.totalMacs());
        Engine a = Engine.builder(net).build();
        Engine b = Engine.builder(back).build();
        a.setInput(net.input().name(), 0, inputs[0]);
        b.setInput(back.input().name(), 0, inputs[0]);
        a.run(1);
        b.run(1);
        assertArrayEquals(a.output(net.output(), 0), b.output(back.output(), 0), 1e-5f);
    }

    /** {@code net}'s engine after one run on {@code x}, at batch 1. */
    private static Engine ran(Network net, float[] x) {
        Engine e = Engine.builder(net).build();
        e.setInput(net.input().name(), 0, x);
        e.run(1);
        return e;
    }

    @Test
    void boundedReluRunsAsAPostOpAndExportsAsClip() throws IOException {
        Network net = TestNets.bounded();
        float[][] in = randomInputs(net, 2, 4);
        // the bound matters for these values: some outputs of c1 lie above it
        Engine e = ran(net, in[0]);
        float top = 0;
        for (float v : e.output("r1", 0)) {
            top = Math.max(top, v);
        }
        assertEquals(0.5f, top, 0f);
        exportAndCompare(net, in, 1e-5);
        // exported as Clip(0, 0.5), imported back as the same bounded ReLU
        Path f = dir.resolve("bounded.onnx");
        Network back = OnnxImporter.load(f);
        assertTrue(back.layers().stream().anyMatch(l -> l instanceof org.dyve.model.Relu r && r.max() == 0.5f),
                back.layers().toString());
    }

    @Test
    void activationsAndPerChannelProductsExportToOnnxRuntimesResult() throws IOException {
        Network net = TestNets.activations();
        float[][] in = randomInputs(net, 2, 6);
        // each layer against its formula, element by element
        Engine e = ran(net, in[0]);
        float[] c1 = e.output("c1", 0);
        float[] sig = e.output("sig", 0);
        float[] silu = e.output("silu", 0);
        for (int i = 0; i < c1.length; i++) {
            assertEquals(1 / (1 + Math.exp(-c1[i])), sig[i], 1e-6);
            assertEquals(c1[i] * sig[i], silu[i], 1e-6);
        }
        float[] fc = e.output("fc", 0);
        float[] hs = e.output("hs", 0);
        float[] se = e.output("se", 0);
        for (int ch = 0; ch < 4; ch++) {
            assertEquals(Math.max(0, Math.min(1, 0.2 * fc[ch] + 0.5)), hs[ch], 1e-6);
            for (int p = 0; p < 36; p++) {
                assertEquals(silu[ch * 36 + p] * hs[ch], se[ch * 36 + p], 1e-6, "channel " + ch + " scales its plane");
            }
        }
        // the shuffle: output channel k is input channel (k % 2) * 2 + k / 2 of 4: 0, 2, 1, 3
        float[] th = e.output("th", 0);
        float[] sh = e.output("sh", 0);
        int[] from = {0, 2, 1, 3};
        for (int k = 0; k < 4; k++) {
            assertEquals(th[from[k] * 36 + 7], sh[k * 36 + 7], 0f, "channel " + k);
        }
        exportAndCompare(net, in, 1e-5);
    }

    @Test
    void everyLayerTypeExportsToOnnxRuntimesResult() throws IOException {
        Network dag = TestNets.dag();
        exportAndCompare(dag, randomInputs(dag, 3, 1), 1e-5);
        Network dag2 = TestNets.dag2();
        exportAndCompare(dag2, randomInputs(dag2, 2, 2), 1e-5);
        // its within-channel LRN is written as Mul, AveragePool, Mul, Add, Pow, Div and read back as one LRN
        Network back = OnnxImporter.load(dir.resolve("dag2.onnx"));
        assertEquals(1, back.layers().stream().filter(l -> l instanceof org.dyve.model.Lrn n
                && n.region() == org.dyve.model.Lrn.Region.WITHIN_CHANNEL).count(), back.layers().toString());
    }

    @Test
    void externalDataIsWrittenAndReadBack() throws IOException {
        Network dag = TestNets.dag();
        exportAndCompare(dag, randomInputs(dag, 2, 3), 1e-5, true);
        Path f = dir.resolve("dag-ext.onnx");
        java.nio.file.Files.write(f.resolveSibling("dag-ext.onnx.data"), new byte[10]);
        org.dyve.ModelFormatException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.dyve.ModelFormatException.class, () -> OnnxImporter.load(f));
        assertTrue(e.getMessage().contains("truncated external data"), e.getMessage());
    }

    @Test
    void caffeModelsExportToOnnxRuntimesResult() throws IOException {
        for (String m : new String[] {"cifar10_full", "cifar10_quick"}) {
            ModelDescriptor d = ModelCatalog.resolve(m, Shared.models());
            Network net = d.load();
            Preprocessing pre = d.preprocessing(net);
            Dataset ds = Dataset.open("cifar10:" + Shared.require("data/cifar10/test_batch.bin"));
            float[][] in = new float[8][];
            for (int i = 0; i < in.length; i++) {
                in[i] = pre.apply(ds.get(i).image());
            }
            exportAndCompare(net, in, 1e-4);
        }
    }
}
