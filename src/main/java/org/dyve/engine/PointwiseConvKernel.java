package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Convolution;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A 1x1, stride-1, unpadded, ungrouped convolution is a matrix product: per sample, the NCHW input is
 * already the {@code C x HW} matrix. One SGEMM per sample into the output, which is first filled with the
 * bias planes ({@code beta = 1}); this avoids libnd4j's per-call convolution set-up, which dominates for
 * the small 1x1 layers of SqueezeNet-style networks.
 */
final class PointwiseConvKernel implements Kernel {
    private final INDArray weight;
    private final INDArray[] in;
    private final INDArray[] out;
    private final FloatBuffer outView;
    private final FloatBuffer biasPlanes;
    private final int sampleSize;

    static boolean applies(Convolution c) {
        var w = c.window();
        return w.kh() == 1 && w.kw() == 1 && w.strideH() == 1 && w.strideW() == 1 && w.padH() == 0
                && w.padW() == 0 && c.group() == 1 && c.dilationH() == 1 && c.dilationW() == 1;
    }

    PointwiseConvKernel(Convolution c, Shape is, Shape os, INDArray input, INDArray output) {
        int n = (int) input.size(0);
        int p = os.plane();
        weight = Nd4j.create(c.weight().data(), new long[] {c.numOutput(), is.c()}, DataType.FLOAT);
        in = new INDArray[n];
        out = new INDArray[n];
        for (int s = 0; s < n; s++) {
            in[s] = input.get(NDArrayIndex.point(s)).reshape('c', is.c(), p);
            out[s] = output.get(NDArrayIndex.point(s)).reshape('c', c.numOutput(), p);
        }
        outView = Buffers.view(output);
        sampleSize = os.size();
        float[] planes = new float[sampleSize];
        if (c.bias() != null) {
            float[] b = c.bias().data();
            for (int o = 0; o < c.numOutput(); o++) {
                java.util.Arrays.fill(planes, o * p, (o + 1) * p, b[o]);
            }
        }
        biasPlanes = FloatBuffer.wrap(planes);
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            outView.put(s * sampleSize, biasPlanes, 0, sampleSize);
            Nd4j.gemm(weight, in[s], out[s], false, false, 1.0, 1.0);
        }
    }
}
