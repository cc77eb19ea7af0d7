package org.dyve.engine;

import java.nio.FloatBuffer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Channel concatenation: per sample, each input is one contiguous block of the output. */
final class ConcatKernel implements Kernel {
    private final FloatBuffer[] in;
    private final int[] sizes;
    private final FloatBuffer out;
    private final int outSize;

    ConcatKernel(List<INDArray> inputs, INDArray out) {
        in = new FloatBuffer[inputs.size()];
        sizes = new int[inputs.size()];
        long n = out.size(0);
        for (int i = 0; i < in.length; i++) {
            in[i] = Buffers.view(inputs.get(i));
            sizes[i] = (int) (inputs.get(i).length() / n);
        }
        this.out = Buffers.view(out);
        outSize = (int) (out.length() / n);
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            int at = s * outSize;
            for (int i = 0; i < in.length; i++) {
                out.put(at, in[i], s * sizes[i], sizes[i]);
                at += sizes[i];
            }
        }
    }
}
