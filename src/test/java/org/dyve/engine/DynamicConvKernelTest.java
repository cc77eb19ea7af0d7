package org.dyve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.dyve.FloatAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

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

/** The dynamic-effort convolution: exact when its knobs are off, and each knob exactly as its rule says. */
class DynamicConvKernelTest {

    private static Convolution conv(int cout, int cin, Window w, float[] weights, float[] bias) {
        return new Convolution("c", "x", "y", cout, w, 1, 1, 1,
                new Tensor(new int[] {cout, cin, w.kh(), w.kw()}, weights), new Tensor(new int[] {cout}, bias));
    }

    /** conv followed by an in-place ReLU, so SDSS and SPET apply; returns the engine after one run. */
    private static Engine runWithRelu(Shape in, Convolution c, float[] x, ConvEffort knobs) {
        Network net = new Network("t", List.of(new Input("x", in)), List.of(c, new Relu("r", "y", "r", 0f)),
                List.of());
        Engine e = Engine.builder(net).effort(Map.of("c", knobs)).build();
        e.setInput("x", 0, x);
        e.run(1);
        return e;
    }

    @Test
    void exactKnobsReproduceTheDenseConvolution() {
        Random r = new Random(7);
        Window[] windows = {Window.square(3, 1, 1), Window.square(7, 2, 3), Window.square(1, 1, 0),
            new Window(5, 3, 2, 1, 2, 0)};
        for (Window w : windows) {
            Shape in = new Shape(5, 13, 11);
            Convolution c = conv(6, 5, w, Nets.random(6 * 5 * w.kh() * w.kw(), r), Nets.random(6, r));
            float[] x = Nets.random(in.size(), r);
            float[] dense = Nets.run(in, c, x);
            // SFMA on but nothing to drop (random maps are never constant): the dynamic kernel, computing exactly
            Engine e = Engine.builder(Nets.single(in, c)).effort(Map.of("c", ConvEffort.EXACT.withSfma(0))).build();
            e.setInput("x", 0, x);
            e.run(1);
            assertClose(dense, e.output("y", 0), w.toString());
            Work work = e.work().get(0);
            assertEquals(work.denseMacs(), work.macs(), w.toString());
            assertEquals(2L * in.size(), work.overheadOps(), "SFMA's statistics, so the dynamic kernel ran");
            assertEquals(Nets.single(in, c).macs(0), work.denseMacs());
        }
    }

    @Test
    void sfmaDropsConstantMapsAndAddsTheirContribution() {
        Random r = new Random(3);
        Shape in = new Shape(3, 6, 6);
        Window w = Window.square(3, 1, 0); // no padding: a constant map's contribution is exact everywhere
        Convolution c = conv(4, 3, w, Nets.random(4 * 3 * 9, r), Nets.random(4, r));
        float[] x = Nets.random(in.size(), r);
        java.util.Arrays.fill(x, 36, 72, 2.5f); // channel 1 constant
        java.util.Arrays.fill(x, 72, 108, 0f); // channel 2 all zero
        float[] dense = Nets.run(in, c, x);
        Engine e = Engine.builder(Nets.single(in, c)).effort(Map.of("c", ConvEffort.EXACT.withSfma(0))).build();
        e.setInput("x", 0, x);
        e.run(1);
        assertClose(dense, e.output("y", 0), "sfma");
        Work work = e.work().get(0);
        long perChannel = 4L * 9 * 16; // cout x k x k x output positions
        assertEquals(2 * perChannel, work.sfmaSkipped());
        assertEquals(work.denseMacs() - 2 * perChannel, work.macs());
        assertEquals(2L * 3 * 36 + 2 * 4, work.overheadOps()); // sums over 3 maps, bias update for the non-zero one
    }

