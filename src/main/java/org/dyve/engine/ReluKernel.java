package org.dyve.engine;

import org.dyve.model.Relu;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.LeakyReLU;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.factory.Nd4j;

/** ReLU (Caffe's leaky ReLU, a bounded ReLU), in place when the plan aliases output and input. */
final class ReluKernel implements Kernel {
    private final org.nd4j.linalg.api.ops.Op op;
    /** The upper bound applied after the ReLU, or null. */
    private final org.nd4j.linalg.api.ops.Op bound;

    ReluKernel(Relu r, INDArray in, INDArray out) {
        op = r.negativeSlope() == 0f ? new RectifiedLinear(in, out, 0.0) : new LeakyReLU(in, out, r.negativeSlope());
        bound = r.max() == Float.POSITIVE_INFINITY ? null
                : new org.nd4j.linalg.api.ops.impl.scalar.ScalarMin(out, null, out, r.max());
    }

    @Override
    public void run(int n) {
        Nd4j.getExecutioner().exec(op);
        if (bound != null) {
            Nd4j.getExecutioner().exec(bound);
        }
    }
}
