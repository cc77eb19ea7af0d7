package org.dyve.engine;

import org.dyve.model.Convolution;
import org.dyve.model.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Convolution through libnd4j's {@code conv2d} (oneDNN where available) with weights in Caffe's OIHW
 * layout. Grouped convolution runs one op per group on contiguous per-group buffers.
 */
final class ConvKernel implements Kernel {
    private final DynamicCustomOp[] ops;
    private final INDArray[] groupIn;
    private final INDArray[] groupOut;
    private final INDArray[] inViews;
    private final INDArray[] outViews;

    ConvKernel(Convolution c, INDArray in, INDArray out) {
        int g = c.group();
        ops = new DynamicCustomOp[g];
        long n = in.size(0);
        int cin = (int) in.size(1) / g;
        int cout = c.numOutput() / g;
        INDArray w = weights(c.weight());
        INDArray b = Nd4j.createFromArray(c.biasValues());
        if (g == 1) {
            groupIn = null;
            groupOut = null;
            inViews = null;
            outViews = null;
            ops[0] = op(c, in, w, b, out);
            return;
        }
        groupIn = new INDArray[g];
        groupOut = new INDArray[g];
        inViews = new INDArray[g];
        outViews = new INDArray[g];
        for (int i = 0; i < g; i++) {
            inViews[i] = in.get(channels(i * cin, (i + 1) * cin));
            outViews[i] = out.get(channels(i * cout, (i + 1) * cout));
            groupIn[i] = Nd4j.create(DataType.FLOAT, n, cin, in.size(2), in.size(3));
            groupOut[i] = Nd4j.create(DataType.FLOAT, n, cout, out.size(2), out.size(3));
            INDArray wg = w.get(NDArrayIndex.interval(i * cout, (i + 1) * cout), NDArrayIndex.all(),
                    NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            INDArray bg = b.get(NDArrayIndex.interval(i * cout, (i + 1) * cout)).dup();
            ops[i] = op(c, groupIn[i], wg, bg, groupOut[i]);
        }
    }

    private static INDArrayIndex[] channels(int from, int to) {
        return new INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.interval(from, to), NDArrayIndex.all(),
            NDArrayIndex.all()};
    }

    static INDArray weights(Tensor t) {
        int[] s = t.shape();
        return Nd4j.create(t.data(), new long[] {s[0], s[1], s[2], s[3]}, DataType.FLOAT);
    }

    private static DynamicCustomOp op(Convolution c, INDArray in, INDArray w, INDArray b, INDArray out) {
        var win = c.window();
        return DynamicCustomOp.builder("conv2d")
                .addInputs(in, w, b)
                .addOutputs(out)
                // kH, kW, sH, sW, pH, pW, dH, dW, paddingMode (0 = explicit), data format (0 = NCHW),
                // weights format (1 = [oC, iC, kH, kW])
                .addIntegerArguments(win.kh(), win.kw(), win.strideH(), win.strideW(), win.padH(), win.padW(),
                        c.dilationH(), c.dilationW(), 0, 0, 1)
                .build();
    }

    @Override
    public void run(int n) {
        if (groupIn == null) {
            Nd4j.exec(ops[0]);
            return;
        }
        for (int i = 0; i < ops.length; i++) {
            groupIn[i].assign(inViews[i]);
            Nd4j.exec(ops[i]);
            outViews[i].assign(groupOut[i]);
        }
    }
}
