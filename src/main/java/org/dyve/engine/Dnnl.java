package org.dyve.engine;

import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;

/** What the oneDNN kernels share: the CPU engine, primitive attributes, and a run size's chain of primitives. */
final class Dnnl {
    static final engine ENGINE = new engine(dnnl.dnnl_cpu, 0);
    /**
     * Every primitive gets its own scratchpad: with oneDNN's default, library-owned one, primitives running at once
     * on different threads (stream stages) would share it.
     */
    static final primitive_attr ATTR = new primitive_attr();

    static {
        ATTR.set_scratchpad_mode(dnnl.scratchpad_mode.user);
    }

    private Dnnl() {
    }

    /** Attributes with a private scratchpad and post-ops {@code ops}, then a ReLU on the result when {@code relu}. */
    static primitive_attr attr(post_ops ops, boolean relu) {
        if (relu) {
            ops.append_eltwise(1f, dnnl.algorithm.eltwise_relu, 0f, 0f);
        }
        primitive_attr a = new primitive_attr();
        a.set_scratchpad_mode(dnnl.scratchpad_mode.user);
        a.set_post_ops(ops);
        return a;
    }

    /**
     * The padding after the input (bottom or right) that gives Caffe's output size {@code out} for a window spanning
     * {@code span} inputs: more than {@code padBegin} after ceil rounding, possibly less after floor rounding.
     */
    static long padEnd(int out, int stride, int span, int in, int padBegin) {
        return (long) (out - 1) * stride + span - in - padBegin;
    }

    /** An f32 memory descriptor. */
    static memory.desc desc(long[] dims, memory.format_tag tag) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    /**
     * Whether oneDNN has a convolution for {@code type} using this CPU's own instructions for it: a 3x3 one on 64
     * channels, channels-last, whose implementation is neither reference code ({@link #isReference}) nor built for an
     * ISA without the type's arithmetic (oneDNN names the ISA, e.g. {@code brg:avx512_core_bf16} or
     * {@code jit:avx512_core_amx}).
     *
     * @throws RuntimeException when oneDNN has no convolution for the type at all
     */
    static boolean nativeConvolution(memory.data_type type) {
        long[] dims = {1, 64, 14, 14};
        var d = new org.bytedeco.dnnl.convolution_forward.desc(dnnl.prop_kind.forward_inference,
                dnnl.algorithm.convolution_direct, new memory.desc(dims, type, memory.format_tag.nhwc),
                new memory.desc(new long[] {64, 64, 3, 3}, type, memory.format_tag.any), new memory.desc(),
                new memory.desc(dims, type, memory.format_tag.nhwc), new long[] {1, 1}, new long[] {0, 0},
                new long[] {1, 1}, new long[] {1, 1});
        var pd = new org.bytedeco.dnnl.convolution_forward.primitive_desc(d, ATTR, ENGINE);
        String impl = pd.impl_info_str().getString();
        return !isReference(pd) && (type != memory.data_type.bf16 || impl.contains("bf16") || impl.contains("amx"));
    }

    /** A new memory laid out as {@code to} holding {@code user}'s data (constants: weights, reordered once). */
    static memory reordered(memory user, memory.desc to) {
        memory out = new memory(to, ENGINE);
        var r = new reorder.primitive_desc(ENGINE, user.get_desc(), ENGINE, to, ATTR, false);
        stream s = new stream(ENGINE);
        new reorder(r).execute(s, args(r, dnnl.DNNL_ARG_FROM, user, dnnl.DNNL_ARG_TO, out));
        s._wait();
        return out;
    }

    /** Whether oneDNN chose its reference code (then libnd4j's or DyVE's own kernel is faster). */
    static boolean isReference(primitive_desc_base pd) {
        return pd.impl_info_str().getString().contains("ref");
    }

    /** A primitive's two main arguments and, when it needs one, its own scratchpad. */
    static IntMemoryMap args(primitive_desc_base pd, int k1, memory m1, int k2, memory m2) {
        IntMemoryMap a = new IntMemoryMap();
        a.put(k1, m1);
        a.put(k2, m2);
        memory.desc scratch = pd.scratchpad_desc();
        if (scratch.get_size() > 0) {
            a.put(dnnl.DNNL_ARG_SCRATCHPAD, new memory(scratch, ENGINE));
        }
        return a;
    }

    /**
     * One run size's primitives in order with their arguments and, when not null, the OpenMP team size each was made
     * for (else the caller's); empty when oneDNN has only reference code.
     */
    record Plan(primitive[] steps, IntMemoryMap[] args, int[] threads) {
        static final Plan NONE = new Plan(new primitive[0], new IntMemoryMap[0]);

        /** Primitives that run with the team size the engine set for their layer. */
        Plan(primitive[] steps, IntMemoryMap[] args) {
            this(steps, args, null);
        }

        void run(stream s) {
            run(s, 0, steps.length);
        }

        /** Runs steps {@code [from, to)}. */
        void run(stream s, int from, int to) {
            for (int i = from; i < to; i++) {
                if (threads != null) {
                    Engine.useThreads(threads[i]);
                }
                steps[i].execute(s, args[i]);
            }
            s._wait();
        }
    }
}
