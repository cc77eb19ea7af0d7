package org.dyve.engine;

import org.dyve.model.Pad;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Constant padding of channels, rows and columns, in plain Java. */
final class PadKernel extends PerSampleKernel {
    private final Pad pad;
    private final Shape is;
    private final Shape os;

    PadKernel(Pad pad, Shape is, Shape os, INDArray in, INDArray out) {
        super(is, os, in, out);
        this.pad = pad;
        this.is = is;
        this.os = os;
    }

    @Override
    void apply(float[] src, float[] dst) {
        int[] b = pad.before();
        java.util.Arrays.fill(dst, pad.value());
        for (int c = 0; c < is.c(); c++) {
            for (int y = 0; y < is.h(); y++) {
                System.arraycopy(src, (c * is.h() + y) * is.w(), dst, ((c + b[0]) * os.h() + y + b[1]) * os.w() + b[2],
                        is.w());
            }
        }
    }
}
