package org.dyve.format.caffe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.dyve.ModelFormatException;
import org.dyve.ShapeMismatchException;
import org.dyve.model.Add;
import org.dyve.model.BatchNorm;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
import org.dyve.model.Flatten;
import org.dyve.model.Identity;
import org.dyve.model.InnerProduct;
import org.dyve.model.Input;
import org.dyve.model.Layer;
import org.dyve.model.Lrn;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Scale;
import org.dyve.model.Shape;
import org.dyve.model.Softmax;
import org.dyve.model.Tensor;
import org.dyve.model.Window;

/**
 * Builds a {@link Network} from a Caffe deploy prototxt and its weights ({@code .caffemodel},
 * {@code .caffemodel.h5} / {@code .h5}, or Deep Compression {@code .net}). In-place layers (ReLU with
 * top == bottom) get an output tensor named after the layer, so every tensor is written once.
 */
public final class CaffeImporter {

    /** Supplies a parameterised layer's blobs in Caffe order (weights, bias). */
    interface WeightSource {
        List<Tensor> blobs(String layer, String type, List<int[]> expected);

        default void finish() {
        }
    }

    private static final Map<String, String> V1_TYPES = Map.ofEntries(
            Map.entry("CONVOLUTION", "Convolution"), Map.entry("POOLING", "Pooling"), Map.entry("LRN", "LRN"),
            Map.entry("RELU", "ReLU"), Map.entry("INNER_PRODUCT", "InnerProduct"), Map.entry("CONCAT", "Concat"),
            Map.entry("DROPOUT", "Dropout"), Map.entry("SOFTMAX", "Softmax"), Map.entry("FLATTEN", "Flatten"),
            Map.entry("ELTWISE", "Eltwise"), Map.entry("SPLIT", "Split"), Map.entry("DATA", "Data"),
            Map.entry("IMAGE_DATA", "ImageData"), Map.entry("HDF5_DATA", "HDF5Data"),
            Map.entry("MEMORY_DATA", "MemoryData"), Map.entry("SOFTMAX_LOSS", "SoftmaxWithLoss"),
            Map.entry("ACCURACY", "Accuracy"));
    private static final Set<String> SKIPPED = Set.of("Data", "ImageData", "HDF5Data", "MemoryData", "WindowData",
            "DummyData", "SoftmaxWithLoss", "Accuracy", "Silence", "EuclideanLoss", "HingeLoss");

    private final Path prototxt;
    private final WeightSource weights;
    private final Map<String, String> current = new HashMap<>();
    private final Map<String, Shape> shapes = new HashMap<>();
    private final Set<String> tensorNames = new HashSet<>();
    private final List<Layer> layers = new ArrayList<>();

    private CaffeImporter(Path prototxt, WeightSource weights) {
        this.prototxt = prototxt;
        this.weights = weights;
    }

    /**
     * Imports a Caffe model.
     *
     * @param weightsFile {@code .caffemodel}, {@code .h5} or {@code .net}; null gives zero weights (enough for
     *     layer tables and shape checks)
     * @throws ModelFormatException when a file is missing, truncated or corrupt, or a layer type is unsupported
     * @throws ShapeMismatchException when weights do not fit the prototxt
     */
    public static Network load(Path prototxt, Path weightsFile) {
        TextMessage net = Prototxt.parse(prototxt);
        List<TextMessage> layerMsgs = layerMessages(net);
        WeightSource source;
        if (weightsFile == null) {
            source = (layer, type, expected) -> {
                List<Tensor> out = new ArrayList<>();
                for (int[] s : expected) {
                    int n = 1;
                    for (int d : s) {
                        n *= d;
                    }
                    out.add(new Tensor(s, new float[n]));
                }
                return out;
            };
        } else {
            String f = weightsFile.getFileName().toString().toLowerCase(Locale.ROOT);
            if (f.endsWith(".net")) {
                int parameterised = 0;
                for (TextMessage l : layerMsgs) {
                    String t = type(l);
                    if (t.equals("Convolution") || t.equals("InnerProduct")) {
                        parameterised++;
                    }
                }
                source = new DeepCompression(weightsFile, parameterised);
            } else if (f.endsWith(".h5") || f.endsWith(".hdf5")) {
                source = new StoredWeights(weightsFile, CaffeHdf5.read(weightsFile));
            } else {
                source = new StoredWeights(weightsFile, CaffeBinary.readCaffemodel(weightsFile));
            }
        }
        CaffeImporter imp = new CaffeImporter(prototxt, source);
        List<Input> inputs = imp.inputs(net, layerMsgs);
        for (TextMessage l : layerMsgs) {
            imp.convert(l);
        }
        source.finish();
        String name = net.string("name", prototxt.getFileName().toString());
        return new Network(name, inputs, imp.layers, List.of());
    }

