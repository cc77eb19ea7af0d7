package org.dyve.engine;

import org.dyve.model.Shape;
import org.dyve.model.Slice;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Strided sub-range of channels, rows and columns, in plain Java. */
final class SliceKernel extends PerSampleKernel {
    private final Slice slice;
    private final Shape is;
    private final Shape os;

    SliceKernel(Slice slice, Shape is, Shape os, INDArray in, INDArray out) {
        super(is, os, in, out);
        this.slice = slice;
        this.is = is;
        this.os = os;
    }

    @Override
    void apply(float[] src, float[] dst) {
        int[] a = slice.start();
        int[] st = slice.step();
        int k = 0;
        for (int c = 0; c < os.c(); c++) {
            int ci = a[0] + c * st[0];
            for (int y = 0; y < os.h(); y++) {
                int row = (ci * is.h() + a[1] + y * st[1]) * is.w() + a[2];
                for (int x = 0; x < os.w(); x++) {
                    dst[k++] = src[row + x * st[2]];
                }
            }
        }
    }
}
