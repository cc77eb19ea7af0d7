package org.dyve.engine;

import java.nio.FloatBuffer;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
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
final class DnnlConvKernel implements Kernel {
    private static final engine ENGINE = Dnnl.ENGINE;
    private static final primitive_attr ATTR = Dnnl.ATTR;

    private final Convolution conv;
    private final Shape is;
    private final Shape os;
    private final Pointer in;
    private final Pointer out;
    private final memory.desc weightsUser;
    private final memory weightsUserMemory;
    private final memory bias;
    /**
     * The memory behind {@link #weightsUserMemory} and {@link #bias} and the engine's input and output buffers: a
     * JavaCPP pointer made from a buffer does not keep the buffer reachable.
     */
    private final Object[] keep;
    private final stream stream = new stream(ENGINE);
    /** Per run size {@code n} (index {@code n}), made on first use. */
    private final Dnnl.Plan[] plans;

    /**
     * The oneDNN kernel for {@code c}, or null when oneDNN has nothing better than its reference code for it on this
     * CPU (then libnd4j's convolution is used).
     */
    static DnnlConvKernel of(Convolution c, Shape is, Shape os, INDArray in, INDArray out) {
        try {
            DnnlConvKernel k = new DnnlConvKernel(c, is, os, in, out);
            return k.plan(1) == Dnnl.Plan.NONE ? null : k;
        } catch (RuntimeException | UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            return null;
        }
    }

    private DnnlConvKernel(Convolution c, Shape is, Shape os, INDArray input, INDArray output) {
        this.conv = c;
        this.is = is;
        this.os = os;
        this.in = new Pointer(Buffers.view(input));
        this.out = new Pointer(Buffers.view(output));
        float[] w = c.weight().data();
        FloatBuffer wb = Buffers.direct(w.length).put(0, w);
        weightsUser = desc(weightDims(), c.group() == 1 ? memory.format_tag.oihw : memory.format_tag.goihw);
        weightsUserMemory = new memory(weightsUser, ENGINE, new Pointer(wb));
        float[] b = c.bias() == null ? new float[c.numOutput()] : c.bias().data();
        FloatBuffer bb = Buffers.direct(b.length).put(0, b);
        bias = new memory(desc(new long[] {c.numOutput()}, memory.format_tag.x), ENGINE, new Pointer(bb));
        keep = new Object[] {wb, bb, input, output};
        plans = new Dnnl.Plan[(int) input.size(0) + 1];
    }

    private long[] weightDims() {
        var w = conv.window();
        int g = conv.group();
        return g == 1 ? new long[] {conv.numOutput(), is.c(), w.kh(), w.kw()}
                : new long[] {g, conv.numOutput() / g, is.c() / g, w.kh(), w.kw()};
    }

    private static memory.desc desc(long[] dims, memory.format_tag tag) {
        return Dnnl.desc(dims, tag);
    }

    private Dnnl.Plan plan(int n) {
        Dnnl.Plan p = plans[n];
        if (p != null) {
            return p;
        }
        var w = conv.window();
        long[] srcDims = {n, is.c(), is.h(), is.w()};
        long[] dstDims = {n, os.c(), os.h(), os.w()};
        memory.desc srcUser = desc(srcDims, memory.format_tag.nchw);
        memory.desc dstUser = desc(dstDims, memory.format_tag.nchw);
        // Caffe rounds the output size down: the right/bottom padding is what that size uses of the declared one
        long padB = (long) (os.h() - 1) * w.strideH() + (long) (w.kh() - 1) * conv.dilationH() + 1 - is.h() - w.padH();
        long padR = (long) (os.w() - 1) * w.strideW() + (long) (w.kw() - 1) * conv.dilationW() + 1 - is.w() - w.padW();
        var cd = new convolution_forward.desc(dnnl.prop_kind.forward_inference, dnnl.algorithm.convolution_direct,
                desc(srcDims, memory.format_tag.any), desc(weightDims(), memory.format_tag.any), bias.get_desc(),
                desc(dstDims, memory.format_tag.any), new long[] {w.strideH(), w.strideW()},
                new long[] {conv.dilationH() - 1, conv.dilationW() - 1}, new long[] {w.padH(), w.padW()},
                new long[] {padB, padR});
        // oneDNN fixes a convolution's thread count when it creates it: the one the engine uses for this run size
        long macs = (long) n * os.size() * (is.c() / conv.group()) * w.kh() * w.kw();
        Engine.useThreads(Engine.threadsFor(macs));
        var pd = new convolution_forward.primitive_desc(cd, ATTR, ENGINE);
        if (Dnnl.isReference(pd)) {
            plans[n] = Dnnl.Plan.NONE;
            return Dnnl.Plan.NONE;
        }
        memory weights = new memory(pd.weights_desc(), ENGINE);
        var toWeights = new reorder.primitive_desc(ENGINE, weightsUser, ENGINE, pd.weights_desc(), ATTR, false);
        stream s = new stream(ENGINE);
        new reorder(toWeights).execute(s, Dnnl.args(toWeights, dnnl.DNNL_ARG_FROM, weightsUserMemory, dnnl.DNNL_ARG_TO,
                weights));
        s._wait();
        memory user = new memory(srcUser, ENGINE, in);
        memory userDst = new memory(dstUser, ENGINE, out);
        memory src = pd.src_desc().equals(srcUser) ? user : new memory(pd.src_desc(), ENGINE);
        memory dst = pd.dst_desc().equals(dstUser) ? userDst : new memory(pd.dst_desc(), ENGINE);
        java.util.List<primitive> steps = new java.util.ArrayList<>();
        java.util.List<IntMemoryMap> args = new java.util.ArrayList<>();
        if (src != user) {
            var r = new reorder.primitive_desc(ENGINE, srcUser, ENGINE, pd.src_desc(), ATTR, false);
            steps.add(new reorder(r));
            args.add(Dnnl.args(r, dnnl.DNNL_ARG_FROM, user, dnnl.DNNL_ARG_TO, src));
        }
        steps.add(new convolution_forward(pd));
        IntMemoryMap a = Dnnl.args(pd, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, dst);
        a.put(dnnl.DNNL_ARG_WEIGHTS, weights);
        a.put(dnnl.DNNL_ARG_BIAS, bias);
        args.add(a);
        if (dst != userDst) {
            var r = new reorder.primitive_desc(ENGINE, pd.dst_desc(), ENGINE, dstUser, ATTR, false);
            steps.add(new reorder(r));
            args.add(Dnnl.args(r, dnnl.DNNL_ARG_FROM, dst, dnnl.DNNL_ARG_TO, userDst));
        }
        p = new Dnnl.Plan(steps.toArray(new primitive[0]), args.toArray(new IntMemoryMap[0]));
        plans[n] = p;
        return p;
    }

    @Override
    public void run(int n) {
        plan(n).run(stream);
    }
}