    /** Reads a Caffe mean image ({@code mean.binaryproto}) as a C x H x W tensor. */
    public static Tensor loadMean(Path binaryproto) {
        Tensor t = CaffeBinary.readBlobProto(binaryproto);
        int[] s = t.shape();
        if (s.length == 4 && s[0] == 1) {
            return new Tensor(new int[] {s[1], s[2], s[3]}, t.data());
        }
        if (s.length == 3) {
            return t;
        }
        throw new ModelFormatException(binaryproto + ": mean blob must be 1xCxHxW (found " + t.shapeString() + ")");
    }

    private static List<TextMessage> layerMessages(TextMessage net) {
        List<TextMessage> out = new ArrayList<>();
        List<TextMessage> all = new ArrayList<>(net.messages("layer"));
        all.addAll(net.messages("layers"));
        for (TextMessage l : all) {
            boolean train = false;
            for (TextMessage inc : l.messages("include")) {
                if ("TRAIN".equals(inc.string("phase", ""))) {
                    train = true;
                }
            }
            if (!train && !SKIPPED.contains(type(l))) {
                out.add(l);
            }
        }
        return out;
    }

    private static String type(TextMessage l) {
        String t = l.string("type", "");
        return V1_TYPES.getOrDefault(t, t);
    }

    private List<Input> inputs(TextMessage net, List<TextMessage> layerMsgs) {
        List<Input> inputs = new ArrayList<>();
        List<String> names = net.strings("input");
        List<Integer> dims = net.ints("input_dim");
        List<TextMessage> inShapes = net.messages("input_shape");
        for (int i = 0; i < names.size(); i++) {
            List<Integer> d;
            if (!dims.isEmpty()) {
                if (dims.size() < 4 * (i + 1)) {
                    throw new ModelFormatException(prototxt + ": input " + names.get(i) + " needs 4 input_dim values");
                }
                d = dims.subList(4 * i, 4 * i + 4);
            } else if (i < inShapes.size()) {
                d = inShapes.get(i).ints("dim");
            } else {
                throw new ModelFormatException(prototxt + ": input " + names.get(i) + " has no input_dim or"
                        + " input_shape");
            }
            inputs.add(defineInput(names.get(i), d));
        }
        for (TextMessage l : layerMsgs) {
            if (type(l).equals("Input")) {
                List<TextMessage> s = l.message("input_param").messages("shape");
                List<String> tops = l.strings("top");
                for (int i = 0; i < tops.size(); i++) {
                    if (s.isEmpty()) {
                        throw new ModelFormatException(prototxt + ": Input layer " + l.string("name", "?")
                                + " has no input_param shape");
                    }
                    inputs.add(defineInput(tops.get(i), s.get(Math.min(i, s.size() - 1)).ints("dim")));
                }
            }
        }
        if (inputs.isEmpty()) {
            throw new ModelFormatException(prototxt + ": no network input (expected input/input_dim, input_shape"
                    + " or an Input layer)");
        }
        return inputs;
    }

    private Input defineInput(String name, List<Integer> dims) {
        Shape s;
        if (dims.size() == 4) {
            s = new Shape(dims.get(1), dims.get(2), dims.get(3));
        } else if (dims.size() == 2) {
            s = new Shape(dims.get(1), 1, 1);
        } else {
            throw new ModelFormatException(prototxt + ": input " + name + " must have 4 dimensions (found "
                    + dims.size() + ")");
        }
        current.put(name, name);
        tensorNames.add(name);
        shapes.put(name, s);
        return new Input(name, s);
    }

