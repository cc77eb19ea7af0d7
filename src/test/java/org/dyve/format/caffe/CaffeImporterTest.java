package org.dyve.format.caffe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.ModelFormatException;
import org.dyve.ShapeMismatchException;
import org.dyve.model.Convolution;
import org.dyve.model.InnerProduct;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaffeImporterTest {
    @TempDir
    Path dir;

    static final String LAYERS = """
            layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
              convolution_param { num_output: 2 kernel_size: 3 pad: 1 stride: 1 } }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }   # in place
            layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
              pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
            layer { name: "drop" type: "Dropout" bottom: "pool1" top: "pool1" dropout_param { dropout_ratio: 0.5 } }
            layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1" inner_product_param { num_output: 3 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }
            """;

    static Map<String, List<Tensor>> weights() {
        Map<String, List<Tensor>> w = new LinkedHashMap<>();
        w.put("conv1", List.of(tensor(2, 1, 3, 3), tensor(2)));
        w.put("ip1", List.of(tensor(3, 8), tensor(3)));
        return w;
    }

    static Tensor tensor(int... shape) {
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (i % 7) - 3 + 0.25f * shape.length;
        }
        return new Tensor(shape, d);
    }

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void allThreeInputStylesGiveTheSameNetwork() throws IOException {
        Path w = dir.resolve("w.caffemodel");
        CaffeModelWriter.write(w, "t", weights());
        String[] heads = {
            "name: \"t\"\ninput: \"data\"\ninput_dim: 1\ninput_dim: 1\ninput_dim: 4\ninput_dim: 4\n",
            "name: \"t\"\ninput: \"data\"\ninput_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\n",
            "name: \"t\"\nlayer { name: \"data\" type: \"Input\" top: \"data\" input_param { shape: { dim: 1 dim: 1"
                + " dim: 4 dim: 4 } } }\n"};
        for (String head : heads) {
            Network net = CaffeImporter.load(write("net.prototxt", head + LAYERS), w);
            assertEquals(new Shape(1, 4, 4), net.input().shape());
            assertEquals(5, net.layers().size(), "SoftmaxWithLoss is training-only");
            assertInstanceOf(Convolution.class, net.layers().get(0));
            Relu relu = (Relu) net.layers().get(1);
            assertEquals("conv1", relu.input());
            assertEquals("relu1", relu.output(), "an in-place layer's output is named after the layer");
            assertEquals("relu1", ((Pooling) net.layers().get(2)).input());
            assertEquals(new Shape(2, 2, 2), net.shape("pool1"));
            InnerProduct ip = (InnerProduct) net.layers().get(4);
            assertArrayEquals(weights().get("ip1").get(0).data(), ip.weight().data());
            assertEquals(List.of("ip1"), net.outputs());
            assertEquals(2L * 16 * 9 + 3 * 8, net.totalMacs());
        }
    }

    @Test
    void oldV1LayersInPrototxtAndCaffemodel() throws IOException {
        String v1 = """
                name: "old"
                input: "data"
                input_dim: 1 input_dim: 1 input_dim: 4 input_dim: 4
                layers { name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
                  convolution_param { num_output: 2 kernel_size: 3 pad: 1 } }
                layers { name: "relu1" type: RELU bottom: "conv1" top: "conv1" }
                """;
        // A V1 NetParameter: field 2 entries with name = 4 and blobs = 6 (legacy num/channels/height/width).
        com.google.protobuf.ByteString blobW = legacyBlob(2, 1, 3, 3);
        com.google.protobuf.ByteString blobB = legacyBlob(1, 1, 1, 2);
        java.io.ByteArrayOutputStream layer = new java.io.ByteArrayOutputStream();
        com.google.protobuf.CodedOutputStream lo = com.google.protobuf.CodedOutputStream.newInstance(layer);
        lo.writeString(4, "conv1");
        lo.writeBytes(6, blobW);
        lo.writeBytes(6, blobB);
        lo.flush();
        java.io.ByteArrayOutputStream net = new java.io.ByteArrayOutputStream();
        com.google.protobuf.CodedOutputStream no = com.google.protobuf.CodedOutputStream.newInstance(net);
        no.writeByteArray(2, layer.toByteArray());
        no.flush();
        Path w = dir.resolve("old.caffemodel");
        Files.write(w, net.toByteArray());
        Network n = CaffeImporter.load(write("old.prototxt", v1), w);
        Convolution c = (Convolution) n.layers().get(0);
        assertEquals(18, c.weight().size());
        assertEquals(1f, c.weight().data()[1]);
        assertEquals(new Shape(2, 4, 4), n.shape("relu1"));
    }

    private static com.google.protobuf.ByteString legacyBlob(int n, int c, int h, int w) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        com.google.protobuf.CodedOutputStream o = com.google.protobuf.CodedOutputStream.newInstance(b);
        o.writeInt32(1, n);
        o.writeInt32(2, c);
        o.writeInt32(3, h);
        o.writeInt32(4, w);
        for (int i = 0; i < n * c * h * w; i++) {
            o.writeFloat(5, i); // unpacked floats, as very old files have them
        }
        o.flush();
        return com.google.protobuf.ByteString.copyFrom(b.toByteArray());
    }

    @Test
    void truncatedCaffemodelIsReportedWithTheFileName() throws IOException {
        Path w = dir.resolve("w.caffemodel");
        CaffeModelWriter.write(w, "t", weights());
        byte[] all = Files.readAllBytes(w);
        Path cut = dir.resolve("cut.caffemodel");
        Files.write(cut, Arrays.copyOf(all, all.length - 20));
        Path proto = write("net.prototxt", "input: \"data\"\ninput_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\n" + LAYERS);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(proto, cut));
        assertTrue(e.getMessage().startsWith(cut + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("not a valid Caffe binary model"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void garbageFilesAreRejected() throws IOException {
        Path proto = write("net.prototxt", "input: \"data\"\ninput_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\n" + LAYERS);
        byte[] junk = new byte[300];
        new java.util.Random(1).nextBytes(junk);
        Path cm = dir.resolve("junk.caffemodel");
        Files.write(cm, junk);
        assertThrows(ModelFormatException.class, () -> CaffeImporter.load(proto, cm));
        Path h5 = dir.resolve("junk.caffemodel.h5");
        Files.write(h5, junk);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(proto, h5));
        assertTrue(e.getMessage().startsWith(h5.toString()), e.getMessage());
        Path mean = dir.resolve("mean.binaryproto");
        Files.write(mean, new byte[] {0x2a, 0x10, 1, 2});
        assertThrows(ModelFormatException.class, () -> CaffeImporter.loadMean(mean));
        Path missing = dir.resolve("nope.caffemodel");
        ModelFormatException m = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(proto, missing));
        assertEquals(missing + ": file not found", m.getMessage());
    }

    @Test
    void weightShapeMismatchNamesLayerAndShapes() throws IOException {
        Map<String, List<Tensor>> w = weights();
        w.put("conv1", List.of(tensor(2, 1, 5, 5), tensor(2)));
        Path f = dir.resolve("w.caffemodel");
        CaffeModelWriter.write(f, "t", w);
        Path proto = write("net.prototxt", "input: \"data\"\ninput_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\n" + LAYERS);
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> CaffeImporter.load(proto, f));
        assertEquals(f + ": layer conv1 blob 0 shape mismatch with the prototxt (expected 2x1x3x3, found 2x1x5x5)",
                e.getMessage());
    }

    @Test
    void unknownLayerTypeAndSyntaxErrorsAreOneLine() throws IOException {
        Path p = write("bad.prototxt", "input: \"data\"\ninput_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\n"
                + "layer { name: \"x\" type: \"Deconvolution\" bottom: \"data\" top: \"x\" }\n");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(p, null));
        assertEquals(p + ": layer x has unsupported layer type Deconvolution", e.getMessage());
        Path s = write("syntax.prototxt", "input: \"data\"\nlayer { name: \"x\" \n");
        ModelFormatException e2 = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(s, null));
        assertTrue(e2.getMessage().startsWith(s + ":"), e2.getMessage());
        Path u = write("undefined.prototxt", "input: \"data\"\ninput_shape { dim: 1 dim: 1 dim: 4 dim: 4 }\n"
                + "layer { name: \"r\" type: \"ReLU\" bottom: \"nothing\" top: \"r\" }\n");
        ModelFormatException e3 = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(u, null));
        assertEquals(u + ": layer r reads blob nothing that no earlier layer produces", e3.getMessage());
    }

    /** Encodes one layer in the Deep Compression layout (8-bit codes for conv). */
    private static byte[] deepCompressed(float[] dense, float[] bias, float[] codebook) {
        // positions of non-zeros, with filler entries (gap 15, code 0) for jumps longer than 15
        java.util.List<int[]> entries = new java.util.ArrayList<>(); // {gap, code}
        int last = -1;
        for (int i = 0; i < dense.length; i++) {
            if (dense[i] == 0) {
                continue;
            }
            int gap = i - last - 1;
            while (gap > 15) {
                entries.add(new int[] {15, 0});
                gap -= 16;
            }
            int code = -1;
            for (int c = 0; c < codebook.length; c++) {
                if (codebook[c] == dense[i]) {
                    code = c;
                }
            }
            entries.add(new int[] {gap, code});
            last = i;
        }
        int nz = entries.size();
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * 256 + 4 * bias.length + nz + (nz - 1) / 2 + 1)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(nz);
        float[] cb = Arrays.copyOf(codebook, 256);
        for (float f : cb) {
            b.putFloat(f);
        }
        for (float f : bias) {
            b.putFloat(f);
        }
        for (int[] e : entries) {
            b.put((byte) e[1]);
        }
        byte[] gaps = new byte[(nz - 1) / 2 + 1];
        for (int i = 0; i < nz; i++) {
            gaps[i / 2] |= (byte) (entries.get(i)[0] << (4 * (i % 2)));
        }
        b.put(gaps);
        return b.array();
    }

    @Test
    void deepCompressionDecodesGapsCodesAndFillers() throws IOException {
        float[] codebook = {0f, 0.5f, -1.25f, 2f};
        float[] dense = new float[2 * 1 * 5 * 5];
        dense[0] = 0.5f;
        dense[3] = -1.25f;
        dense[4] = 2f;
        dense[40] = 0.5f; // a jump of 35 needs two fillers
        dense[49] = -1.25f;
        float[] bias = {0.1f, -0.2f};
        Path net = dir.resolve("m.net");
        Files.write(net, deepCompressed(dense, bias, codebook));
        Path proto = write("dc.prototxt", "input: \"data\"\ninput_shape { dim: 1 dim: 1 dim: 6 dim: 6 }\n"
                + "layer { name: \"conv1\" type: \"Convolution\" bottom: \"data\" top: \"conv1\""
                + " convolution_param { num_output: 2 kernel_size: 5 } }\n");
        Network n = CaffeImporter.load(proto, net);
        Convolution c = (Convolution) n.layers().get(0);
        assertArrayEquals(dense, c.weight().data());
        assertArrayEquals(bias, c.bias().data());

        byte[] all = Files.readAllBytes(net);
        Path cut = dir.resolve("cut.net");
        Files.write(cut, Arrays.copyOf(all, all.length - 3));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(proto, cut));
        assertTrue(e.getMessage().startsWith(cut + ": truncated at layer conv1"), e.getMessage());
        Path longer = dir.resolve("long.net");
        Files.write(longer, Arrays.copyOf(all, all.length + 8));
        ModelFormatException e2 = assertThrows(ModelFormatException.class, () -> CaffeImporter.load(proto, longer));
        assertTrue(e2.getMessage().contains("8 trailing bytes"), e2.getMessage());
    }
}
