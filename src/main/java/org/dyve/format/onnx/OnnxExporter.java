package org.dyve.format.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
import org.dyve.model.Scale;
import org.dyve.model.Shape;
import org.dyve.model.Slice;
import org.dyve.model.Softmax;
import org.dyve.model.Tensor;
import org.dyve.model.Window;

/**
 * Writes any {@link Network} as an ONNX model (opset 13, IR version 7). Every tensor is exported as
 * {@code N x C x H x W} with a symbolic batch {@code N}; fully connected layers become convolutions whose
 * kernel covers the whole input, so shapes stay 4-D; Caffe's ceil-rounded pooling maps to {@code ceil_mode}
 * and its average divisor to {@code count_include_pad}; LRN within channels expands into the equivalent
 * element-wise graph.
 */
public final class OnnxExporter {
    private static final int OPSET = 13;
    private static final int FLOAT = 1;
    private static final int INT64 = 7;

    private final Network net;
    private final String dataFile;
    private final ByteArrayOutputStream external = new ByteArrayOutputStream();
    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> initializers = new ArrayList<>();
    private int counter;

    private OnnxExporter(Network net, String dataFile) {
        this.net = net;
        this.dataFile = dataFile;
    }

    /**
     * Exports {@code net} to {@code file}, weights inside.
     *
     * @throws IOException when the file cannot be written
     */
    public static void write(Network net, Path file) throws IOException {
        write(net, file, false);
    }

