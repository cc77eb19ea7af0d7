package org.dyve.engine;

import org.dyve.model.InnerProduct;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Fully connected layer as one SGEMM into a preallocated output, plus the bias row. */
final class InnerProductKernel implements Kernel {
    private final INDArray in2d;
    private final INDArray out2d;
    private final INDArray weight;
    private final INDArray bias;

    InnerProductKernel(InnerProduct ip, INDArray in, INDArray out) {
        long n = in.size(0);
        in2d = in.reshape('c', n, in.length() / n);
        out2d = out.reshape('c', n, ip.numOutput());
        weight = Nd4j.create(ip.weight().data(), new long[] {ip.numOutput(), ip.weight().dim(1)}, DataType.FLOAT);
        bias = ip.bias() == null ? null : Nd4j.create(ip.bias().data(), new long[] {1, ip.numOutput()},
                DataType.FLOAT);
    }

    @Override
    public void run(int n) {
        Nd4j.gemm(in2d, weight, out2d, false, true, 1.0, 0.0);
        if (bias != null) {
            out2d.addiRowVector(bias);
        }
    }
}
