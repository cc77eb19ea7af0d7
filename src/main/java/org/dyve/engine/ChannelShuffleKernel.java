package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.ChannelShuffle;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Channel shuffle: each output plane copied from its input plane, a sample at a time through two reused buffers. */
final class ChannelShuffleKernel implements Kernel {
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final int[] source;
    private final int plane;
    private final float[] x;
    private final float[] y;

    ChannelShuffleKernel(ChannelShuffle l, Shape s, INDArray in, INDArray out) {
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        this.plane = s.plane();
        this.source = new int[s.c()];
        for (int k = 0; k < s.c(); k++) {
            source[k] = l.source(k, s.c());
        }
        x = new float[s.size()];
        y = new float[s.size()];
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            int at = s * x.length;
            in.get(at, x);
            for (int k = 0; k < source.length; k++) {
                System.arraycopy(x, source[k] * plane, y, k * plane, plane);
            }
            out.put(at, y);
        }
    }
}
