package org.dyve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.dyve.FloatAsserts;
import org.dyve.ShapeMismatchException;
import org.dyve.TestNets;
import org.dyve.model.Add;
import org.dyve.model.BatchNorm;
import org.dyve.model.Concat;
import org.dyve.model.Convolution;
import org.dyve.model.Identity;
import org.dyve.model.Input;
import org.dyve.model.Lrn;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Scale;
import org.dyve.model.Shape;
import org.dyve.model.Softmax;
import org.dyve.model.Tensor;
import org.dyve.model.Window;
import org.junit.jupiter.api.Test;

class EngineTest {
    static Network dag() {
        return org.dyve.TestNets.dag();
    }

    /**
     * A SqueezeNet-like stem and fire module: strided conv, ceil max pooling, squeeze 1x1, expand 1x1 and 3x3, concat,
     * average pooling, dropout, a final 1x1, global average, softmax; and a second output from the concat through a
     * 3x3 convolution with more outputs than inputs (its input is copied together; the final 1x1 sums one product per
     * part of the concat).
     */
    static Network fire() {
        Random r = new Random(11);
        List<org.dyve.model.Layer> l = List.of(
                new Convolution("c1", "x", "c1", 16, Window.square(3, 2, 0), 1, 1, 1, TestNets.rand(r, 16, 3, 3, 3),
                        TestNets.rand(r, 16)),
                new Relu("r1", "c1", "r1", 0f),
                new Pooling("p1", "r1", "p1", Pooling.Mode.MAX, Window.square(3, 2, 0), false, Pooling.Rounding.CEIL,
                        false),
                new Convolution("sq", "p1", "sq", 16, Window.square(1, 1, 0), 1, 1, 1, TestNets.rand(r, 16, 16, 1, 1),
                        TestNets.rand(r, 16)),
                new Relu("sqr", "sq", "sqr", 0f),
                new Convolution("e1", "sqr", "e1", 16, Window.square(1, 1, 0), 1, 1, 1, TestNets.rand(r, 16, 16, 1, 1),
                        TestNets.rand(r, 16)),
                new Relu("e1r", "e1", "e1r", 0f),
                new Convolution("e3", "sqr", "e3", 32, Window.square(3, 1, 1), 1, 1, 1, TestNets.rand(r, 32, 16, 3, 3),
                        TestNets.rand(r, 32)),
                new Relu("e3r", "e3", "e3r", 0f),
                new Concat("cat", List.of("e1r", "e3r"), "cat"),
                new Convolution("wide", "cat", "wide", 64, Window.square(3, 1, 1), 1, 1, 1,
                        TestNets.rand(r, 64, 48, 3, 3), TestNets.rand(r, 64)),
                new Relu("wider", "wide", "wider", 0f),
                new Pooling("gw", "wider", "gw", Pooling.Mode.MAX, null, true, Pooling.Rounding.CEIL, false),
                new Pooling("p2", "cat", "p2", Pooling.Mode.AVE, Window.square(3, 2, 0), false, Pooling.Rounding.CEIL,
                        false),
                new Identity("drop", "p2", "drop"),
                new Convolution("cf", "drop", "cf", 10, Window.square(1, 1, 0), 1, 1, 1, TestNets.rand(r, 10, 48, 1, 1),
                        TestNets.rand(r, 10)),
                new Relu("cfr", "cf", "cfr", 0.1f),
                new Pooling("gp", "cfr", "gp", Pooling.Mode.AVE, null, true, Pooling.Rounding.CEIL, false),
                new Softmax("prob", "gp", "prob"));
        return new Network("fire", List.of(new Input("x", new Shape(3, 31, 31))), l, List.of());
    }

    @Test
    void aOneDnnSegmentComputesWhatTheLayersComputeOneByOneAndShowsItsInnerTensorsOnRequest() {
        // in channels-last and in the blocked layouts that CPUs without AVX-512 fall back to
        checkSegment(fire(), 3 * 31 * 31, List.of("r1", "p1", "sqr", "e3", "cat", "wider", "gw", "p2", "drop", "cfr",
                "gp", "prob"), org.bytedeco.dnnl.memory.format_tag.nChw16c, org.bytedeco.dnnl.memory.format_tag.nChw8c);
    }

