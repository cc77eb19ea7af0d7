package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Convolution;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A 1x1 convolution computed exactly from its nonzero inputs: after a ReLU half or more of a layer's inputs are
 * zero, and every MAC that multiplies one is skipped and counted (as Cnvlutin does in hardware). Per output
 * position, each nonzero input adds its value times its weight column to the position's outputs: the whole column
 * (a vectorised loop over the output channels, four inputs per pass) when the layer is dense, only the column's
 * nonzero weights when it is pruned (at most {@link ConvEffort#SPARSE_MAX_DENSITY} nonzero), so then the zero
 * weights' MACs are skipped too. Positions in bands over the native-thread share; the sum order differs from the
 * dense kernels', so outputs agree to rounding. Which inputs are zero depends on the image: the MACs saved are
 * counted per run. It saves MACs, not time (see the README).
 */
final class ZeroInputConvKernel implements Kernel {

    /** Floats of one band's outputs (channel-major, written to the output plane by plane): an L1/L2-sized block. */
    private static final int BAND_FLOATS = 16_384;

    private final String name;
    private final int cin;
    private final int cout;
    private final int h;
    private final int w;
    private final int ow;
    private final int p;
    private final int strideH;
    private final int strideW;
    private final int padH;
    private final int padW;
    private final boolean relu;
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final float[] bias;
    /** Dense layer: per input channel its weight column (one array each, so the JIT vectorises). */
    private final float[][] column;
    /** Pruned layer: per input channel the output channels of its nonzero weights, and those weights. */
    private final int[][] nzOut;
    private final float[][] nzWeight;
    /** MACs per sample whose weight is zero and that are not executed (0 for a dense layer). */
    private final long zeroWeightMacs;
    private final int band;
    private final int threads;
    private final Scratch[] scratch;
    private final float[] src;

    private long samples;

    /** Per thread: one position's outputs, the nonzero inputs' channels and values, a band's outputs, a MAC count. */
    private static final class Scratch {
        final float[] acc;
        final int[] nzChannel;
        final float[] nzValue;
        final float[] block;
        long macs;

        Scratch(int cin, int cout, int band) {
            acc = new float[cout];
            nzChannel = new int[cin + 1];
            nzValue = new float[cin + 1];
            block = new float[cout * band];
        }
    }

    /** Whether this kernel computes {@code c}: a 1x1 window, one group (any stride and padding). */
    static boolean applies(Convolution c) {
        return c.window().kh() == 1 && c.window().kw() == 1 && c.group() == 1;
    }

    ZeroInputConvKernel(Convolution c, Shape is, Shape os, INDArray input, INDArray output, boolean relu) {
        Window win = c.window();
        this.name = c.name();
        this.cin = is.c();
        this.cout = c.numOutput();
        this.h = is.h();
        this.w = is.w();
        this.ow = os.w();
        this.p = os.plane();
        this.strideH = win.strideH();
        this.strideW = win.strideW();
        this.padH = win.padH();
        this.padW = win.padW();
        this.relu = relu;
        this.in = Buffers.view(input);
        this.out = Buffers.view(output);
        this.bias = c.bias() != null ? c.bias().data() : new float[cout];
        float[] wt = c.weight().data();
        boolean pruned = c.density() <= ConvEffort.SPARSE_MAX_DENSITY;
        column = pruned ? null : new float[cin][cout];
        nzOut = pruned ? new int[cin][] : null;
        nzWeight = pruned ? new float[cin][] : null;
        long nonzero = 0;
        for (int ci = 0; ci < cin; ci++) {
            int n = 0;
            for (int o = 0; o < cout; o++) {
                float v = wt[o * cin + ci];
                n += v != 0 ? 1 : 0;
                if (!pruned) {
                    column[ci][o] = v;
                }
            }
            nonzero += n;
            if (pruned) {
                nzOut[ci] = new int[n];
                nzWeight[ci] = new float[n];
                n = 0;
                for (int o = 0; o < cout; o++) {
                    float v = wt[o * cin + ci];
                    if (v != 0) {
                        nzOut[ci][n] = o;
                        nzWeight[ci][n++] = v;
                    }
                }
            }
        }
        zeroWeightMacs = pruned ? ((long) cin * cout - nonzero) * p : 0;
        band = Math.max(16, Math.min(p, BAND_FLOATS / cout));
        int bands = (p + band - 1) / band;
        // about half the inputs after a ReLU are zero: the MACs a run executes, for the thread decision
        threads = Math.max(1, Math.min(bands, Engine.threadsFor(nonzero * p / 2)));
        scratch = new Scratch[threads];
        for (int t = 0; t < threads; t++) {
            scratch[t] = new Scratch(cin, cout, band);
        }
        src = new float[is.size()];
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            in.get(s * cin * h * w, src, 0, src.length);
            int sample = s;
            Bands.run(name, threads, t -> bands(sample, t, threads));
        }
        samples += n;
    }

    /** Bands {@code first}, {@code first + step}, ... of sample {@code s}'s positions, on scratch {@code first}. */
    private void bands(int s, int first, int step) {
        Scratch sc = scratch[first];
        int plane = h * w;
        long macs = 0;
        for (int q0 = first * band; q0 < p; q0 += step * band) {
            int len = Math.min(band, p - q0);
            for (int q = q0; q < q0 + len; q++) {
                float[] acc = sc.acc;
                System.arraycopy(bias, 0, acc, 0, cout);
                int iy = (q / ow) * strideH - padH;
                int ix = (q % ow) * strideW - padW;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    int at = iy * w + ix;
                    int nz = 0;
                    int[] nzc = sc.nzChannel;
                    float[] nzv = sc.nzValue;
                    for (int ci = 0; ci < cin; ci++) {
                        // written always, kept when nonzero: no branch to mispredict on ReLU's random zeros
                        float x = src[ci * plane + at];
                        nzc[nz] = ci;
                        nzv[nz] = x;
                        nz += x != 0 ? 1 : 0;
                    }
                    macs += column != null ? dense(sc, nz) : pruned(sc, nz);
                }
                float[] block = sc.block;
                int b = q - q0;
                for (int o = 0; o < cout; o++) {
                    block[o * len + b] = relu ? Math.max(acc[o], 0f) : acc[o];
                }
            }
            int outBase = s * cout * p + q0;
            for (int o = 0; o < cout; o++) {
                out.put(outBase + o * p, sc.block, o * len, len);
            }
        }
        sc.macs += macs;
    }

    /** Adds the {@code nz} nonzero inputs times their whole weight columns to {@code sc.acc}; the MACs executed. */
    private long dense(Scratch sc, int nz) {
        float[] acc = sc.acc;
        int j = 0;
        // four inputs per pass over the outputs: a third of the loads and stores of one at a time
        for (; j + 4 <= nz; j += 4) {
            float x0 = sc.nzValue[j];
            float x1 = sc.nzValue[j + 1];
            float x2 = sc.nzValue[j + 2];
            float x3 = sc.nzValue[j + 3];
            float[] w0 = column[sc.nzChannel[j]];
            float[] w1 = column[sc.nzChannel[j + 1]];
            float[] w2 = column[sc.nzChannel[j + 2]];
            float[] w3 = column[sc.nzChannel[j + 3]];
            for (int o = 0; o < cout; o++) {
                acc[o] += x0 * w0[o] + x1 * w1[o] + x2 * w2[o] + x3 * w3[o];
            }
        }
        for (; j < nz; j++) {
            float x = sc.nzValue[j];
            float[] wc = column[sc.nzChannel[j]];
            for (int o = 0; o < cout; o++) {
                acc[o] += x * wc[o];
            }
        }
        return (long) nz * cout;
    }

    /** Adds the {@code nz} nonzero inputs times their columns' nonzero weights to {@code sc.acc}; the MACs executed. */
    private long pruned(Scratch sc, int nz) {
        float[] acc = sc.acc;
        long macs = 0;
        for (int j = 0; j < nz; j++) {
            float x = sc.nzValue[j];
            int[] to = nzOut[sc.nzChannel[j]];
            float[] wc = nzWeight[sc.nzChannel[j]];
            for (int k = 0; k < to.length; k++) {
                acc[to[k]] += x * wc[k];
            }
            macs += to.length;
        }
        return macs;
    }

    /** MACs executed since compile time or the last {@link #resetWork}. */
    long macs() {
        long m = 0;
        for (Scratch sc : scratch) {
            m += sc.macs;
        }
        return m;
    }

    /** MACs skipped because their weight is zero since compile time or the last {@link #resetWork}. */
    long zeroWeightSkipped() {
        return samples * zeroWeightMacs;
    }

    void resetWork() {
        samples = 0;
        for (Scratch sc : scratch) {
            sc.macs = 0;
        }
    }
}
