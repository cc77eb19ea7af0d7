package org.dyve.engine;

import org.dyve.model.Pooling;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Pooling through libnd4j ({@code maxpool2d} / {@code avgpool2d}) where its floor rounding and Caffe's ceil
 * rounding give the same windows: no padding and the windows tile the input exactly.
 */
final class NativePoolKernel implements Kernel {
    private final DynamicCustomOp op;

    static boolean applies(Pooling p, Shape in) {
        if (p.global()) {
            return false;
        }
        Window w = p.window();
        return w.padH() == 0 && w.padW() == 0 && (in.h() - w.kh()) % w.strideH() == 0
                && (in.w() - w.kw()) % w.strideW() == 0;
    }

    NativePoolKernel(Pooling p, INDArray in, INDArray out) {
        Window w = p.window();
        op = DynamicCustomOp.builder(p.mode() == Pooling.Mode.MAX ? "maxpool2d" : "avgpool2d")
                .addInputs(in)
                .addOutputs(out)
                // kH, kW, sH, sW, pH, pW, dH, dW, same mode (0), divisor mode (1: include padding), NHWC (0)
                .addIntegerArguments(w.kh(), w.kw(), w.strideH(), w.strideW(), 0, 0, 1, 1, 0, 1, 0)
                .build();
    }

    @Override
    public void run(int n) {
        Nd4j.exec(op);
    }
}
