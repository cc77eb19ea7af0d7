package org.dyve.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.dyve.model.Convolution;
import org.dyve.model.Lrn;
import org.dyve.model.Pooling;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.dyve.model.Window;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Caffe's arithmetic on hand-computed examples. */
class CaffeArithmeticTest {

    @Test
    void maxPoolingCeilRoundingWithPaddingKeepsThePartialLastWindow() {
        // 1x4x4 input 1..16, kernel 3, stride 2, pad 1: Caffe ceil((4 + 2 - 3) / 2) + 1 = 3 (floor would give 2);
        // the last window starts at 3 < 4 + 1, so it stays.
        Pooling p = new Pooling("p", "x", "y", Pooling.Mode.MAX, Window.square(3, 2, 1), false,
                Pooling.Rounding.CEIL, false);
        Shape in = new Shape(1, 4, 4);
        assertEquals(new Shape(1, 3, 3), p.outputShape(java.util.List.of(in)));
        float[] y = Nets.run(in, p, Nets.seq(16));
        // windows rows [-1,2) [1,4) [3,4), same for columns
        assertArrayEquals(new float[] {6, 8, 8, 14, 16, 16, 14, 16, 16}, y);
    }

    @Test
    void ceilRoundingDropsAWindowThatStartsInThePadding() {
        // in 5, k 2, s 2, pad 1: ceil((5 + 2 - 2) / 2) + 1 = 4, but (4 - 1) * 2 = 6 >= in + pad = 6: the last
        // window would start at padded position 6 (input position 5), entirely in the padding, so Caffe drops it.
        Pooling p = new Pooling("p", "x", "y", Pooling.Mode.MAX, Window.square(2, 2, 1), false,
                Pooling.Rounding.CEIL, false);
        assertEquals(3, p.outputShape(java.util.List.of(new Shape(1, 5, 5))).h());
        // in 6: ceil(6 / 2) + 1 = 4, (4 - 1) * 2 = 6 < 7: kept.
        assertEquals(4, p.outputShape(java.util.List.of(new Shape(1, 6, 6))).h());
        // in 2, k 1, s 2, pad 1: ceil((2 + 2 - 1) / 2) + 1 = 3; (3 - 1) * 2 = 4 >= 2 + 1: dropped.
        Pooling q = new Pooling("q", "x", "y", Pooling.Mode.MAX, Window.square(1, 2, 1), false,
                Pooling.Rounding.CEIL, false);
        assertEquals(2, q.outputShape(java.util.List.of(new Shape(1, 2, 2))).h());
        Pooling f = new Pooling("f", "x", "y", Pooling.Mode.MAX, Window.square(3, 2, 0), false,
                Pooling.Rounding.FLOOR, false);
        assertEquals(15, f.outputShape(java.util.List.of(new Shape(1, 32, 32))).h());
        Pooling c = new Pooling("c", "x", "y", Pooling.Mode.MAX, Window.square(3, 2, 0), false,
                Pooling.Rounding.CEIL, false);
        assertEquals(16, c.outputShape(java.util.List.of(new Shape(1, 32, 32))).h());
    }

