package org.dyve.format.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.nio.file.Path;
import java.util.Arrays;
import org.dyve.ModelFormatException;
import org.dyve.Shared;
import org.dyve.bench.OrtComparison;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.engine.Engine;
import org.dyve.eval.Evaluator;
import org.dyve.eval.TopK;
import org.dyve.model.Network;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ONNX import of the shared models: accuracy, parity with ONNX Runtime, agreement with the Caffe import. */
class OnnxSharedModelsTest {
    @TempDir
    Path dir;

    @Test
    void resnet20ReachesTheReferenceAccuracy() {
        ModelDescriptor d = ModelCatalog.resolve("resnet20_cifar10", Shared.models());
        Network net = d.load();
        assertEquals(40_551_040L, net.totalMacs());
        Evaluator.Result r = new Evaluator(net, d.preprocessing(net), 50).run(
                Dataset.open("cifar10:" + Shared.require("data/cifar10/test_batch.bin")), 0, new Evaluator.Listener() {
                });
        assertEquals(81.02, r.top1(), 0.1);
    }

    /** Per-image logits within 1e-4 (relative to the largest) and identical top-1 against ONNX Runtime. */
    private static void parity(String model, String data, int count, int batch) {
        ModelDescriptor d = ModelCatalog.resolve(model, Shared.models()).asOnnx();
        Network net = d.load();
        Preprocessing pre = d.preprocessing(net);
        Dataset ds = Dataset.open(data);
        double worst = 0;
        try (OrtComparison cmp = new OrtComparison(net, d.onnx(), batch, 2)) {
            for (int start = 0; start < count; start += batch) {
                float[][] in = new float[batch][];
                for (int i = 0; i < batch; i++) {
                    in[i] = pre.apply(ds.get(start + i).image());
                }
                cmp.setInputs(in);
                float[][][] out = cmp.outputs();
                for (int i = 0; i < batch; i++) {
                    float mag = 0;
                    for (float v : out[1][i]) {
                        mag = Math.max(mag, Math.abs(v));
                    }
                    for (int k = 0; k < out[0][i].length; k++) {
                        worst = Math.max(worst, Math.abs(out[0][i][k] - out[1][i][k]) / mag);
                    }
                    assertEquals(TopK.of(out[1][i], 1)[0], TopK.of(out[0][i], 1)[0],
                            model + " image " + (start + i) + " top-1");
                }
            }
        }
        assertTrue(worst <= 1e-4, model + ": relative logit difference " + worst);
    }

    @Test
    void mobileNetV2sReluSixesAreBoundedRelusAndItMatchesOnnxRuntime() {
        java.nio.file.Path f = Shared.require("models/torchvision-random/mobilenet_v2.onnx");
        Network net = org.dyve.format.onnx.OnnxImporter.load(f);
        // Clip(0, 6) is one bounded ReLU (a post-op of its convolution), not two element-wise layers
        assertEquals(35, net.layers().stream().filter(l -> l instanceof org.dyve.model.Relu r && r.max() == 6f)
                .count());
        assertTrue(net.layers().stream().noneMatch(l -> l instanceof org.dyve.model.Elementwise));
        ortParity(f);
    }

    @Test
    void efficientNetB0ImportsAndMatchesOnnxRuntime() {
        // initializers through Identity, SiLU, squeeze-and-excitation: the file did not import before
        ortParity(Shared.require("models/torchvision-random/efficientnet_b0.onnx"));
    }

    @Test
    void cifar10FullsDecomposedLrnIsOneLayerAgain() {
        // the ONNX copy writes each within-channel LRN as Mul, Pad, AveragePool, Mul, Add, Pow, Div
        Network net = ModelCatalog.resolve("cifar10_full", Shared.models()).asOnnx().load();
        assertEquals(2, net.layers().stream().filter(l -> l instanceof org.dyve.model.Lrn).count());
        assertTrue(net.layers().stream().noneMatch(l -> l instanceof org.dyve.model.Elementwise
                || l instanceof org.dyve.model.Pad), net.layers().toString());
        // parityWithOnnxRuntimeOnEverySharedOnnxFile checks its outputs against ONNX Runtime's on 500 images
    }

    @Test
    void shuffleNetV2ImportsAndMatchesOnnxRuntime() {
        // shapes computed from Shape / Gather / Div chains, a 5-D Reshape and Transpose (channel shuffle), Split,
        // ReduceMean over the spatial axes: the file did not import before
        java.nio.file.Path f = Shared.require("models/torchvision-random/shufflenet_v2_x0_5.onnx");
        Network net = org.dyve.format.onnx.OnnxImporter.load(f);
        assertTrue(net.layers().stream().filter(l -> l instanceof org.dyve.model.ChannelShuffle).count() >= 10);
        ortParity(f);
    }

    /** Two random inputs (the file's batch is 1): outputs within 1e-4 relative, the same top-1. */
    private static void ortParity(java.nio.file.Path f) {
        Network net = org.dyve.format.onnx.OnnxImporter.load(f);
        java.util.Random r = new java.util.Random(1);
        try (OrtComparison cmp = new OrtComparison(net, f, 1, 2)) {
            for (int k = 0; k < 2; k++) {
                float[] x = new float[net.input().shape().size()];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                cmp.setInputs(new float[][] {x});
                OrtComparison.Result res = cmp.measure(f.getFileName().toString(), 0, 1);
                assertTrue(res.maxRelDiff() <= 1e-4, f + ": relative difference " + res.maxRelDiff());
                assertTrue(res.top1Agrees(), f + ": top-1");
            }
        }
    }

