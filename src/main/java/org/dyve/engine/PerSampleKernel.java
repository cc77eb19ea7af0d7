package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A single-input plain-Java kernel: each sample is copied from the off-heap input into a reused heap array,
 * transformed by {@link #apply}, and copied to the output. The bulk copies are memcpy-speed and the
 * transform runs on plain arrays the JIT can vectorise.
 */
abstract class PerSampleKernel implements Kernel {
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final float[] src;
    private final float[] dst;

    PerSampleKernel(Shape is, Shape os, INDArray in, INDArray out) {
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        src = new float[is.size()];
        dst = new float[os.size()];
    }

    @Override
    public final void run(int n) {
        for (int s = 0; s < n; s++) {
            in.get(s * src.length, src);
            apply(src, dst);
            out.put(s * dst.length, dst);
        }
    }

    /** Transforms one sample; {@code dst} has the output's per-sample size. */
    abstract void apply(float[] src, float[] dst);
}
