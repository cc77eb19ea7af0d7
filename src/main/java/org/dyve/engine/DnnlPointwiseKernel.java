package org.dyve.engine;

import java.util.List;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.javacpp.Pointer;
import org.dyve.model.Convolution;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 1x1, stride-1, unpadded, ungrouped convolution as one oneDNN matrix product made once per run size: per sample
 * the NCHW input is the {@code C x HW} matrix, so {@code out[s] = W x in[s] + b} with the weights broadcast over
 * the batch; the bias is added by a per-channel binary post-op (a bias argument broadcast over the positions sends
 * oneDNN 2.5 to its reference code), then the ReLU that follows, if fused. No reorder, no per-call set-up.
 */
final class DnnlPointwiseKernel extends DnnlKernel {
    /** The engine's input and output buffers. */
    private final Pointer in;
    private final Pointer out;
    private final Convolution conv;
    private final Shape is;
    private final Shape os;
    private final memory weights;
    private final memory bias;
    private final primitive_attr attr;

    /**
     * The kernel for {@code c} (see {@link PointwiseConvKernel#applies}), then a ReLU on the output if {@code relu};
     * or null when oneDNN cannot run it well.
     */
    static DnnlPointwiseKernel of(Convolution c, Shape is, Shape os, INDArray in, INDArray out, boolean relu) {
        return usable(() -> new DnnlPointwiseKernel(c, is, os, in, out, relu));
    }

    private DnnlPointwiseKernel(Convolution c, Shape is, Shape os, INDArray input, INDArray output, boolean relu) {
        super((int) input.size(0));
        in = pointer(input);
        out = pointer(output);
        this.conv = c;
        this.is = is;
        this.os = os;
        weights = constant(c.weight().data(), Dnnl.desc(new long[] {1, os.c(), is.c()}, memory.format_tag.abc));
        bias = constant(c.biasValues(),
                Dnnl.desc(new long[] {1, os.c(), 1}, memory.format_tag.abc));
        var addBias = new post_ops();
        addBias.append_binary(dnnl.algorithm.binary_add, bias.get_desc());
        attr = Dnnl.attr(addBias, relu);
    }

    @Override
    Dnnl.Plan makePlan(int n) {
        int hw = os.plane();
        memory.desc x = Dnnl.desc(new long[] {n, is.c(), hw}, memory.format_tag.abc);
        memory.desc y = Dnnl.desc(new long[] {n, os.c(), hw}, memory.format_tag.abc);
        // as for the convolutions: the thread count is fixed when the primitive is made
        Engine.useThreads(Engine.threadsFor(n * conv.macs(List.of(is), os)));
        var pd = new matmul.primitive_desc(new matmul.desc(weights.get_desc(), x, y), attr, Dnnl.ENGINE);
        if (Dnnl.isReference(pd)) {
            return Dnnl.Plan.NONE;
        }
        IntMemoryMap a = Dnnl.args(pd, dnnl.DNNL_ARG_WEIGHTS, new memory(x, Dnnl.ENGINE, in), dnnl.DNNL_ARG_DST,
                new memory(y, Dnnl.ENGINE, out));
        a.put(dnnl.DNNL_ARG_SRC, weights);
        // DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1: the first post-op's second operand
        a.put(dnnl.DNNL_ARG_ATTR_MULTIPLE_POST_OP_BASE | dnnl.DNNL_ARG_SRC_1, bias);
        return new Dnnl.Plan(new primitive[] {new matmul(pd)}, new IntMemoryMap[] {a});
    }
}
