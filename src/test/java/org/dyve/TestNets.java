package org.dyve;

import java.util.List;
import java.util.Random;
import org.dyve.model.Activation;
import org.dyve.model.Add;
import org.dyve.model.BatchNorm;
import org.dyve.model.ChannelShuffle;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
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

/** Small hand-made networks that together use every layer type of the IR, with seeded random weights. */
public final class TestNets {
    private TestNets() {
    }

    public static Tensor rand(Random r, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian() * 0.3f;
        }
        return new Tensor(shape, v);
    }

    /** Conv, ReLU, grouped conv, concat, batch norm, scale, add, leaky ReLU, ceil max pool, LRN, flatten, fc, softmax. */
    public static Network dag() {
        Random r = new Random(3);
        List<Layer> l = List.of(
                new Convolution("c1", "x", "c1", 4, Window.square(3, 1, 1), 1, 1, 1, rand(r, 4, 2, 3, 3), rand(r, 4)),
                new Relu("r1", "c1", "r1", 0f),
                new Convolution("c2a", "r1", "c2a", 3, Window.square(1, 1, 0), 1, 1, 1, rand(r, 3, 4, 1, 1), null),
                new Convolution("c2b", "r1", "c2b", 3, Window.square(3, 1, 1), 1, 1, 1, rand(r, 3, 4, 3, 3),
                        rand(r, 3)),
                new Concat("cat", List.of("c2a", "c2b"), "cat"),
                new BatchNorm("bn", "cat", "bn", rand(r, 6), new Tensor(new int[] {6}, new float[] {1, 2, 3, 4, 5, 6}),
                        1e-5f, rand(r, 6), rand(r, 6)),
                new Scale("sc", "bn", "sc", rand(r, 6), rand(r, 6)),
                new Convolution("c3", "r1", "c3", 6, Window.square(1, 1, 0), 1, 1, 2, rand(r, 6, 2, 1, 1), rand(r, 6)),
                new Add("add", List.of("sc", "c3"), "add"),
                new Relu("r2", "add", "r2", 0.1f),
                new Pooling("p", "r2", "p", Pooling.Mode.MAX, Window.square(3, 2, 0), false, Pooling.Rounding.CEIL,
                        false),
                new Lrn("n", "p", "n", Lrn.Region.ACROSS_CHANNELS, 3, 1e-2f, 0.75f, 1f),
                new Flatten("f", "n", "f"),
                new InnerProduct("ip", "f", "ip", 5, rand(r, 5, 6 * 3 * 3), rand(r, 5)),
                new Softmax("prob", "ip", "prob"));
        return new Network("dag", List.of(new Input("x", new Shape(2, 6, 6))), l, List.of());
    }

    /**
     * A MobileNet-like block: convolution, ReLU6-style bounded ReLU (bound 0.5, so it clips these values), depthwise
     * convolution, bounded ReLU, pointwise convolution, fully connected.
     */
    public static Network bounded() {
        Random r = new Random(11);
        List<Layer> l = List.of(
                new Convolution("c1", "x", "c1", 4, Window.square(3, 1, 1), 1, 1, 1, rand(r, 4, 2, 3, 3), rand(r, 4)),
                new Relu("r1", "c1", "r1", 0f, 0.5f),
                new Convolution("dw", "r1", "dw", 4, Window.square(3, 1, 1), 1, 1, 4, rand(r, 4, 1, 3, 3), rand(r, 4)),
                new Relu("r2", "dw", "r2", 0f, 0.5f),
                new Convolution("pw", "r2", "pw", 3, Window.square(1, 1, 0), 1, 1, 1, rand(r, 3, 4, 1, 1), rand(r, 3)),
                new Flatten("f", "pw", "f"),
                new InnerProduct("ip", "f", "ip", 5, rand(r, 5, 3 * 6 * 6), rand(r, 5)));
        return new Network("bounded", List.of(new Input("x", new Shape(2, 6, 6))), l, List.of());
    }

    /**
     * The activations of today's exporters: SiLU (sigmoid times its input), squeeze-and-excitation (global average
     * pooling, 1x1 convolution, hard sigmoid, the input times one value per channel), hard swish, tanh, ShuffleNet's
     * channel shuffle.
     */
    public static Network activations() {
        Random r = new Random(13);
        List<Layer> l = List.of(
                new Convolution("c1", "x", "c1", 4, Window.square(3, 1, 1), 1, 1, 1, rand(r, 4, 2, 3, 3), rand(r, 4)),
                new Activation("sig", "c1", "sig", Activation.Function.SIGMOID),
                new Elementwise("silu", List.of("c1", "sig"), "silu", Elementwise.Op.MUL, null, false),
                new Pooling("gap", "silu", "gap", Pooling.Mode.AVE, Window.square(1, 1, 0), true,
                        Pooling.Rounding.FLOOR, false),
                new Convolution("fc", "gap", "fc", 4, Window.square(1, 1, 0), 1, 1, 1, rand(r, 4, 4, 1, 1), rand(r, 4)),
                new Activation("hs", "fc", "hs", Activation.Function.HARD_SIGMOID, 0.2f, 0.5f),
                new Elementwise("se", List.of("silu", "hs"), "se", Elementwise.Op.MUL, null, false),
                new Activation("hsw", "se", "hsw", Activation.Function.HARD_SWISH),
                new Activation("th", "hsw", "th", Activation.Function.TANH),
                new ChannelShuffle("sh", "th", "sh", 2),
                new Flatten("f", "sh", "f"),
                new InnerProduct("ip", "f", "ip", 5, rand(r, 5, 4 * 6 * 6), rand(r, 5)));
        return new Network("activations", List.of(new Input("x", new Shape(2, 6, 6))), l, List.of());
    }

    /**
     * Caffe-specific and ONNX-only layers: padded ceil average pooling, LRN within channels, dilated conv,
     * explicit padding, strided slicing, element-wise operations with every kind of constant, identity,
     * global pooling.
     */
    public static Network dag2() {
        Random r = new Random(5);
        float[] perChannel = {0.5f, 1.5f, -1f};
        List<Layer> l = List.of(
                new Convolution("c1", "x", "c1", 3, Window.square(3, 1, 2), 2, 2, 1, rand(r, 3, 3, 3, 3), rand(r, 3)),
                new Pooling("ap", "c1", "ap", Pooling.Mode.AVE, Window.square(3, 2, 1), false, Pooling.Rounding.CEIL,
                        false),
                new Lrn("lw", "ap", "lw", Lrn.Region.WITHIN_CHANNEL, 3, 0.5f, 0.75f, 1f),
                new Pad("pad", "lw", "pad", new int[] {1, 0, 1}, new int[] {0, 2, 1}, 0.25f),
                new Slice("sl", "pad", "sl", new int[] {0, 1, 0}, new int[] {4, 7, 7}, new int[] {1, 2, 1}),
                new Elementwise("scalar", List.of("sl"), "scalar", Elementwise.Op.MUL,
                        new Tensor(new int[] {1}, new float[] {2f}), false),
                new Elementwise("chan", List.of("scalar"), "chan", Elementwise.Op.SUB,
                        new Tensor(new int[] {4}, new float[] {1, 2, 3, 4}), true),
                new Elementwise("both", List.of("chan", "scalar"), "both", Elementwise.Op.MAX, null, false),
                new Identity("id", "both", "id"),
                new Convolution("c2", "id", "c2", 3, Window.square(1, 1, 0), 1, 1, 1, rand(r, 3, 4, 1, 1),
                        new Tensor(new int[] {3}, perChannel)),
                new Pooling("gp", "c2", "gp", Pooling.Mode.AVE, Window.square(1, 1, 0), true, Pooling.Rounding.FLOOR,
                        false),
                new Pooling("gm", "c2", "gm", Pooling.Mode.MAX, Window.square(1, 1, 0), true, Pooling.Rounding.FLOOR,
                        false),
                new Add("sum", List.of("gp", "gm"), "sum"));
        return new Network("dag2", List.of(new Input("x", new Shape(3, 9, 10))), l, List.of());
    }
}
