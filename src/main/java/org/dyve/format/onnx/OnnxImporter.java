package org.dyve.format.onnx;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dyve.ModelFormatException;
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
import org.dyve.model.Input;
import org.dyve.model.Layer;
import org.dyve.model.Lrn;
import org.dyve.model.Network;
import org.dyve.model.Pad;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Shape;
import org.dyve.model.Slice;
import org.dyve.model.Softmax;
import org.dyve.model.Tensor;
import org.dyve.model.Window;

/**
 * Builds a {@link Network} from an ONNX model (opsets 7-17). Tensors are NCHW (rank 4) or NC (rank 2) with
 * a free batch dimension. Identity, Dropout and shape-preserving Reshape/Squeeze/Unsqueeze become aliases;
 * asymmetric padding becomes an explicit {@link Pad}. An unsupported operator fails with the node's name and
 * op type.
 */
public final class OnnxImporter {
    private final Path file;
    private final OnnxGraph g;
    private final Map<String, String> alias = new HashMap<>();
    private final Map<String, Shape> shapes = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    /** The 5-D tensors of a channel shuffle under way, by name. */
    private final Map<String, Shuffle> grouped = new HashMap<>();
    private final Map<String, OnnxGraph.Const> consts;
    private final Set<String> layerNames = new HashSet<>();
    private final List<Layer> layers = new ArrayList<>();

    private OnnxImporter(Path file, OnnxGraph g) {
        this.file = file;
        this.g = g;
        this.consts = new HashMap<>(g.initializers);
    }

    /**
     * Imports an ONNX model.
     *
     * @throws ModelFormatException when the file is not a valid ONNX model or uses an unsupported operator
     * @throws ShapeMismatchException when shapes do not fit
     */
    public static Network load(Path file) {
        return load(file, OnnxGraph.read(file));
    }

    /** Imports an already decoded graph (whose initializers a caller may have extended). */
    static Network load(Path file, OnnxGraph g) {
        if (g.opset < 6 || g.opset > 17) {
            throw new ModelFormatException(file + ": unsupported opset " + g.opset + " (expected 6 to 17)");
        }
        OnnxImporter imp = new OnnxImporter(file, g);
        List<Input> inputs = new ArrayList<>();
        for (OnnxGraph.ValueInfo vi : g.inputs) {
            if (g.initializers.containsKey(vi.name())) {
                continue;
            }
            long[] d = vi.dims();
            if (vi.elemType() != OnnxGraph.FLOAT) {
                throw new ModelFormatException(file + ": input " + vi.name() + " has element type " + vi.elemType()
                        + " (expected float, 1)");
            }
            Shape s;
            if (d.length == 4 && d[1] > 0 && d[2] > 0 && d[3] > 0) {
                s = new Shape((int) d[1], (int) d[2], (int) d[3]);
            } else if (d.length == 3 && d[1] > 0 && d[2] > 0) {
                s = new Shape((int) d[1], (int) d[2], 1);
            } else if (d.length == 2 && d[1] > 0) {
                s = new Shape((int) d[1], 1, 1);
            } else {
                throw new ModelFormatException(file + ": input " + vi.name() + " must be N x C x H x W, N x C x L or N x K with"
                        + " fixed C, H, W (found " + java.util.Arrays.toString(d) + ")");
            }
            imp.shapes.put(vi.name(), s);
            imp.ranks.put(vi.name(), d.length);
            inputs.add(new Input(vi.name(), s));
        }
        for (OnnxGraph.Node n : g.nodes) {
            imp.convert(n);
        }
        List<String> outputs = new ArrayList<>();
        for (OnnxGraph.ValueInfo vi : g.outputs) {
            String t = imp.tensor(vi.name(), "graph output");
            if (inputs.stream().anyMatch(i -> i.name().equals(t))) {
                // an output that is an input passed through Identity/Dropout still needs a layer to write it
                imp.add(new Identity(imp.uniqueName(vi.name()), t, vi.name()), imp.ranks.get(t));
                outputs.add(vi.name());
            } else {
                outputs.add(t);
            }
        }
        String name = g.name.isEmpty() ? file.getFileName().toString() : g.name;
        return new Network(name, inputs, Fusions.fuse(imp.layers, outputs), outputs);
    }

    private String tensor(String name, String who) {
        String t = alias.getOrDefault(name, name);
        if (!shapes.containsKey(t) && consts.containsKey(t)) {
            throw new ModelFormatException(file + ": " + who + " reads the constant " + name + " where a computed"
                    + " tensor is expected (constant operands are supported only as weights and second operands)");
        }
        if (!shapes.containsKey(t)) {
            throw new ModelFormatException(file + ": " + who + " reads " + name + ", which no earlier node produces");
        }
        return t;
    }

    private OnnxGraph.Const constant(OnnxGraph.Node n, int i) {
        if (i >= n.inputs().size() || n.inputs().get(i).isEmpty()) {
            return null;
        }
        return consts.get(n.inputs().get(i));
    }

