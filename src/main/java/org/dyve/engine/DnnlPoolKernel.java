package org.dyve.engine;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.javacpp.Pointer;
import org.dyve.model.Pooling;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Pooling on oneDNN, straight on the engine's NCHW buffers. Caffe's ceil rounding becomes a larger bottom/right
 * padding, which max pooling never picks (Caffe clips its windows to the input, and no window lies wholly in the
 * padding). Caffe's average divides by the window clipped to the padded input: without padding that is oneDNN's
 * {@code exclude_padding}, with padding and no rounded-up overhang its {@code include_padding}; other average
 * poolings (padding and overhang) stay in DyVE's kernel.
 */
final class DnnlPoolKernel extends DnnlKernel {
    /** The engine's input and output buffers. */
    private final Pointer in;
    private final Pointer out;
    private final Pooling pool;
    private final Shape is;
    private final Shape os;

    /** The oneDNN kernel for {@code p}, or null (an average oneDNN cannot divide as Caffe does, or reference code). */
    static DnnlPoolKernel of(Pooling p, Shape is, Shape os, INDArray in, INDArray out) {
        return usable(() -> new DnnlPoolKernel(p, is, os, in, out));
    }

    private DnnlPoolKernel(Pooling p, Shape is, Shape os, INDArray input, INDArray output) {
        super((int) input.size(0));
        in = pointer(input);
        out = pointer(output);
        this.pool = p;
        this.is = is;
        this.os = os;
    }

    /**
     * Bottom and right padding for Caffe's output size, clamped at 0: where floor rounding leaves input unread,
     * oneDNN rejects the sizes and DyVE's kernel runs.
     */
    static long[] pads(Window w, Shape is, Shape os) {
        return new long[] {Math.max(0, Dnnl.padEnd(os.h(), w.strideH(), w.kh(), is.h(), w.padH())),
            Math.max(0, Dnnl.padEnd(os.w(), w.strideW(), w.kw(), is.w(), w.padW()))};
    }

    /** The pooling primitive from {@code src} to {@code dst}, or null where oneDNN cannot pool as Caffe does. */
    static pooling_forward.primitive_desc primitive(Pooling p, Shape is, Shape os, memory.desc src, memory.desc dst) {
        Window w = p.windowFor(is);
        long[] pads = pads(w, is, os);
        dnnl.algorithm algorithm = algorithm(p, w, pads[0], pads[1]);
        if (algorithm == null) {
            return null;
        }
        var d = new pooling_forward.desc(dnnl.prop_kind.forward_inference, algorithm, src, dst,
                new long[] {w.strideH(), w.strideW()}, new long[] {w.kh(), w.kw()}, new long[] {w.padH(), w.padW()},
                pads);
        return new pooling_forward.primitive_desc(d, Dnnl.ATTR, Dnnl.ENGINE);
    }

    @Override
    Dnnl.Plan makePlan(int n) {
        memory.desc src = Dnnl.desc(new long[] {n, is.c(), is.h(), is.w()}, memory.format_tag.nchw);
        memory.desc dst = Dnnl.desc(new long[] {n, os.c(), os.h(), os.w()}, memory.format_tag.nchw);
        var pd = primitive(pool, is, os, src, dst);
        if (pd == null || Dnnl.isReference(pd)) {
            return Dnnl.Plan.NONE;
        }
        return new Dnnl.Plan(new primitive[] {new pooling_forward(pd)},
                new IntMemoryMap[] {Dnnl.args(pd, dnnl.DNNL_ARG_SRC, new memory(src, Dnnl.ENGINE, in),
                    dnnl.DNNL_ARG_DST, new memory(dst, Dnnl.ENGINE, out))});
    }

    static dnnl.algorithm algorithm(Pooling p, Window w, long padB, long padR) {
        if (p.mode() == Pooling.Mode.MAX) {
            return dnnl.algorithm.pooling_max;
        }
        boolean padded = w.padH() > 0 || w.padW() > 0;
        if (p.excludePad() || !padded) {
            return dnnl.algorithm.pooling_avg_exclude_padding;
        }
        return padB == w.padH() && padR == w.padW() ? dnnl.algorithm.pooling_avg_include_padding : null;
    }
}