    private String bottom(TextMessage l, String layer, int i) {
        List<String> b = l.strings("bottom");
        if (i >= b.size()) {
            throw new ModelFormatException(prototxt + ": layer " + layer + " needs " + (i + 1) + " bottom(s)");
        }
        String t = current.get(b.get(i));
        if (t == null) {
            throw new ModelFormatException(prototxt + ": layer " + layer + " reads blob " + b.get(i)
                    + " that no earlier layer produces");
        }
        return t;
    }

    private List<String> bottoms(TextMessage l, String layer) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < l.strings("bottom").size(); i++) {
            out.add(bottom(l, layer, i));
        }
        return out;
    }

    /** Chooses the IR tensor name for a layer's top and records the Caffe blob's new version. */
    private String top(TextMessage l, String layer) {
        List<String> tops = l.strings("top");
        if (tops.isEmpty()) {
            throw new ModelFormatException(prototxt + ": layer " + layer + " has no top");
        }
        String top = tops.get(0);
        String name = top;
        if (tensorNames.contains(name)) {
            name = layer;
            int n = 1;
            while (tensorNames.contains(name)) {
                name = layer + "#" + n++;
            }
        }
        tensorNames.add(name);
        current.put(top, name);
        return name;
    }

    private void convert(TextMessage l) {
        String name = l.string("name", "layer" + layers.size());
        String type = type(l);
        Layer layer;
        switch (type) {
            case "Input" -> {
                return;
            }
            case "Split" -> {
                String b = bottom(l, name, 0);
                for (String t : l.strings("top")) {
                    current.put(t, b);
                }
                return;
            }
            case "Convolution" -> layer = convolution(l, name);
            case "Pooling" -> layer = pooling(l, name);
            case "LRN" -> {
                TextMessage p = l.message("lrn_param");
                String region = p.string("norm_region", "ACROSS_CHANNELS");
                Lrn.Region r = region.equals("WITHIN_CHANNEL") || region.equals("1") ? Lrn.Region.WITHIN_CHANNEL
                        : Lrn.Region.ACROSS_CHANNELS;
                String in = bottom(l, name, 0);
                layer = new Lrn(name, in, top(l, name), r, p.integer("local_size", 5), p.number("alpha", 1f),
                        p.number("beta", 0.75f), p.number("k", 1f));
            }
            case "ReLU" -> {
                String in = bottom(l, name, 0);
                layer = new Relu(name, in, top(l, name), l.message("relu_param").number("negative_slope", 0f));
            }
            case "InnerProduct" -> layer = innerProduct(l, name);
            case "Concat" -> {
                TextMessage p = l.message("concat_param");
                int axis = p.integer("axis", p.integer("concat_dim", 1));
                if (axis != 1) {
                    throw unsupported(name, "Concat along axis " + axis + " (only the channel axis 1)");
                }
                List<String> in = bottoms(l, name);
                layer = new Concat(name, in, top(l, name));
            }
            case "Dropout" -> {
                String in = bottom(l, name, 0);
                layer = new Identity(name, in, top(l, name));
            }
            case "Softmax" -> {
                int axis = l.message("softmax_param").integer("axis", 1);
                if (axis != 1) {
                    throw unsupported(name, "Softmax along axis " + axis + " (only the channel axis 1)");
                }
                String in = bottom(l, name, 0);
                layer = new Softmax(name, in, top(l, name));
            }
            case "Flatten" -> {
                String in = bottom(l, name, 0);
                layer = new Flatten(name, in, top(l, name));
            }
            case "BatchNorm" -> {
                String in = bottom(l, name, 0);
                int c = shapes.get(in).c();
                List<Tensor> b = weights.blobs(name, type, List.of(new int[] {c}, new int[] {c}, new int[] {1}));
                float s = b.get(2).data()[0];
                float f = s == 0 ? 0 : 1 / s;
                layer = new BatchNorm(name, in, top(l, name), scaled(b.get(0), f), scaled(b.get(1), f),
                        l.message("batch_norm_param").number("eps", 1e-5f), null, null);
            }
            case "Scale" -> {
                String in = bottom(l, name, 0);
                int c = shapes.get(in).c();
                boolean bias = l.message("scale_param").bool("bias_term", false);
                List<Tensor> b = weights.blobs(name, type, bias ? List.of(new int[] {c}, new int[] {c})
                        : List.of(new int[] {c}));
                layer = new Scale(name, in, top(l, name), b.get(0), bias ? b.get(1) : null);
            }
            case "Eltwise" -> {
                TextMessage p = l.message("eltwise_param");
                String op = p.string("operation", "SUM");
                if (!op.equals("SUM") && !op.equals("1")) {
                    throw unsupported(name, "Eltwise operation " + op + " (only SUM)");
                }
                for (String c : p.strings("coeff")) {
                    if (Float.parseFloat(c) != 1f) {
                        throw unsupported(name, "Eltwise coefficient " + c + " (only 1)");
                    }
                }
                List<String> in = bottoms(l, name);
                layer = new Add(name, in, top(l, name));
            }
            default -> throw unsupported(name, "layer type " + type);
        }
        List<Shape> in = new ArrayList<>();
        for (String t : layer.inputs()) {
            in.add(shapes.get(t));
        }
        shapes.put(layer.output(), layer.outputShape(in));
        layers.add(layer);
    }

    private static Tensor scaled(Tensor t, float f) {
        float[] d = t.data().clone();
        for (int i = 0; i < d.length; i++) {
            d[i] *= f;
        }
        return new Tensor(new int[] {d.length}, d);
    }

    private ModelFormatException unsupported(String layer, String what) {
        return new ModelFormatException(prototxt + ": layer " + layer + " has unsupported " + what);
    }

    private static int pick(TextMessage p, String single, String axisField, int axis, int dflt) {
        if (p.has(axisField)) {
            return p.integer(axisField, dflt);
        }
        List<Integer> v = p.ints(single);
        if (v.isEmpty()) {
            return dflt;
        }
        return v.size() == 1 ? v.get(0) : v.get(axis);
    }

    private Convolution convolution(TextMessage l, String name) {
        TextMessage p = l.message("convolution_param");
        int numOutput = p.integer("num_output", -1);
        if (numOutput <= 0) {
            throw new ModelFormatException(prototxt + ": layer " + name + " needs convolution_param num_output");
        }
        int kh = pick(p, "kernel_size", "kernel_h", 0, -1);
        int kw = pick(p, "kernel_size", "kernel_w", 1, -1);
        if (kh <= 0 || kw <= 0) {
            throw new ModelFormatException(prototxt + ": layer " + name + " needs convolution_param kernel_size");
        }
        Window w = new Window(kh, kw, pick(p, "stride", "stride_h", 0, 1), pick(p, "stride", "stride_w", 1, 1),
                pick(p, "pad", "pad_h", 0, 0), pick(p, "pad", "pad_w", 1, 0));
        List<Integer> dil = p.ints("dilation");
        int dh = dil.isEmpty() ? 1 : dil.get(0);
        int dw = dil.isEmpty() ? 1 : dil.get(dil.size() == 1 ? 0 : 1);
        int group = p.integer("group", 1);
        boolean biasTerm = p.bool("bias_term", true);
        String in = bottom(l, name, 0);
        int cin = shapes.get(in).c();
        if (cin % group != 0) {
            throw new ShapeMismatchException(prototxt + ": layer " + name + " has group " + group + " that does not"
                    + " divide its " + cin + " input channels");
        }
        int[] wshape = {numOutput, cin / group, kh, kw};
        List<Tensor> b = weights.blobs(name, "Convolution", biasTerm ? List.of(wshape, new int[] {numOutput})
                : List.of(wshape));
        return new Convolution(name, in, top(l, name), numOutput, w, dh, dw, group, b.get(0),
                biasTerm ? b.get(1) : null);
    }

    private Pooling pooling(TextMessage l, String name) {
        TextMessage p = l.message("pooling_param");
        String pool = p.string("pool", "MAX");
        Pooling.Mode mode = switch (pool) {
            case "MAX", "0" -> Pooling.Mode.MAX;
            case "AVE", "1" -> Pooling.Mode.AVE;
            default -> throw unsupported(name, "pooling method " + pool);
        };
        boolean global = p.bool("global_pooling", false);
        Window w;
        if (global) {
            w = Window.square(1, 1, 0);
        } else {
            int kh = pick(p, "kernel_size", "kernel_h", 0, -1);
            int kw = pick(p, "kernel_size", "kernel_w", 1, -1);
            if (kh <= 0 || kw <= 0) {
                throw new ModelFormatException(prototxt + ": layer " + name + " needs pooling_param kernel_size");
            }
            w = new Window(kh, kw, pick(p, "stride", "stride_h", 0, 1), pick(p, "stride", "stride_w", 1, 1),
                    pick(p, "pad", "pad_h", 0, 0), pick(p, "pad", "pad_w", 1, 0));
        }
        Pooling.Rounding r = p.string("round_mode", "CEIL").equals("FLOOR") ? Pooling.Rounding.FLOOR
                : Pooling.Rounding.CEIL;
        String in = bottom(l, name, 0);
        return new Pooling(name, in, top(l, name), mode, w, global, r, false);
    }

    private InnerProduct innerProduct(TextMessage l, String name) {
        TextMessage p = l.message("inner_product_param");
        int numOutput = p.integer("num_output", -1);
        if (numOutput <= 0) {
            throw new ModelFormatException(prototxt + ": layer " + name + " needs inner_product_param num_output");
        }
        if (p.integer("axis", 1) != 1) {
            throw unsupported(name, "InnerProduct axis " + p.integer("axis", 1) + " (only 1)");
        }
        boolean biasTerm = p.bool("bias_term", true);
        boolean transpose = p.bool("transpose", false);
        String in = bottom(l, name, 0);
        int k = shapes.get(in).size();
        int[] wshape = transpose ? new int[] {k, numOutput} : new int[] {numOutput, k};
        List<Tensor> b = weights.blobs(name, "InnerProduct", biasTerm ? List.of(wshape, new int[] {numOutput})
                : List.of(wshape));
        Tensor w = b.get(0);
        if (transpose) {
            float[] t = new float[w.size()];
            float[] d = w.data();
            for (int i = 0; i < k; i++) {
                for (int o = 0; o < numOutput; o++) {
                    t[o * k + i] = d[i * numOutput + o];
                }
            }
            w = new Tensor(new int[] {numOutput, k}, t);
        }
        return new InnerProduct(name, in, top(l, name), numOutput, w, biasTerm ? b.get(1) : null);
    }

    /** Weights read up front from a {@code .caffemodel} or HDF5 file, checked against the expected shapes. */
    private record StoredWeights(Path file, Map<String, List<Tensor>> byLayer) implements WeightSource {
        @Override
        public List<Tensor> blobs(String layer, String type, List<int[]> expected) {
            List<Tensor> stored = byLayer.get(layer);
            if (stored == null) {
                throw new ModelFormatException(file + ": no weights for layer " + layer);
            }
            if (stored.size() < expected.size()) {
                throw new ShapeMismatchException(file + ": layer " + layer + " has " + stored.size()
                        + " blob(s), expected " + expected.size());
            }
            List<Tensor> out = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) {
                int[] e = expected.get(i);
                Tensor t = stored.get(i);
                long n = 1;
                for (int d : e) {
                    n *= d;
                }
                if (t.size() != n) {
                    throw new ShapeMismatchException(file + ": layer " + layer + " blob " + i + " shape mismatch"
                            + " with the prototxt (expected " + Tensor.shapeString(e)
                            + ", found " + t.shapeString() + ")");
                }
                out.add(new Tensor(e, t.data()));
            }
            return out;
        }
    }
}
