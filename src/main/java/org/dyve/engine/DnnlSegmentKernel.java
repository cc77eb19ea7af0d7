package org.dyve.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.eltwise_forward;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.lrn_forward;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.pooling_forward;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.dyve.model.Add;
import org.dyve.model.BatchNorm;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
import org.dyve.model.Identity;
import org.dyve.model.Layer;
import org.dyve.model.Lrn;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Scale;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A run of convolution, pooling, ReLU, LRN, concat, add and identity layers, with the batch norms and scales that
 * fold into their convolutions, executed as one chain of oneDNN primitives on activations kept in one layout from
 * the first layer to the last: channels-last ({@code nhwc}, where oneDNN's brgemm convolutions run), else its
 * blocked {@code nChw16c} or {@code nChw8c}. No reorder to and from NCHW around every layer; ReLUs are post-ops of
 * the convolutions and adds before them. A concat copies nothing: its output is the list of its inputs' memories,
 * which pooling pools one by one and a convolution reads as the sum of one convolution per part (where its output
 * is no larger than its input; else the parts are copied into one input first). The engine's NCHW buffers are read
 * for the segment's inputs and written, right after their writer, for the tensors that layers outside the segment
 * (or the network's outputs, or early exits) read; any other tensor is reordered into its NCHW buffer only when
 * someone asks for it ({@link #sync}). Early exits inside the segment split it into phases ({@link #phase}) that
 * the engine runs with its exit checks between them. No allocation per call.
 */
final class DnnlSegmentKernel extends DnnlKernel {
    /** Layouts tried in order: the first in which oneDNN runs every layer with optimised code is used. */
    static final List<memory.format_tag> LAYOUTS = List.of(memory.format_tag.nhwc, memory.format_tag.nChw16c,
            memory.format_tag.nChw8c);

    private final Network net;
    private final int from;
    private final int to;
    private final java.util.function.Function<String, INDArray> buffers;
    private final Map<String, Integer> consumers;
    private final Set<String> external;
    private final memory.format_tag layout;
    /** The data type of the segment's own memories (its activations and its convolutions' weights). */
    private final memory.data_type type;
    private final Map<String, Pointer> pointers = new HashMap<>();
    private final Map<String, memory> constants = new HashMap<>();
    /** Per run size: the memories holding each tensor of the segment after a run. */
    private final List<Map<String, List<Part>>> memories = new ArrayList<>();
    /** Per run size and tensor: the reorder that writes it to its NCHW buffer on request. */
    private final Map<String, Dnnl.Plan> syncs = new HashMap<>();
    private final Set<String> synced = new HashSet<>();
    private final stream syncStream = new stream(Dnnl.ENGINE);
    private final int batch;
    /** Layers after which a phase ends (early exits inside the segment), ascending; the last one ends at {@code to}. */
    private final int[] phaseEnds;
    /** Per phase: the run size it last ran with (0: not yet). */
    private final int[] phaseRun;
    /** Per run size: the step at which each phase starts, and the end; the layer of each step. */
    private final List<int[]> bounds = new ArrayList<>();
    private final List<int[]> stepLayers = new ArrayList<>();
    /**
     * The memories of the segment's tensors, for the engine's batch size: every run size's memories are their first
     * samples (all layouts used are sample-major), so a phase that runs fewer samples after an early exit reads what
     * the phase before wrote, once the engine has packed the samples still running to the front.
     */
    private final Map<String, memory> storage = new HashMap<>();

    /**
     * The kernel for layers {@code [from, to)} of {@code net} (see {@link #supports}) in the first of
     * {@code layouts} in which oneDNN runs every layer with optimised code, or null when there is none.
     *
     * @param buffers the engine's NCHW buffer of a tensor (made on first use: those of the tensors held here only
     *     when {@link #sync} needs them)
     * @param consumers how many layers of the network read each tensor
     * @param external the tensors written here that must be in their NCHW buffers after every run (after the
     *     phase that writes them)
     * @param phaseEnds layers of the segment, ascending and before its last, after which the engine checks early
     *     exits: the segment runs in phases ({@link #phase})
     * @param precision the number format inside the segment (its NCHW buffers are f32 whatever it is)
     */
    static DnnlSegmentKernel of(Network net, int from, int to, int batch,
            java.util.function.Function<String, INDArray> buffers,
            Map<String, Integer> consumers, Set<String> external, List<memory.format_tag> layouts, int[] phaseEnds,
            Precision precision) {
        for (memory.format_tag layout : layouts) {
            DnnlSegmentKernel k = usable(() -> new DnnlSegmentKernel(net, from, to, batch, buffers, consumers, external,
                    layout, phaseEnds, precision.type()));
            if (k != null) {
                return k;
            }
        }
        return null;
    }

    private DnnlSegmentKernel(Network net, int from, int to, int batch,
            java.util.function.Function<String, INDArray> buffers,
            Map<String, Integer> consumers, Set<String> external, memory.format_tag layout, int[] phaseEnds,
            memory.data_type type) {
        super(batch);
        this.type = type;
        this.batch = batch;
        this.phaseEnds = phaseEnds.clone();
        this.phaseRun = new int[phaseEnds.length + 1];
        this.net = net;
        this.from = from;
        this.to = to;
        this.buffers = buffers;
        this.consumers = consumers;
        this.external = Set.copyOf(external);
        this.layout = layout;
        for (int n = 0; n <= batch; n++) {
            memories.add(null);
            bounds.add(null);
            stepLayers.add(null);
        }
    }

    /**
     * Whether layer {@code i} can be part of a segment: a convolution, a pooling oneDNN computes as Caffe does, a
     * ReLU, an LRN with optimised code channels-last, an identity, a concat, an add of two tensors, or a batch norm
     * or scale that folds into the convolution right before it (directly or through other such layers), whose output
     * only it reads; such a layer cannot start a segment.
     *
     * @param consumers how many layers of the network read each tensor
     */
    static boolean supports(Network net, int i, Map<String, Integer> consumers) {
        Layer l = net.layers().get(i);
        if (l instanceof Convolution || l instanceof Relu || l instanceof Identity || l instanceof Concat) {
            return true;
        }
        if (l instanceof Lrn lrn) {
            // where oneDNN has only reference code for it channels-last, it stays outside segments, in DyVE's kernel
            return lrn(lrn, Dnnl.desc(dims(1, net.shape(lrn.input())), LAYOUTS.get(0))) != null;
        }
        if (l instanceof Add a) {
            return a.inputs().size() == 2;
        }
        if (affine(l)) {
            Layer p = i > 0 ? net.layers().get(i - 1) : null;
            return p != null && (p instanceof Convolution || affine(p) && supports(net, i - 1, consumers))
                    && l.inputs().get(0).equals(p.output()) && consumers.getOrDefault(p.output(), 0) == 1
                    && !net.outputs().contains(p.output());
        }
        if (l instanceof Pooling p) {
            Shape is = net.shape(p.input());
            var w = p.windowFor(is);
            long[] pads = DnnlPoolKernel.pads(w, is, net.shape(p.output()));
            return DnnlPoolKernel.algorithm(p, w, pads[0], pads[1]) != null;
        }
        return false;
    }

    /** Caffe's LRN as oneDNN's (within channels with k = 1) on {@code src}, or null without optimised code. */
    private static lrn_forward.primitive_desc lrn(Lrn lrn, memory.desc src) {
        boolean across = lrn.region() == Lrn.Region.ACROSS_CHANNELS;
        return optimised(() -> new lrn_forward.primitive_desc(new lrn_forward.desc(dnnl.prop_kind.forward_inference,
                across ? dnnl.algorithm.lrn_across_channels : dnnl.algorithm.lrn_within_channel, src, lrn.size(),
                lrn.alpha(), lrn.beta(), across ? lrn.k() : 1f), Dnnl.ATTR, Dnnl.ENGINE));
    }

    /** Whether a layer is a per-channel affine one, which a segment folds into the convolution before it. */
    static boolean affine(Layer l) {
        return l instanceof BatchNorm || l instanceof Scale;
    }

    @Override
    public void run(int n) {
        for (int k = 0; k < phaseRun.length; k++) {
            phase(k).run(n);
        }
    }

    /** The kernel that runs phase {@code k}: the layers after phase end {@code k - 1} up to phase end {@code k}. */
    Phase phase(int k) {
        return new Phase(k);
    }

    /** One phase of the segment, the kernel of its first layer. */
    final class Phase implements Kernel {
        private final int k;

        private Phase(int k) {
            this.k = k;
        }

        @Override
        public void run(int n) {
            int[] b = bounds(n);
            DnnlSegmentKernel.this.run(n, b[k], b[k + 1]);
            ran(n);
        }

        /** Runs like {@link #run(int)} and adds each step's wall time to {@code nanos[its layer - offset]}. */
        void run(int n, long[] nanos, int offset) {
            int[] b = bounds(n);
            int[] layer = stepLayers.get(n);
            for (int s = b[k]; s < b[k + 1]; s++) {
                long t0 = System.nanoTime();
                DnnlSegmentKernel.this.run(n, s, s + 1);
                nanos[layer[s] - offset] += System.nanoTime() - t0;
            }
            ran(n);
        }

        private void ran(int n) {
            phaseRun[k] = n;
            if (k == 0) {
                synced.clear();
            }
        }
    }

    private int[] bounds(int n) {
        plan(n);
        return bounds.get(n);
    }

    /** Writes tensor {@code t} of the last run to its NCHW buffer, if it is not there yet. */
    void sync(String t) {
        int writer = net.lastWriter(t, from, to);
        int k = 0;
        while (k < phaseEnds.length && phaseEnds[k] < writer) {
            k++;
        }
        int n = phaseRun[k];
        if (n > 0 && synced.add(t)) {
            syncs.computeIfAbsent(n + ":" + t, key -> syncPlan(t, n)).run(syncStream);
        }
    }

    /**
     * The memory that holds tensor {@code t} of the segment after a run of {@code n} samples (in the segment's
     * layout, valid until a later phase overwrites it), or null when the tensor is held in parts (a concat's output).
     */
    memory held(String t, int n) {
        bounds(n);
        Map<String, List<Part>> mem = memories.get(n);
        List<Part> parts = mem == null ? null : mem.get(t);
        return parts != null && parts.size() == 1 && parts.get(0).channels() == net.shape(t).c()
                ? parts.get(0).memory() : null;
    }

    /**
     * Views of the memories that hold tensors {@code tensors} for the engine's batch, with their per-sample sizes (in
     * 4-byte words: samples are moved, not read, whatever the segment's precision), for packing the samples still
     * running after an early exit; tensors read from the engine's NCHW buffers have none.
     */
    List<Map.Entry<java.nio.FloatBuffer, Integer>> sampleViews(java.util.Collection<String> tensors) {
        List<Map.Entry<java.nio.FloatBuffer, Integer>> out = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (String t : tensors) {
            bounds(1);
            for (Part p : memories.get(1).getOrDefault(t, List.of())) {
                for (memory m : storage.values()) {
                    long address = m.get_data_handle().address();
                    if (address == p.memory().get_data_handle().address() && seen.add(address)) {
                        long bytes = m.get_desc().get_size();
                        if (bytes % (4L * batch) != 0) {
                            throw new IllegalStateException(t + ": samples of " + bytes / batch
                                    + " bytes cannot be packed in 4-byte words");
                        }
                        long floats = bytes / Float.BYTES;
                        var view = new org.bytedeco.javacpp.FloatPointer(m.get_data_handle()).capacity(floats)
                                .asBuffer();
                        out.add(Map.entry(view, (int) (floats / batch)));
                    }
                }
            }
        }
        return out;
    }

    private Dnnl.Plan syncPlan(String t, int n) {
        List<Part> parts = memories.get(n).get(t);
        if (parts == null) {
            return Dnnl.Plan.NONE;
        }
        Steps st = new Steps();
        toUser(st, t, parts, n);
        return st.plan();
    }

    /**
     * A tensor, or the channels {@code [offset, offset + channels)} of one: a concat's output is the list of its
     * inputs' parts, never copied into one memory unless a reader needs it whole.
     */
    private record Part(memory memory, int offset, int channels) {
    }

    /** The steps of a plan as they are built. */
    private static final class Steps {
        final List<primitive> steps = new ArrayList<>();
        final List<IntMemoryMap> args = new ArrayList<>();
        final List<Integer> threads = new ArrayList<>();
        /** The layer each step belongs to, and the layer of the steps added next. */
        final List<Integer> layers = new ArrayList<>();
        int layer;

        void add(primitive p, IntMemoryMap a, int t) {
            steps.add(p);
            args.add(a);
            threads.add(t);
            layers.add(layer);
        }

        /** {@code src} itself when it is laid out as {@code to}, else a reorder of it into a new memory. */
        memory as(memory src, memory.desc to, int t) {
            if (src.get_desc().equals(to)) {
                return src;
            }
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
        Set<String> emitted = new HashSet<>();
        int[] starts = new int[phaseEnds.length + 2];
        int phase = 0;
        Map<String, List<Part>> mem = new HashMap<>();
        for (String t : net.rangeInputs(from, to)) {
            mem.put(t, List.of(new Part(user(t, n), 0, net.shape(t).c())));
        }
        for (int i = from; i < to; i++) {
            st.layer = i;
            Layer l = net.layers().get(i);
            Shape os = net.shape(l.output());
            int threads = l instanceof Convolution ? Engine.threadsFor(n * net.macs(i))
                    : Engine.threadsForFloats((long) n * os.size());
            Engine.useThreads(threads);
            List<Part> in = mem.get(l.inputs().get(0));
            if (l instanceof Convolution c) {
                Folded f = folded(i);
                Relu relu = f.relu();
                // a convolution is linear in its input channels: over a concat's parts it is the sum of one
                // convolution per part (oneDNN's sum post-op), the bias added by the first and the ReLU by the last.
                // Each part after the first reads the output again: where the output is larger than the input,
                // copying the parts into one input costs less (SqueezeNet's conv_final)
                memory.desc dst = blocked(n, os);
                boolean split = c.group() == 1 && os.size() <= net.shape(c.input()).size();
                List<ConvStep> parts = new ArrayList<>();
                for (int k = 0; k < in.size() && (k == 0 || split); k++) {
                    parts.add(convStep(n, i, in.get(k), k == 0, k > 0, k == in.size() - 1 ? relu : null, dst));
                }
                if (parts.contains(null) || parts.size() < in.size()) {
                    parts = new ArrayList<>();
                    parts.add(convStep(n, i, new Part(whole(st, n, c.input(), in, mem), 0, net.shape(c.input()).c()),
                            true, false, relu, dst));
                }
                if (parts.contains(null)) {
                    return Dnnl.Plan.NONE;
                }
                memory out = tensorMemory(c.output(), n, os);
                for (ConvStep p : parts) {
                    emit(st, c, p, out);
                }
                mem.put(c.output(), List.of(new Part(out, 0, os.c())));
                for (; i < f.end(); i++) {
                    mem.put(net.layers().get(i + 1).output(), mem.get(c.output()));
                }
            } else if (l instanceof Relu r) {
                memory whole = whole(st, n, r.input(), in, mem);
                memory src = st.as(whole, blocked(n, os), threads);
                boolean overwrite = src == whole && exclusive(r.input());
                memory dst = overwrite ? src : tensorMemory(r.output(), n, os);
                Eltwise e = Eltwise.of(r);
                var pd = optimised(() -> new eltwise_forward.primitive_desc(new eltwise_forward.desc(
                        dnnl.prop_kind.forward_inference, e.algorithm(), src.get_desc(), e.alpha(), e.beta()),
                        Dnnl.ATTR, Dnnl.ENGINE));
                if (pd == null) {
                    return Dnnl.Plan.NONE;
                }
                st.add(new eltwise_forward(pd), Dnnl.args(pd, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, dst), threads);
                mem.put(r.output(), List.of(new Part(dst, 0, os.c())));
            } else if (l instanceof Add add) {
                // both terms in the segment's layout, then one binary primitive (and the ReLU after it, if fused)
                memory.desc layout = blocked(n, os);
                memory x = whole(st, n, add.inputs().get(0), in, mem);
                memory y = whole(st, n, add.inputs().get(1), mem.get(add.inputs().get(1)), mem);
                memory x0 = st.as(x, layout, threads);
                memory y0 = st.as(y, layout, threads);
                Relu relu = reluAfter(i, add.output());
                var attr = attr(new post_ops(), relu);
                var pd = optimised(() -> new binary.primitive_desc(new binary.desc(dnnl.algorithm.binary_add,
                        x0.get_desc(), y0.get_desc(), layout), attr, Dnnl.ENGINE));
                if (pd == null) {
                    return Dnnl.Plan.NONE;
                }
                memory dst = tensorMemory(add.output(), n, os);
                IntMemoryMap a = Dnnl.args(pd, dnnl.DNNL_ARG_SRC_0, x0, dnnl.DNNL_ARG_DST, dst);
                a.put(dnnl.DNNL_ARG_SRC_1, y0);
                st.add(new binary(pd), a, threads);
                mem.put(add.output(), List.of(new Part(dst, 0, os.c())));
                if (relu != null) {
                    mem.put(net.layers().get(++i).output(), mem.get(add.output()));
                }
            } else if (l instanceof Lrn lrn) {
                memory src = whole(st, n, lrn.input(), in, mem);
                memory s0 = st.as(src, blocked(n, os), threads);
                var pd = lrn(lrn, s0.get_desc());
                if (pd == null) {
                    return Dnnl.Plan.NONE;
                }
                memory dst = tensorMemory(lrn.output(), n, os);
                st.add(new lrn_forward(pd), Dnnl.args(pd, dnnl.DNNL_ARG_SRC, s0, dnnl.DNNL_ARG_DST, dst), threads);
                mem.put(lrn.output(), List.of(new Part(dst, 0, os.c())));
            } else if (l instanceof Identity) {
                mem.put(l.output(), in);
            } else if (l instanceof Pooling p) {
                // pooling works channel by channel: a concat's parts are pooled one by one
                Shape is = net.shape(p.input());
                List<Part> out = new ArrayList<>();
                for (Part part : in) {
                    Shape pis = new Shape(part.channels(), is.h(), is.w());
                    Shape pos = new Shape(part.channels(), os.h(), os.w());
                    memory src = st.as(part.memory(), blocked(n, pis), threads);
                    memory.desc sd = src.get_desc();
                    var pd = optimised(() -> DnnlPoolKernel.primitive(p, pis, pos, sd, blocked(n, pos)));
                    if (pd == null) {
                        return Dnnl.Plan.NONE;
                    }
                    memory dst = tensorMemory(p.output() + "#" + part.offset(), n, pos);
                    st.add(new pooling_forward(pd), Dnnl.args(pd, dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, dst),
                            threads);
                    out.add(new Part(dst, part.offset(), part.channels()));
                }
                mem.put(p.output(), List.copyOf(out));
            } else if (l instanceof Concat c) {
                List<Part> out = new ArrayList<>();
                int offset = 0;
                for (String t : c.inputs()) {
                    for (Part part : mem.get(t)) {
                        out.add(new Part(part.memory(), offset + part.offset(), part.channels()));
                    }
                    offset += net.shape(t).c();
                }
                mem.put(c.output(), List.copyOf(out));
            } else {
                throw new IllegalStateException(l.name() + ": " + l.type() + " is not part of a oneDNN segment");
            }
            // the tensors read outside the segment go to their NCHW buffers as soon as they are written, so that a
            // phase that ends here leaves them where the engine's early exits and the next layers read them
            for (String t : external) {
                if (net.lastWriter(t, from, i + 1) >= 0 && emitted.add(t)) {
                    toUser(st, t, mem.get(t), n);
                }
            }
            if (phase < phaseEnds.length && phaseEnds[phase] <= i) {
                if (phaseEnds[phase] < i) {
                    return Dnnl.Plan.NONE; // inside a fused chain: cannot stop there
                }
                starts[++phase] = st.steps.size();
            }
        }
        starts[phaseEnds.length + 1] = st.steps.size();
        memories.set(n, mem);
        bounds.set(n, starts);
        stepLayers.set(n, st.layers.stream().mapToInt(Integer::intValue).toArray());
        return st.plan();
    }

    /** A convolution over one part of its input, before its weights and output are bound. */
    private record ConvStep(convolution_forward.primitive_desc pd, Part src, boolean bias, int threads) {
    }

    /**
     * The convolution at layer {@code i} over {@code src} into a memory laid out as {@code dst}: with the bias or
     * without, adding to what the output holds or not, then the ReLU or not; null when oneDNN has no optimised code
     * for it.
     */
    private ConvStep convStep(int n, int i, Part src, boolean bias, boolean accumulate, Relu relu,
            memory.desc dst) {
        Convolution c = (Convolution) net.layers().get(i);
        Shape whole = net.shape(c.input());
        Shape is = new Shape(src.channels(), whole.h(), whole.w());
        Shape os = net.shape(c.output());
        post_ops ops = new post_ops();
        if (accumulate) {
            ops.append_sum();
        }
        var attr = attr(ops, relu);
        memory.desc b = bias ? Dnnl.desc(new long[] {c.numOutput()}, memory.format_tag.x) : new memory.desc();
        long[] pads = DnnlConvKernel.pads(c, is, os);
        int threads = Engine.threadsFor(n * net.macs(i) * src.channels() / whole.c());
        Engine.useThreads(threads);
        // the input as it is, else in the layout oneDNN wants after a reorder
        for (memory.desc s : new memory.desc[] {src.memory().get_desc(), new memory.desc(dims(n, is), type,
                memory.format_tag.any)}) {
            var pd = optimised(() -> DnnlConvKernel.primitive(c, is, s, b, dst, pads, attr));
            if (pd != null) {
                return new ConvStep(pd, src, bias, threads);
            }
        }
        return null;
    }

    /** Adds the step of {@code p} writing {@code out}, with its weights (its part's input channels) reordered. */
    private void emit(Steps st, Convolution c, ConvStep p, memory out) {
        memory src = st.as(p.src().memory(), p.pd().src_desc(), p.threads());
        Shape whole = net.shape(c.input());
        Shape is = new Shape(p.src().channels(), whole.h(), whole.w());
        memory.desc userWeights = Dnnl.desc(DnnlConvKernel.weightDims(c, is), DnnlConvKernel.weightTag(c));
        Folded f = folded(net.indexOf(c.name()));
        float[] w = f.weights();
        float[] slice = is.c() == whole.c() ? w
                : inputChannels(w, c.numOutput(), whole.c(), p.src().offset(), is.c(), w.length / (c.numOutput()
                        * whole.c()));
        memory weights = Dnnl.reordered(constant(c.name() + "/w" + p.src().offset() + "+" + is.c(), slice,
                userWeights), p.pd().weights_desc());
        IntMemoryMap a = Dnnl.args(p.pd(), dnnl.DNNL_ARG_SRC, src, dnnl.DNNL_ARG_DST, out);
        a.put(dnnl.DNNL_ARG_WEIGHTS, weights);
        if (p.bias()) {
            a.put(dnnl.DNNL_ARG_BIAS, constant(c.name() + "/b", f.bias(),
                    Dnnl.desc(new long[] {c.numOutput()}, memory.format_tag.x)));
        }
        st.add(new convolution_forward(p.pd()), a, p.threads());
    }

    /** Input channels {@code [offset, offset + count)} of {@code o x in x k} weights (ungrouped). */
    private static float[] inputChannels(float[] w, int o, int in, int offset, int count, int k) {
        float[] out = new float[o * count * k];
        for (int f = 0; f < o; f++) {
            System.arraycopy(w, (f * in + offset) * k, out, f * count * k, count * k);
        }
        return out;
    }

    /** Tensor {@code t} in one memory: its only part, or its parts copied into a new one. */
    private memory whole(Steps st, int n, String t, List<Part> parts, Map<String, List<Part>> mem) {
        if (parts.size() == 1) {
            return parts.get(0).memory();
        }
        Shape s = net.shape(t);
        memory out = tensorMemory("whole:" + t, n, s);
        for (Part p : parts) {
            st.into(p.memory(), channels(out, n, s, p), Engine.threadsForFloats((long) n * p.channels() * s.plane()));
        }
        mem.put(t, List.of(new Part(out, 0, s.c())));
        return out;
    }

    /** Writes tensor {@code t}, held as {@code parts}, to its NCHW buffer. */
    private void toUser(Steps st, String t, List<Part> parts, int n) {
        memory user = user(t, n);
        Shape s = net.shape(t);
        for (Part p : parts) {
            if (parts.size() > 1 || !same(p.memory(), user)) {
                st.into(p.memory(), parts.size() == 1 ? user : channels(user, n, s, p),
                        Engine.threadsForFloats((long) n * p.channels() * s.plane()));
            }
        }
    }

    /** The channels of part {@code p} within memory {@code m} of a tensor of shape {@code s}. */
    private static memory channels(memory m, int n, Shape s, Part p) {
        return new memory(m.get_desc().submemory_desc(new long[] {n, p.channels(), s.h(), s.w()},
                new long[] {0, p.offset(), 0, 0}), Dnnl.ENGINE, m.get_data_handle());
    }

    /**
     * A convolution as its primitive computes it: the per-channel affine layers (batch norm, scale) that follow it,
     * each its predecessor's only reader, folded into its weights and bias; then, as a post-op, the plain ReLU that
     * reads the result alone.
     *
     * @param end the last layer the primitive computes
     */
    private record Folded(float[] weights, float[] bias, int end, Relu relu) {
    }

    private final Map<Integer, Folded> folds = new HashMap<>();

    private Folded folded(int i) {
        return folds.computeIfAbsent(i, k -> {
            Convolution c = (Convolution) net.layers().get(i);
            int oc = c.numOutput();
            float[] w = c.weight().data();
            float[] b = c.biasValues();
            int end = i;
            String t = c.output();
            while (end + 1 < to && affine(net.layers().get(end + 1)) && exclusive(t)
                    && net.layers().get(end + 1).inputs().get(0).equals(t)) {
                Layer l = net.layers().get(++end);
                float[][] ab = AffineKernel.coefficients(l, oc);
                w = w.clone();
                b = b.clone();
                int per = w.length / oc;
                for (int o = 0; o < oc; o++) {
                    for (int j = o * per; j < (o + 1) * per; j++) {
                        w[j] *= ab[0][o];
                    }
                    b[o] = b[o] * ab[0][o] + ab[1][o];
                }
                t = l.output();
            }
            Relu relu = reluAfter(end, t);
            return new Folded(w, b, relu != null ? end + 1 : end, relu);
        });
    }

    /**
     * Layer {@code i + 1} when it is a ReLU of {@code t} without negative slope (bounded or not), {@code t}'s only
     * reader: a post-op of layer {@code i}; else null.
     */
    private Relu reluAfter(int i, String t) {
        return i + 1 < to && net.layers().get(i + 1) instanceof Relu r && r.negativeSlope() == 0f
                && r.input().equals(t) && exclusive(t) ? r : null;
    }

    /** Attributes with post-ops {@code ops}, then {@code relu} (null: none) on the result. */
    private static primitive_attr attr(post_ops ops, Relu relu) {
        if (relu != null) {
            Eltwise e = Eltwise.of(relu);
            ops.append_eltwise(1f, e.algorithm(), e.alpha(), e.beta());
        }
        return Dnnl.attr(ops, false);
    }

    /** A ReLU as oneDNN's element-wise operation: clip(0, max) when bounded, else relu with its negative slope. */
    private record Eltwise(dnnl.algorithm algorithm, float alpha, float beta) {
        static Eltwise of(Relu r) {
            return r.max() != Float.POSITIVE_INFINITY ? new Eltwise(dnnl.algorithm.eltwise_clip, 0f, r.max())
                    : new Eltwise(dnnl.algorithm.eltwise_relu, r.negativeSlope(), 0f);
        }
    }

    /** Whether only the next layer of the segment reads {@code t}: it may be computed into the same memory. */
    private boolean exclusive(String t) {
        return consumers.getOrDefault(t, 0) == 1 && !external.contains(t) && !net.outputs().contains(t);
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

    private memory constant(String key, float[] data, memory.desc d) {
        return constants.computeIfAbsent(key, k -> constant(data, d));
    }

    /** Whether two memories hold the same data in the same layout. */
    private static boolean same(memory a, memory b) {
        return a.get_data_handle().address() == b.get_data_handle().address() && a.get_desc().equals(b.get_desc());
    }

    /** The engine's NCHW buffer of {@code t} as a memory of {@code n} samples. */
    private memory user(String t, int n) {
        Pointer p = pointers.computeIfAbsent(t, k -> pointer(buffers.apply(k)));
        return new memory(Dnnl.desc(dims(n, net.shape(t)), memory.format_tag.nchw), Dnnl.ENGINE, p);
    }

    /**
     * The memory of {@code n} samples of a tensor of shape {@code s} in the segment's layout: the first samples of
     * the one that {@link #storage} holds under {@code key} for the engine's batch.
     */
    private memory tensorMemory(String key, int n, Shape s) {
        memory whole = storage.computeIfAbsent(key, k -> new memory(blocked(batch, s), Dnnl.ENGINE));
        return new memory(blocked(n, s), Dnnl.ENGINE, whole.get_data_handle());
    }

    private memory.desc blocked(int n, Shape s) {
        return new memory.desc(dims(n, s), type, layout);
    }

    private static long[] dims(int n, Shape s) {
        return new long[] {n, s.c(), s.h(), s.w()};
    }
}
