package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Pad;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Constant padding of channels, rows and columns, in plain Java. */
final class PadKernel implements Kernel {
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final Pad pad;
    private final Shape is;
    private final Shape os;
    private final float[] src;
    private final float[] dst;

    PadKernel(Pad pad, Shape is, Shape os, INDArray in, INDArray out) {
        this.pad = pad;
        this.is = is;
        this.os = os;
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        src = new float[is.size()];
        dst = new float[os.size()];
    }

    @Override
    public void run(int n) {
        int[] b = pad.before();
        for (int s = 0; s < n; s++) {
            in.get(s * src.length, src);
            java.util.Arrays.fill(dst, pad.value());
            for (int c = 0; c < is.c(); c++) {
                for (int y = 0; y < is.h(); y++) {
                    System.arraycopy(src, (c * is.h() + y) * is.w(), dst,
                            ((c + b[0]) * os.h() + y + b[1]) * os.w() + b[2], is.w());
                }
            }
            out.put(s * dst.length, dst);
        }
    }
}
