package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Shape;
import org.dyve.model.Slice;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Strided sub-range of channels, rows and columns, in plain Java. */
final class SliceKernel implements Kernel {
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final Slice slice;
    private final Shape is;
    private final Shape os;
    private final float[] src;
    private final float[] dst;

    SliceKernel(Slice slice, Shape is, Shape os, INDArray in, INDArray out) {
        this.slice = slice;
        this.is = is;
        this.os = os;
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        src = new float[is.size()];
        dst = new float[os.size()];
    }

    @Override
    public void run(int n) {
        int[] a = slice.start();
        int[] st = slice.step();
        for (int s = 0; s < n; s++) {
            in.get(s * src.length, src);
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
            out.put(s * dst.length, dst);
        }
    }
}
