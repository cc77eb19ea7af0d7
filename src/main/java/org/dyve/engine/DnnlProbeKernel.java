package org.dyve.engine;

import java.nio.FloatBuffer;
import java.util.function.IntFunction;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.inner_product_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.javacpp.Pointer;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An early-exit probe's scores on oneDNN, for every sample of a run at once, straight from the memory that holds the
 * probe's tensor (the engine's NCHW buffer, or a oneDNN segment's own memory in its layout): average pooling over the
 * probe's grid (its features), then its linear map. Only for grids whose cells are all the same size (else
 * {@link ExitProbe#features} averages unequal cells in Java).
 */
final class DnnlProbeKernel extends DnnlKernel {
    private final ExitProbe probe;
    /** Per run size: the memory holding the probe's tensor for that many samples. */
    private final IntFunction<memory> in;
    private final FloatBuffer scores;
    private final Pointer out;
    private final long[] weightDims;
    private final memory weightsUser;
    private final memory bias;

    /** The kernel for {@code p} reading {@code tensor} (batch x C x H x W), or null (unequal cells, no oneDNN). */
    static DnnlProbeKernel of(ExitProbe p, INDArray tensor) {
        Shape s = p.shape();
        // the function holds the buffer (a pointer made from it does not keep it reachable)
        return of(p, (int) tensor.size(0), n -> new memory(Dnnl.desc(new long[] {n, s.c(), s.h(), s.w()},
                memory.format_tag.nchw), Dnnl.ENGINE, new Pointer(Buffers.view(tensor))));
    }

    /**
     * The kernel for {@code p} reading, in runs of {@code n} samples, {@code held.apply(n)}: the probe's tensor in
     * any layout (null: none, then no kernel). Null when the grid's cells are unequal or oneDNN is not usable.
     */
    static DnnlProbeKernel of(ExitProbe p, int batch, IntFunction<memory> held) {
        boolean equal = p.shape().h() % p.grid() == 0 && p.shape().w() % p.grid() == 0;
        return equal ? usable(() -> new DnnlProbeKernel(p, batch, held)) : null;
    }

    private DnnlProbeKernel(ExitProbe p, int batch, IntFunction<memory> held) {
        super(batch);
        this.probe = p;
        this.in = held;
        scores = Buffers.direct(batch * p.classes());
        out = new Pointer(scores);
        Shape s = p.shape();
        weightDims = new long[] {p.classes(), s.c(), p.grid(), p.grid()};
        weightsUser = constant(p.weights(), Dnnl.desc(weightDims, memory.format_tag.oihw));
        bias = constant(p.bias(), Dnnl.desc(new long[] {p.classes()}, memory.format_tag.x));
    }

    @Override
    Dnnl.Plan makePlan(int n) {
        Shape s = probe.shape();
        int g = probe.grid();
        long[] cell = {s.h() / g, s.w() / g};
        memory src = in.apply(n);
        if (src == null) {
            return Dnnl.Plan.NONE;
        }
        memory.desc pooled = Dnnl.desc(new long[] {n, s.c(), g, g}, memory.format_tag.any);
        memory.desc dst = Dnnl.desc(new long[] {n, probe.classes()}, memory.format_tag.nc);
        Engine.useThreads(1);
        var pool = new pooling_forward.primitive_desc(new pooling_forward.desc(dnnl.prop_kind.forward_inference,
                dnnl.algorithm.pooling_avg_exclude_padding, src.get_desc(), pooled, cell, cell, new long[] {0, 0},
                new long[] {0, 0}), Dnnl.ATTR, Dnnl.ENGINE);
        var ip = new inner_product_forward.primitive_desc(new inner_product_forward.desc(
                dnnl.prop_kind.forward_inference, pool.dst_desc(), Dnnl.desc(weightDims, memory.format_tag.any),
                bias.get_desc(), dst), Dnnl.ATTR, Dnnl.ENGINE);
        if (Dnnl.isReference(pool) || Dnnl.isReference(ip)) {
            return Dnnl.Plan.NONE;
        }
        memory weights = Dnnl.reordered(weightsUser, ip.weights_desc());
        memory mid = new memory(pool.dst_desc(), Dnnl.ENGINE);
        IntMemoryMap a = Dnnl.args(ip, dnnl.DNNL_ARG_SRC, mid, dnnl.DNNL_ARG_DST, new memory(dst, Dnnl.ENGINE, out));
        a.put(dnnl.DNNL_ARG_WEIGHTS, weights);
        a.put(dnnl.DNNL_ARG_BIAS, bias);
        return new Dnnl.Plan(new primitive[] {new pooling_forward(pool), new inner_product_forward(ip)},
                new IntMemoryMap[] {Dnnl.args(pool, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, mid), a},
                new int[] {1, 1});
    }

    /** Copies the scores of sample {@code j} of the last run into {@code dst}. */
    void scores(int j, float[] dst) {
        scores.get(j * probe.classes(), dst, 0, probe.classes());
    }
}
