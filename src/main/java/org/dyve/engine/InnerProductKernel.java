package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.InnerProduct;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Fully connected layer as one SGEMM (OpenBLAS through JavaCPP, straight on the engine's buffers: a small
 * layer at batch 1 costs microseconds, not an ND4J op's set-up) plus the bias row.
 */
final class InnerProductKernel implements Kernel {

    private final FloatBuffer in;
    private final FloatBuffer out;
    private final FloatBuffer weight;
    private final float[] bias;
    private final float[] row;
    private final int k;

    InnerProductKernel(InnerProduct ip, INDArray in, INDArray out) {
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        k = (int) (in.length() / in.size(0));
        float[] w = ip.weight().data();
        weight = Buffers.direct(w.length).put(0, w);
        bias = ip.bias() == null ? null : ip.bias().data();
        row = new float[ip.numOutput()];
    }

    @Override
    public void run(int n) {
        int m = row.length;
        Buffers.sgemm(true, n, m, k, in, k, weight, k, out, m);
        if (bias != null) {
            for (int s = 0; s < n; s++) {
                out.get(s * m, row);
                for (int j = 0; j < m; j++) {
                    row[j] += bias[j];
                }
                out.put(s * m, row);
            }
        }
    }
}
