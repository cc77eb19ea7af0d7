package org.dyve.engine;

import java.util.function.IntSupplier;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dyve.ShapeMismatchException;
import org.dyve.model.Add;
import org.dyve.model.BatchNorm;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
import org.dyve.model.Activation;
import org.dyve.model.ChannelShuffle;
import org.dyve.model.Elementwise;
import org.dyve.model.Flatten;
import org.dyve.model.Identity;
import org.dyve.model.InnerProduct;
import org.dyve.model.Layer;
import org.dyve.model.Lrn;
import org.dyve.model.Network;
import org.dyve.model.Pad;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Scale;
import org.dyve.model.Shape;
import org.dyve.model.Slice;
import org.dyve.model.Softmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A compiled dense plan for a network or a contiguous range of its layers, at a fixed maximum batch size.
 * Every tensor gets one {@code batch x C x H x W} buffer at compile time (in-place layers share their
 * input's buffer when nothing else reads it), so {@link #run} allocates nothing. Not thread-safe: one
 * engine per thread or actor.
 */
public final class Engine {
    private final Network net;
    private final int from;
    private final int to;
    private final int batch;
    private final IntSupplier threads;
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    /** How each tensor's NCHW buffer is made: allocated, or its input's (in place), or a reshape of it. */
    private final Map<String, java.util.function.Supplier<INDArray>> recipes = new LinkedHashMap<>();
    private final Map<String, FloatBuffer> views = new HashMap<>();
    private final Kernel[] kernels;
    private final Map<String, ConvEffort> effort;
    /** Convolution outputs whose ReLU the convolution's kernel applies (the ReLU layer then does nothing). */
    private final Set<String> fused = new HashSet<>();
    private long samplesRun;
    /** Samples each kernel ran on (fewer than {@link #samplesRun} after early exits). */
    private final long[] ran;
    /** Per kernel: the early exits checked right after it, or null. */
    private final EarlyExit[][] exitAfter;
    private final int[][] exitIndex;
    /** Per kernel with exits: the buffers that exiting samples are packed out of. */
    private final SampleBuffers[] packAfter;
    /** The range's output buffers, for putting samples back in their slots after exits. */
    private SampleBuffers outputs;
    private final List<EarlyExit> exits;
    private final long[] exitEvals;
    /** Per exit: its probe on oneDNN, or null (its features and scores in Java). */
    private final DnnlProbeKernel[] probeKernels;
    /** Per exit: whether its probe reads the tensor's NCHW buffer (brought there from a segment first). */
    private final boolean[] probeSync;
    private final long[] exitTaken;
    /** Per run: original slot of each packed position, and the probabilities of samples that exited. */
    private final int[] slotOf;
    private final float[][] exitProbs;
    private final String[] exitedAt;
    private final boolean[] leaves;
    private float[] act = new float[0];
    private float[] feat = new float[0];
    private float[] row = new float[0];

    /** Tensors that only a oneDNN segment holds in its blocked layout, written to their buffers when read. */
    private final Map<String, DnnlSegmentKernel> hidden = new HashMap<>();
    /** The oneDNN segments and their layer ranges. */
    private final List<DnnlSegmentKernel> segmentKernels = new ArrayList<>();
    private final List<int[]> segmentRanges = new ArrayList<>();

    /**
     * @param fuse whether a convolution's kernel may apply the ReLU after it
     * @param layouts the layouts, in order of preference, in which runs of layers may execute as one
     *     {@link DnnlSegmentKernel} (with {@code fuse}); none: one kernel per layer
     * @param precision the number format inside segments
     * @param threads the native threads a large layer may use, asked before each run; null: every core
     */
    private Engine(Network net, int from, int to, int batch, Map<String, ConvEffort> effort, List<EarlyExit> exits,
            boolean fuse, List<org.bytedeco.dnnl.memory.format_tag> layouts, Precision precision, IntSupplier threads) {
        this.threads = threads;
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, found " + batch);
        }
        this.net = net;
        this.from = from;
        this.to = to;
        this.batch = batch;
        this.effort = effort;
        Map<String, Integer> consumers = new HashMap<>();
        for (Layer l : net.layers()) {
            for (String t : l.inputs()) {
                consumers.merge(t, 1, Integer::sum);
            }
        }
        for (String t : net.rangeInputs(from, to)) {
            Shape is = net.shape(t);
            recipes.put(t, () -> allocate(is));
        }
        kernels = new Kernel[to - from];
        for (int i = from; i < to; i++) {
            Layer l = net.layers().get(i);
            String in0 = l.inputs().get(0);
            Shape os = net.shape(l.output());
            boolean alias = l.inPlace() && consumers.getOrDefault(in0, 0) == 1 && !net.outputs().contains(in0);
            if (l instanceof Flatten || l instanceof Identity) {
                recipes.put(l.output(), () -> nchw(in0).reshape('c', batch, os.c(), os.h(), os.w()));
            } else {
                recipes.put(l.output(), alias ? () -> nchw(in0) : () -> allocate(os));
            }
        }
        if (fuse && !layouts.isEmpty() && ONEDNN) {
            compileSegments(consumers, exits, layouts, precision);
        }
        // a tensor that a oneDNN segment keeps to itself gets its NCHW buffer only when someone asks for it
        for (String t : recipes.keySet()) {
            if (!hidden.containsKey(t)) {
                nchw(t);
            }
        }
        for (int i = from; i < to; i++) {
            if (kernels[i - from] != null) {
                continue;
            }
            Layer l = net.layers().get(i);
            String in0 = l.inputs().get(0);
            // a plain ReLU that is a convolution's only reader, next in the range and in place: the oneDNN kernel
            // applies it on its output, and the ReLU layer has nothing left to do
            boolean reluNext = fuse && l instanceof Convolution && i + 1 < to && net.readByReluOnly(l.output())
                    && net.layers().get(i + 1).inputs().contains(l.output()) && net.layers().get(i + 1).inPlace()
                    && consumers.getOrDefault(l.output(), 0) == 1;
            if (l instanceof Relu && fused.contains(in0)) {
                kernels[i - from] = n -> { };
            } else {
                kernels[i - from] = compile(l, nchw(l.output()), reluNext);
            }
        }
        ran = new long[kernels.length];
        this.exits = List.copyOf(exits);
        exitEvals = new long[exits.size()];
        exitTaken = new long[exits.size()];
        slotOf = new int[batch];
        exitedAt = new String[batch];
        exitProbs = new float[batch][];
        leaves = new boolean[batch];
        exitAfter = new EarlyExit[kernels.length][];
        packAfter = new SampleBuffers[kernels.length];
        exitIndex = new int[kernels.length][];
        int classes = net.shape(net.output()).size();
        if (!this.exits.isEmpty()) {
            for (int b = 0; b < batch; b++) {
                exitProbs[b] = new float[classes];
            }
        }
        probeKernels = new DnnlProbeKernel[this.exits.size()];
        probeSync = new boolean[this.exits.size()];
        for (EarlyExit e : this.exits) {
            ExitProbe probe = e.probe();
            int at = exitLayer(net, probe);
            if (at < from || at >= to) {
                throw new IllegalArgumentException("early exit at " + probe.tensor() + ": not a tensor written by "
                        + "layers [" + from + ", " + to + ") of " + net.name());
            }
            if (!net.shape(probe.tensor()).equals(probe.shape()) || probe.classes() != classes) {
                throw new ShapeMismatchException(net.name() + ": early exit at " + probe.tensor() + " expects "
                        + probe.shape() + " -> " + probe.classes() + " classes, the network has "
                        + net.shape(probe.tensor()) + " -> " + classes);
            }
            int k = at - from;
            EarlyExit[] prev = exitAfter[k] == null ? new EarlyExit[0] : exitAfter[k];
            exitAfter[k] = java.util.Arrays.copyOf(prev, prev.length + 1);
            exitAfter[k][prev.length] = e;
            exitIndex[k] = java.util.Arrays.copyOf(exitIndex[k] == null ? new int[0] : exitIndex[k], prev.length + 1);
            exitIndex[k][prev.length] = this.exits.indexOf(e);
            // the probe's scores for a whole run on oneDNN where it can (one pooling and one product), reading the
            // tensor where a segment holds it, else its NCHW buffer (or in Java)
            String pt = probe.tensor();
            DnnlSegmentKernel seg = hidden.get(pt);
            DnnlProbeKernel onSegment = seg != null ? DnnlProbeKernel.of(probe, batch, n -> seg.held(pt, n)) : null;
            probeSync[this.exits.indexOf(e)] = onSegment == null;
            probeKernels[this.exits.indexOf(e)] = onSegment != null ? onSegment
                    : ONEDNN ? DnnlProbeKernel.of(probe, nchw(pt)) : null;
            act = new float[Math.max(act.length, probe.shape().size())];
            feat = new float[Math.max(feat.length, probe.features())];
            row = new float[Math.max(row.length, probe.shape().w())];
            // what later layers of the range read, and the range's outputs written so far
            List<String> pack = new ArrayList<>(at + 1 < to ? net.rangeInputs(at + 1, to) : List.of());
            for (String t : net.rangeOutputs(from, to)) {
                if (net.lastWriter(t, from, at + 1) >= 0 && !pack.contains(t)) {
                    pack.add(t);
                }
            }
            packAfter[k] = sampleBuffers(pack, at);
        }
        if (!this.exits.isEmpty()) {
            outputs = sampleBuffers(net.rangeOutputs(from, to));
        }
    }

    /**
     * Runs of at least two oneDNN layers (see {@link DnnlSegmentKernel#supports}; no dynamic-effort convolution
     * inside, batch norms with the convolution they fold into) become one segment kernel each, run in phases split at
     * the early exits inside it: the first phase is its first layer's kernel, each other phase the kernel of the
     * layer after an exit, and the others of the run do nothing. A run oneDNN cannot compute in {@code precision}
     * with optimised code is computed in f32.
     */
    private void compileSegments(Map<String, Integer> consumers, List<EarlyExit> exits,
            List<org.bytedeco.dnnl.memory.format_tag> layouts, Precision precision) {
        Set<Integer> exitLayers = new HashSet<>();
        for (EarlyExit e : exits) {
            exitLayers.add(exitLayer(net, e.probe()));
        }
        for (int a = from; a < to; ) {
            int b = a;
            int primitives = 0;
            while (b < to && inSegment(b, consumers) && !(b == a && DnnlSegmentKernel.affine(net.layers().get(b)))) {
                Layer l = net.layers().get(b++);
                primitives += l instanceof Relu || l instanceof Identity || DnnlSegmentKernel.affine(l) ? 0 : 1;
            }
            if (primitives >= 2) {
                int a0 = a;
                int b0 = b;
                Set<String> written = new HashSet<>();
                for (int i = a; i < b; i++) {
                    written.add(net.layers().get(i).output());
                }
                Set<String> external = new HashSet<>();
                for (int i = 0; i < net.layers().size(); i++) {
                    if (i < a || i >= b) {
                        for (String t : net.layers().get(i).inputs()) {
                            if (written.contains(t)) {
                                external.add(t);
                            }
                        }
                    }
                }
                for (String t : written) {
                    if (net.outputs().contains(t)) {
                        external.add(t);
                    }
                }
                // early exits inside the segment split it into phases, with the engine's exit checks between them
                int[] phaseEnds = exitLayers.stream().filter(e -> e >= a0 && e < b0 - 1).sorted()
                        .mapToInt(Integer::intValue).toArray();
                DnnlSegmentKernel k = DnnlSegmentKernel.of(net, a, b, batch, this::nchw, consumers, external, layouts,
                        phaseEnds, precision);
                if (k == null && precision != Precision.F32) {
                    k = DnnlSegmentKernel.of(net, a, b, batch, this::nchw, consumers, external, layouts, phaseEnds,
                            Precision.F32);
                }
                if (k != null) {
                    for (int i = a; i < b; i++) {
                        kernels[i - from] = n -> { };
                    }
                    kernels[a - from] = k.phase(0);
                    for (int p = 0; p < phaseEnds.length; p++) {
                        kernels[phaseEnds[p] + 1 - from] = k.phase(p + 1);
                    }
                    segmentKernels.add(k);
                    segmentRanges.add(new int[] {a, b});
                    for (String t : written) {
                        if (!external.contains(t)) {
                            hidden.put(t, k);
                        }
                    }
                }
            }
            a = Math.max(b, a + 1);
        }
    }

    private boolean inSegment(int i, Map<String, Integer> consumers) {
        Layer l = net.layers().get(i);
        if (l instanceof Convolution c) {
            ConvEffort knobs = effort.get(c.name());
            if (knobs != null && (dynamic(c, knobs) || knobs.sparse() || zeroInputs(c, knobs))) {
                return false;
            }
        }
        return DnnlSegmentKernel.supports(net, i, consumers);
    }

    /** Whether runs of layers may execute as oneDNN segments: {@code -Ddyve.engine.segments=false} compares. */
    static final boolean SEGMENTS = EngineSwitches.CURRENT.segments();

    /**
     * The layer after which an exit is checked: the last that writes its tensor in the whole network, so that
     * the probe reads the tensor's final value and exactly one range of a split network takes the exit.
     */
    private static int exitLayer(Network net, ExitProbe probe) {
        return net.lastWriter(probe.tensor(), 0, net.layers().size());
    }

    /**
     * The buffers of {@code tensors} that this engine holds, one per distinct memory (in-place layers and
     * reshapes share their input's buffer), with their per-sample sizes.
     */
    private SampleBuffers sampleBuffers(List<String> tensors) {
        return sampleBuffers(tensors, -1);
    }

    /**
     * {@link #sampleBuffers(List)}, and the memories of a oneDNN segment that runs on after an early exit at layer
     * {@code at} (a phase boundary) for those of the tensors its later phases read.
     */
    private SampleBuffers sampleBuffers(List<String> tensors, int at) {
        List<FloatBuffer> v = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (String t : tensors) {
            INDArray b = buffers.get(t);
            if (b != null && seen.add(b.data().address() + b.offset() * 4L)) {
                v.add(view(t));
                sizes.add(net.shape(t).size());
            }
        }
        for (int s = 0; s < segmentRanges.size(); s++) {
            int[] r = segmentRanges.get(s);
            if (at >= r[0] && at < r[1] - 1) {
                for (var e : segmentKernels.get(s).sampleViews(tensors)) {
                    v.add(e.getKey());
                    sizes.add(e.getValue());
                }
            }
        }
        return new SampleBuffers(v.toArray(new FloatBuffer[0]), sizes.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Batch buffers and their per-sample sizes, moved sample by sample when early exits pack a batch. */
    private record SampleBuffers(FloatBuffer[] views, int[] sizes) {
        /** Copies sample {@code src} over sample {@code dst} in every buffer. */
        void move(int src, int dst) {
            for (int t = 0; t < views.length; t++) {
                views[t].put(dst * sizes[t], views[t], src * sizes[t], sizes[t]);
            }
        }
    }

    /**
     * Below this many MACs per run a layer runs its native ops on one OpenMP thread. A second thread that has
     * slept (the launcher lets OpenMP threads spin only briefly, {@code GOMP_SPINCOUNT}) can take milliseconds to
     * wake on a virtual machine: with both threads on every convolution, cifar10_full at batch 1 took 0.21 ms back
     * to back but 4.6 ms for each of the first three runs after 20 ms idle (one thread: 0.25 ms, 0.50 ms after
     * idle); SqueezeNet's large layers gain from both cores either way (7.6 ms; 8.0 ms after idle). See the README.
     */
    static final long PARALLEL_MACS = EngineSwitches.CURRENT.parallelMacs();

    /**
     * Whether convolutions and pooling may run as oneDNN primitives (else libnd4j's ops and DyVE's own kernels, as
     * where oneDNN has only reference code): {@code -Ddyve.engine.onednn=false} compares the two or works around
     * a CPU oneDNN mishandles; false as well where oneDNN's native library does not load ({@link OneDnn}).
     */
    static final boolean ONEDNN = OneDnn.usable();

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    /** The native threads of the run under way on each thread (its engine's share of the cores). */
    private static final ThreadLocal<int[]> SHARE = ThreadLocal.withInitial(() -> new int[] {CORES});

    /** The OpenMP team size last set on each thread (an OpenMP setting is per calling thread). */
    private static final ThreadLocal<int[]> OMP_THREADS = ThreadLocal.withInitial(() -> new int[] {-1});

    /** The native threads a run of {@code macs} multiply-accumulates uses. */
    static int threadsFor(long macs) {
        return macs >= PARALLEL_MACS ? SHARE.get()[0] : 1;
    }

    /**
     * From this many floats per run, a layer that only moves data (pooling, a copy into a concat, a reorder) is split
     * over the native threads too.
     */
    static final long PARALLEL_FLOATS = EngineSwitches.CURRENT.parallelFloats();

    /** The native threads for a data-moving step that writes {@code floats} floats. */
    static int threadsForFloats(long floats) {
        return floats >= PARALLEL_FLOATS ? SHARE.get()[0] : 1;
    }

    /** Sets the OpenMP team size for the calling thread's next native ops. */
    static void useThreads(int threads) {
        int[] last = OMP_THREADS.get();
        if (last[0] != threads) {
            org.nd4j.nativeblas.NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(threads);
            last[0] = threads;
        }
    }

    /** A builder for an engine for {@code net}: by default the whole network, batch 1, computed exactly (dense). */
    public static Builder builder(Network net) {
        return new Builder(net);
    }

    /** How to compile an engine; {@link #build} compiles it. */
    public static final class Builder {
        private final Network net;
        private int from;
        private int to;
        private int batch = 1;
        private Map<String, ConvEffort> effort = Map.of();
        private List<EarlyExit> exits = List.of();
        private Precision precision = Precision.F32;
        private boolean fuse = true;
        private List<org.bytedeco.dnnl.memory.format_tag> layouts = SEGMENTS ? DnnlSegmentKernel.LAYOUTS : List.of();
        private IntSupplier threads;

        private Builder(Network net) {
            this.net = net;
            this.to = net.layers().size();
        }

        /**
         * Layers {@code [from, to)} only: the engine's inputs are {@link Network#rangeInputs}, its outputs
         * {@link Network#rangeOutputs}, and it takes the early exits whose tensor's last writer is in the range.
         */
        public Builder range(int from, int to) {
            this.from = from;
            this.to = to;
            return this;
        }

        /** Up to {@code samples} samples per run. */
        public Builder batch(int samples) {
            this.batch = samples;
            return this;
        }

        /**
         * Dynamic effort: every convolution that {@code knobs} turns a knob on for and {@link DynamicConvKernel}
         * supports (group 1, no dilation) runs with them, one that it marks {@link ConvEffort#sparse} otherwise runs
         * from its nonzero weights ({@link SparseConvKernel}), a 1x1 one it marks {@link ConvEffort#zeroInputs} from
         * its nonzero inputs ({@link ZeroInputConvKernel}); all other layers run their dense kernels. {@link #work}
         * then reports the operations executed and skipped.
         */
        public Builder effort(Map<String, ConvEffort> knobs) {
            this.effort = Map.copyOf(knobs);
            return this;
        }

        /**
         * Confidence early exits: after the last layer that writes an exit's tensor, each sample still running whose
         * probe is confident enough leaves the network (see {@link #exited}); the others are packed to the front of
         * the batch and run on. {@link #build} throws {@link ShapeMismatchException} when a probe does not fit its
         * tensor or the network's classes.
         */
        public Builder exits(List<EarlyExit> probes) {
            this.exits = List.copyOf(probes);
            return this;
        }

        /** The number format inside the oneDNN segments (see {@link Precision#isNative()}). */
        public Builder precision(Precision p) {
            this.precision = p;
            return this;
        }

        /**
         * Every layer's output as the network defines it: no ReLU is fused into the convolution before it and no
         * segments, so an {@link Observer} sees convolution outputs before their ReLU.
         */
        public Builder unfused() {
            this.fuse = false;
            this.layouts = List.of();
            return this;
        }

        /** One kernel per layer, no oneDNN segments: the reference the segments are tested against. */
        public Builder layerByLayer() {
            this.layouts = List.of();
            return this;
        }

        /** oneDNN segments in {@code layout} only (the fallback layouts' tests). */
        Builder segmentLayout(org.bytedeco.dnnl.memory.format_tag layout) {
            this.layouts = List.of(layout);
            return this;
        }

        /**
         * The native threads a large layer may use, asked before each run (a share of a {@link CoreBudget}); by
         * default every core. Layers below {@link #PARALLEL_MACS} use one thread whatever this says.
         */
        public Builder threads(IntSupplier share) {
            this.threads = share;
            return this;
        }

        /** Compiles the engine. */
        public Engine build() {
            List<EarlyExit> mine = new ArrayList<>();
            for (EarlyExit e : exits) {
                int at = exitLayer(net, e.probe());
                if (at >= from && at < to) {
                    mine.add(e);
                }
            }
            return new Engine(net, from, to, batch, effort, from == 0 && to == net.layers().size() ? exits : mine,
                    fuse, layouts, precision, threads);
        }
    }

    private INDArray allocate(Shape s) {
        return Nd4j.create(DataType.FLOAT, batch, s.c(), s.h(), s.w());
    }

    /** Compiles layer {@code l}; {@code relu}: fuse the ReLU that follows a convolution if its kernel can. */
    private Kernel compile(Layer l, INDArray out, boolean relu) {
        INDArray in = nchw(l.inputs().get(0));
        Shape is = net.shape(l.inputs().get(0));
        Shape os = net.shape(l.output());
        ConvEffort knobs = effort.get(l.name());
        if (l instanceof Convolution c && knobs != null && dynamic(c, knobs)) {
            return new DynamicConvKernel(c, is, os, in, out, knobs, net.readByReluOnly(c.output()));
        }
        if (l instanceof Convolution c && knobs != null && zeroInputs(c, knobs)) {
            return fusedIf(relu, c, new ZeroInputConvKernel(c, is, os, in, out, relu));
        }
        if (l instanceof Convolution c && knobs != null && knobs.sparse()) {
            return fusedIf(relu, c, new SparseConvKernel(c, is, os, in, out, relu));
        }
        if (l instanceof Convolution c) {
            if (PointwiseConvKernel.applies(c)) {
                Kernel k = ONEDNN ? DnnlPointwiseKernel.of(c, is, os, in, out, relu) : null;
                return k != null ? fusedIf(relu, c, k) : new PointwiseConvKernel(c, is, os, in, out);
            }
            Kernel k = ONEDNN ? DnnlConvKernel.of(c, is, os, in, out, relu) : null;
            if (k != null) {
                return fusedIf(relu, c, k);
            }
            // libnd4j 1.0.0-M2.1's oneDNN helper fails on dilated convolutions
            return c.dilationH() > 1 || c.dilationW() > 1 ? new Im2colConvKernel(c, is, os, in, out)
                    : new ConvKernel(c, in, out);
        } else if (l instanceof Pooling p) {
            Kernel k = ONEDNN ? DnnlPoolKernel.of(p, is, os, in, out) : null;
            if (k != null) {
                return k;
            }
            return NativePoolKernel.applies(p, is) ? new NativePoolKernel(p, in, out)
                    : new PoolKernel(p, is, os, in, out);
        } else if (l instanceof Lrn lrn) {
            return new LrnKernel(lrn, is, in, out);
        } else if (l instanceof Relu r) {
            return new ReluKernel(r, in, out);
        } else if (l instanceof InnerProduct ip) {
            return new InnerProductKernel(ip, in, out);
        } else if (l instanceof Concat) {
            return new ConcatKernel(inputs(l), out);
        } else if (l instanceof Softmax) {
            return new SoftmaxKernel(is, in, out);
        } else if (l instanceof ChannelShuffle cs) {
            return new ChannelShuffleKernel(cs, is, in, out);
        } else if (l instanceof Activation a) {
            return new ActivationKernel(a, is, in, out);
        } else if (l instanceof BatchNorm bn) {
            return AffineKernel.of(bn, is, in, out);
        } else if (l instanceof Scale sc) {
            return AffineKernel.of(sc, is, in, out);
        } else if (l instanceof Add) {
            return new AddKernel(inputs(l), out);
        } else if (l instanceof Pad pad) {
            return new PadKernel(pad, is, os, in, out);
        } else if (l instanceof Slice slice) {
            return new SliceKernel(slice, is, os, in, out);
        } else if (l instanceof Elementwise e) {
            return new ElementwiseKernel(e, is, in, e.constant() == null ? nchw(l.inputs().get(1)) : null, out);
        } else if (l instanceof Flatten || l instanceof Identity) {
            return n -> { };
        }
        throw new UnsupportedOperationException("no dense kernel for " + l.type());
    }

    /** Whether {@code c} runs in {@link DynamicConvKernel}: a knob is on and the kernel supports the layer. */
    private static boolean dynamic(Convolution c, ConvEffort knobs) {
        return knobs.knobsOn() && DynamicConvKernel.applies(c);
    }

    /** Whether {@code c} runs in {@link ZeroInputConvKernel}: asked for, no knob on, and the kernel supports it. */
    private static boolean zeroInputs(Convolution c, ConvEffort knobs) {
        return knobs.zeroInputs() && !dynamic(c, knobs) && ZeroInputConvKernel.applies(c);
    }

    private Kernel fusedIf(boolean relu, Convolution c, Kernel k) {
        if (relu) {
            fused.add(c.output());
        }
        return k;
    }

    /**
     * Operations per convolution and fully connected layer of the range since compile time or the last
     * {@link #resetWork}: executed and skipped per mechanism for dynamic layers, the dense count for others.
     */
    public List<Work> work() {
        List<Work> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Layer l = net.layers().get(i);
            long dense = net.macs(i);
            long skipped = (samplesRun - ran[i - from]) * dense;
            if (kernels[i - from] instanceof DynamicConvKernel d) {
                Work w = d.work();
                out.add(new Work(l.name(), samplesRun, samplesRun * dense, w.macs(), w.sfmaSkipped(),
                        w.sdssSkipped(), w.spetSkipped(), 0, 0, w.overheadOps(), skipped));
            } else if (kernels[i - from] instanceof SparseConvKernel z) {
                long executed = z.macs();
                out.add(new Work(l.name(), samplesRun, samplesRun * dense, executed, 0, 0, 0,
                        ran[i - from] * dense - executed, 0, 0, skipped));
            } else if (kernels[i - from] instanceof ZeroInputConvKernel z) {
                long executed = z.macs();
                long zeroWeights = z.zeroWeightSkipped();
                out.add(new Work(l.name(), samplesRun, samplesRun * dense, executed, 0, 0, 0, zeroWeights,
                        ran[i - from] * dense - executed - zeroWeights, 0, skipped));
            } else if (l instanceof Convolution || l instanceof InnerProduct) {
                out.add(new Work(l.name(), samplesRun, samplesRun * dense, ran[i - from] * dense, 0, 0, 0, 0,
                        0, 0, skipped));
            }
            for (int x = 0; exitAfter[i - from] != null && x < exitAfter[i - from].length; x++) {
                ExitProbe p = exitAfter[i - from][x].probe();
                long evals = exitEvals[exitIndex[i - from][x]];
                out.add(new Work("exit@" + p.tensor(), samplesRun, 0, evals * p.macs(), 0, 0, 0, 0, 0,
                        evals * p.overheadOps(), 0));
            }
        }
        return out;
    }

    /** Sets the counters of {@link #work} to zero. */
    public void resetWork() {
        samplesRun = 0;
        java.util.Arrays.fill(ran, 0);
        java.util.Arrays.fill(exitEvals, 0);
        java.util.Arrays.fill(exitTaken, 0);
        for (Kernel k : kernels) {
            if (k instanceof DynamicConvKernel d) {
                d.resetWork();
            } else if (k instanceof SparseConvKernel z) {
                z.resetWork();
            } else if (k instanceof ZeroInputConvKernel z) {
                z.resetWork();
            }
        }
    }

    private List<INDArray> inputs(Layer l) {
        List<INDArray> out = new ArrayList<>();
        for (String t : l.inputs()) {
            out.add(nchw(t));
        }
        return out;
    }

    public Network network() {
        return net;
    }

    /** Maximum samples per run. */
    public int batch() {
        return batch;
    }

    /** First layer of the compiled range. */
    public int from() {
        return from;
    }

    /** End (exclusive) of the compiled range. */
    public int to() {
        return to;
    }

    /** The {@code batch x C x H x W} buffer of a tensor of the range. */
    public INDArray buffer(String tensor) {
        sync(tensor);
        INDArray b = nchw(tensor);
        if (b == null) {
            throw new IllegalArgumentException("tensor " + tensor + " is not part of layers [" + from + ", " + to
                    + ") of " + net.name());
        }
        return b;
    }

    /** Whether tensor {@code t} has its NCHW buffer yet (a oneDNN segment's inner tensors get one on request). */
    boolean hasBuffer(String t) {
        return buffers.containsKey(t);
    }

    /** The NCHW buffer of a tensor of the range, made on first use; null for another tensor. */
    private INDArray nchw(String tensor) {
        INDArray b = buffers.get(tensor);
        if (b == null && recipes.containsKey(tensor)) {
            b = recipes.get(tensor).get(); // not computeIfAbsent: an alias's recipe makes its input's buffer too
            buffers.put(tensor, b);
        }
        return b;
    }

    private FloatBuffer view(String tensor) {
        return views.computeIfAbsent(tensor, t -> Buffers.view(buffer(t)));
    }

    /**
     * Copies one sample into an input tensor.
     *
     * @throws ShapeMismatchException when {@code chw} does not have the tensor's per-sample size
     */
    public void setInput(String tensor, int sample, float[] chw) {
        Shape s = net.shape(tensor);
        if (chw.length != s.size()) {
            throw new ShapeMismatchException(net.name() + ": input " + tensor + " shape mismatch (expected " + s
                    + " = " + s.size() + " values, found " + chw.length + ")");
        }
        checkSample(sample);
        view(tensor).put(sample * s.size(), chw);
    }

    /** Copies one sample of a tensor into {@code dst} (of the tensor's per-sample size). */
    public void getOutput(String tensor, int sample, float[] dst) {
        checkSample(sample);
        sync(tensor);
        view(tensor).get(sample * net.shape(tensor).size(), dst);
    }

    /** One sample of a tensor as a new array. */
    public float[] output(String tensor, int sample) {
        float[] out = new float[net.shape(tensor).size()];
        getOutput(tensor, sample, out);
        return out;
    }

    /** Whether exit {@code e}'s probe reads its tensor where a oneDNN segment holds it (no NCHW copy first). */
    boolean probeReadsSegment(int e) {
        return !probeSync[e];
    }

    /** The layer ranges {@code [from, to)} that run as one oneDNN segment each. */
    List<int[]> segments() {
        return List.copyOf(segmentRanges);
    }

    /** Brings a tensor that a oneDNN segment holds in its own layout into the tensor's buffer. */
    private void sync(String tensor) {
        DnnlSegmentKernel k = hidden.get(tensor);
        if (k != null) {
            nchw(tensor);
            k.sync(tensor);
        }
    }

    private void checkSample(int sample) {
        if (sample < 0 || sample >= batch) {
            throw new IndexOutOfBoundsException("sample " + sample + " outside batch of " + batch);
        }
    }

    /**
     * Feeds {@code samples} (CHW each) to the network's input as samples {@code 0..n-1} and runs them: the usual way to
     * infer with a whole-network engine ({@link #setInput} and {@link #run(int)} for a layer range's own inputs).
     */
    public void infer(List<float[]> samples) {
        String input = net.input().name();
        for (int i = 0; i < samples.size(); i++) {
            setInput(input, i, samples.get(i));
        }
        run(samples.size());
    }

    /** Runs the compiled layers on the first {@code n} samples. */
    public void run(int n) {
        execute(n, null, null);
    }

    /** Sees each layer's output right after the layer ran (before any in-place successor overwrites it). */
    @FunctionalInterface
    public interface Observer {
        /**
         * @param layer index of the layer in the network
         * @param engine this engine; read the output with {@link #getOutput} (after an early exit, the samples
         *     still running are packed to the front of the batch, in order)
         */
        void after(int layer, Engine engine);
    }

    /** Runs like {@link #run(int)}, calling {@code observer} after every layer. */
    public void run(int n, Observer observer) {
        execute(n, observer, null);
    }

    /**
     * Runs like {@link #run(int)} and adds each layer's wall time to {@code nanos[layer - from]} (in a oneDNN segment,
     * the time of the primitives that compute the layer; layers folded into another layer's primitive get none).
     */
    public void run(int n, long[] nanos) {
        execute(n, null, nanos);
    }

    private void execute(int n, Observer observer, long[] nanos) {
        if (n <= 0 || n > batch) {
            throw new IllegalArgumentException("run size " + n + " outside 1.." + batch);
        }
        samplesRun += n;
        SHARE.get()[0] = threads == null ? CORES : Math.max(1, threads.getAsInt());
        int live = n;
        boolean packed = false;
        for (int s = 0; s < n; s++) {
            slotOf[s] = s;
            exitedAt[s] = null;
        }
        for (int i = 0; i < kernels.length && live > 0; i++) {
            long t0 = nanos == null ? 0 : System.nanoTime();
            useThreads(threadsFor(net.macs(from + i) * live));
            if (nanos != null && kernels[i] instanceof DnnlSegmentKernel.Phase phase) {
                // a segment's steps are timed one by one, each for its own layer
                phase.run(live, nanos, from);
                t0 = System.nanoTime();
            } else {
                kernels[i].run(live);
            }
            ran[i] += live;
            if (exitAfter[i] != null) {
                live = exit(i, live);
                packed = true;
            }
            if (nanos != null) {
                nanos[i] += System.nanoTime() - t0;
            }
            if (observer != null) {
                observer.after(from + i, this);
            }
        }
        if (packed) {
            unpack(n, live);
        }
    }

    /** Checks the exits after kernel {@code k} for the {@code live} packed samples; returns how many run on. */
    private int exit(int k, int live) {
        java.util.Arrays.fill(leaves, 0, live, false);
        int left = 0;
        for (int x = 0; x < exitAfter[k].length; x++) {
            EarlyExit e = exitAfter[k][x];
            ExitProbe p = e.probe();
            int ei = exitIndex[k][x];
            int size = p.shape().size();
            DnnlProbeKernel scores = probeKernels[ei];
            // the NCHW view only for a probe computed in Java: one on oneDNN reads its own memory
            FloatBuffer v = scores == null ? view(p.tensor()) : null;
            if (probeSync[ei]) {
                sync(p.tensor());
            }
            if (scores != null) {
                scores.run(live);
            }
            for (int j = 0; j < live; j++) {
                if (leaves[j]) {
                    continue;
                }
                float[] probs = exitProbs[slotOf[j]];
                int best;
                if (scores != null) {
                    scores.scores(j, probs);
                    best = ExitProbe.softmax(probs, p.classes());
                } else {
                    v.get(j * size, act, 0, size);
                    p.features(act, 0, feat, row);
                    best = p.probabilities(feat, probs);
                }
                exitEvals[ei]++;
                if (probs[best] >= e.threshold()) {
                    leaves[j] = true;
                    exitedAt[slotOf[j]] = p.tensor();
                    exitTaken[ei]++;
                    left++;
                }
            }
        }
        if (left == 0) {
            return live;
        }
        int m = 0;
        for (int j = 0; j < live; j++) {
            if (leaves[j]) {
                continue;
            }
            if (m != j) {
                packAfter[k].move(j, m);
                slotOf[m] = slotOf[j];
            }
            m++;
        }
        return m;
    }

    /** Puts the packed samples' outputs back in their slots and the exited samples' answers in the output. */
    private void unpack(int n, int live) {
        for (int j = live - 1; j >= 0; j--) {
            if (slotOf[j] != j) {
                outputs.move(j, slotOf[j]);
            }
        }
        String output = net.output();
        if (net.lastWriter(output, from, to) < 0) {
            return;
        }
        FloatBuffer v = view(output);
        boolean probabilities = net.outputIsSoftmax();
        int size = net.shape(output).size();
        for (int s = 0; s < n; s++) {
            if (exitedAt[s] != null) {
                float[] p = exitProbs[s];
                for (int c = 0; c < size; c++) {
                    v.put(s * size + c, probabilities ? p[c] : (float) Math.log(p[c]));
                }
            }
        }
    }

    /**
     * The tensor at which sample {@code sample} of the last run left the network, or null when it ran to the
     * end of the range; its answer is then {@link #exitProbabilities} (and, when the range ends with the
     * network's output, that output holds the probabilities, or their logarithms for a non-softmax output).
     */
    public String exited(int sample) {
        checkSample(sample);
        return exitedAt[sample];
    }

    /** The class probabilities of a sample that exited in the last run ({@link #exited} non-null). */
    public float[] exitProbabilities(int sample) {
        if (exited(sample) == null) {
            throw new IllegalStateException("sample " + sample + " did not exit");
        }
        return exitProbs[sample].clone();
    }

    /** Samples that left at each exit, by tensor, since compile time or the last {@link #resetWork}. */
    public Map<String, Long> exitCounts() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int e = 0; e < exits.size(); e++) {
            out.put(exits.get(e).probe().tensor(), exitTaken[e]);
        }
        return out;
    }
}