    private OnnxGraph.Const requireConst(OnnxGraph.Node n, int i, String what) {
        OnnxGraph.Const c = constant(n, i);
        if (c == null) {
            throw new ModelFormatException(file + ": node " + n.describe() + " needs a constant " + what
                    + " (initializer or Constant), found a computed tensor");
        }
        return c;
    }

    private boolean isConst(OnnxGraph.Node n, int i) {
        return constant(n, i) != null;
    }

    private String layerName(OnnxGraph.Node n) {
        return uniqueName(n.name().isEmpty() ? n.outputs().get(0) : n.name());
    }

    private String uniqueName(String base) {
        String name = base;
        int k = 1;
        while (!layerNames.add(name)) {
            name = base + "#" + k++;
        }
        return name;
    }

    private void add(Layer l, int rank) {
        List<Shape> in = new ArrayList<>();
        for (String t : l.inputs()) {
            in.add(shapes.get(t));
        }
        shapes.put(l.output(), l.outputShape(in));
        ranks.put(l.output(), rank);
        layers.add(l);
    }

    private ModelFormatException unsupported(OnnxGraph.Node n, String what) {
        return new ModelFormatException(file + ": node " + n.describe() + ": " + what);
    }

    private void convert(OnnxGraph.Node n) {
        String op = n.opType();
        OnnxGraph.Const folded = fold(n);
        if (folded != null) {
            consts.put(folded.name(), folded);
            return;
        }
        if (op.equals("Constant")) {
            OnnxGraph.Attr v = n.attrs().get("value");
            OnnxGraph.Const c;
            if (v != null && v.t() != null) {
                c = v.t();
            } else if (n.attrs().containsKey("value_float")) {
                c = new OnnxGraph.Const(n.outputs().get(0), new long[0], new float[] {n.f("value_float", 0)}, null);
            } else if (n.attrs().containsKey("value_floats")) {
                float[] f = n.attrs().get("value_floats").floats();
                c = new OnnxGraph.Const(n.outputs().get(0), new long[] {f.length}, f, null);
            } else if (n.attrs().containsKey("value_int")) {
                c = new OnnxGraph.Const(n.outputs().get(0), new long[0], null, new long[] {n.i("value_int", 0)});
            } else if (n.attrs().containsKey("value_ints")) {
                long[] l = n.ints("value_ints");
                c = new OnnxGraph.Const(n.outputs().get(0), new long[] {l.length}, null, l);
            } else {
                throw unsupported(n, "Constant without a value, value_float(s) or value_int(s)");
            }
            consts.put(n.outputs().get(0), new OnnxGraph.Const(n.outputs().get(0), c.dims(), c.floats(), c.longs()));
            return;
        }
        String out = n.outputs().get(0);
        if (op.equals("Identity") && !n.inputs().isEmpty() && consts.containsKey(n.inputs().get(0))
                && !shapes.containsKey(n.inputs().get(0))) {
            // PyTorch passes shared initializers on through Identity nodes: the output is the same constant
            OnnxGraph.Const c = consts.get(n.inputs().get(0));
            consts.put(out, new OnnxGraph.Const(out, c.dims(), c.floats(), c.longs()));
            return;
        }
        switch (op) {
            case "Identity", "Dropout" -> aliasTo(n, out);
            case "Conv" -> conv(n, out);
            case "MaxPool", "AveragePool" -> pool(n, out);
            case "GlobalAveragePool", "GlobalMaxPool" -> {
                String in = tensor(n.inputs().get(0), n.describe());
                add(new Pooling(layerName(n), in, out, op.equals("GlobalMaxPool") ? Pooling.Mode.MAX : Pooling.Mode.AVE,
                        Window.square(1, 1, 0), true, Pooling.Rounding.FLOOR, false), ranks.get(in));
            }
            case "LRN" -> {
                String in = tensor(n.inputs().get(0), n.describe());
                add(new Lrn(layerName(n), in, out, Lrn.Region.ACROSS_CHANNELS, (int) n.i("size", 0),
                        n.f("alpha", 1e-4f), n.f("beta", 0.75f), n.f("bias", 1f)), 4);
            }
            case "Relu" -> add(new Relu(layerName(n), tensor(n.inputs().get(0), n.describe()), out, 0f),
                    rank(n, 0));
            case "LeakyRelu" -> add(new Relu(layerName(n), tensor(n.inputs().get(0), n.describe()), out,
                    n.f("alpha", 0.01f)), rank(n, 0));
            case "Clip" -> clip(n, out);
            case "Sigmoid", "Tanh", "HardSwish" -> add(new Activation(layerName(n), tensor(n.inputs().get(0),
                    n.describe()), out, Activation.Function.valueOf(n.opType().equals("HardSwish") ? "HARD_SWISH"
                    : n.opType().toUpperCase(java.util.Locale.ROOT))), rank(n, 0));
            case "HardSigmoid" -> add(new Activation(layerName(n), tensor(n.inputs().get(0), n.describe()), out,
                    Activation.Function.HARD_SIGMOID, n.f("alpha", 0.2f), n.f("beta", 0.5f)), rank(n, 0));
            case "Gemm" -> gemm(n, out);
            case "MatMul" -> matmul(n, out);
            case "Flatten" -> {
                String in = tensor(n.inputs().get(0), n.describe());
                long axis = n.i("axis", 1);
                if (axis != 1) {
                    throw unsupported(n, "Flatten axis " + axis + " (only 1)");
                }
                if (ranks.get(in) == 2) {
                    alias.put(out, in);
                } else {
                    add(new Flatten(layerName(n), in, out), 2);
                }
            }
            case "Reshape" -> reshape(n, out);
            case "Squeeze", "Unsqueeze" -> squeeze(n, out);
            case "Concat" -> {
                List<String> ins = new ArrayList<>();
                for (String t : n.inputs()) {
                    ins.add(tensor(t, n.describe()));
                }
                int rank = ranks.get(ins.get(0));
                long axis = n.i("axis", 1);
                if (axis != 1 && axis != 1 - rank) {
                    throw unsupported(n, "Concat along axis " + axis + " (only the channel axis 1)");
                }
                add(new Concat(layerName(n), ins, out), rank);
            }
            case "Softmax" -> {
                String in = tensor(n.inputs().get(0), n.describe());
                int rank = ranks.get(in);
                long axis = n.i("axis", g.opset >= 13 ? -1 : 1);
                Shape s = shapes.get(in);
                // rank 2: the class axis; rank 4: the channel axis (before opset 13, axis 1 means softmax over
                // all of C x H x W, which is the channel softmax only when H = W = 1)
                boolean channel = rank == 2 ? axis == 1 || axis == -1
                        : (axis == 1 || axis == 1 - rank) && (g.opset >= 13 || s.h() == 1 && s.w() == 1);
                if (!channel) {
                    throw unsupported(n, "Softmax along axis " + axis + " of a rank-" + rank + " tensor " + s
                            + " (only the channel axis)");
                }
                add(new Softmax(layerName(n), in, out), rank);
            }
            case "BatchNormalization" -> {
                String in = tensor(n.inputs().get(0), n.describe());
                add(new BatchNorm(layerName(n), in, out, vector(requireConst(n, 3, "mean")),
                        vector(requireConst(n, 4, "variance")), n.f("epsilon", 1e-5f),
                        vector(requireConst(n, 1, "scale")), vector(requireConst(n, 2, "bias"))), rank(n, 0));
            }
            case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min" -> binary(n, out);
            case "Sum" -> {
                List<String> ins = new ArrayList<>();
                for (String t : n.inputs()) {
                    ins.add(tensor(t, n.describe()));
                }
                if (ins.size() == 1) {
                    alias.put(out, ins.get(0));
                } else {
                    add(new Add(layerName(n), ins, out), ranks.get(ins.get(0)));
                }
            }
            case "Pad" -> pad(n, out);
            case "Slice" -> slice(n, out);
            case "Transpose" -> transpose(n, out);
            case "Split" -> split(n);
            case "ReduceMean", "ReduceMax" -> reduce(n, out);
            default -> throw unsupported(n, "unsupported operator " + op);
        }
    }

