package org.dyve.engine;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.javacpp.Pointer;
import org.dyve.model.Convolution;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The dense convolution on oneDNN, set up once: the primitive (oneDNN picks its fastest implementation and the
 * blocked layouts it wants), the weights reordered into that layout, and the reorders of input and output between
 * the engine's NCHW buffers and those layouts. A call is one to three primitive executions, no allocation. A
 * primitive is made per run size on first use (batches smaller than the engine's are not padded).
 */
final class DnnlConvKernel extends DnnlKernel {
    /** The engine's input and output buffers. */
    private final Pointer in;
    private final Pointer out;
    /** Input channels (per group) up to which a convolution first tries oneDNN's kernels that read NCHW directly. */
    private static final int FEW_CHANNELS = 4;
    private final Convolution conv;
    private final Shape is;
    private final Shape os;
    private final memory.desc weightsUser;
    private final memory weightsUserMemory;
    private final memory bias;
    private final primitive_attr attr;

    /**
     * The oneDNN kernel for {@code c}, then a ReLU on the output if {@code relu}; or null when oneDNN has nothing
     * better than its reference code for it on this CPU (then libnd4j's convolution is used).
     */
    static DnnlConvKernel of(Convolution c, Shape is, Shape os, INDArray in, INDArray out, boolean relu) {
        return usable(() -> new DnnlConvKernel(c, is, os, in, out, relu));
    }

    private DnnlConvKernel(Convolution c, Shape is, Shape os, INDArray input, INDArray output, boolean relu) {
        super((int) input.size(0));
        in = pointer(input);
        out = pointer(output);
        this.conv = c;
        this.is = is;
        this.os = os;
        this.attr = Dnnl.attr(new post_ops(), relu);
        weightsUser = Dnnl.desc(weightDims(), weightTag(c));
        weightsUserMemory = constant(c.weight().data(), weightsUser);
        bias = constant(c.biasValues(),
                Dnnl.desc(new long[] {c.numOutput()}, memory.format_tag.x));
    }

    private long[] weightDims() {
        return weightDims(conv, is);
    }

    /** oneDNN's weight dimensions of {@code c} on input {@code is}: (g,) o, i, h, w. */
    static long[] weightDims(Convolution c, Shape is) {
        var w = c.window();
        int g = c.group();
        return g == 1 ? new long[] {c.numOutput(), is.c(), w.kh(), w.kw()}
                : new long[] {g, c.numOutput() / g, is.c() / g, w.kh(), w.kw()};
    }

    /** The user layout of {@code c}'s weights as the IR holds them. */
    static memory.format_tag weightTag(Convolution c) {
        return c.group() == 1 ? memory.format_tag.oihw : memory.format_tag.goihw;
    }

    /** Bottom and right padding giving Caffe's (floor-rounded) output size. */
    static long[] pads(Convolution c, Shape is, Shape os) {
        var w = c.window();
        return new long[] {Dnnl.padEnd(os.h(), w.strideH(), (w.kh() - 1) * c.dilationH() + 1, is.h(), w.padH()),
            Dnnl.padEnd(os.w(), w.strideW(), (w.kw() - 1) * c.dilationW() + 1, is.w(), w.padW())};
    }

    /**
     * The convolution {@code c} reading {@code src} and writing {@code dst} (either may be {@code any}), weights of
     * {@code src}'s data type in the layout oneDNN picks.
     */
    static convolution_forward.primitive_desc primitive(Convolution c, Shape is, memory.desc src, memory.desc bias,
            memory.desc dst, long[] pads, primitive_attr attr) {
        var w = c.window();
        var cd = new convolution_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_direct,
                src, new memory.desc(weightDims(c, is), src.data_type(), memory.format_tag.any), bias, dst,
                new long[] {w.strideH(), w.strideW()}, new long[] {c.dilationH() - 1, c.dilationW() - 1},
                new long[] {w.padH(), w.padW()}, pads);
        return new convolution_forward.primitive_desc(cd, attr, Dnnl.ENGINE);
    }

    @Override
    Dnnl.Plan makePlan(int n) {
        long[] srcDims = {n, is.c(), is.h(), is.w()};
        long[] dstDims = {n, os.c(), os.h(), os.w()};
        memory.desc srcUser = Dnnl.desc(srcDims, memory.format_tag.nchw);
        memory.desc dstUser = Dnnl.desc(dstDims, memory.format_tag.nchw);
        // Caffe rounds the output size down: the right/bottom padding is what that size uses of the declared one
        long[] pads = pads(conv, is, os);
        // oneDNN fixes a convolution's thread count when it creates it: the one the engine uses for this run size
        Engine.useThreads(Engine.threadsFor(n * conv.macs(List.of(is), os)));
        convolution_forward.primitive_desc pd = null;
        if (is.c() / conv.group() <= FEW_CHANNELS) {
            // a first layer (RGB input): oneDNN's direct JIT kernel reads NCHW as it is, no input reorder
            // (SqueezeNet's conv1: 1.5 ms against 2.1 ms with the reorder and its blocked kernel, one thread)
            var direct = primitive(srcUser, dstDims, pads);
            if (direct.impl_info_str().getString().startsWith("jit:")) {
                pd = direct;
            }
        }
        if (pd == null) {
            pd = primitive(Dnnl.desc(srcDims, memory.format_tag.any), dstDims, pads);
        }
        if (Dnnl.isReference(pd)) {
            return Dnnl.Plan.NONE;
        }
        memory weights = Dnnl.reordered(weightsUserMemory, pd.weights_desc());
        memory user = new memory(srcUser, Dnnl.ENGINE, in);
        memory userDst = new memory(dstUser, Dnnl.ENGINE, out);
        memory src = pd.src_desc().equals(srcUser) ? user : new memory(pd.src_desc(), Dnnl.ENGINE);
        memory dst = pd.dst_desc().equals(dstUser) ? userDst : new memory(pd.dst_desc(), Dnnl.ENGINE);
        List<primitive> steps = new ArrayList<>();
        List<IntMemoryMap> args = new ArrayList<>();
        if (src != user) {
            var r = reorder(srcUser, pd.src_desc());
            steps.add(new reorder(r));
            args.add(Dnnl.args(r, dnnl.DNNL_ARG_FROM, user, dnnl.DNNL_ARG_TO, src));
        }
        steps.add(new convolution_forward(pd));
        IntMemoryMap a = Dnnl.args(pd, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, dst);
        a.put(dnnl.DNNL_ARG_WEIGHTS, weights);
        a.put(dnnl.DNNL_ARG_BIAS, bias);
        args.add(a);
        if (dst != userDst) {
            var r = reorder(pd.dst_desc(), dstUser);
            steps.add(new reorder(r));
            args.add(Dnnl.args(r, dnnl.DNNL_ARG_FROM, dst, dnnl.DNNL_ARG_TO, userDst));
        }
        return new Dnnl.Plan(steps.toArray(new primitive[0]), args.toArray(new IntMemoryMap[0]));
    }

    /** The convolution reading {@code src}, writing the layout oneDNN picks, bottom/right padding {@code pads}. */
    private convolution_forward.primitive_desc primitive(memory.desc src, long[] dstDims, long[] pads) {
        return primitive(conv, is, src, bias.get_desc(), Dnnl.desc(dstDims, memory.format_tag.any), pads, attr);
    }

    static reorder.primitive_desc reorder(memory.desc from, memory.desc to) {
        return new reorder.primitive_desc(Dnnl.ENGINE, from, Dnnl.ENGINE, to, Dnnl.ATTR, false);
    }
}