    @Test
    void parityWithOnnxRuntimeOnEverySharedOnnxFile() {
        String cifar = "cifar10:" + Shared.require("data/cifar10/test_batch.bin");
        parity("cifar10_full", cifar, 500, 50);
        parity("cifar10_quick", cifar, 500, 50);
        parity("resnet20_cifar10", cifar, 500, 50);
        parity("squeezenet_v1.0_deep_compression", "images:" + Shared.require("data/imagenet-samples"), 64, 4);
    }

    @Test
    void squeezeNetOnnxCopyPredictsLikeTheCaffeImport() {
        ModelDescriptor caffe = ModelCatalog.resolve("squeezenet_v1.0_deep_compression", Shared.models());
        Network a = caffe.load();
        Network b = caffe.asOnnx().load();
        Preprocessing pre = caffe.preprocessing(a);
        Dataset ds = Dataset.open("images:" + Shared.require("data/imagenet-samples"));
        Engine ea = Engine.builder(a).build();
        Engine eb = Engine.builder(b).build();
        for (int i = 0; i < ds.size(); i++) {
            float[] x = pre.apply(ds.get(i).image());
            ea.setInput(a.input().name(), 0, x);
            eb.setInput(b.input().name(), 0, x);
            ea.run(1);
            eb.run(1);
            assertEquals(TopK.of(ea.output(a.output(), 0), 1)[0], TopK.of(eb.output(b.output(), 0), 1)[0],
                    "image " + i);
        }
    }

    /** A length-delimited protobuf field. */
    private static void field(com.google.protobuf.CodedOutputStream o, int number, byte[] message) throws Exception {
        o.writeByteArray(number, message);
    }

    /** Protobuf bytes written by {@code w}. */
    private static byte[] message(ProtoWriter w) throws Exception {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        com.google.protobuf.CodedOutputStream o = com.google.protobuf.CodedOutputStream.newInstance(b);
        w.write(o);
        o.flush();
        return b.toByteArray();
    }

    @FunctionalInterface
    private interface ProtoWriter {
        void write(com.google.protobuf.CodedOutputStream o) throws Exception;
    }

    private static byte[] node(String op, List<String> in, String out) throws Exception {
        return message(o -> {
            for (String t : in) {
                o.writeString(1, t);
            }
            o.writeString(2, out);
            o.writeString(3, op + "_0");
            o.writeString(4, op);
        });
    }

    @Test
    void aShapeComputationThatDividesByZeroIsAnErrorNamingTheNode(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path dir) throws Exception {
        // x (1x4x2x2) -> Shape -> Div by an int64 zero -> Reshape: a model no exporter writes, which must not import
        // as if the division gave 0
        byte[] zero = message(o -> {
            o.writeInt64(1, 1);
            o.writeInt32(2, 7);
            o.writeInt64(7, 0);
            o.writeString(8, "zero");
        });
        byte[] x = message(o -> {
            o.writeString(1, "x");
            field(o, 2, message(t -> field(t, 1, message(tt -> {
                tt.writeInt32(1, 1);
                field(tt, 2, message(sh -> {
                    for (long d : new long[] {1, 4, 2, 2}) {
                        field(sh, 1, message(dim -> dim.writeInt64(1, d)));
                    }
                }));
            }))));
        });
        byte[] y = message(o -> o.writeString(1, "y"));
        byte[] graph = message(o -> {
            field(o, 1, node("Shape", List.of("x"), "s"));
            field(o, 1, node("Div", List.of("s", "zero"), "d"));
            field(o, 1, node("Reshape", List.of("x", "d"), "y"));
            o.writeString(2, "g");
            field(o, 5, zero);
            field(o, 11, x);
            field(o, 12, y);
        });
        byte[] model = message(o -> {
            o.writeInt64(1, 7);
            field(o, 7, graph);
            field(o, 8, message(op -> op.writeInt64(2, 13)));
        });
        java.nio.file.Path f = dir.resolve("div0.onnx");
        Files.write(f, model);
        org.dyve.DyveException e = org.junit.jupiter.api.Assertions.assertThrows(org.dyve.DyveException.class,
                () -> org.dyve.format.onnx.OnnxImporter.load(f));
        assertTrue(e.getMessage().contains("Div") && e.getMessage().contains("division by zero in a shape"
                + " computation"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void truncatedOrForeignFilesAreRejectedWithTheFileName() throws Exception {
        byte[] all = Files.readAllBytes(Shared.require("models/resnet20_cifar10/resnet20_cifar10.onnx"));
        Path cut = dir.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.load(cut));
        assertTrue(e.getMessage().startsWith(cut + ": "), e.getMessage());
        Path txt = dir.resolve("text.onnx");
        Files.writeString(txt, "this is not protobuf\n");
        assertThrows(ModelFormatException.class, () -> OnnxImporter.load(txt));
    }
}