    @Test
    void sdssZeroesOutputsWhoseGridNeighboursAreInsignificant() {
        Shape in = new Shape(1, 3, 3);
        Convolution c = conv(1, 1, Window.square(1, 1, 0), new float[] {1}, new float[] {0});
        float[] x = {-1, 5, -1, 5, 5, 5, -1, 5, -1};
        Engine e = runWithRelu(in, c, x, ConvEffort.EXACT.withSdss(0, -1));
        // grid (0,0) (0,2) (2,0) (2,2) is computed: all -1, so every other output is set to 0 without computing it
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 0, 0, 0}, e.output("r", 0));
        Work work = e.work().get(0);
        assertEquals(4, work.macs());
        assertEquals(5, work.sdssSkipped());
    }

    @Test
    void sdssInterpolatesSimilarNeighboursAndComputesTheRest() {
        Shape in = new Shape(1, 1, 3);
        Convolution c = conv(1, 1, Window.square(1, 1, 0), new float[] {1}, new float[] {0});
        float[] x = {2, 9, 4};
        // grid outputs 2 and 4, RMS sqrt(10) = 3.16: a spread of 2 is within 1.0 x RMS -> interpolated to 3
        Engine e = runWithRelu(in, c, x, ConvEffort.EXACT.withSdss(0, 1.0));
        assertArrayEquals(new float[] {2, 3, 4}, e.output("r", 0));
        assertEquals(1, e.work().get(0).sdssSkipped());
        assertEquals(2, e.work().get(0).macs());
        // ... but not within 0.5 x RMS (1.58): computed exactly
        e = runWithRelu(in, c, x, ConvEffort.EXACT.withSdss(0, 0.5));
        assertArrayEquals(new float[] {2, 9, 4}, e.output("r", 0));
        assertEquals(0, e.work().get(0).sdssSkipped());
        assertEquals(3, e.work().get(0).macs());
    }

    @Test
    void sdssByColumnsComputesAWholePositionOrNone() {
        Shape in = new Shape(1, 1, 5);
        Convolution c = conv(2, 1, Window.square(1, 1, 0), new float[] {1, 2}, new float[] {0, 0});
        float[] x = {2, 9, 4, 4, 4};
        // grid 0, 2, 4: channel 0 -> 2, 4, 4; channel 1 -> 4, 8, 8; RMS sqrt(30) = 5.48, similar within 2.74.
        // Position 1: channel 0's neighbours (2, 4) are similar, channel 1's (4, 8) are not; position 3: both are.
        Engine e = runWithRelu(in, c, x, ConvEffort.EXACT.withSdss(0, 0.5, 0));
        // no failing channel allowed: position 1 is computed for both channels, position 3 interpolated
        assertArrayEquals(new float[] {2, 9, 4, 4, 4, 4, 18, 8, 8, 8}, e.output("r", 0));
        Work work = e.work().get(0);
        assertEquals(3 * 2 + 2, work.macs());
        assertEquals(2, work.sdssSkipped());
        // one of two channels may fail: position 1 is interpolated in both channels, nothing off the grid computed
        e = runWithRelu(in, c, x, ConvEffort.EXACT.withSdss(0, 0.5, 0.5));
        assertArrayEquals(new float[] {2, 3, 4, 4, 4, 4, 6, 8, 8, 8}, e.output("r", 0));
        work = e.work().get(0);
        assertEquals(3 * 2, work.macs());
        assertEquals(4, work.sdssSkipped());
    }

    @Test
    void sdssByColumnsComputesTheSelectedPositionsExactlyInBucketsOfColumns() {
        Random r = new Random(11);
        Shape in = new Shape(5, 23, 21);
        float[] bias = new float[6];
        java.util.Arrays.fill(bias, 100f); // every output positive: no neighbour is insignificant
        Convolution c = conv(6, 5, Window.square(3, 1, 1), Nets.random(6 * 5 * 9, r), bias);
        // similarity off: every off-grid position fails, all 351 of them are gathered (11 buckets) and computed
        Engine e = Engine.builder(new Network("t", List.of(new Input("x", in)), List.of(c, new Relu("r", "y", "r", 0f)),
                List.of())).effort(Map.of("c", ConvEffort.EXACT.withSdss(0, -1, 0))).build();
        for (int run = 0; run < 2; run++) {
            float[] x = Nets.random(in.size(), r);
            e.setInput("x", 0, x);
            e.run(1);
            assertClose(Nets.run(in, c, x), e.output("r", 0), "run " + run);
        }
        Work work = e.work().get(0);
        assertEquals(work.denseMacs(), work.macs());
        assertEquals(0, work.sdssSkipped());
    }

    @Test
    void spetStopsNeuronsWhosePartialSumIsBelowTheThreshold() {
        Shape in = new Shape(2, 1, 2);
        // channel 0 has the larger filter norm, so it is summed first; f = 0.5 -> one channel before the check
        Convolution c = conv(1, 2, Window.square(1, 1, 0), new float[] {1, 0.1f}, new float[] {0});
        float[] x = {-3, 3, 10, 10};
        Engine e = runWithRelu(in, c, x, ConvEffort.EXACT.withSpet(0.5, 0));
        assertArrayEquals(new float[] {0, 4}, e.output("r", 0), 1e-6f);
        Work work = e.work().get(0);
        assertEquals(1, work.spetSkipped());
        assertEquals(3, work.macs()); // two partial sums + one finished neuron
        // a wrong saturation call is SPET's only error: -3 + 0.1 * 40 = 1 > 0, but it is stopped at -3
        e = runWithRelu(in, c, new float[] {-3, 3, 40, 10}, ConvEffort.EXACT.withSpet(0.5, 0));
        assertArrayEquals(new float[] {0, 4}, e.output("r", 0), 1e-6f);
    }

    @Test
    void spetByProxyComputesOnlyTheNeuronsItsLowRankPredictionDoesNotSaturate() {
        Shape in = new Shape(2, 1, 2);
        // y0 = x0, y1 = x1; the rank-1 proxy follows channel 0 (z = x0) and predicts channel 1 as 0.5 always
        Convolution c = conv(2, 2, Window.square(1, 1, 0), new float[] {1, 0, 0, 1}, new float[] {0, 0});
        SpetProxy proxy = new SpetProxy(1, new float[] {1, 0}, new float[] {0, 0.5f}, new float[] {1, 2});
        float[] x = {-3, 2, -5, 4};
        // threshold -1 sigma: y0 at position 0 is predicted -3 < -1 (stopped); 2, 0.5, 0.5 >= -1, -2 (computed)
        Engine e = runWithRelu(in, c, x, ConvEffort.EXACT.withSpet(proxy, -1));
        assertArrayEquals(new float[] {0, 2, 0, 4}, e.output("r", 0), 1e-6f);
        Work work = e.work().get(0);
        long projection = 1 * 2 * (2 + 2); // rank x positions x (K + cout)
        assertEquals(3 * 2 + projection, work.macs(), "three neurons in full plus the projection");
        assertEquals(2 - projection, work.spetSkipped(), "one neuron's K MACs, net of the projection");
        assertEquals(work.denseMacs(), work.macs() + work.spetSkipped());
        // a wrong call is the proxy's only error: predicted at -10 (< -2 sigma), channel 1 is stopped though y = 4
        SpetProxy off = new SpetProxy(1, new float[] {1, 0}, new float[] {0, -10}, new float[] {1, 2});
        e = runWithRelu(in, c, x, ConvEffort.EXACT.withSpet(off, -1));
        assertArrayEquals(new float[] {0, 2, 0, 0}, e.output("r", 0), 1e-6f);
        // with an input map dropped by SFMA the proxy does not apply: the layer is exact
        e = runWithRelu(in, c, new float[] {-3, 2, 0, 0}, ConvEffort.EXACT.withSfma(0).withSpet(proxy, -1));
        assertArrayEquals(new float[] {0, 2, 0, 0}, e.output("r", 0), 1e-6f);
        assertEquals(0, e.work().get(0).spetSkipped());
    }

    @Test
    void sdssOffGridNeuronsLeftToComputeAreGatedByTheLowRankPrediction() {
        Shape in = new Shape(2, 1, 3);
        // y0 = x0, y1 = x1; the rank-1 proxy projects on z = y0 - y1 and predicts channel 0 as z, channel 1 as -z
        Convolution c = conv(2, 2, Window.square(1, 1, 0), new float[] {1, 0, 0, 1}, new float[] {0, 0});
        SpetProxy proxy = new SpetProxy(1, new float[] {1, -1}, new float[] {0, 0}, new float[] {1, 1});
        float[] x = {1, 9, 3, 1, 2, 3};
        // grid 0 and 2: z = 0, every prediction >= -1 sigma, all four computed; off-grid position 1: SDSS (zero
        // at <= 0, no interpolation) leaves both channels to compute, two >= twice the rank, so the position is
        // projected: z = 7, channel 0 predicted 7 (computed), channel 1 predicted -7 (stopped, though y1 = 2)
        Engine e = runWithRelu(in, c, x, ConvEffort.EXACT.withSdss(0, -1).withSpet(proxy, -1));
        assertArrayEquals(new float[] {1, 9, 3, 1, 0, 3}, e.output("r", 0), 1e-6f);
        Work work = e.work().get(0);
        long gridProjection = 1 * 2 * (2 + 2); // rank x grid positions x (K + cout)
        long restProjection = 1 * (2 + 2); // rank x (K + channels left to compute)
        assertEquals(4 * 2 + gridProjection + 2 + restProjection, work.macs());
        assertEquals(2 - gridProjection - restProjection, work.spetSkipped(), "one neuron, net of the projections");
        assertEquals(0, work.sdssSkipped());
        assertEquals(work.denseMacs(), work.macs() + work.spetSkipped());
        // without the proxy the off-grid neurons are computed in full
        e = runWithRelu(in, c, x, ConvEffort.EXACT.withSdss(0, -1));
        assertArrayEquals(new float[] {1, 9, 3, 1, 2, 3}, e.output("r", 0), 1e-6f);
    }

    @Test
    void knobsAreIgnoredWhenNoReluFollows() {
        Shape in = new Shape(1, 1, 3);
        Convolution c = conv(1, 1, Window.square(1, 1, 0), new float[] {1}, new float[] {0});
        Engine e = Engine.builder(Nets.single(in, c)).effort(Map.of("c", ConvEffort.EXACT.withSdss(10, 10)
                .withSpet(0.5, 5))).build();
        e.setInput("x", 0, new float[] {-2, 9, -4});
        e.run(1);
        assertArrayEquals(new float[] {-2, 9, -4}, e.output("y", 0));
    }

    @Test
    void everyDenseMacIsExecutedOrSkippedByExactlyOneMechanism() {
        Random r = new Random(11);
        Shape in = new Shape(8, 12, 12);
        Convolution c = conv(16, 8, Window.square(3, 1, 1), Nets.random(16 * 8 * 9, r), Nets.random(16, r));
        float[] x = Nets.random(in.size(), r);
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(0, x[i]); // post-ReLU-like input
        }
        java.util.Arrays.fill(x, 0, 144, 0f);
        SpetProxy proxy = new SpetProxy(3, Nets.random(16 * 3, r), Nets.random(16, r), new float[16]);
        for (int v = 0; v < 4; v++) {
            double cols = v % 2 == 0 ? -1 : 0.25;
            // with the proxy SFMA must keep every map for SPET to apply: off then
            ConvEffort knobs = v < 2 ? new ConvEffort(0, 0.5, 0.1, cols, 0.5, -0.2, null, false, false)
                    : new ConvEffort(-1, 0.5, 0.1, cols, 0.5, 0, proxy, false, false);
            Engine e = runWithRelu(in, c, x, knobs);
            Work w = e.work().get(0);
            float[] dense = Nets.run(in, c, x);
            float[] got = e.output("y", 0);
            for (int i = 0; i < got.length; i++) {
                if (v >= 2 && got[i] != 0 && i % 2 == 0 && i / 12 % 2 == 0) {
                    assertEquals(dense[i], got[i], 1e-4, "a grid neuron the proxy let through is exact");
                }
            }
            assertEquals(w.denseMacs(), w.macs() + w.sfmaSkipped() + w.sdssSkipped() + w.spetSkipped());
            org.junit.jupiter.api.Assertions.assertTrue((v >= 2 || w.sfmaSkipped() > 0) && w.sdssSkipped() > 0
                    && w.spetSkipped() > 0, w.toString());
        }
    }
}