    @Test
    void averagePoolingDividesByTheWindowClippedToThePaddedInput() {
        // 1x3x3 of ones, kernel 3, stride 2, pad 1 -> 2x2 outputs. Window (0,0) covers rows/cols [-1, 2):
        // 4 real ones, divisor 9 (padding counts) -> 4/9. Window (1,1) covers [1, 4) clipped to [1, 4) by
        // in + pad = 4: divisor 9, real cells 2x2 = 4 -> 4/9.
        Pooling p = new Pooling("p", "x", "y", Pooling.Mode.AVE, Window.square(3, 2, 1), false,
                Pooling.Rounding.CEIL, false);
        float[] ones = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        float[] y = Nets.run(new Shape(1, 3, 3), p, ones);
        assertArrayEquals(new float[] {4f / 9, 4f / 9, 4f / 9, 4f / 9}, y, 1e-7f);

        // in 4, k 3, s 2, pad 0: ceil(1/2)+1 = 2 windows [0,3) and [2,5) -> clipped at in + pad = 4, so the
        // second divides by 2x2 = 4 (not 9): Caffe clips the divisor at the padded border.
        Pooling q = new Pooling("q", "x", "y", Pooling.Mode.AVE, Window.square(3, 2, 0), false,
                Pooling.Rounding.CEIL, false);
        float[] y2 = Nets.run(new Shape(1, 4, 4), q, Nets.seq(16));
        // window (1,1): rows 2..3, cols 2..3 -> 11 + 12 + 15 + 16 = 54, / 4
        assertEquals(54f / 4, y2[3], 1e-6f);
        // window (0,1): rows 0..2, cols 2..3 -> 3+4+7+8+11+12 = 45, divisor 3x2 = 6
        assertEquals(45f / 6, y2[1], 1e-6f);

        Pooling ex = new Pooling("e", "x", "y", Pooling.Mode.AVE, Window.square(3, 2, 1), false,
                Pooling.Rounding.FLOOR, true);
        float[] y3 = Nets.run(new Shape(1, 3, 3), ex, ones);
        assertArrayEquals(new float[] {1, 1, 1, 1}, y3, 1e-7f);
    }

    @Test
    void lrnAcrossChannels() {
        // 3 channels of 1x1: x = 1, 2, 3; size 3, alpha 3, beta 0.5, k 2 -> scale_c = 2 + 3/3 * sum(neighbours^2)
        Lrn l = new Lrn("n", "x", "y", Lrn.Region.ACROSS_CHANNELS, 3, 3f, 0.5f, 2f);
        float[] y = Nets.run(new Shape(3, 1, 1), l, new float[] {1, 2, 3});
        assertArrayEquals(new float[] {
            (float) (1 / Math.sqrt(2 + 1 + 4)),
            (float) (2 / Math.sqrt(2 + 1 + 4 + 9)),
            (float) (3 / Math.sqrt(2 + 4 + 9))}, y, 1e-6f);
    }

    @Test
    void lrnWithinChannel() {
        // 1x2x2 plane 1,2,3,4; size 3 (window 3x3, zero padded, every window covers the whole plane):
        // scale = 1 + alpha/9 * 30; alpha 0.9, beta 1 -> scale = 4 for every position.
        Lrn l = new Lrn("n", "x", "y", Lrn.Region.WITHIN_CHANNEL, 3, 0.9f, 1f, 5f);
        float[] y = Nets.run(new Shape(1, 2, 2), l, new float[] {1, 2, 3, 4});
        assertArrayEquals(new float[] {0.25f, 0.5f, 0.75f, 1f}, y, 1e-6f);
        // 1x1x3 row 1,2,3: position 0 sees 1,2 -> 1 + 0.9/9*5 = 1.5; position 1 sees all: 1 + 1.4 = 2.4
        float[] z = Nets.run(new Shape(1, 1, 3), l, new float[] {1, 2, 3});
        assertArrayEquals(new float[] {1 / 1.5f, 2 / 2.4f, 3 / (1 + 0.1f * 13)}, z, 1e-6f);
    }

    @Test
    void groupedConvolutionSeesOnlyItsGroupsChannels() {
        // 4 input channels (1x1 each) = 1, 2, 3, 4; 2 groups, 2 outputs; each filter 2x1x1.
        // out0 = 1*1 + 2*10 + 0.5 = 21.5 (group 0: channels 0,1); out1 = 3*100 + 4*1000 - 1 = 4299
        Tensor w = new Tensor(new int[] {2, 2, 1, 1}, new float[] {1, 10, 100, 1000});
        Tensor b = new Tensor(new int[] {2}, new float[] {0.5f, -1});
        Convolution c = new Convolution("c", "x", "y", 2, Window.square(1, 1, 0), 1, 1, 2, w, b);
        float[] y = Nets.run(new Shape(4, 1, 1), c, new float[] {1, 2, 3, 4});
        assertArrayEquals(new float[] {21.5f, 4299f}, y, 1e-4f);
    }

