package org.dyve.engine;

import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Softmax over channels at each spatial position, in plain Java. */
final class SoftmaxKernel extends PerSampleKernel {
    private final Shape s;

    SoftmaxKernel(Shape s, INDArray in, INDArray out) {
        super(s, s, in, out);
        this.s = s;
    }

    @Override
    void apply(float[] src, float[] dst) {
        int plane = s.plane();
        for (int p = 0; p < plane; p++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < s.c(); c++) {
                max = Math.max(max, src[c * plane + p]);
            }
            double sum = 0;
            for (int c = 0; c < s.c(); c++) {
                float e = (float) Math.exp(src[c * plane + p] - max);
                dst[c * plane + p] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int c = 0; c < s.c(); c++) {
                dst[c * plane + p] *= inv;
            }
        }
    }
}
