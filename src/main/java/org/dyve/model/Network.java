package org.dyve.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dyve.ShapeMismatchException;

/**
 * A validated network: inputs, layers in a topological order, and the inferred per-sample shape of every
 * tensor. Every tensor name is written exactly once (importers rename in-place outputs).
 */
public final class Network {
    private final String name;
    private final List<Input> inputs;
    private final List<Layer> layers;
    private final List<String> outputs;
    private final Map<String, Shape> shapes;
    private final long[] macs;

    /**
     * Validates the DAG and infers shapes.
     *
     * @param outputs the network outputs; when empty, the tensors no layer reads
     * @throws ShapeMismatchException when a layer reads an undefined tensor, a name is written twice, or
     *     shapes do not fit
     */
    public Network(String name, List<Input> inputs, List<Layer> layers, List<String> outputs) {
        this.name = name;
        this.inputs = List.copyOf(inputs);
        this.layers = List.copyOf(layers);
        Map<String, Shape> s = new LinkedHashMap<>();
        for (Input in : inputs) {
            if (s.put(in.name(), in.shape()) != null) {
                throw new ShapeMismatchException(name + ": input " + in.name() + " is declared twice");
            }
        }
        Set<String> names = new LinkedHashSet<>();
        macs = new long[layers.size()];
        Set<String> consumed = new LinkedHashSet<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            if (!names.add(l.name())) {
                throw new ShapeMismatchException(name + ": layer name " + l.name() + " is used twice");
            }
            List<Shape> in = new ArrayList<>();
            for (String t : l.inputs()) {
                Shape sh = s.get(t);
                if (sh == null) {
                    throw new ShapeMismatchException(l.name() + ": reads tensor " + t + " that no earlier layer or"
                            + " input defines");
                }
                in.add(sh);
                consumed.add(t);
            }
            Shape out = l.outputShape(in);
            if (s.put(l.output(), out) != null) {
                throw new ShapeMismatchException(l.name() + ": writes tensor " + l.output() + " that is already"
                        + " defined");
            }
            macs[i] = l.macs(in, out);
        }
        this.shapes = Collections.unmodifiableMap(s);
        List<String> outs = new ArrayList<>(outputs);
        if (outs.isEmpty()) {
            for (Layer l : layers) {
                if (!consumed.contains(l.output())) {
                    outs.add(l.output());
                }
            }
        }
        for (String o : outs) {
            if (!s.containsKey(o)) {
                throw new ShapeMismatchException(name + ": output " + o + " is not a tensor of the network");
            }
        }
        this.outputs = List.copyOf(outs);
    }

    public String name() {
        return name;
    }

    public List<Input> inputs() {
        return inputs;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** Output tensor names. */
    public List<String> outputs() {
        return outputs;
    }

    /** The single input, or an error naming the inputs when there are several. */
    public Input input() {
        if (inputs.size() != 1) {
            throw new ShapeMismatchException(name + ": expected one input, found " + inputs.size());
        }
        return inputs.get(0);
    }

    /** The first output tensor: the class scores for a classifier. */
    public String output() {
        return outputs.get(0);
    }

    /** Per-sample shape of tensor {@code tensor}. */
    public Shape shape(String tensor) {
        Shape s = shapes.get(tensor);
        if (s == null) {
            throw new IllegalArgumentException("no tensor " + tensor + " in " + name);
        }
        return s;
    }

    /** All tensor shapes, in definition order. */
    public Map<String, Shape> shapes() {
        return shapes;
    }

    /** Multiply-accumulates of layer {@code i} per sample. */
    public long macs(int i) {
        return macs[i];
    }

    /** Total multiply-accumulates per sample. */
    public long totalMacs() {
        long t = 0;
        for (long m : macs) {
            t += m;
        }
        return t;
    }

    /** Total learned parameters. */
    public long parameters() {
        long p = 0;
        for (Layer l : layers) {
            p += l.parameters();
        }
        return p;
    }

    /** Index of the layer named {@code layer}, or -1. */
    public int indexOf(String layer) {
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).name().equals(layer)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Tensors that layers {@code [from, to)} read but do not write themselves: what a stage owning that range
     * must be handed.
     */
    public List<String> rangeInputs(int from, int to) {
        checkRange(from, to);
        Set<String> written = new LinkedHashSet<>();
        Set<String> needed = new LinkedHashSet<>();
        for (int i = from; i < to; i++) {
            for (String t : layers.get(i).inputs()) {
                if (!written.contains(t)) {
                    needed.add(t);
                }
            }
            written.add(layers.get(i).output());
        }
        return List.copyOf(needed);
    }

    /**
     * Tensors that layers {@code [from, to)} write and that later layers read or that are network outputs:
     * what a stage owning that range must hand on.
     */
    public List<String> rangeOutputs(int from, int to) {
        checkRange(from, to);
        Set<String> out = new LinkedHashSet<>();
        for (int i = from; i < to; i++) {
            if (neededFrom(to, layers.get(i).output())) {
                out.add(layers.get(i).output());
            }
        }
        return List.copyOf(out);
    }

    /**
     * Index of the last layer in {@code [from, to)} that writes {@code tensor} (in-place layers write their input's
     * name again), or -1 when none does.
     */
    public int lastWriter(String tensor, int from, int to) {
        for (int i = Math.min(to, layers.size()) - 1; i >= Math.max(0, from); i--) {
            if (layers.get(i).output().equals(tensor)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether {@code tensor} holds no negative value when layer {@code reader} reads it: its last writer before
     * that layer is a plain ReLU, or a concatenation, pooling or identity of such tensors (a network input is not).
     */
    public boolean nonNegative(String tensor, int reader) {
        int at = lastWriter(tensor, 0, reader);
        if (at < 0) {
            return false;
        }
        Layer w = layers.get(at);
        if (w instanceof Relu r) {
            return r.negativeSlope() == 0f;
        }
        if (w instanceof Concat || w instanceof Pooling || w instanceof Identity) {
            return w.inputs().stream().allMatch(t -> nonNegative(t, at));
        }
        return false;
    }

    /** Whether {@code tensor} is read by layer {@code layer} or a later one, or is a network output. */
    public boolean neededFrom(int layer, String tensor) {
        for (int i = layer; i < layers.size(); i++) {
            if (layers.get(i).inputs().contains(tensor)) {
                return true;
            }
        }
        return outputs.contains(tensor);
    }

    /** The one layer that reads a tensor, or null when none or several do or the tensor is a network output. */
    public Layer onlyReader(String tensor) {
        if (outputs.contains(tensor)) {
            return null;
        }
        Layer reader = null;
        for (Layer l : layers) {
            if (l.inputs().contains(tensor)) {
                if (reader != null) {
                    return null;
                }
                reader = l;
            }
        }
        return reader;
    }

    /**
     * Whether a tensor's only reader is a plain ReLU (negative slope 0, no upper bound), so its negative values never
     * matter and the ReLU can be its writer's post-op.
     */
    public boolean readByReluOnly(String tensor) {
        return onlyReader(tensor) instanceof Relu r && r.plain();
    }

    /** Whether the (first) output is written by a softmax, i.e. already holds probabilities. */
    public boolean outputIsSoftmax() {
        for (Layer l : layers) {
            if (l.output().equals(output())) {
                return l instanceof Softmax;
            }
        }
        return false;
    }

    private void checkRange(int from, int to) {
        if (from < 0 || to > layers.size() || from >= to) {
            throw new IllegalArgumentException("invalid layer range [" + from + ", " + to + ") of " + layers.size());
        }
    }

    @Override
    public String toString() {
        return "Network[" + name + ", " + layers.size() + " layers]";
    }
}