    /**
     * Exports {@code net} to {@code file}; with {@code externalData} the weights go to {@code <file>.data}
     * beside it (ONNX external data, as models over 2 GB require).
     *
     * @throws IOException when a file cannot be written
     */
    public static void write(Network net, Path file, boolean externalData) throws IOException {
        String dataName = externalData ? file.getFileName() + ".data" : null;
        OnnxExporter e = new OnnxExporter(net, dataName);
        byte[] model = e.model();
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(model);
        }
        if (externalData) {
            Files.write(file.resolveSibling(dataName), e.external.toByteArray());
        }
    }

    private byte[] model() throws IOException {
        for (Layer l : net.layers()) {
            export(l);
        }
        byte[] graph = message(g -> {
            for (byte[] n : nodes) {
                g.writeByteArray(1, n);
            }
            g.writeString(2, net.name());
            for (byte[] t : initializers) {
                g.writeByteArray(5, t);
            }
            for (Input in : net.inputs()) {
                g.writeByteArray(11, valueInfo(in.name(), in.shape()));
            }
            for (String o : net.outputs()) {
                g.writeByteArray(12, valueInfo(o, net.shape(o)));
            }
        });
        byte[] opset = message(o -> {
            o.writeString(1, "");
            o.writeInt64(2, OPSET);
        });
        return message(m -> {
            m.writeInt64(1, 7); // ir_version
            m.writeString(2, "dyve"); // producer_name
            m.writeByteArray(7, graph);
            m.writeByteArray(8, opset);
        });
    }

    private String fresh(String base) {
        return base + "/" + (counter++);
    }

    private void export(Layer l) throws IOException {
        String in = l.inputs().get(0);
        String out = l.output();
        String n = l.name();
        if (l instanceof Convolution c) {
            Window w = c.window();
            String wt = constant(fresh(n + "/W"), c.weight().shape(), c.weight().data());
            List<String> ins = new ArrayList<>(List.of(in, wt));
            if (c.bias() != null) {
                ins.add(constant(fresh(n + "/B"), new int[] {c.numOutput()}, c.bias().data()));
            }
            node("Conv", n, ins, out, ints("kernel_shape", w.kh(), w.kw()), ints("strides", w.strideH(), w.strideW()),
                    ints("pads", w.padH(), w.padW(), w.padH(), w.padW()), ints("dilations", c.dilationH(), c.dilationW()),
                    integer("group", c.group()));
        } else if (l instanceof InnerProduct ip) {
            Shape s = net.shape(in);
            String wt = constant(fresh(n + "/W"), new int[] {ip.numOutput(), s.c(), s.h(), s.w()}, ip.weight().data());
            List<String> ins = new ArrayList<>(List.of(in, wt));
            if (ip.bias() != null) {
                ins.add(constant(fresh(n + "/B"), new int[] {ip.numOutput()}, ip.bias().data()));
            }
            node("Conv", n, ins, out, ints("kernel_shape", s.h(), s.w()));
        } else if (l instanceof Pooling p) {
            if (p.global()) {
                node(p.mode() == Pooling.Mode.MAX ? "GlobalMaxPool" : "GlobalAveragePool", n, List.of(in), out);
            } else {
                Window w = p.window();
                List<byte[]> attrs = new ArrayList<>(List.of(ints("kernel_shape", w.kh(), w.kw()),
                        ints("strides", w.strideH(), w.strideW()), ints("pads", w.padH(), w.padW(), w.padH(), w.padW()),
                        integer("ceil_mode", p.rounding() == Pooling.Rounding.CEIL ? 1 : 0)));
                if (p.mode() == Pooling.Mode.AVE) {
                    attrs.add(integer("count_include_pad", p.excludePad() ? 0 : 1));
                }
                node(p.mode() == Pooling.Mode.MAX ? "MaxPool" : "AveragePool", n, List.of(in), out,
                        attrs.toArray(new byte[0][]));
            }
        } else if (l instanceof Lrn lrn) {
            if (lrn.region() == Lrn.Region.ACROSS_CHANNELS) {
                node("LRN", n, List.of(in), out, integer("size", lrn.size()), real("alpha", lrn.alpha()),
                        real("beta", lrn.beta()), real("bias", lrn.k()));
            } else {
                // y = x / (1 + alpha / n^2 * sum_{n x n} x^2)^beta, the window sum as an average over n x n
                int half = (lrn.size() - 1) / 2;
                String sq = fresh(n + "/sq");
                node("Mul", fresh(n), List.of(in, in), sq);
                String avg = fresh(n + "/avg");
                node("AveragePool", fresh(n), List.of(sq), avg, ints("kernel_shape", lrn.size(), lrn.size()),
                        ints("strides", 1, 1), ints("pads", half, half, half, half), integer("count_include_pad", 1));
                String scaled = fresh(n + "/scaled");
                node("Mul", fresh(n), List.of(avg, scalar(n, lrn.alpha())), scaled);
                String shifted = fresh(n + "/shifted");
                node("Add", fresh(n), List.of(scaled, scalar(n, 1f)), shifted);
                String pw = fresh(n + "/pow");
                node("Pow", fresh(n), List.of(shifted, scalar(n, lrn.beta())), pw);
                node("Div", n, List.of(in, pw), out);
            }
        } else if (l instanceof Relu r) {
            if (r.max() != Float.POSITIVE_INFINITY) {
                node("Clip", n, List.of(in, scalar(n, 0f), scalar(n, r.max())), out);
            } else if (r.negativeSlope() == 0f) {
                node("Relu", n, List.of(in), out);
            } else {
                node("LeakyRelu", n, List.of(in), out, real("alpha", r.negativeSlope()));
            }
        } else if (l instanceof Concat) {
            node("Concat", n, l.inputs(), out, integer("axis", 1));
        } else if (l instanceof Identity) {
            node("Identity", n, List.of(in), out);
        } else if (l instanceof ChannelShuffle cs) {
            Shape s = net.shape(in);
            String grouped = fresh(n + "/grouped");
            node("Reshape", fresh(n), List.of(in, longs(fresh(n + "/groups"), 0, cs.groups(), s.c() / cs.groups(),
                    s.h(), s.w())), grouped);
            String swapped = fresh(n + "/swapped");
            node("Transpose", fresh(n), List.of(grouped), swapped, ints("perm", 0, 2, 1, 3, 4));
            node("Reshape", n, List.of(swapped, longs(fresh(n + "/shape"), 0, s.c(), s.h(), s.w())), out);
        } else if (l instanceof Activation a) {
            switch (a.function()) {
                case SIGMOID -> node("Sigmoid", n, List.of(in), out);
                case TANH -> node("Tanh", n, List.of(in), out);
                case HARD_SIGMOID -> node("HardSigmoid", n, List.of(in), out, real("alpha", a.alpha()),
                        real("beta", a.beta()));
                case HARD_SWISH -> {
                    // HardSwish is opset 14; at 13 it is x * HardSigmoid(x, 1/6, 1/2)
                    String gate = fresh(n + "/gate");
                    node("HardSigmoid", fresh(n), List.of(in), gate, real("alpha", 1f / 6), real("beta", 0.5f));
                    node("Mul", n, List.of(in, gate), out);
                }
                default -> throw new IllegalStateException("unreachable");
            }
        } else if (l instanceof Softmax) {
            node("Softmax", n, List.of(in), out, integer("axis", 1));
        } else if (l instanceof Flatten) {
            node("Reshape", n, List.of(in, longs(fresh(n + "/shape"), 0, -1, 1, 1)), out);
        } else if (l instanceof BatchNorm bn) {
            int c = bn.mean().size();
            node("BatchNormalization", n, List.of(in,
                    constant(fresh(n + "/scale"), new int[] {c}, bn.gamma() == null ? filled(c, 1f) : bn.gamma().data()),
                    constant(fresh(n + "/bias"), new int[] {c}, bn.beta() == null ? filled(c, 0f) : bn.beta().data()),
                    constant(fresh(n + "/mean"), new int[] {c}, bn.mean().data()),
                    constant(fresh(n + "/var"), new int[] {c}, bn.variance().data())), out,
                    real("epsilon", bn.epsilon()));
        } else if (l instanceof Scale sc) {
            int c = sc.gamma().size();
            String g = constant(fresh(n + "/gamma"), new int[] {1, c, 1, 1}, sc.gamma().data());
            if (sc.beta() == null) {
                node("Mul", n, List.of(in, g), out);
            } else {
                String mid = fresh(n + "/scaled");
                node("Mul", fresh(n), List.of(in, g), mid);
                node("Add", n, List.of(mid, constant(fresh(n + "/beta"), new int[] {1, c, 1, 1}, sc.beta().data())),
                        out);
            }
        } else if (l instanceof Add) {
            node("Sum", n, l.inputs(), out);
        } else if (l instanceof Pad p) {
            int[] b = p.before();
            int[] a = p.after();
            node("Pad", n, List.of(in, longs(fresh(n + "/pads"), 0, b[0], b[1], b[2], 0, a[0], a[1], a[2]),
                    scalar(n, p.value())), out, string("mode", "constant"));
        } else if (l instanceof Slice s) {
            int[] a = s.start();
            int[] e = s.stop();
            int[] st = s.step();
            node("Slice", n, List.of(in, longs(fresh(n + "/starts"), a[0], a[1], a[2]),
                    longs(fresh(n + "/ends"), e[0], e[1], e[2]), longs(fresh(n + "/axes"), 1, 2, 3),
                    longs(fresh(n + "/steps"), st[0], st[1], st[2])), out);
        } else if (l instanceof Elementwise e) {
            String op = switch (e.op()) {
                case ADD -> "Add";
                case SUB -> "Sub";
                case MUL -> "Mul";
                case DIV -> "Div";
                case POW -> "Pow";
                case MAX -> "Max";
                case MIN -> "Min";
            };
            if (e.constant() == null) {
                node(op, n, l.inputs(), out);
            } else {
                Shape s = net.shape(in);
                Tensor c = e.constant();
                int[] dims = c.size() == 1 ? new int[0] : c.size() == s.c() ? new int[] {1, s.c(), 1, 1}
                        : new int[] {1, s.c(), s.h(), s.w()};
                String k = constant(fresh(n + "/const"), dims, c.data());
                node(op, n, e.constantFirst() ? List.of(k, in) : List.of(in, k), out);
            }
        } else {
            throw new IllegalStateException("no ONNX mapping for " + l.type());
        }
    }

    private static float[] filled(int n, float v) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, v);
        return f;
    }

    private String scalar(String layer, float v) throws IOException {
        return constant(fresh(layer + "/k"), new int[0], new float[] {v});
    }

    private String constant(String name, int[] dims, float[] data) throws IOException {
        ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) {
            raw.putFloat(f);
        }
        if (dataFile != null && data.length > 1) {
            long offset = external.size();
            external.write(raw.array());
            initializers.add(message(o -> {
                for (int d : dims) {
                    o.writeInt64(1, d);
                }
                o.writeInt32(2, FLOAT);
                o.writeString(8, name);
                o.writeByteArray(13, entry("location", dataFile));
                o.writeByteArray(13, entry("offset", Long.toString(offset)));
                o.writeByteArray(13, entry("length", Integer.toString(raw.capacity())));
                o.writeInt32(14, 1); // data_location = EXTERNAL
            }));
        } else {
            initializers.add(tensor(name, FLOAT, dims, raw.array()));
        }
        return name;
    }

    private static byte[] entry(String key, String value) throws IOException {
        return message(o -> {
            o.writeString(1, key);
            o.writeString(2, value);
        });
    }

    private String longs(String name, long... values) throws IOException {
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            raw.putLong(v);
        }
        initializers.add(tensor(name, INT64, new int[] {values.length}, raw.array()));
        return name;
    }

    private static byte[] tensor(String name, int type, int[] dims, byte[] raw) throws IOException {
        return message(o -> {
            for (int d : dims) {
                o.writeInt64(1, d);
            }
            o.writeInt32(2, type);
            o.writeString(8, name);
            o.writeByteArray(9, raw);
        });
    }

    private void node(String op, String name, List<String> inputs, String output, byte[]... attrs)
            throws IOException {
        nodes.add(message(o -> {
            for (String i : inputs) {
                o.writeString(1, i);
            }
            o.writeString(2, output);
            o.writeString(3, name);
            o.writeString(4, op);
            for (byte[] a : attrs) {
                o.writeByteArray(5, a);
            }
        }));
    }

    // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)
    private interface Fields {
        void write(CodedOutputStream o) throws IOException;
    }

    private static byte[] message(Fields fields) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(b);
        fields.write(o);
        o.flush();
        return b.toByteArray();
    }

    private static byte[] attribute(String name, int type, Fields value) throws IOException {
        return message(o -> {
            o.writeString(1, name);
            value.write(o);
            o.writeInt32(20, type);
        });
    }

    private static byte[] integer(String name, long v) throws IOException {
        return attribute(name, 2, o -> o.writeInt64(3, v));
    }

    private static byte[] real(String name, float v) throws IOException {
        return attribute(name, 1, o -> o.writeFloat(2, v));
    }

    private static byte[] string(String name, String v) throws IOException {
        return attribute(name, 3, o -> o.writeString(4, v));
    }

    private static byte[] ints(String name, long... v) throws IOException {
        return attribute(name, 7, o -> {
            for (long x : v) {
                o.writeInt64(8, x);
            }
        });
    }

    /** ValueInfoProto of a float N x C x H x W tensor with a symbolic batch. */
    private static byte[] valueInfo(String name, Shape s) throws IOException {
        byte[] shape = message(o -> {
            o.writeByteArray(1, message(d -> d.writeString(2, "N")));
            for (int d : new int[] {s.c(), s.h(), s.w()}) {
                o.writeByteArray(1, message(x -> x.writeInt64(1, d)));
            }
        });
        byte[] tensor = message(o -> {
            o.writeInt32(1, FLOAT);
            o.writeByteArray(2, shape);
        });
        byte[] type = message(o -> o.writeByteArray(1, tensor));
        return message(o -> {
            o.writeString(1, name);
            o.writeByteArray(2, type);
        });
    }
}
