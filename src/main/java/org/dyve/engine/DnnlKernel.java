package org.dyve.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layers run by oneDNN primitives on the engine's buffers: one {@link Dnnl.Plan} per run size, made on first
 * use (batches smaller than the engine's are not padded), executed on the kernel's own stream. No allocation per
 * call.
 */
abstract class DnnlKernel implements Kernel {
    /** What the memories made here point into: a JavaCPP pointer made from a buffer does not keep it reachable. */
    private final List<Object> keep = new ArrayList<>();
    private final stream stream = new stream(Dnnl.ENGINE);
    private final Dnnl.Plan[] plans;

    /** A kernel for runs of up to {@code batch} samples. */
    DnnlKernel(int batch) {
        plans = new Dnnl.Plan[batch + 1];
    }

    /** A pointer to an engine buffer, which stays reachable as long as this kernel. */
    final Pointer pointer(INDArray buffer) {
        keep.add(buffer);
        return new Pointer(Buffers.view(buffer));
    }

    /**
     * The kernel {@code make} builds, or null when oneDNN offers only reference code for it on this CPU or cannot be
     * loaded (then the engine's other kernels run the layer).
     */
    static <K extends DnnlKernel> K usable(Supplier<K> make) {
        try {
            K k = make.get();
            return k.plan(1) == Dnnl.Plan.NONE ? null : k;
        } catch (RuntimeException | UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            return null;
        }
    }

    /** A memory holding a copy of {@code data}, laid out as {@code d}. */
    final memory constant(float[] data, memory.desc d) {
        FloatBuffer b = Buffers.direct(data.length).put(0, data);
        keep.add(b);
        return new memory(d, Dnnl.ENGINE, new Pointer(b));
    }

    /** The primitives for runs of {@code n} samples, or {@link Dnnl.Plan#NONE}. */
    abstract Dnnl.Plan makePlan(int n);

    final Dnnl.Plan plan(int n) {
        Dnnl.Plan p = plans[n];
        if (p == null) {
            p = makePlan(n);
            plans[n] = p;
        }
        return p;
    }

    @Override
    public void run(int n) {
        plan(n).run(stream);
    }

    /** Runs steps {@code [from, to)} of the plan for runs of {@code n} samples. */
    final void run(int n, int from, int to) {
        plan(n).run(stream, from, to);
    }
}
