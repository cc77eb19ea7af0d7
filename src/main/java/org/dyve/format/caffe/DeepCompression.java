package org.dyve.format.caffe;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.dyve.ModelFormatException;
import org.dyve.format.ModelFiles;
import org.dyve.model.Tensor;

/**
 * Decoder for Deep Compression's {@code .net} weights (Han et al., ICLR'16): pruned and weight-shared
 * layers, stored as a codebook, biases, a stream of codebook indices and a stream of 4-bit position gaps.
 * Layers are decoded in prototxt order, one {@link #next} call per parameterised layer.
 */
final class DeepCompression implements CaffeImporter.WeightSource {
    private final Path file;
    private final ByteBuffer buf;
    private final int[] nonZeros;
    private int layer;

    /**
     * @param layers number of parameterised (convolution and inner-product) layers in the prototxt
     */
    DeepCompression(Path file, int layers) {
        this.file = file;
        byte[] bytes = ModelFiles.readAll(file);
        buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 4L * layers) {
            throw new ModelFormatException(file + ": truncated Deep Compression file (expected a header of " + layers
                    + " layer counts, found " + bytes.length + " bytes)");
        }
        nonZeros = new int[layers];
        for (int i = 0; i < layers; i++) {
            nonZeros[i] = buf.getInt();
            if (nonZeros[i] <= 0) {
                throw new ModelFormatException(file + ": corrupt Deep Compression header (layer " + i
                        + " stores " + Integer.toUnsignedString(nonZeros[i]) + " weights)");
            }
        }
    }

    @Override
    public List<Tensor> blobs(String name, String type, List<int[]> expected) {
        if (layer >= nonZeros.length) {
            throw new ModelFormatException(file + ": holds " + nonZeros.length + " layers, the prototxt has more ("
                    + name + ")");
        }
        int[] wshape = expected.get(0);
        int count = 1;
        for (int d : wshape) {
            count *= d;
        }
        int bits = "InnerProduct".equals(type) ? 4 : 8;
        int nz = nonZeros[layer++];
        if (nz > count) {
            throw new ModelFormatException(file + ": layer " + name + " stores " + nz + " weights, more than its "
                    + count + " positions (prototxt and .net do not match)");
        }
        int biasLen = expected.size() > 1 ? expected.get(1)[0] : 0;
        int codeBytes = (nz - 1) / (8 / bits) + 1;
        int gapBytes = (nz - 1) / 2 + 1;
        long need = 4L * (1 << bits) + 4L * biasLen + codeBytes + gapBytes;
        if (buf.remaining() < need) {
            throw new ModelFormatException(file + ": truncated at layer " + name + " (expected " + need
                    + " more bytes, found " + buf.remaining() + ")");
        }
        float[] codebook = new float[1 << bits];
        for (int i = 0; i < codebook.length; i++) {
            codebook[i] = buf.getFloat();
        }
        float[] bias = new float[biasLen];
        for (int i = 0; i < biasLen; i++) {
            bias[i] = buf.getFloat();
        }
        int codeStart = buf.position();
        int gapStart = codeStart + codeBytes;
        float[] w = new float[count];
        if (codebook[0] != 0f) {
            java.util.Arrays.fill(w, codebook[0]);
        }
        int pos = -1;
        byte[] a = buf.array();
        for (int i = 0; i < nz; i++) {
            int gap = (a[gapStart + (i >> 1)] >> ((i & 1) * 4)) & 0xF;
            int code = bits == 8 ? a[codeStart + i] & 0xFF : (a[codeStart + (i >> 1)] >> ((i & 1) * 4)) & 0xF;
            pos += gap + 1;
            if (pos >= count) {
                throw new ModelFormatException(file + ": corrupt position stream in layer " + name + " (position "
                        + pos + " beyond " + count + " weights)");
            }
            w[pos] = codebook[code];
        }
        buf.position(gapStart + gapBytes);
        return biasLen > 0 ? List.of(new Tensor(wshape, w), new Tensor(new int[] {biasLen}, bias))
                : List.of(new Tensor(wshape, w));
    }

    @Override
    public void finish() {
        if (layer != nonZeros.length) {
            throw new ModelFormatException(file + ": holds " + nonZeros.length + " layers, the prototxt has " + layer);
        }
        if (buf.hasRemaining()) {
            throw new ModelFormatException(file + ": " + buf.remaining() + " trailing bytes after the last layer"
                    + " (prototxt and .net do not match)");
        }
    }
}
