package org.dyve.engine;

import org.dyve.model.ChannelShuffle;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Channel shuffle: each output plane copied from its input plane. */
final class ChannelShuffleKernel extends PerSampleKernel {
    private final int[] source;
    private final int plane;

    ChannelShuffleKernel(ChannelShuffle l, Shape s, INDArray in, INDArray out) {
        super(s, s, in, out);
        this.plane = s.plane();
        this.source = new int[s.c()];
        for (int k = 0; k < s.c(); k++) {
            source[k] = l.source(k, s.c());
        }
    }

    @Override
    void apply(float[] src, float[] dst) {
        for (int k = 0; k < source.length; k++) {
            System.arraycopy(src, source[k] * plane, dst, k * plane, plane);
        }
    }
}
