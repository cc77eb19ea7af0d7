package org.dyve.engine;

import static org.dyve.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
import org.dyve.model.Input;
import org.dyve.model.Network;
import org.dyve.model.Relu;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.dyve.model.Window;
import org.junit.jupiter.api.Test;

/** A 1x1 convolution run from its nonzero inputs: the dense layer's outputs, exactly the zero operands' MACs out. */
class ZeroInputConvKernelTest {

    /** About {@code zeros} of the values are 0, the rest positive (as after a ReLU). */
    private static float[] relued(int n, double zeros, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble() < zeros ? 0f : (float) r.nextDouble();
        }
        return v;
    }

    /** MACs the rule executes on one sample: per output position, per nonzero input, its column's kept weights. */
    private static long expectedMacs(Convolution c, Shape is, Shape os, float[] x, boolean pruned) {
        float[] w = c.weight().data();
        int cout = c.numOutput();
        Window win = c.window();
        long macs = 0;
        for (int oy = 0; oy < os.h(); oy++) {
            for (int ox = 0; ox < os.w(); ox++) {
                int iy = oy * win.strideH() - win.padH();
                int ix = ox * win.strideW() - win.padW();
                if (iy < 0 || iy >= is.h() || ix < 0 || ix >= is.w()) {
                    continue;
                }
                for (int ci = 0; ci < is.c(); ci++) {
                    if (x[(ci * is.h() + iy) * is.w() + ix] == 0) {
                        continue;
                    }
                    for (int o = 0; o < cout; o++) {
                        macs += !pruned || w[o * is.c() + ci] != 0 ? 1 : 0;
                    }
                }
            }
        }
        return macs;
    }

    @Test
    void reproducesTheDenseConvolutionAndSkipsExactlyTheZeroOperands() {
        Random r = new Random(3);
        // dense and pruned weights; stride 1 and 2; padding 0 and 1 (padded positions have only zero inputs)
        Window[] windows = {Window.square(1, 1, 0), Window.square(1, 2, 0), Window.square(1, 1, 1),
            Window.square(1, 2, 1)};
        for (double density : new double[] {1.0, 0.3}) {
            for (Window w : windows) {
                Shape in = new Shape(24, 19, 17);
                Convolution c = Nets.pruned(40, 24, 1, w, density, r);
                Network net = Nets.single(in, c);
                Shape os = net.shape("y");
                float[] x0 = relued(in.size(), 0.6, r);
                float[] x1 = relued(in.size(), 0.2, r);
                Engine e = Engine.builder(net).batch(2).effort(Map.of("c", ConvEffort.ZERO_INPUTS)).build();
                e.setInput("x", 0, x0);
                e.setInput("x", 1, x1);
                e.run(2);
                String what = w + " density " + density;
                assertClose(Nets.run(in, c, x0), e.output("y", 0), what);
                assertClose(Nets.run(in, c, x1), e.output("y", 1), what);
                Work work = e.work().get(0);
                boolean pruned = density <= ConvEffort.SPARSE_MAX_DENSITY;
                assertEquals(2 * net.macs(0), work.denseMacs());
                assertEquals(expectedMacs(c, in, os, x0, pruned) + expectedMacs(c, in, os, x1, pruned), work.macs(),
                        what);
                long zeroWeights = c.weight().data().length - Nets.nonzero(c);
                assertEquals(pruned ? 2 * zeroWeights * os.plane() : 0, work.zeroSkipped(), what);
                assertEquals(work.denseMacs() - work.macs() - work.zeroSkipped(), work.zeroInputSkipped(), what);
                assertTrue(work.zeroInputSkipped() > 0, what);
                assertEquals(0, work.overheadOps());
            }
        }
    }

    @Test
    void skipsTheZeroInputsOfAHandMadeLayerAndAppliesItsRelu() {
        // y = 2 x0 - x1 + 1 at each of four positions; ReLU after it
        Convolution c = new Convolution("c", "x", "y", 1, Window.square(1, 1, 0), 1, 1, 1,
                new Tensor(new int[] {1, 2, 1, 1}, new float[] {2, -1}), new Tensor(new int[] {1}, new float[] {1}));
        Network net = new Network("t", List.of(new Input("x", new Shape(2, 2, 2))),
                List.of(c, new Relu("r", "y", "r", 0f)), List.of());
        Engine e = Engine.builder(net).effort(Map.of("c", ConvEffort.ZERO_INPUTS)).build();
        // x0 = 0, 1, 0, 3; x1 = 0, 0, 5, 1
        e.setInput("x", 0, new float[] {0, 1, 0, 3, 0, 0, 5, 1});
        e.run(1);
        assertArrayEquals(new float[] {1, 3, 0, 6}, e.output("r", 0));
        Work work = e.work().get(0);
        assertEquals(4, work.macs(), "four nonzero inputs, one output each");
        assertEquals(4, work.zeroInputSkipped());
        assertEquals(0, work.zeroSkipped());
        e.resetWork();
        assertEquals(0, e.work().get(0).macs());
    }

    @Test
    void aLayerLargeEnoughForTwoThreadsGivesTheSameOutputs() {
        Random r = new Random(8);
        Shape in = new Shape(256, 40, 40);
        Convolution c = Nets.pruned(256, 256, 1, Window.square(1, 1, 0), 1.0, r);
        assertTrue(256L * 256 * 1600 / 2 > Engine.PARALLEL_MACS);
        float[] x = relued(in.size(), 0.5, r);
        Engine e = Engine.builder(Nets.single(in, c)).effort(Map.of("c", ConvEffort.ZERO_INPUTS)).build();
        e.setInput("x", 0, x);
        e.run(1);
        assertClose(Nets.run(in, c, x), e.output("y", 0), 1e-4f, "256 channels");
        assertEquals(expectedMacs(c, in, in, x, false), e.work().get(0).macs());
    }

    @Test
    void nonNegativeFollowsReluThroughConcatenation() {
        Shape in = new Shape(2, 4, 4);
        Random r = new Random(1);
        Convolution a = Nets.pruned(3, 2, 1, Window.square(1, 1, 0), 1, r);
        Convolution b = new Convolution("b", "x", "yb", 3, a.window(), 1, 1, 1, a.weight(), a.bias());
        Network net = new Network("t", List.of(new Input("x", in)), List.of(a, new Relu("ra", "y", "ry", 0f), b,
                new Concat("cat", List.of("ry", "yb"), "cat"), new Concat("both", List.of("ry", "ry"), "both")),
                List.of());
        assertFalse(net.nonNegative("x", 0), "the network's input");
        assertFalse(net.nonNegative("y", 1), "the convolution's output");
        assertTrue(net.nonNegative("ry", 2), "the ReLU's");
        assertFalse(net.nonNegative("cat", 5), "one input of the concatenation is not rectified");
        assertTrue(net.nonNegative("both", 5), "a concatenation of rectified tensors");
    }
}
