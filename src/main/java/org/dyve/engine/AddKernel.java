package org.dyve.engine;

import java.nio.FloatBuffer;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Element-wise sum of equally shaped inputs. */
final class AddKernel implements Kernel {
    private final FloatBuffer[] in;
    private final FloatBuffer out;
    private final float[] acc;
    private final float[] term;

    AddKernel(List<INDArray> inputs, INDArray out) {
        in = new FloatBuffer[inputs.size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = Buffers.view(inputs.get(i));
        }
        this.out = Buffers.view(out);
        int size = (int) (out.length() / out.size(0));
        acc = new float[size];
        term = new float[size];
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            int at = s * acc.length;
            in[0].get(at, acc);
            for (int i = 1; i < in.length; i++) {
                in[i].get(at, term);
                for (int j = 0; j < acc.length; j++) {
                    acc[j] += term[j];
                }
            }
            out.put(at, acc);
        }
    }
}