    @Test
    void convolutionWithPaddingStrideAndDilationMatchesDirectSum() {
        directSumCheck(2, 1);
        directSumCheck(1, 1);
        directSumCheck(2, 3);
    }

    @Test
    void im2colKernelMatchesTheOneDnnKernel() {
        // the two dense convolution paths must agree where both apply
        Random r = new Random(11);
        Shape in = new Shape(6, 7, 7);
        float[] x = new float[in.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat() - 0.5f;
        }
        Convolution c = new Convolution("c", "x", "y", 4, Window.square(3, 2, 1), 1, 1, 2, randT(r, 4, 3, 3, 3),
                randT(r, 4));
        float[] a = Nets.run(in, c, x);
        Shape os = c.outputShape(java.util.List.of(in));
        org.nd4j.linalg.api.ndarray.INDArray ia = org.nd4j.linalg.factory.Nd4j.create(x, new long[] {1, 6, 7, 7},
                'c');
        org.nd4j.linalg.api.ndarray.INDArray oa = org.nd4j.linalg.factory.Nd4j.create(
                org.nd4j.linalg.api.buffer.DataType.FLOAT, 1, os.c(), os.h(), os.w());
        new Im2colConvKernel(c, in, os, ia, oa).run(1);
        assertArrayEquals(a, oa.data().asFloat(), 1e-5f);
    }

