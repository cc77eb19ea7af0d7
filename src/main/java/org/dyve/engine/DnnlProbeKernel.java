package org.dyve.engine;

import java.nio.FloatBuffer;
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
 * An early-exit probe's scores on oneDNN, for every sample of a run at once, straight from the engine's NCHW buffer
 * of the probe's tensor: average pooling over the probe's grid (its features), then its linear map. Only for grids
 * whose cells are all the same size (else {@link ExitProbe#features} averages unequal cells in Java).
 */
final class DnnlProbeKernel extends DnnlKernel {
    private final ExitProbe probe;
    private final Pointer in;
    private final FloatBuffer scores;
    private final Pointer out;
    private final long[] weightDims;
    private final memory weightsUser;
    private final memory bias;

    /** The kernel for {@code p} reading {@code tensor} (batch x C x H x W), or null (unequal cells, no oneDNN). */
    static DnnlProbeKernel of(ExitProbe p, INDArray tensor) {
        Shape s = p.shape();
        if (s.h() % p.grid() != 0 || s.w() % p.grid() != 0) {
            return null;
        }
        return usable(() -> new DnnlProbeKernel(p, tensor));
    }

    private DnnlProbeKernel(ExitProbe p, INDArray tensor) {
        super((int) tensor.size(0));
        this.probe = p;
        in = pointer(tensor);
        scores = Buffers.direct((int) tensor.size(0) * p.classes());
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
        memory.desc src = Dnnl.desc(new long[] {n, s.c(), s.h(), s.w()}, memory.format_tag.nchw);
        memory.desc pooled = Dnnl.desc(new long[] {n, s.c(), g, g}, memory.format_tag.nchw);
        memory.desc dst = Dnnl.desc(new long[] {n, probe.classes()}, memory.format_tag.nc);
        Engine.useThreads(1);
        var pool = new pooling_forward.primitive_desc(new pooling_forward.desc(dnnl.prop_kind.forward_inference,
                dnnl.algorithm.pooling_avg_exclude_padding, src, pooled, cell, cell, new long[] {0, 0},
                new long[] {0, 0}), Dnnl.ATTR, Dnnl.ENGINE);
        var ip = new inner_product_forward.primitive_desc(new inner_product_forward.desc(
                dnnl.prop_kind.forward_inference, pooled, Dnnl.desc(weightDims, memory.format_tag.any), bias.get_desc(),
                dst), Dnnl.ATTR, Dnnl.ENGINE);
        if (Dnnl.isReference(pool) || Dnnl.isReference(ip)) {
            return Dnnl.Plan.NONE;
        }
        memory weights = Dnnl.reordered(weightsUser, ip.weights_desc());
        memory mid = new memory(pooled, Dnnl.ENGINE);
        IntMemoryMap a = Dnnl.args(ip, dnnl.DNNL_ARG_SRC, mid, dnnl.DNNL_ARG_DST, new memory(dst, Dnnl.ENGINE, out));
        a.put(dnnl.DNNL_ARG_WEIGHTS, weights);
        a.put(dnnl.DNNL_ARG_BIAS, bias);
        return new Dnnl.Plan(new primitive[] {new pooling_forward(pool), new inner_product_forward(ip)},
                new IntMemoryMap[] {Dnnl.args(pool, dnnl.DNNL_ARG_SRC, new memory(src, Dnnl.ENGINE, in),
                    dnnl.DNNL_ARG_DST, mid), a}, new int[] {1, 1});
    }

    /** Copies the scores of sample {@code j} of the last run into {@code dst}. */
    void scores(int j, float[] dst) {
        scores.get(j * probe.classes(), dst, 0, probe.classes());
    }
}