    /**
     * A residual block with batch norms (one followed by a scale) after every convolution, LRNs within and across
     * channels, a strided 1x1 shortcut and a global average: the batch norms fold into the convolutions, the adds
     * are binary primitives.
     */
    @Test
    void batchNormsFoldIntoTheirConvolutionsAndResidualAddsStayInTheSegment() {
        Random r = new Random(13);
        java.util.function.IntFunction<Tensor> positive = c -> {
            float[] v = new float[c];
            for (int i = 0; i < c; i++) {
                v[i] = 0.5f + r.nextFloat();
            }
            return new Tensor(new int[] {c}, v);
        };
        List<org.dyve.model.Layer> l = List.of(
                new Convolution("c0", "x", "c0", 16, Window.square(3, 1, 1), 1, 1, 1, TestNets.rand(r, 16, 4, 3, 3),
                        null),
                new BatchNorm("b0", "c0", "b0", TestNets.rand(r, 16), positive.apply(16), 1e-5f, TestNets.rand(r, 16),
                        TestNets.rand(r, 16)),
                new Relu("r0", "b0", "r0", 0f),
                new Lrn("w", "r0", "w", Lrn.Region.WITHIN_CHANNEL, 3, 0.5f, 0.75f, 1f),
                new Convolution("c1", "w", "c1", 16, Window.square(3, 1, 1), 1, 1, 1, TestNets.rand(r, 16, 16, 3, 3),
                        TestNets.rand(r, 16)),
                new BatchNorm("b1", "c1", "b1", TestNets.rand(r, 16), positive.apply(16), 1e-5f, null, null),
                new Scale("s1", "b1", "s1", TestNets.rand(r, 16), TestNets.rand(r, 16)),
                new Add("add", List.of("s1", "w"), "add"),
                new Relu("r1", "add", "r1", 0f),
                new Convolution("ds", "r1", "ds", 16, Window.square(1, 2, 0), 1, 1, 1, TestNets.rand(r, 16, 16, 1, 1),
                        null),
                new BatchNorm("bd", "ds", "bd", TestNets.rand(r, 16), positive.apply(16), 1e-5f, TestNets.rand(r, 16),
                        TestNets.rand(r, 16)),
                new Lrn("n", "bd", "n", Lrn.Region.ACROSS_CHANNELS, 5, 0.5f, 0.75f, 2f),
                new Pooling("gp", "n", "gp", Pooling.Mode.AVE, null, true, Pooling.Rounding.CEIL, false),
                new Softmax("prob", "gp", "prob"));
        Network net = new Network("residual", List.of(new Input("x", new Shape(4, 10, 10))), l, List.of());
        checkSegment(net, 4 * 10 * 10, List.of("r0", "w", "c1", "add", "r1", "bd", "n", "gp", "prob"));
    }

    /**
     * On x86-64: all layers but the last (a softmax) run as one oneDNN segment, in the default layout and each of
     * {@code layouts}, and every tensor named, read from the segment, equals the layer-by-layer engine's for run
     * sizes 2 and 1.
     */
    private static void checkSegment(Network net, int inputSize, List<String> tensors,
            org.bytedeco.dnnl.memory.format_tag... layouts) {
        Engine layers = Engine.builder(net).batch(2).layerByLayer().build();
        assertEquals(List.of(), layers.segments());
        if (!Engine.ONEDNN || !"amd64".equals(System.getProperty("os.arch"))) {
            return;
        }
        List<Engine> segmented = new java.util.ArrayList<>(List.of(Engine.builder(net).batch(2).build()));
        for (var layout : layouts) {
            segmented.add(Engine.builder(net).batch(2).segmentLayout(layout).build());
        }
        for (Engine e : segmented) {
            assertEquals(1, e.segments().size(), "segments of engine " + segmented.indexOf(e));
            assertArrayEquals(new int[] {0, net.layers().size() - 1}, e.segments().get(0));
            // the tensors only the segment reads have no NCHW buffer until one is asked for (below)
            for (String t : tensors.subList(0, 3)) {
                assertFalse(e.hasBuffer(t), t);
            }
            assertTrue(e.hasBuffer(net.layers().get(net.layers().size() - 2).output()), "the softmax's input");
        }
        // timed runs give every convolution and pooling of the segment a time of its own
        long[] nanos = new long[net.layers().size()];
        segmented.get(0).run(1, nanos);
        for (int i = 0; i < nanos.length; i++) {
            org.dyve.model.Layer l = net.layers().get(i);
            if (l instanceof Convolution || l instanceof Pooling) {
                assertTrue(nanos[i] > 0, l.name() + " timed");
            }
        }
        for (int n = 2; n >= 1; n--) {
            for (int s = 0; s < 2; s++) {
                float[] x = new float[inputSize];
                Random r = new Random(100 + s);
                for (int i = 0; i < x.length; i++) {
                    x[i] = r.nextFloat() * 2 - 1;
                }
                layers.setInput("x", s, x);
                for (Engine e : segmented) {
                    e.setInput("x", s, x);
                }
            }
            layers.run(n);
            for (int k = 0; k < segmented.size(); k++) {
                Engine e = segmented.get(k);
                e.run(n);
                for (int s = 0; s < n; s++) {
                    for (String t : tensors) {
                        // each layout's kernels add the products (hundreds, random weights, much cancellation) in
                        // their own order, and folded batch norms round differently
                        FloatAsserts.assertClose(layers.output(t, s), e.output(t, s), 5e-5f, t + " sample " + s
                                + ", layout " + k);
                    }
                }
            }
        }
    }