    @Test
    void oneDnnKernelMatchesIm2colForEveryRunSizeWithCaffesFloorRounding() {
        // 7x6 input, 3x3 stride 2 pad 1: Caffe's floor rounding gives 4x3, so the last row and column of the
        // declared padding are never read (oneDNN is told a smaller bottom/right padding); 2 groups, batch 2
        Random r = new Random(5);
        Shape in = new Shape(4, 7, 6);
        Convolution c = new Convolution("c", "x", "y", 6, Window.square(3, 2, 1), 1, 1, 2, randT(r, 6, 2, 3, 3),
                randT(r, 6));
        Shape os = c.outputShape(java.util.List.of(in));
        assertEquals(new Shape(6, 4, 3), os);
        float[] x = randT(r, 2, 4, 7, 6).data();
        var ia = org.nd4j.linalg.factory.Nd4j.create(x, new long[] {2, 4, 7, 6}, 'c');
        var expected = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 6, 4, 3);
        new Im2colConvKernel(c, in, os, ia, expected).run(2);
        var actual = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 6, 4, 3);
        checkRunSizes(DnnlConvKernel.of(c, in, os, ia, actual, false), actual, expected.data().asFloat(), os.size(),
                "a plain 3x3 convolution");
    }

    @Test
    void oneDnnPointwiseProductMatchesTheGemmKernelWithItsBias() {
        Random r = new Random(9);
        Shape in = new Shape(5, 4, 3);
        Convolution c = new Convolution("c", "x", "y", 7, Window.square(1, 1, 0), 1, 1, 1, randT(r, 7, 5, 1, 1),
                randT(r, 7));
        Shape os = c.outputShape(java.util.List.of(in));
        var ia = org.nd4j.linalg.factory.Nd4j.create(randT(r, 2, 5, 4, 3).data(), new long[] {2, 5, 4, 3}, 'c');
        var expected = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 7, 4, 3);
        new PointwiseConvKernel(c, in, os, ia, expected).run(2);
        var actual = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 7, 4, 3);
        checkRunSizes(DnnlPointwiseKernel.of(c, in, os, ia, actual, false), actual, expected.data().asFloat(),
                os.size(), "a 1x1 convolution");
    }

    @Test
    void oneDnnProbeScoresEqualThePlainJavaProbe() {
        Random r = new Random(17);
        Shape s = new Shape(8, 8, 12);
        int grid = 4;
        float[] w = new float[3 * ExitProbe.features(s, grid)];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        ExitProbe probe = new ExitProbe("t", s, grid, w, new float[] {0.5f, -1f, 2f});
        org.nd4j.linalg.api.ndarray.INDArray tensor = org.nd4j.linalg.factory.Nd4j.rand(
                org.nd4j.linalg.api.buffer.DataType.FLOAT, 3, s.c(), s.h(), s.w());
        DnnlProbeKernel k = DnnlProbeKernel.of(probe, tensor);
        if (!"amd64".equals(System.getProperty("os.arch"))) {
            return;
        }
        org.junit.jupiter.api.Assertions.assertNotNull(k, "oneDNN probe on x86-64");
        float[] all = tensor.data().asFloat();
        for (int n = 2; n >= 1; n--) {
            k.run(n);
            for (int j = 0; j < n; j++) {
                float[] f = new float[probe.features()];
                probe.features(all, j * s.size(), f);
                float[] expected = new float[3];
                for (int c = 0; c < 3; c++) {
                    expected[c] = probe.bias()[c] + Dot.dot(w, c * f.length, f, 0, f.length);
                }
                float[] actual = new float[3];
                k.scores(j, actual);
                org.dyve.FloatAsserts.assertClose(expected, actual, "scores of sample " + j + ", run of " + n);
            }
        }
        // cells of unequal size (6 rows over a grid of 4) stay in Java
        ExitProbe uneven = new ExitProbe("t", new Shape(8, 6, 12), grid, w, new float[] {0.5f, -1f, 2f});
        assertEquals(null, DnnlProbeKernel.of(uneven, org.nd4j.linalg.factory.Nd4j.rand(
                org.nd4j.linalg.api.buffer.DataType.FLOAT, 3, 8, 6, 12)));
    }

    /**
     * Runs oneDNN kernel {@code k} (engine batch 2) on one sample, then on two, against {@code all}, the reference
     * output of both; a run of one must not touch the second sample. Where oneDNN declines ({@code k} null) the
     * engine's other kernels stand in, which is only expected off x86-64 (e.g. arm64 without an optimised build).
     */
    private static void checkRunSizes(Kernel k, org.nd4j.linalg.api.ndarray.INDArray actual, float[] all,
            int sampleSize, String what) {
        if (k == null) {
            org.junit.jupiter.api.Assertions.assertNotEquals("amd64", System.getProperty("os.arch"),
                    "oneDNN declined " + what + " on x86-64");
            org.junit.jupiter.api.Assumptions.abort("oneDNN has no optimised kernel for " + what + " on this CPU");
        }
        k.run(1);
        float[] one = actual.data().asFloat();
        assertArrayEquals(java.util.Arrays.copyOf(all, sampleSize), java.util.Arrays.copyOf(one, sampleSize), 1e-5f,
                what + ", one sample");
        for (int i = sampleSize; i < one.length; i++) {
            assertEquals(0f, one[i], what + ": a run of one sample wrote the second sample's output at " + i);
        }
        k.run(2);
        assertArrayEquals(all, actual.data().asFloat(), 1e-5f, what + ", two samples");
    }

    @Test
    void oneDnnPoolingMatchesCaffesWindowsAndDivisors() {
        // max and average with ceil rounding (overhang), explicit padding, excluded padding, global; batch 2
        Random r = new Random(3);
        Shape in = new Shape(3, 9, 8);
        Object[][] cases = {
            {Pooling.Mode.MAX, Window.square(3, 2, 0), false, false, true},
            {Pooling.Mode.MAX, Window.square(3, 2, 1), false, false, true},
            {Pooling.Mode.AVE, Window.square(3, 2, 0), false, false, true},
            {Pooling.Mode.AVE, Window.square(3, 1, 1), false, false, true},
            {Pooling.Mode.AVE, Window.square(3, 2, 1), false, true, true},
            {Pooling.Mode.AVE, Window.square(3, 1, 0), true, false, true},
            // padding and a rounded-up overhang: Caffe's divisor is neither of oneDNN's
            {Pooling.Mode.AVE, Window.square(3, 2, 1), false, false, false},
        };
        float[] x = randT(r, 2, 3, 9, 8).data();
        for (Object[] c : cases) {
            Pooling p = new Pooling("p", "x", "y", (Pooling.Mode) c[0], (Window) c[1], (boolean) c[2],
                    Pooling.Rounding.CEIL, (boolean) c[3]);
            String what = java.util.Arrays.toString(c);
            Shape os = p.outputShape(java.util.List.of(in));
            var ia = org.nd4j.linalg.factory.Nd4j.create(x, new long[] {2, 3, 9, 8}, 'c');
            var expected = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, os.c(),
                    os.h(), os.w());
            new PoolKernel(p, in, os, ia, expected).run(2);
            var actual = org.nd4j.linalg.factory.Nd4j.create(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, os.c(),
                    os.h(), os.w());
            DnnlPoolKernel k = DnnlPoolKernel.of(p, in, os, ia, actual);
            if (!(boolean) c[4]) {
                assertEquals(null, k, what + ": left to DyVE's kernel");
                continue;
            }
            if (k == null) {
                org.junit.jupiter.api.Assertions.assertNotEquals("amd64", System.getProperty("os.arch"), what);
                continue;
            }
            k.run(2);
            assertArrayEquals(expected.data().asFloat(), actual.data().asFloat(), 1e-5f, what);
        }
    }

    private static Tensor randT(Random r, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() - 0.5f;
        }
        return new Tensor(shape, v);
    }

    private static void directSumCheck(int dil, int group) {
        java.util.Random r = new java.util.Random(7);
        int cin = 3 * group;
        int cout = 4 * group;
        int k = 3;
        Shape in = new Shape(cin, 9, 8);
        float[] x = new float[in.size()];
        int cg = cin / group;
        float[] wd = new float[cout * cg * k * k];
        float[] bd = new float[cout];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextFloat() - 0.5f;
        }
        for (int i = 0; i < wd.length; i++) {
            wd[i] = r.nextFloat() - 0.5f;
        }
        for (int i = 0; i < bd.length; i++) {
            bd[i] = r.nextFloat();
        }
        int stride = 2;
        int pad = 2;
        Convolution c = new Convolution("c", "x", "y", cout, Window.square(k, stride, pad), dil, dil, group,
                new Tensor(new int[] {cout, cg, k, k}, wd), new Tensor(new int[] {cout}, bd));
        Shape os = c.outputShape(java.util.List.of(in));
        if (dil == 2) {
            // floor((9 + 4 - 2*2 - 1) / 2) + 1 = 5, floor((8 + 4 - 5) / 2) + 1 = 4
            assertEquals(new Shape(cout, 5, 4), os);
        }
        float[] y = Nets.run(in, c, x);
        for (int o = 0; o < cout; o++) {
            for (int oy = 0; oy < os.h(); oy++) {
                for (int ox = 0; ox < os.w(); ox++) {
                    double s = bd[o];
                    int g0 = o / (cout / group) * cg;
                    for (int ci = 0; ci < cg; ci++) {
                        for (int ky = 0; ky < k; ky++) {
                            for (int kx = 0; kx < k; kx++) {
                                int iy = oy * stride - pad + ky * dil;
                                int ix = ox * stride - pad + kx * dil;
                                if (iy >= 0 && iy < in.h() && ix >= 0 && ix < in.w()) {
                                    s += wd[((o * cg + ci) * k + ky) * k + kx]
                                            * x[((g0 + ci) * in.h() + iy) * in.w() + ix];
                                }
                            }
                        }
                    }
                    assertEquals(s, y[(o * os.h() + oy) * os.w() + ox], 1e-5, "output " + o + "," + oy + "," + ox);
                }
            }
        }
    }
}
