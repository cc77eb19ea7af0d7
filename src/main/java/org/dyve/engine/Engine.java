package org.dyve.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.ShapeMismatchException;
import org.dyve.model.Add;
import org.dyve.model.BatchNorm;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
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
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    private final Map<String, FloatBuffer> views = new HashMap<>();
    private final Kernel[] kernels;
    private final Map<String, ConvEffort> effort;
    private long samplesRun;

    private Engine(Network net, int from, int to, int batch, Map<String, ConvEffort> effort) {
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
            buffers.put(t, allocate(net.shape(t)));
        }
        kernels = new Kernel[to - from];
        for (int i = from; i < to; i++) {
            Layer l = net.layers().get(i);
            String in0 = l.inputs().get(0);
            Shape os = net.shape(l.output());
            INDArray out;
            boolean alias = l.inPlace() && consumers.getOrDefault(in0, 0) == 1 && !net.outputs().contains(in0);
            if (l instanceof Flatten || l instanceof Identity) {
                out = buffers.get(in0).reshape('c', batch, os.c(), os.h(), os.w());
            } else if (alias) {
                out = buffers.get(in0);
            } else {
                out = allocate(os);
            }
            buffers.put(l.output(), out);
            kernels[i - from] = compile(l, out);
        }
    }

    /**
     * Sets how many native threads ND4J's ops and its BLAS use, process-wide (e.g. one share of the cores per
     * concurrently running stage).
     */
    public static void setNativeThreads(int threads) {
        Nd4j.getEnvironment().setMaxThreads(threads);
        Nd4j.factory().blas().setMaxThreads(threads);
    }

    /** Compiles the whole network, computed exactly (dense), for up to {@code batch} samples per run. */
    public static Engine of(Network net, int batch) {
        return of(net, batch, Map.of());
    }

    /**
     * Compiles the whole network with dynamic effort: every convolution that {@code effort} gives knobs for
     * (other than {@link ConvEffort#EXACT}) and {@link DynamicConvKernel} supports (group 1, no dilation) runs
     * with them; all other layers run their dense kernels. {@link #work} then reports the operations executed
     * and skipped.
     */
    public static Engine of(Network net, int batch, Map<String, ConvEffort> effort) {
        return new Engine(net, 0, net.layers().size(), batch, Map.copyOf(effort));
    }

    /**
     * Compiles layers {@code [from, to)} only: its inputs are {@link Network#rangeInputs}, its outputs
     * {@link Network#rangeOutputs}.
     */
    public static Engine range(Network net, int from, int to, int batch) {
        return range(net, from, to, batch, Map.of());
    }

    /** Compiles layers {@code [from, to)} with dynamic effort, as {@link #of(Network, int, Map)} does. */
    public static Engine range(Network net, int from, int to, int batch, Map<String, ConvEffort> effort) {
        return new Engine(net, from, to, batch, Map.copyOf(effort));
    }

    private INDArray allocate(Shape s) {
        return Nd4j.create(DataType.FLOAT, batch, s.c(), s.h(), s.w());
    }

    private Kernel compile(Layer l, INDArray out) {
        INDArray in = buffers.get(l.inputs().get(0));
        Shape is = net.shape(l.inputs().get(0));
        Shape os = net.shape(l.output());
        ConvEffort knobs = effort.get(l.name());
        if (l instanceof Convolution c && knobs != null && !knobs.equals(ConvEffort.EXACT)
                && DynamicConvKernel.applies(c)) {
            return new DynamicConvKernel(c, is, os, in, out, knobs, reluFollows(c.output()));
        }
        if (l instanceof Convolution c) {
            // libnd4j 1.0.0-M2.1's oneDNN helper fails on dilated convolutions
            if (c.dilationH() > 1 || c.dilationW() > 1) {
                return new Im2colConvKernel(c, is, os, in, out);
            }
            return PointwiseConvKernel.applies(c) ? new PointwiseConvKernel(c, is, os, in, out)
                    : new ConvKernel(c, in, out);
        } else if (l instanceof Pooling p) {
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
            return new ElementwiseKernel(e, is, in, e.constant() == null ? buffers.get(l.inputs().get(1)) : null, out);
        } else if (l instanceof Flatten || l instanceof Identity) {
            return n -> { };
        }
        throw new UnsupportedOperationException("no dense kernel for " + l.type());
    }

    /** Whether a tensor's only reader is a plain ReLU, so negative values never matter. */
    private boolean reluFollows(String tensor) {
        if (net.outputs().contains(tensor)) {
            return false;
        }
        Layer reader = null;
        for (Layer l : net.layers()) {
            if (l.inputs().contains(tensor)) {
                if (reader != null) {
                    return false;
                }
                reader = l;
            }
        }
        return reader instanceof Relu r && r.negativeSlope() == 0f;
    }

    /**
     * Operations per convolution and fully connected layer of the range since compile time or the last
     * {@link #resetWork}: executed and skipped per mechanism for dynamic layers, the dense count for others.
     */
    public List<Work> work() {
        List<Work> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Layer l = net.layers().get(i);
            if (kernels[i - from] instanceof DynamicConvKernel d) {
                out.add(d.work());
            } else if (l instanceof Convolution || l instanceof InnerProduct) {
                long m = samplesRun * net.macs(i);
                out.add(new Work(l.name(), samplesRun, m, m, 0, 0, 0, 0));
            }
        }
        return out;
    }

    /** Sets the counters of {@link #work} to zero. */
    public void resetWork() {
        samplesRun = 0;
        for (Kernel k : kernels) {
            if (k instanceof DynamicConvKernel d) {
                d.resetWork();
            }
        }
    }

    private List<INDArray> inputs(Layer l) {
        List<INDArray> out = new ArrayList<>();
        for (String t : l.inputs()) {
            out.add(buffers.get(t));
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
        INDArray b = buffers.get(tensor);
        if (b == null) {
            throw new IllegalArgumentException("tensor " + tensor + " is not part of layers [" + from + ", " + to
                    + ") of " + net.name());
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
        view(tensor).get(sample * net.shape(tensor).size(), dst);
    }

    /** One sample of a tensor as a new array. */
    public float[] output(String tensor, int sample) {
        float[] out = new float[net.shape(tensor).size()];
        getOutput(tensor, sample, out);
        return out;
    }

    private void checkSample(int sample) {
        if (sample < 0 || sample >= batch) {
            throw new IndexOutOfBoundsException("sample " + sample + " outside batch of " + batch);
        }
    }

    /** Runs the compiled layers on the first {@code n} samples. */
    public void run(int n) {
        if (n <= 0 || n > batch) {
            throw new IllegalArgumentException("run size " + n + " outside 1.." + batch);
        }
        samplesRun += n;
        for (Kernel k : kernels) {
            k.run(n);
        }
    }

    /** Sees each layer's output right after the layer ran (before any in-place successor overwrites it). */
    @FunctionalInterface
    public interface Observer {
        /**
         * @param layer index of the layer in the network
         * @param engine this engine; read the output with {@link #getOutput}
         */
        void after(int layer, Engine engine);
    }

    /** Runs like {@link #run(int)}, calling {@code observer} after every layer. */
    public void run(int n, Observer observer) {
        if (n <= 0 || n > batch) {
            throw new IllegalArgumentException("run size " + n + " outside 1.." + batch);
        }
        samplesRun += n;
        for (int i = 0; i < kernels.length; i++) {
            kernels[i].run(n);
            observer.after(from + i, this);
        }
    }

    /** Runs like {@link #run(int)} and adds each layer's wall time to {@code nanos[layer - from]}. */
    public void run(int n, long[] nanos) {
        samplesRun += n;
        for (int i = 0; i < kernels.length; i++) {
            long t0 = System.nanoTime();
            kernels[i].run(n);
            nanos[i] += System.nanoTime() - t0;
        }
    }
}