    private int rank(OnnxGraph.Node n, int i) {
        return ranks.get(tensor(n.inputs().get(i), n.describe()));
    }

    private void aliasTo(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        alias.put(out, in);
    }

    private static Tensor vector(OnnxGraph.Const c) {
        return new Tensor(new int[] {c.size()}, c.floats());
    }

    private static int[] ints(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = Math.toIntExact(v[i]);
        }
        return r;
    }

    /** Symmetric pads per spatial axis, or null when begin and end differ. */
    private static int[] symmetric(int[] pads) {
        if (pads[0] != pads[2] || pads[1] != pads[3]) {
            return null;
        }
        return new int[] {pads[0], pads[1]};
    }

    /** A per-spatial-axis attribute as two values (H, W); a 1-D attribute gets W = {@code dflt}. */
    private static int[] spatial(long[] v, int dflt) {
        if (v == null) {
            return new int[] {dflt, dflt};
        }
        return v.length == 1 ? new int[] {(int) v[0], dflt} : ints(v);
    }

    private int[] pads(OnnxGraph.Node n, Shape in, int[] k, int[] s, int[] d) {
        String auto = n.s("auto_pad", "NOTSET");
        int[] pads = n.ints("pads") == null ? new int[4] : ints(n.ints("pads"));
        if (pads.length == 2) {
            pads = new int[] {pads[0], 0, pads[1], 0};
        }
        if (pads.length != 4) {
            throw unsupported(n, "pads of length " + pads.length + " (expected 2 or 4)");
        }
        if (auto.equals("SAME_UPPER") || auto.equals("SAME_LOWER")) {
            int[] dims = {in.h(), in.w()};
            for (int a = 0; a < 2; a++) {
                int outSize = (dims[a] + s[a] - 1) / s[a];
                int total = Math.max(0, (outSize - 1) * s[a] + (k[a] - 1) * d[a] + 1 - dims[a]);
                int small = total / 2;
                pads[a] = auto.equals("SAME_UPPER") ? small : total - small;
                pads[a + 2] = total - pads[a];
            }
        } else if (auto.equals("VALID")) {
            pads = new int[4];
        } else if (!auto.equals("NOTSET")) {
            throw unsupported(n, "auto_pad " + auto);
        }
        return pads;
    }

    /** Inserts an explicit padding layer and returns its output tensor. */
    private String explicitPad(OnnxGraph.Node n, String in, int[] pads, float value) {
        String name = layerName(n) + "/pad";
        add(new Pad(name, in, name, new int[] {0, pads[0], pads[1]}, new int[] {0, pads[2], pads[3]}, value),
                ranks.get(in));
        return name;
    }

    private void conv(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        OnnxGraph.Const w = requireConst(n, 1, "weight");
        OnnxGraph.Const b = constant(n, 2);
        if (w.dims().length != 4 && w.dims().length != 3) {
            throw unsupported(n, "Conv with a rank-" + w.dims().length + " weight (only 1-D and 2-D convolution)");
        }
        // a 1-D convolution over N x C x L runs as a 2-D one over C x L x 1
        int[] wd = w.dims().length == 4 ? ints(w.dims()) : new int[] {(int) w.dims()[0], (int) w.dims()[1],
            (int) w.dims()[2], 1};
        int[] k = {wd[2], wd[3]};
        int[] s = spatial(n.ints("strides"), 1);
        int[] d = spatial(n.ints("dilations"), 1);
        int[] pads = pads(n, shapes.get(in), k, s, d);
        int[] sym = symmetric(pads);
        if (sym == null) {
            in = explicitPad(n, in, pads, 0f);
            sym = new int[2];
        }
        add(new Convolution(layerName(n), in, out, wd[0], new Window(k[0], k[1], s[0], s[1], sym[0], sym[1]), d[0],
                d[1], (int) n.i("group", 1), new Tensor(wd, w.floats()), b == null ? null : vector(b)),
                ranks.get(in));
    }

    private void pool(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        boolean max = n.opType().equals("MaxPool");
        if (ranks.get(in) == 2) {
            throw unsupported(n, n.opType() + " of a rank-2 tensor");
        }
        int[] k = spatial(n.ints("kernel_shape"), 1);
        int[] s = spatial(n.ints("strides"), 1);
        int[] d = spatial(n.ints("dilations"), 1);
        if (d[0] != 1 || d[1] != 1) {
            throw unsupported(n, "dilated pooling");
        }
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
            throw unsupported(n, "MaxPool indices output");
        }
        boolean ceil = n.i("ceil_mode", 0) == 1;
        boolean includePad = n.i("count_include_pad", 0) == 1;
        int[] pads = pads(n, shapes.get(in), k, s, d);
        int[] sym = symmetric(pads);
        if (sym == null) {
            if (!max && !includePad) {
                throw unsupported(n, "AveragePool with asymmetric padding and count_include_pad = 0");
            }
            in = explicitPad(n, in, pads, max ? Float.NEGATIVE_INFINITY : 0f);
            sym = new int[2];
        }
        add(new Pooling(layerName(n), in, out, max ? Pooling.Mode.MAX : Pooling.Mode.AVE,
                new Window(k[0], k[1], s[0], s[1], sym[0], sym[1]), false,
                ceil ? Pooling.Rounding.CEIL : Pooling.Rounding.FLOOR, !max && !includePad), ranks.get(in));
    }

    private void clip(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        float lo;
        float hi;
        if (g.opset < 11) {
            lo = n.f("min", Float.NEGATIVE_INFINITY);
            hi = n.f("max", Float.POSITIVE_INFINITY);
        } else {
            OnnxGraph.Const a = constant(n, 1);
            OnnxGraph.Const b = constant(n, 2);
            if ((n.inputs().size() > 1 && !n.inputs().get(1).isEmpty() && a == null)
                    || (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() && b == null)) {
                throw unsupported(n, "Clip bounds must be constants");
            }
            lo = a == null ? Float.NEGATIVE_INFINITY : a.floats()[0];
            hi = b == null ? Float.POSITIVE_INFINITY : b.floats()[0];
        }
        int rank = ranks.get(in);
        if (lo == 0f && hi > 0f) {
            // ReLU6 and its kin: one bounded ReLU, which the engine fuses into the convolution before it
            add(new Relu(layerName(n), in, out, 0f, hi), rank);
            return;
        }
        String mid = layerName(n) + "/min";
        add(new Elementwise(mid, List.of(in), mid, Elementwise.Op.MAX, scalar(lo), false), rank);
        add(new Elementwise(layerName(n), List.of(mid), out, Elementwise.Op.MIN, scalar(hi), false), rank);
    }

    private static Tensor scalar(float v) {
        return new Tensor(new int[] {1}, new float[] {v});
    }

    private void gemm(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        if (n.i("transA", 0) != 0) {
            throw unsupported(n, "Gemm with transA = 1");
        }
        if (ranks.get(in) != 2) {
            throw unsupported(n, "Gemm on a rank-" + ranks.get(in) + " input (expected N x K)");
        }
        OnnxGraph.Const b = requireConst(n, 1, "B");
        OnnxGraph.Const c = constant(n, 2);
        if (n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() && c == null) {
            throw unsupported(n, "Gemm with a computed C");
        }
        float alpha = n.f("alpha", 1f);
        float beta = n.f("beta", 1f);
        boolean transB = n.i("transB", 0) == 1;
        int k = shapes.get(in).size();
        int o = (int) (transB ? b.dims()[0] : b.dims()[1]);
        if ((transB ? b.dims()[1] : b.dims()[0]) != k) {
            throw new ShapeMismatchException(file + ": node " + n.describe() + " weight shape mismatch (expected K = "
                    + k + ", found " + java.util.Arrays.toString(b.dims()) + ")");
        }
        float[] w = new float[o * k];
        float[] src = b.floats();
        for (int r = 0; r < o; r++) {
            for (int i = 0; i < k; i++) {
                w[r * k + i] = alpha * (transB ? src[r * k + i] : src[i * o + r]);
            }
        }
        Tensor bias = null;
        if (c != null) {
            float[] bv = new float[o];
            for (int r = 0; r < o; r++) {
                bv[r] = beta * c.floats()[c.size() == 1 ? 0 : r];
            }
            if (c.size() != 1 && c.size() != o) {
                throw unsupported(n, "Gemm C of " + c.size() + " values (expected 1 or " + o + ")");
            }
            bias = new Tensor(new int[] {o}, bv);
        }
        add(new InnerProduct(layerName(n), in, out, o, new Tensor(new int[] {o, k}, w), bias), 2);
    }

    private void matmul(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        OnnxGraph.Const b = requireConst(n, 1, "right operand");
        if (ranks.get(in) != 2 || b.dims().length != 2) {
            throw unsupported(n, "MatMul other than N x K times a constant K x O");
        }
        int k = (int) b.dims()[0];
        int o = (int) b.dims()[1];
        float[] w = new float[o * k];
        for (int r = 0; r < o; r++) {
            for (int i = 0; i < k; i++) {
                w[r * k + i] = b.floats()[i * o + r];
            }
        }
        add(new InnerProduct(layerName(n), in, out, o, new Tensor(new int[] {o, k}, w), null), 2);
    }

    private long[] shapeArgument(OnnxGraph.Node n, String attr, int input) {
        if (n.ints(attr) != null) {
            return n.ints(attr);
        }
        OnnxGraph.Const c = constant(n, input);
        if (c == null) {
            return null;
        }
        return c.longs() != null ? c.longs() : java.util.Arrays.stream(ints(toLongs(c.floats()))).asLongStream()
                .toArray();
    }

    private static long[] toLongs(float[] f) {
        long[] l = new long[f.length];
        for (int i = 0; i < f.length; i++) {
            l[i] = (long) f[i];
        }
        return l;
    }

    private void reshape(OnnxGraph.Node n, String out) {
        long[] target = shapeArgument(n, "shape", 1);
        if (target == null) {
            throw unsupported(n, "Reshape to a computed shape (only constant shapes)");
        }
        Shuffle shuffle = grouped.get(n.inputs().get(0));
        if (shuffle != null) {
            // the end of a channel shuffle: back to N x C x H x W
            Shape s = shapes.get(shuffle.source());
            if (!shuffle.transposed() || target.length != 4 || target[1] != s.c() && target[1] != -1) {
                throw unsupported(n, "Reshape of a 5-D tensor other than a channel shuffle's");
            }
            add(new ChannelShuffle(layerName(n), shuffle.source(), out, shuffle.groups()), 4);
            return;
        }
        String in = tensor(n.inputs().get(0), n.describe());
        if (target.length == 5 && ranks.get(in) == 4) {
            // the start of a channel shuffle: N x groups x C/groups x H x W
            Shape s = shapes.get(in);
            long g = target[1];
            if (g > 0 && s.c() % g == 0 && (target[2] == s.c() / g || target[2] == -1)
                    && (target[3] == s.h() || target[3] == 0) && (target[4] == s.w() || target[4] == 0)) {
                grouped.put(out, new Shuffle(in, (int) g, false));
                return;
            }
        }
        Shape s = shapes.get(in);
        int rank = ranks.get(in);
        long[] dims = rank == 4 ? new long[] {-1, s.c(), s.h(), s.w()} : new long[] {-1, s.c()};
        long known = 1;
        int infer = -1;
        long[] t = target.clone();
        for (int i = 0; i < t.length; i++) {
            if (t[i] == 0 && i < dims.length) {
                t[i] = dims[i];
            }
            if (t[i] == -1 && i > 0) {
                infer = i;
            } else if (i > 0) {
                known *= t[i];
            }
        }
        if (infer > 0) {
            t[infer] = s.size() / known;
        }
        if (t.length == 2 && (t[0] == -1 || t[0] >= 0) && t[1] == s.size()) {
            if (rank == 2) {
                alias.put(out, in);
            } else {
                add(new Flatten(layerName(n), in, out), 2);
            }
        } else if (t.length == 4 && t[1] == s.c() && t[2] == s.h() && t[3] == s.w()) {
            alias.put(out, in);
        } else if (t.length == 4 && t[1] == s.size() && t[2] == 1 && t[3] == 1) {
            add(new Flatten(layerName(n), in, out), 4);
        } else {
            throw unsupported(n, "Reshape of " + s + " to " + java.util.Arrays.toString(target)
                    + " (only flattening to N x K or keeping N x C x H x W)");
        }
    }

    private void squeeze(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        long[] axes = shapeArgument(n, "axes", 1);
        Shape s = shapes.get(in);
        int rank = ranks.get(in);
        boolean squeeze = n.opType().equals("Squeeze");
        // Both shapes are C x 1 x 1 per sample; only the rank the importer tracks changes.
        if (squeeze && rank == 4 && s.h() == 1 && s.w() == 1 && (axes == null || sameSet(axes, 2, 3, -1, -2))) {
            add(new Flatten(layerName(n), in, out), 2);
        } else if (!squeeze && rank == 2 && axes != null && sameSet(axes, 2, 3, -1, -2)) {
            add(new Identity(layerName(n), in, out), 4);
        } else {
            throw unsupported(n, n.opType() + " of a rank-" + rank + " " + s + " on axes "
                    + java.util.Arrays.toString(axes) + " (only between N x C and N x C x 1 x 1)");
        }
    }

    private static boolean sameSet(long[] axes, long a, long b, long na, long nb) {
        if (axes.length != 2) {
            return false;
        }
        Set<Long> s = new HashSet<>();
        for (long x : axes) {
            s.add(x == na ? a : x == nb ? b : x);
        }
        return s.equals(Set.of(a, b));
    }

    private void binary(OnnxGraph.Node n, String out) {
        boolean c0 = isConst(n, 0);
        boolean c1 = isConst(n, 1);
        Elementwise.Op op = Elementwise.Op.valueOf(n.opType().toUpperCase(java.util.Locale.ROOT));
        if (c0 && c1) {
            throw unsupported(n, n.opType() + " of two constants (constant folding is not supported)");
        }
        if (!c0 && !c1) {
            String a = tensor(n.inputs().get(0), n.describe());
            String b = tensor(n.inputs().get(1), n.describe());
            Shape sa = shapes.get(a);
            Shape sb = shapes.get(b);
            if (!sa.equals(sb)) {
                // one value per channel times a whole tensor (squeeze-and-excitation): the whole tensor first
                if ((op == Elementwise.Op.MUL || op == Elementwise.Op.ADD) && sa.h() == 1 && sa.w() == 1) {
                    String t = a;
                    a = b;
                    b = t;
                }
                add(new Elementwise(layerName(n), List.of(a, b), out, op, null, false), ranks.get(a));
                return;
            }
            if (op == Elementwise.Op.ADD) {
                add(new Add(layerName(n), List.of(a, b), out), ranks.get(a));
            } else {
                add(new Elementwise(layerName(n), List.of(a, b), out, op, null, false), ranks.get(a));
            }
            return;
        }
        String x = tensor(n.inputs().get(c0 ? 1 : 0), n.describe());
        OnnxGraph.Const c = constant(n, c0 ? 0 : 1);
        float[] v = c.floats() != null ? c.floats() : toFloats(c.longs());
        Tensor t = v.length == 1 ? new Tensor(new int[] {1}, v) : broadcast(n, c.dims(), v, shapes.get(x), ranks.get(x));
        add(new Elementwise(layerName(n), List.of(x), out, op, t, c0), ranks.get(x));
    }

    /**
     * Expands a constant to the per-sample C x H x W layout by ONNX (numpy) broadcasting: dimensions align
     * from the right (or, for opset < 7 with {@code broadcast = 1}, from {@code axis}); the batch dimension of
     * the constant must be 1.
     */
    private Tensor broadcast(OnnxGraph.Node n, long[] cdims, float[] v, Shape s, int rank) {
        long[] full = rank == 4 ? new long[] {1, s.c(), s.h(), s.w()} : rank == 3 ? new long[] {1, s.c(), s.h()}
                : new long[] {1, s.c()};
        long[] aligned = new long[rank];
        java.util.Arrays.fill(aligned, 1);
        int offset = rank - cdims.length;
        if (g.opset < 7 && n.i("broadcast", 0) == 1 && n.attrs().containsKey("axis")) {
            offset = (int) n.i("axis", 0);
            offset = offset < 0 ? offset + rank : offset;
        }
        if (offset < 0 || offset + cdims.length > rank) {
            throw unsupported(n, "constant of shape " + java.util.Arrays.toString(cdims) + " does not broadcast to a"
                    + " rank-" + rank + " tensor");
        }
        for (int i = 0; i < cdims.length; i++) {
            aligned[offset + i] = cdims[i];
            if (cdims[i] != 1 && cdims[i] != full[offset + i] || offset + i == 0 && cdims[i] != 1) {
                throw unsupported(n, "constant of shape " + java.util.Arrays.toString(cdims) + " does not broadcast to "
                        + java.util.Arrays.toString(full) + " per sample");
            }
        }
        int size = s.size();
        float[] out = new float[size];
        int[] dim = {s.c(), s.h(), s.w()};
        // constant strides over the per-sample axes (C, H, W); rank 3 has W = 1, rank 2 has H = W = 1
        long[] cd = {rank > 1 ? aligned[1] : 1, rank > 2 ? aligned[2] : 1, rank > 3 ? aligned[3] : 1};
        for (int c = 0; c < dim[0]; c++) {
            for (int h = 0; h < dim[1]; h++) {
                for (int w = 0; w < dim[2]; w++) {
                    long ci = cd[0] == 1 ? 0 : c;
                    long hi = cd[1] == 1 ? 0 : h;
                    long wi = cd[2] == 1 ? 0 : w;
                    out[(c * dim[1] + h) * dim[2] + w] = v[(int) ((ci * cd[1] + hi) * cd[2] + wi)];
                }
            }
        }
        return new Tensor(new int[] {size}, out);
    }

    private static float[] toFloats(long[] l) {
        float[] f = new float[l.length];
        for (int i = 0; i < l.length; i++) {
            f[i] = l[i];
        }
        return f;
    }

    private void pad(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        String mode = n.s("mode", "constant");
        if (!mode.equals("constant")) {
            throw unsupported(n, "Pad mode " + mode + " (only constant)");
        }
        long[] p = g.opset < 11 ? n.ints("pads") : shapeArgument(n, "pads", 1);
        if (p == null) {
            throw unsupported(n, "Pad with computed pads");
        }
        float value = 0f;
        if (g.opset < 11) {
            value = n.f("value", 0f);
        } else if (constant(n, 2) != null) {
            value = constant(n, 2).floats()[0];
        }
        int rank = ranks.get(in);
        if (p.length != 2 * rank || p[0] != 0 || p[rank] != 0) {
            throw unsupported(n, "Pad of the batch axis or pads of length " + p.length);
        }
        int[] before = new int[3];
        int[] after = new int[3];
        for (int a = 1; a < rank; a++) {
            before[a - 1] = (int) p[a];
            after[a - 1] = (int) p[a + rank];
        }
        add(new Pad(layerName(n), in, out, before, after, value), rank);
    }

    /**
     * The integer result of a node that computes a shape from constants and known shapes (PyTorch's exports of
     * {@code x.size()}, {@code x.view(...)}): {@code Shape} of a tensor whose shape is known, and {@code Gather},
     * {@code Unsqueeze}, {@code Squeeze}, {@code Concat}, {@code Cast} and integer arithmetic of such constants.
     * Null when the node is not one of those or reads a computed tensor.
     */
    private OnnxGraph.Const fold(OnnxGraph.Node n) {
        String op = n.opType();
        String out = n.outputs().isEmpty() ? null : n.outputs().get(0);
        if (op.equals("Shape")) {
            String in = alias.getOrDefault(n.inputs().get(0), n.inputs().get(0));
            Shape s = shapes.get(in);
            if (s == null || grouped.containsKey(in)) {
                return null;
            }
            long[] dims = ranks.get(in) == 4 ? new long[] {1, s.c(), s.h(), s.w()} : new long[] {1, s.size()};
            return new OnnxGraph.Const(out, new long[] {dims.length}, null, dims);
        }
        if (!java.util.Set.of("Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Div", "Mul", "Add", "Sub")
                .contains(op)) {
            return null;
        }
        List<OnnxGraph.Const> in = new ArrayList<>();
        for (String t : n.inputs()) {
            OnnxGraph.Const c = t.isEmpty() ? null : consts.get(t);
            if (!t.isEmpty() && (c == null || c.longs() == null || shapes.containsKey(t))) {
                return null;
            }
            in.add(c);
        }
        long[] a = in.get(0).longs();
        switch (op) {
            case "Gather" -> {
                long[] idx = in.get(1).longs();
                if (n.i("axis", 0) != 0 || in.get(0).dims().length != 1) {
                    return null;
                }
                long[] r = new long[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    r[i] = a[(int) (idx[i] < 0 ? idx[i] + a.length : idx[i])];
                }
                return new OnnxGraph.Const(out, in.get(1).dims(), null, r);
            }
            case "Unsqueeze", "Squeeze", "Cast" -> {
                return new OnnxGraph.Const(out, new long[] {a.length}, null, a);
            }
            case "Concat" -> {
                long[] r = in.stream().flatMapToLong(c -> java.util.Arrays.stream(c.longs())).toArray();
                return new OnnxGraph.Const(out, new long[] {r.length}, null, r);
            }
            default -> {
                long[] b = in.get(1).longs();
                long[] r = new long[Math.max(a.length, b.length)];
                for (int i = 0; i < r.length; i++) {
                    long x = a[a.length == 1 ? 0 : i];
                    long y = b[b.length == 1 ? 0 : i];
                    if (op.equals("Div") && y == 0) {
                        throw unsupported(n, "division by zero in a shape computation");
                    }
                    r[i] = switch (op) {
                        case "Div" -> Math.floorDiv(x, y);
                        case "Mul" -> x * y;
                        case "Add" -> x + y;
                        default -> x - y;
                    };
                }
                return new OnnxGraph.Const(out, a.length >= b.length ? in.get(0).dims() : in.get(1).dims(), null, r);
            }
        }
    }

    /**
     * A channel shuffle under way: the 4-D tensor reshaped to N x groups x C/groups x H x W, and whether the two
     * group axes have been swapped since.
     */
    private record Shuffle(String source, int groups, boolean transposed) {
    }

    /** The middle of a channel shuffle: the two group axes of a 5-D tensor swapped. */
    private void transpose(OnnxGraph.Node n, String out) {
        Shuffle shuffle = grouped.get(n.inputs().get(0));
        long[] perm = n.ints("perm");
        if (shuffle == null || !java.util.Arrays.equals(perm, new long[] {0, 2, 1, 3, 4})) {
            throw unsupported(n, "Transpose other than a channel shuffle's (perm 0, 2, 1, 3, 4 of a 5-D Reshape)");
        }
        grouped.put(out, new Shuffle(shuffle.source(), shuffle.groups(), true));
    }

    /** Split along the channels: one channel slice per output. */
    private void split(OnnxGraph.Node n) {
        String in = tensor(n.inputs().get(0), n.describe());
        Shape s = shapes.get(in);
        long axis = n.i("axis", 0);
        int rank = ranks.get(in);
        if (axis != 1 && axis != 1 - rank) {
            throw unsupported(n, "Split along axis " + axis + " (only the channels, axis 1)");
        }
        int parts = n.outputs().size();
        long[] sizes = n.ints("split");
        if (sizes == null && n.inputs().size() > 1 && !n.inputs().get(1).isEmpty()) {
            sizes = shapeArgument(n, "split", 1);
            if (sizes == null) {
                throw unsupported(n, "Split with computed sizes");
            }
        }
        if (sizes == null) {
            if (s.c() % parts != 0) {
                throw unsupported(n, "Split of " + s.c() + " channels into " + parts + " equal parts");
            }
            sizes = new long[parts];
            java.util.Arrays.fill(sizes, s.c() / parts);
        }
        if (sizes.length != parts || java.util.Arrays.stream(sizes).sum() != s.c()) {
            throw unsupported(n, "Split sizes " + java.util.Arrays.toString(sizes) + " of " + s.c() + " channels");
        }
        int from = 0;
        for (int i = 0; i < parts; i++) {
            int to = from + (int) sizes[i];
            add(new Slice(layerName(n) + (i == 0 ? "" : "#" + i), in, n.outputs().get(i), new int[] {from, 0, 0},
                    new int[] {to, s.h(), s.w()}, new int[] {1, 1, 1}), rank);
            from = to;
        }
    }

    /** ReduceMean / ReduceMax over the spatial axes: global pooling (then flattened without keepdims). */
    private void reduce(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        long[] axes = n.ints("axes");
        if (axes == null && n.inputs().size() > 1) {
            axes = shapeArgument(n, "axes", 1);
        }
        int rank = ranks.get(in);
        long[] sorted = axes == null ? null : java.util.Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted()
                .toArray();
        if (rank != 4 || sorted == null || !java.util.Arrays.equals(sorted, new long[] {2, 3})) {
            throw unsupported(n, n.opType() + " over axes " + java.util.Arrays.toString(axes)
                    + " (only the spatial axes 2 and 3 of N x C x H x W)");
        }
        boolean keep = n.i("keepdims", 1) != 0;
        String pooled = keep ? out : layerName(n) + "/pooled";
        add(new Pooling(keep ? layerName(n) : pooled, in, pooled, n.opType().equals("ReduceMax") ? Pooling.Mode.MAX
                : Pooling.Mode.AVE, Window.square(1, 1, 0), true, Pooling.Rounding.FLOOR, false), 4);
        if (!keep) {
            add(new Flatten(layerName(n), pooled, out), 2);
        }
    }

    private void slice(OnnxGraph.Node n, String out) {
        String in = tensor(n.inputs().get(0), n.describe());
        long[] starts = g.opset < 10 ? n.ints("starts") : shapeArgument(n, "starts", 1);
        long[] ends = g.opset < 10 ? n.ints("ends") : shapeArgument(n, "ends", 2);
        long[] axes = g.opset < 10 ? n.ints("axes") : shapeArgument(n, "axes", 3);
        long[] steps = g.opset < 10 ? null : shapeArgument(n, "steps", 4);
        if (starts == null || ends == null) {
            throw unsupported(n, "Slice with computed starts or ends");
        }
        Shape s = shapes.get(in);
        int rank = ranks.get(in);
        int[] dims = {s.c(), s.h(), s.w()};
        int[] start = {0, 0, 0};
        int[] stop = dims.clone();
        int[] step = {1, 1, 1};
        for (int i = 0; i < starts.length; i++) {
            long axis = axes == null ? i : axes[i];
            if (axis < 0) {
                axis += rank;
            }
            long st = steps == null ? 1 : steps[i];
            if (axis == 0 || axis >= rank) {
                throw unsupported(n, "Slice of axis " + axis + " (only channels, rows and columns)");
            }
            if (st <= 0) {
                throw unsupported(n, "Slice with step " + st + " (only positive steps)");
            }
            int a = (int) axis - 1;
            long dim = dims[a];
            long b = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            start[a] = (int) Math.max(0, Math.min(b, dim));
            stop[a] = (int) Math.max(0, Math.min(e, dim));
            step[a] = (int) st;
        }
        add(new Slice(layerName(n), in, out, start, stop, step), rank);
    }
}