    private static float[] input(int seed) {
        Random r = new Random(seed);
        float[] x = new float[2 * 6 * 6];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat() * 2 - 1;
        }
        return x;
    }

    /**
     * A probe on r1 (a cut: every later layer reads only r1) that is confident about class 0 when channel 0's
     * mean is large; with the median confidence as threshold, half of the batch exits.
     */
    @Test
    void earlyExitAnswersWithTheProbeSkipsTheRestAndKeepsOthersExact() {
        Network net = dag();
        Shape s = net.shape("r1");
        float[] w = new float[5 * 4];
        w[0] = 20f;
        w[5 * 4 - 1] = -3f;
        ExitProbe probe = new ExitProbe("r1", s, 1, w, new float[] {-4, 0, 0.5f, 0, 0});
        int n = 6;
        Engine dense = Engine.builder(net).build();
        float[][] denseOut = new float[n][];
        float[][] probeOut = new float[n][];
        float[] conf = new float[n];
        for (int i = 0; i < n; i++) {
            dense.setInput("x", 0, input(40 + i));
            dense.run(1);
            denseOut[i] = dense.output("prob", 0);
            float[] f = new float[probe.features()];
            probe.features(dense.output("r1", 0), 0, f);
            probeOut[i] = new float[5];
            conf[i] = probeOut[i][probe.probabilities(f, probeOut[i])];
        }
        float[] sorted = conf.clone();
        java.util.Arrays.sort(sorted);
        double threshold = sorted[n / 2];
        Engine early = Engine.builder(net).batch(n).exits(List.of(new EarlyExit(probe, threshold))).build();
        Engine one = Engine.builder(net).exits(List.of(new EarlyExit(probe, threshold))).build();
        if (Engine.ONEDNN && "amd64".equals(System.getProperty("os.arch"))) {
            // c1 .. cat is one oneDNN segment in two phases, the exit checked between them: the samples that run
            // on are packed inside the segment's own memories
            assertEquals(1, early.segments().size());
            assertArrayEquals(new int[] {0, net.indexOf("cat") + 1}, early.segments().get(0));
        }
        for (int i = 0; i < n; i++) {
            early.setInput("x", i, input(40 + i));
        }
        early.run(n);
        int exited = 0;
        for (int i = 0; i < n; i++) {
            boolean leaves = conf[i] >= threshold;
            assertEquals(leaves ? "r1" : null, early.exited(i), "sample " + i);
            float[] expected = leaves ? probeOut[i] : denseOut[i];
            assertArrayEquals(expected, early.output("prob", i), 1e-6f, "sample " + i);
            one.setInput("x", 0, input(40 + i));
            one.run(1);
            assertArrayEquals(early.output("prob", i), one.output("prob", 0), 0f, "batch 1 vs 6, sample " + i);
            exited += leaves ? 1 : 0;
        }
        assertEquals(n / 2, exited);
        // a range that ends with the exit's layer (a stream stage): same decisions, the rest is another stage's
        Engine stage = Engine.builder(net).range(0, net.indexOf("r1") + 1).batch(n)
                .exits(List.of(new EarlyExit(probe, threshold))).build();
        for (int i = 0; i < n; i++) {
            stage.setInput("x", i, input(40 + i));
        }
        stage.run(n);
        for (int i = 0; i < n; i++) {
            assertEquals(early.exited(i), stage.exited(i), "stage, sample " + i);
        }
        assertEquals(java.util.Map.of("r1", (long) exited), early.exitCounts());
        for (Work lw : early.work()) {
            if (lw.layer().equals("exit@r1")) {
                assertEquals(n * probe.macs(), lw.macs());
                assertEquals(0, lw.denseMacs());
                continue;
            }
            long per = net.macs(net.indexOf(lw.layer()));
            boolean after = net.indexOf(lw.layer()) > net.indexOf("r1");
            assertEquals(n * per, lw.denseMacs(), lw.layer());
            assertEquals((after ? n - exited : n) * per, lw.macs(), lw.layer());
            assertEquals(after ? exited * per : 0, lw.exitSkipped(), lw.layer());
        }
    }

    /**
     * A probe over a 2x2 grid of c2a, which only the oneDNN segment reads (so it holds it in its own layout): in every
     * layout the probe reads that memory as it is, not an NCHW copy, and gives the Java probe's probabilities on the
     * layer-by-layer engine's c2a; c2a itself still reads right on request after the run.
     */
    @Test
    void aProbeReadsTheSegmentsOwnMemoryInEveryLayout() {
        Network net = dag();
        if (!Engine.ONEDNN || !"amd64".equals(System.getProperty("os.arch"))) {
            return;
        }
        Shape s = net.shape("c2a");
        Random r = new Random(7);
        float[] w = new float[5 * s.c() * 4];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextFloat() * 4 - 2;
        }
        ExitProbe probe = new ExitProbe("c2a", s, 2, w, new float[] {0.5f, 0, -0.5f, 0, 0});
        int n = 4;
        Engine layers = Engine.builder(net).batch(n).layerByLayer().build();
        float[][] expected = new float[n][5];
        for (int i = 0; i < n; i++) {
            layers.setInput("x", i, input(60 + i));
        }
        layers.run(n);
        for (int i = 0; i < n; i++) {
            float[] f = new float[probe.features()];
            probe.features(layers.output("c2a", i), 0, f);
            probe.probabilities(f, expected[i]);
        }
        for (var layout : DnnlSegmentKernel.LAYOUTS) {
            // threshold 0: every sample exits with the probe's answer
            Engine e = Engine.builder(net).batch(n).segmentLayout(layout).exits(List.of(new EarlyExit(probe, 0)))
                    .build();
            assertEquals(1, e.segments().size(), layout.toString());
            assertTrue(e.probeReadsSegment(0), layout.toString());
            for (int i = 0; i < n; i++) {
                e.setInput("x", i, input(60 + i));
            }
            e.run(n);
            assertFalse(e.hasBuffer("c2a"), "a probe on the segment's memory needs no NCHW copy, " + layout);
            for (int i = 0; i < n; i++) {
                assertEquals("c2a", e.exited(i), layout + ", sample " + i);
                FloatAsserts.assertClose(expected[i], e.exitProbabilities(i), 1e-5f, layout + ", sample " + i);
                FloatAsserts.assertClose(layers.output("c2a", i), e.output("c2a", i), 1e-5f, layout + ", c2a " + i);
            }
        }
    }

    @Test
    void batchedRunEqualsSingleRuns() {
        Network net = dag();
        Engine one = Engine.builder(net).build();
        Engine many = Engine.builder(net).batch(3).build();
        for (int i = 0; i < 3; i++) {
            many.setInput("x", i, input(i));
        }
        many.run(3);
        for (int i = 0; i < 3; i++) {
            one.setInput("x", 0, input(i));
            one.run(1);
            float[] a = one.output("prob", 0);
            assertArrayEquals(a, many.output("prob", i), 1e-6f, "sample " + i);
            float sum = 0;
            for (float v : a) {
                sum += v;
            }
            assertEquals(1f, sum, 1e-5f);
        }
    }

    @Test
    void layerRangesChainedEqualTheWholeNetwork() {
        Network net = dag();
        Engine whole = Engine.builder(net).build();
        whole.setInput("x", 0, input(9));
        whole.run(1);
        float[] expected = whole.output("prob", 0);
        int[] cuts = {0, 2, 5, 9, net.layers().size()};
        float[] x = input(9);
        java.util.Map<String, float[]> live = new java.util.HashMap<>();
        live.put("x", x);
        for (int s = 0; s + 1 < cuts.length; s++) {
            Engine stage = Engine.builder(net).range(cuts[s], cuts[s + 1]).build();
            for (String t : net.rangeInputs(cuts[s], cuts[s + 1])) {
                stage.setInput(t, 0, live.get(t));
            }
            stage.run(1);
            for (String t : net.rangeOutputs(cuts[s], cuts[s + 1])) {
                live.put(t, stage.output(t, 0));
            }
        }
        assertEquals(List.of("r1"), net.rangeOutputs(0, 2));
        assertEquals(List.of("cat"), net.rangeOutputs(2, 5), "r1 is written before the range");
        assertEquals(List.of("cat", "r1"), net.rangeInputs(5, 9));
        assertArrayEquals(expected, live.get("prob"), 1e-7f);
    }

    @Test
    void wrongInputSizeIsAShapeMismatch() {
        Engine e = Engine.builder(dag()).build();
        ShapeMismatchException ex = assertThrows(ShapeMismatchException.class, () -> e.setInput("x", 0, new float[5]));
        assertEquals("dag: input x shape mismatch (expected 2x6x6 = 72 values, found 5)", ex.getMessage());
    }

    @Test
    void residualAddAndAffineMatchHandComputation() {
        // bn: y = gamma (x - mean) / sqrt(var + eps) + beta, then add x
        Tensor mean = new Tensor(new int[] {2}, new float[] {1, -1});
        Tensor var = new Tensor(new int[] {2}, new float[] {4, 0.25f});
        Tensor gamma = new Tensor(new int[] {2}, new float[] {2, 1});
        Tensor beta = new Tensor(new int[] {2}, new float[] {0.5f, 0});
        Network net = new Network("r", List.of(new Input("x", new Shape(2, 1, 2))), List.of(
                new BatchNorm("bn", "x", "bn", mean, var, 0f, gamma, beta),
                new Add("add", List.of("bn", "x"), "y")), List.of());
        Engine e = Engine.builder(net).build();
        e.setInput("x", 0, new float[] {3, 5, 0, 1});
        e.run(1);
        // ch0: 2*(3-1)/2+0.5 = 2.5 (+3 = 5.5), 2*(5-1)/2+0.5 = 4.5 (+5 = 9.5); ch1: (0+1)/0.5 = 2 (+0), (1+1)/0.5 = 4 (+1)
        assertArrayEquals(new float[] {5.5f, 9.5f, 2f, 5f}, e.output("y", 0), 1e-6f);
    }

    @Test
    void aFusedReluGivesTheSameOutputsAndOnlyUnfusedObserversSeeRawConvolutionOutputs() {
        // conv 3x3 then an in-place ReLU, and a 1x1 conv then an in-place ReLU: the fused engine's outputs equal the
        // unfused one's; an observer right after a convolution sees its negative outputs only when unfused
        Random r = new Random(4);
        Shape in = new Shape(3, 6, 6);
        Convolution c3 = new Convolution("c3", "x", "a", 4, Window.square(3, 1, 1), 1, 1, 1,
                TestNets.rand(r, 4, 3, 3, 3), TestNets.rand(r, 4));
        Convolution c1 = new Convolution("c1", "ra", "b", 5, Window.square(1, 1, 0), 1, 1, 1,
                TestNets.rand(r, 5, 4, 1, 1), TestNets.rand(r, 5));
        Network net = new Network("f", List.of(new Input("x", in)), List.of(c3, new Relu("r3", "a", "ra", 0f), c1,
                new Relu("r1", "b", "rb", 0f)), List.of());
        float[] x = TestNets.rand(r, 3, 6, 6).data();
        Engine fused = Engine.builder(net).build();
        Engine unfused = Engine.builder(net).unfused().build();
        int[] negatives = new int[2];
        fused.setInput("x", 0, x);
        fused.run(1, (layer, e) -> negatives[0] += layer == 0 ? countNegative(e.output("a", 0)) : 0);
        unfused.setInput("x", 0, x);
        unfused.run(1, (layer, e) -> negatives[1] += layer == 0 ? countNegative(e.output("a", 0)) : 0);
        assertArrayEquals(unfused.output("rb", 0), fused.output("rb", 0), 1e-5f);
        assertEquals(0, countNegative(fused.output("rb", 0)));
        assertTrue(negatives[1] > 0, "the unfused convolution's raw outputs include negatives");
        if ("amd64".equals(System.getProperty("os.arch"))) {
            assertEquals(0, negatives[0], "fused on x86-64: the convolution's output is already ReLU'd");
        }
    }

    private static int countNegative(float[] v) {
        int n = 0;
        for (float f : v) {
            n += f < 0 ? 1 : 0;
        }
        return n;
    }
}
