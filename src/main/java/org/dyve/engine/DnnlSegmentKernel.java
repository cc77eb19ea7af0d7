package org.dyve.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
import org.dyve.model.Identity;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A run of convolution, pooling, ReLU, concat and identity layers executed as one chain of oneDNN primitives on
 * activations kept in one layout from the first layer to the last: channels-last ({@code nhwc}, where oneDNN's
 * brgemm convolutions run), else its blocked {@code nChw16c} or {@code nChw8c}. No reorder to and from NCHW around
 * every layer, ReLUs fused into the convolutions before them, and the convolutions that feed a concat write straight
 * into their channel block of its output where oneDNN can. The engine's
 * NCHW buffers are read for the segment's inputs and written, at the end of every run, for the tensors that layers
 * outside the segment (or the network's outputs, or early exits) read; any other tensor of the segment is reordered
 * into its NCHW buffer only when someone asks for it ({@link #sync}). No allocation per call.
 */
final class DnnlSegmentKernel extends DnnlKernel {
    /** Layouts tried in order: the first in which oneDNN runs every layer with optimised code is used. */
    private static final memory.format_tag[] LAYOUTS = {memory.format_tag.nhwc, memory.format_tag.nChw16c, memory.format_tag.nChw8c};
    /** Channel blocks of concat inputs must start at a multiple of this to be written in place. */
    static final int BLOCK = 16;

    private final Network net;
    private final int from;
    private final int to;
    private final Map<String, INDArray> buffers;
    private final Map<String, Integer> consumers;
    private final Set<String> external;
    private final memory.format_tag layout;
    private final Map<String, Pointer> pointers = new HashMap<>();
    private final Map<String, memory> constants = new HashMap<>();
    /** Per run size: the memory holding each tensor of the segment after a run. */
    private final List<Map<String, memory>> memories = new ArrayList<>();
    /** Per run size and tensor: the reorder that writes it to its NCHW buffer on request. */
    private final Map<String, Dnnl.Plan> syncs = new HashMap<>();
    private final Set<String> synced = new HashSet<>();
    private final stream syncStream = new stream(Dnnl.ENGINE);
    private int lastRun;

    /**
     * The kernel for layers {@code [from, to)} of {@code net} (see {@link #supports}), or null when oneDNN runs one
     * of them only with reference code in both blocked layouts.
     *
     * @param buffers the engine's NCHW buffer of every tensor
     * @param consumers how many layers of the network read each tensor
     * @param external the tensors written here that must be in their NCHW buffers after every run
     */
    static DnnlSegmentKernel of(Network net, int from, int to, int batch, Map<String, INDArray> buffers,
            Map<String, Integer> consumers, Set<String> external) {
        for (memory.format_tag layout : LAYOUTS) {
            DnnlSegmentKernel k = usable(() -> new DnnlSegmentKernel(net, from, to, batch, buffers, consumers, external,
                    layout));
            if (k != null) {
                return k;
            }
        }
        return null;
    }

    private DnnlSegmentKernel(Network net, int from, int to, int batch, Map<String, INDArray> buffers,
            Map<String, Integer> consumers, Set<String> external, memory.format_tag layout) {
        super(batch);
        this.net = net;
        this.from = from;
        this.to = to;
        this.buffers = buffers;
        this.consumers = consumers;
        this.external = Set.copyOf(external);
        this.layout = layout;
        for (int n = 0; n <= batch; n++) {
            memories.add(null);
        }
    }

    /**
     * Whether a layer can be part of a segment: a convolution, a pooling oneDNN computes as Caffe does, a ReLU, an
     * identity, or a concat whose inputs (all but the last) fill whole channel blocks.
     */
    static boolean supports(Network net, Layer l) {
        if (l instanceof Convolution || l instanceof Relu || l instanceof Identity) {
            return true;
        }
        if (l instanceof Pooling p) {
            Shape is = net.shape(p.input());
            var w = p.windowFor(is);
            long[] pads = DnnlPoolKernel.pads(w, is, net.shape(p.output()));
            return DnnlPoolKernel.algorithm(p, w, pads[0], pads[1]) != null;
        }
        if (l instanceof Concat c) {
            for (int k = 0; k < c.inputs().size() - 1; k++) {
                if (net.shape(c.inputs().get(k)).c() % BLOCK != 0) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** The end (exclusive) of the segment's layers. */
    int end() {
        return to;
    }

    @Override
    public void run(int n) {
        super.run(n);
        lastRun = n;
        synced.clear();
    }

    /** Writes tensor {@code t} of the last run to its NCHW buffer, if it is not there yet. */
    void sync(String t) {
        if (lastRun > 0 && synced.add(t)) {
            syncs.computeIfAbsent(lastRun + ":" + t, k -> syncPlan(t, lastRun)).run(syncStream);
        }
    }

    private Dnnl.Plan syncPlan(String t, int n) {
        memory m = memories.get(n).get(t);
        memory user = user(t, n);
        if (m == null || same(m, user)) {
            return Dnnl.Plan.NONE;
        }
        var r = DnnlConvKernel.reorder(m.get_desc(), user.get_desc());
        return new Dnnl.Plan(new primitive[] {new reorder(r)},
                new IntMemoryMap[] {Dnnl.args(r, dnnl.DNNL_ARG_FROM, m, dnnl.DNNL_ARG_TO, user)});
    }

    /** The steps of a plan as they are built. */
    private static final class Steps {
        final List<primitive> steps = new ArrayList<>();
        final List<IntMemoryMap> args = new ArrayList<>();
        final List<Integer> threads = new ArrayList<>();

        void add(primitive p, IntMemoryMap a, int t) {
            steps.add(p);
            args.add(a);
            threads.add(t);
        }

        /** Reorders {@code src} into a new memory laid out as {@code to}. */
        memory reorder(memory src, memory.desc to, int t) {
            memory dst = new memory(to, Dnnl.ENGINE);
            into(src, dst, t);
            return dst;
        }

        /** Reorders {@code src} into {@code dst}. */
        void into(memory src, memory dst, int t) {
            var r = DnnlConvKernel.reorder(src.get_desc(), dst.get_desc());
            add(new reorder(r), Dnnl.args(r, dnnl.DNNL_ARG_FROM, src, dnnl.DNNL_ARG_TO, dst), t);
        }

        Dnnl.Plan plan() {
            return new Dnnl.Plan(steps.toArray(new primitive[0]), args.toArray(new IntMemoryMap[0]),
                    threads.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    @Override
    Dnnl.Plan makePlan(int n) {
        Steps st = new Steps();
        Map<String, memory> mem = new HashMap<>();
        for (String t : net.rangeInputs(from, to)) {
            mem.put(t, user(t, n));
        }
        // convolutions whose (ReLU'd) output only a concat reads write into their block of its output
        Map<String, memory> concatOut = new HashMap<>();
        Map<String, memory> target = new HashMap<>();
        for (int i = from; i < to; i++) {
            if (net.layers().get(i) instanceof Concat c) {
                memory out = new memory(blocked(n, net.shape(c.output())), Dnnl.ENGINE);
                concatOut.put(c.output(), out);
                int offset = 0;
                for (String in : c.inputs()) {
                    Shape s = net.shape(in);
                    String conv = convWriting(in, c);
                    if (conv != null) {
                        target.put(conv, new memory(out.get_desc().submemory_desc(new long[] {n, s.c(), s.h(), s.w()},
                                new long[] {0, offset, 0, 0}), Dnnl.ENGINE, out.get_data_handle()));
                    }
                    offset += s.c();
                }
            }
        }
        for (int i = from; i < to; i++) {
            Layer l = net.layers().get(i);
            int threads = l instanceof Convolution ? Engine.threadsFor(n * net.macs(i))
                    : Engine.threadsForFloats((long) n * net.shape(l.output()).size());
            Engine.useThreads(threads);
            if (l instanceof Convolution c) {
                boolean relu = fusesRelu(i);
                Shape is = net.shape(c.input());
                Shape os = net.shape(c.output());
                memory src = mem.get(c.input());
                memory into = target.get(c.output());
                memory.desc bias = bias(c).get_desc();
                var attr = Dnnl.attr(new post_ops(), relu);
                long[] pads = DnnlConvKernel.pads(c, is, os);
                // the input as it is, else in the layout oneDNN wants after a reorder; the output into its block of a
                // concat, else a memory of its own
                convolution_forward.primitive_desc pd = null;
                boolean inPlace = false;
                for (memory.desc s : new memory.desc[] {src.get_desc(), Dnnl.desc(dims(n, is), memory.format_tag.any)}) {
                    if (pd == null && into != null) {
                        pd = conv(c, is, s, bias, into.get_desc(), pads, attr);
                        inPlace = pd != null;
                    }
                    if (pd == null) {
                        pd = conv(c, is, s, bias, blocked(n, os), pads, attr);
                    }
                }
                if (pd == null) {
                    return Dnnl.Plan.NONE;
                }
                if (!pd.src_desc().equals(src.get_desc())) {
                    src = st.reorder(src, pd.src_desc(), threads);
                }
                memory dst = inPlace ? into : new memory(pd.dst_desc(), Dnnl.ENGINE);
                if (!inPlace) {
                    target.remove(c.output());
                }
                memory.desc userWeights = Dnnl.desc(DnnlConvKernel.weightDims(c, is), DnnlConvKernel.weightTag(c));
                memory w = DnnlConvKernel.weightsFor(pd, userWeights,
                        constant(c.name() + "/w", c.weight().data(), userWeights));
                IntMemoryMap a = Dnnl.args(pd, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, dst);
                a.put(dnnl.DNNL_ARG_WEIGHTS, w);
                a.put(dnnl.DNNL_ARG_BIAS, bias(c));
                st.add(new convolution_forward(pd), a, threads);
                mem.put(c.output(), dst);
                if (relu) {
                    mem.put(net.layers().get(++i).output(), dst);
                }
            } else if (l instanceof Relu r) {
                memory src = mem.get(r.input());
                boolean overwrite = consumers.getOrDefault(r.input(), 0) == 1 && !external.contains(r.input())
                        && !net.outputs().contains(r.input()) && !net.rangeInputs(from, to).contains(r.input());
                memory dst = overwrite ? src : new memory(src.get_desc(), Dnnl.ENGINE);
                var pd = optimised(() -> new eltwise_forward.primitive_desc(new eltwise_forward.desc(
                        dnnl.prop_kind.forward_inference, dnnl.algorithm.eltwise_relu, src.get_desc(),
                        r.negativeSlope(), 0f), Dnnl.ATTR, Dnnl.ENGINE));
                if (pd == null) {
                    return Dnnl.Plan.NONE;
                }
                st.add(new eltwise_forward(pd), Dnnl.args(pd, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, dst), threads);
                mem.put(r.output(), dst);
            } else if (l instanceof Identity) {
                mem.put(l.output(), mem.get(l.inputs().get(0)));
            } else if (l instanceof Pooling p) {
                Shape is = net.shape(p.input());
                Shape os = net.shape(p.output());
                memory src = mem.get(p.input());
                if (!src.get_desc().equals(blocked(n, is))) {
                    src = st.reorder(src, blocked(n, is), threads);
                }
                memory.desc in = src.get_desc();
                var pd = optimised(() -> DnnlPoolKernel.primitive(p, is, os, in, blocked(n, os)));
                if (pd == null) {
                    return Dnnl.Plan.NONE;
                }
                memory dst = new memory(pd.dst_desc(), Dnnl.ENGINE);
                st.add(new pooling_forward(pd), Dnnl.args(pd, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, dst), threads);
                mem.put(p.output(), dst);
            } else if (l instanceof Concat c) {
                memory out = concatOut.get(c.output());
                int offset = 0;
                for (String in : c.inputs()) {
                    Shape s = net.shape(in);
                    String conv = convWriting(in, c);
                    if (conv == null || !target.containsKey(conv)) {
                        memory block = new memory(out.get_desc().submemory_desc(new long[] {n, s.c(), s.h(), s.w()},
                                new long[] {0, offset, 0, 0}), Dnnl.ENGINE, out.get_data_handle());
                        st.into(mem.get(in), block, threads);
                    }
                    offset += s.c();
                }
                mem.put(c.output(), out);
            } else {
                throw new IllegalStateException(l.name() + ": " + l.type() + " is not part of a oneDNN segment");
            }
        }
        for (String t : external) {
            memory m = mem.get(t);
            memory user = user(t, n);
            if (!same(m, user)) {
                st.into(m, user, Engine.threadsForFloats((long) n * net.shape(t).size()));
            }
        }
        memories.set(n, mem);
        return st.plan();
    }

    /**
     * The convolution whose output, or its fused ReLU's, is tensor {@code t} and read by concat {@code c} alone, or
     * null.
     */
    private String convWriting(String t, Concat c) {
        int w = net.lastWriter(t, from, to);
        if (w < 0 || consumers.getOrDefault(t, 0) != 1 || external.contains(t)) {
            return null;
        }
        Layer l = net.layers().get(w);
        if (l instanceof Convolution conv) {
            return conv.output();
        }
        return l instanceof Relu && w > from && fusesRelu(w - 1) ? net.layers().get(w - 1).output() : null;
    }

    /** Whether the convolution at {@code i} applies the plain ReLU after it, its output's only reader. */
    private boolean fusesRelu(int i) {
        Layer c = net.layers().get(i);
        if (!(c instanceof Convolution) || i + 1 >= to || !(net.layers().get(i + 1) instanceof Relu r)) {
            return false;
        }
        return r.negativeSlope() == 0f && r.input().equals(c.output()) && consumers.getOrDefault(c.output(), 0) == 1
                && !external.contains(c.output()) && !net.outputs().contains(c.output());
    }

    private static convolution_forward.primitive_desc conv(Convolution c, Shape is, memory.desc src,
            memory.desc bias, memory.desc dst, long[] pads, org.bytedeco.dnnl.primitive_attr attr) {
        return optimised(() -> DnnlConvKernel.primitive(c, is, src, bias, dst, pads, attr));
    }

    /** The primitive {@code make} builds, or null when oneDNN refuses it or offers only reference code. */
    private static <P extends primitive_desc_base> P optimised(java.util.function.Supplier<P> make) {
        try {
            P pd = make.get();
            return pd == null || Dnnl.isReference(pd) ? null : pd;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private memory bias(Convolution c) {
        return constant(c.name() + "/b", c.biasValues(), Dnnl.desc(new long[] {c.numOutput()}, memory.format_tag.x));
    }

    private memory constant(String key, float[] data, memory.desc d) {
        return constants.computeIfAbsent(key, k -> constant(data, d));
    }

    /** Whether two memories hold the same data in the same layout. */
    private static boolean same(memory a, memory b) {
        return a.get_data_handle().address() == b.get_data_handle().address() && a.get_desc().equals(b.get_desc());
    }

    /** The engine's NCHW buffer of {@code t} as a memory of {@code n} samples. */
    private memory user(String t, int n) {
        Pointer p = pointers.computeIfAbsent(t, k -> pointer(buffers.get(k)));
        return new memory(Dnnl.desc(dims(n, net.shape(t)), memory.format_tag.nchw), Dnnl.ENGINE, p);
    }

    private memory.desc blocked(int n, Shape s) {
        return Dnnl.desc(dims(n, s), layout);
    }

    private static long[] dims(int n, Shape s) {
        return new long[] {n, s.c(), s.h(), s.w()};
    }
}
