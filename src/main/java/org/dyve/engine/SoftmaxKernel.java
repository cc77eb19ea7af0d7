package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Softmax over channels at each spatial position, in plain Java. */
final class SoftmaxKernel implements Kernel {
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final Shape s;
    private final float[] buf;

    SoftmaxKernel(Shape s, INDArray in, INDArray out) {
        this.s = s;
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        buf = new float[s.size()];
    }

    @Override
    public void run(int n) {
        int plane = s.plane();
        for (int i = 0; i < n; i++) {
            in.get(i * buf.length, buf);
            for (int p = 0; p < plane; p++) {
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < s.c(); c++) {
                    max = Math.max(max, buf[c * plane + p]);
                }
                double sum = 0;
                for (int c = 0; c < s.c(); c++) {
                    float e = (float) Math.exp(buf[c * plane + p] - max);
                    buf[c * plane + p] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                for (int c = 0; c < s.c(); c++) {
                    buf[c * plane + p] *= inv;
                }
            }
            out.put(i * buf.length, buf);
        }
    }
}
