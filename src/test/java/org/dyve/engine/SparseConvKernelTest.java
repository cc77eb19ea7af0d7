package org.dyve.engine;

import static org.dyve.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dyve.model.Convolution;
import org.dyve.model.Input;
import org.dyve.model.Network;
import org.dyve.model.Relu;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.dyve.model.Window;
import org.junit.jupiter.api.Test;

/** A convolution run from its nonzero weights: the dense layer's outputs, exactly the zero weights' MACs skipped. */
class SparseConvKernelTest {

    @Test
    void reproducesTheDenseConvolutionAndSkipsExactlyTheZeroWeights() {
        Random r = new Random(11);
        // 3x3 same padding, a strided 7x7, a 1x1, an asymmetric padded 5x3, two groups; 40 rows: several bands
        Window[] windows = {Window.square(3, 1, 1), Window.square(7, 2, 3), Window.square(1, 1, 0),
            new Window(5, 3, 2, 1, 2, 0), Window.square(3, 1, 1)};
        int[] groups = {1, 1, 1, 1, 2};
        for (int t = 0; t < windows.length; t++) {
            Window w = windows[t];
            Shape in = new Shape(6, 40, 23);
            Convolution c = Nets.pruned(8, 6, groups[t], w, 0.3, r);
            float[] x = Nets.random(in.size(), r);
            Network net = Nets.single(in, c);
            float[] dense = Nets.run(in, c, x);
            Engine e = Engine.builder(net).batch(2).effort(Map.of("c", ConvEffort.SPARSE)).build();
            e.setInput("x", 0, x);
            e.setInput("x", 1, Nets.random(in.size(), r));
            e.run(2);
            assertClose(dense, e.output("y", 0), w + " group " + groups[t]);
            Work work = e.work().get(0);
            long positions = (long) net.shape("y").plane();
            assertEquals(2 * net.macs(0), work.denseMacs());
            assertEquals(2 * Nets.nonzero(c) * positions, work.macs(),
                    "nonzero weights x output positions, two samples");
            assertEquals(work.denseMacs() - work.macs(), work.zeroSkipped());
            assertEquals(0, work.overheadOps());
            assertTrue(work.reduction() > 2.5, "about 70% of the weights are zero: " + work.reduction());
        }
    }

    @Test
    void aLayerLargeEnoughForTwoThreadsGivesTheSameOutputs() {
        // 29 M nonzero MACs, above Engine.PARALLEL_MACS: its bands are shared out over the cores
        Random r = new Random(5);
        Shape in = new Shape(64, 40, 40);
        Convolution c = Nets.pruned(64, 64, 1, Window.square(3, 1, 1), 0.5, r);
        assertTrue(Nets.nonzero(c) * 1600 > Engine.PARALLEL_MACS);
        float[] x = Nets.random(in.size(), r);
        Engine e = Engine.builder(Nets.single(in, c)).effort(Map.of("c", ConvEffort.SPARSE)).build();
        e.setInput("x", 0, x);
        e.run(1);
        assertClose(Nets.run(in, c, x), e.output("y", 0), 1e-4f, "64 channels");
        assertEquals(Nets.nonzero(c) * 1600, e.work().get(0).macs());
    }

    @Test
    void pipelineStagesOfAPrunedNetworkChainToItsDenseOutput() {
        // two pruned convolutions with a ReLU between, split into the ranges a stream's layer stages run
        Random r = new Random(9);
        Shape in = new Shape(4, 12, 12);
        Convolution a = Nets.pruned(6, 4, 1, Window.square(3, 1, 1), 0.4, r);
        Convolution b0 = Nets.pruned(5, 6, 1, Window.square(3, 2, 1), 0.4, r);
        Convolution b = new Convolution("d", "ra", "z", 5, b0.window(), 1, 1, 1, b0.weight(), b0.bias());
        Network net = new Network("t", List.of(new Input("x", in)), List.of(a, new Relu("relu", "y", "ra", 0f), b),
                List.of());
        Map<String, ConvEffort> sparse = Map.of("c", ConvEffort.SPARSE, "d", ConvEffort.SPARSE);
        float[] x = Nets.random(in.size(), r);
        Engine dense = Engine.builder(net).build();
        dense.setInput("x", 0, x);
        dense.run(1);
        Engine first = Engine.builder(net).range(0, 2).effort(sparse).build();
        first.setInput("x", 0, x);
        first.run(1);
        Engine second = Engine.builder(net).range(2, 3).effort(sparse).build();
        second.setInput("ra", 0, first.output("ra", 0));
        second.run(1);
        assertClose(dense.output("z", 0), second.output("z", 0), "two stages");
        assertEquals(Nets.nonzero(a) * 144, first.work().get(0).macs());
        assertEquals(Nets.nonzero(b) * 36, second.work().get(0).macs());
    }

    @Test
    void appliesTheReluItIsFusedWith() {
        // the second channel's weight is zero: y = 2 x0 - 1 at each position, the ReLU after it keeps the positive
        Convolution c = new Convolution("c", "x", "y", 1, Window.square(1, 1, 0), 1, 1, 1,
                new Tensor(new int[] {1, 2, 1, 1}, new float[] {2, 0}), new Tensor(new int[] {1}, new float[] {-1}));
        Network net = new Network("t", List.of(new Input("x", new Shape(2, 2, 2))),
                List.of(c, new Relu("r", "y", "r", 0f)), List.of());
        Engine e = Engine.builder(net).effort(Map.of("c", ConvEffort.SPARSE)).build();
        e.setInput("x", 0, new float[] {0, 1, 2, -3, 9, 9, 9, 9});
        e.run(1);
        assertArrayEquals(new float[] {0, 1, 3, 0}, e.output("r", 0));
        Work work = e.work().get(0);
        assertEquals(4, work.macs());
        assertEquals(4, work.zeroSkipped());
    }

    @Test
    void densityCountsTheNonzeroWeights() {
        Convolution c = new Convolution("c", "x", "y", 2, Window.square(1, 1, 0), 1, 1, 1,
                new Tensor(new int[] {2, 2, 1, 1}, new float[] {0, 1, -0f, 3}), null);
        assertEquals(0.5, c.density());
    }
}
