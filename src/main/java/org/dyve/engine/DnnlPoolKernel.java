package org.dyve.engine;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.primitive;
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
    private final Window w;
    private final dnnl.algorithm algorithm;
    private final Shape is;
    private final Shape os;

    /** The oneDNN kernel for {@code p}, or null (an average oneDNN cannot divide as Caffe does, or reference code). */
    static DnnlPoolKernel of(Pooling p, Shape is, Shape os, INDArray in, INDArray out) {
        if (algorithm(p, p.windowFor(is), padBottom(p.windowFor(is), is, os), padRight(p.windowFor(is), is, os))
                == null) {
            return null;
        }
        return usable(() -> new DnnlPoolKernel(p, is, os, in, out));
    }

    private DnnlPoolKernel(Pooling p, Shape is, Shape os, INDArray input, INDArray output) {
        super(input, output);
        this.w = p.windowFor(is);
        this.algorithm = algorithm(p, w, padBottom(w, is, os), padRight(w, is, os));
        this.is = is;
        this.os = os;
    }

    @Override
    Dnnl.Plan makePlan(int n) {
        memory.desc src = Dnnl.desc(new long[] {n, is.c(), is.h(), is.w()}, memory.format_tag.nchw);
        memory.desc dst = Dnnl.desc(new long[] {n, os.c(), os.h(), os.w()}, memory.format_tag.nchw);
        long padB = padBottom(w, is, os);
        long padR = padRight(w, is, os);
        var d = new pooling_forward.desc(dnnl.prop_kind.forward_inference, algorithm, src, dst,
                new long[] {w.strideH(), w.strideW()}, new long[] {w.kh(), w.kw()}, new long[] {w.padH(), w.padW()},
                new long[] {padB, padR});
        var pd = new pooling_forward.primitive_desc(d, Dnnl.ATTR, Dnnl.ENGINE);
        return Dnnl.isReference(pd) ? Dnnl.Plan.NONE : new Dnnl.Plan(new primitive[] {new pooling_forward(pd)},
                new IntMemoryMap[] {Dnnl.args(pd, dnnl.DNNL_ARG_SRC, new memory(src, Dnnl.ENGINE, in),
                    dnnl.DNNL_ARG_DST, new memory(dst, Dnnl.ENGINE, out))});
    }

    /** The bottom padding that gives Caffe's output height (more than the top one after ceil rounding). */
    private static long padBottom(Window w, Shape is, Shape os) {
        return Math.max(0, (long) (os.h() - 1) * w.strideH() + w.kh() - is.h() - w.padH());
    }

    private static long padRight(Window w, Shape is, Shape os) {
        return Math.max(0, (long) (os.w() - 1) * w.strideW() + w.kw() - is.w() - w.padW());
    }

    private static dnnl.algorithm algorithm(Pooling p, Window w, long padB, long padR) {
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
