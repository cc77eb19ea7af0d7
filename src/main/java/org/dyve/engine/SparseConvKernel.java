package org.dyve.engine;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.dyve.model.Convolution;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A convolution computed exactly from its nonzero weights only: a pruned network (Deep Compression keeps a third
 * of SqueezeNet's 3x3 weights) multiplies by zero in every dense kernel; this one skips those MACs and counts
 * them. Per band of output rows, the input rows the nonzero weights read are gathered once (im2col, one array
 * per row so the JIT vectorises the products), then each output channel is a sum of its nonzero weights times
 * their rows. Bands are split over the native-thread share ({@link Engine#threadsFor}); the sum order differs from
 * the dense kernels', so outputs agree to rounding. It saves MACs, not time: on SqueezeNet it runs at about 0.4x the
 * speed of the oneDNN dense path, whose 3x3 convolutions run near the CPU's peak (see the README).
 */
final class SparseConvKernel implements Kernel {

    /** Output positions per band (rounded to whole output rows): the gathered rows stay in the L2 cache. */
    private static final int BAND = 512;

    private final String name;
    private final Shape is;
    private final Window win;
    private final int dilH;
    private final int dilW;
    private final int cout;
    private final int oh;
    private final int ow;
    private final int p;
    private final boolean relu;
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final float[] bias;
    /** Per output channel: its nonzero weights (their im2col rows are in each {@link Scratch}). */
    private final float[][] weights;
    /** The im2col rows some output channel reads, ascending. */
    private final int[] used;
    private final int bandRows;
    private final int threads;
    private final Scratch[] scratch;
    private final float[] src;
    private final long nonzero;

    private long samples;

    /**
     * Per thread: the gathered rows of one band (only {@link #used} ones are allocated), each output channel's rows
     * in the order of its nonzero weights, and one output row.
     */
    private static final class Scratch {
        final float[][] col;
        final float[][][] rows;
        final float[] acc;

        Scratch(int k, int[] used, int[][] weightRows, int band) {
            col = new float[k][];
            for (int r : used) {
                col[r] = new float[band];
            }
            rows = new float[weightRows.length][][];
            for (int o = 0; o < rows.length; o++) {
                rows[o] = new float[weightRows[o].length][];
                for (int j = 0; j < rows[o].length; j++) {
                    rows[o][j] = col[weightRows[o][j]];
                }
            }
            acc = new float[band];
        }
    }

    SparseConvKernel(Convolution c, Shape is, Shape os, INDArray input, INDArray output, boolean relu) {
        this.name = c.name();
        this.is = is;
        this.win = c.window();
        this.dilH = c.dilationH();
        this.dilW = c.dilationW();
        this.cout = c.numOutput();
        this.oh = os.h();
        this.ow = os.w();
        this.p = os.plane();
        this.relu = relu;
        this.in = Buffers.view(input);
        this.out = Buffers.view(output);
        this.bias = c.bias() != null ? c.bias().data() : new float[cout];
        int kk = win.kh() * win.kw();
        int cinGroup = is.c() / c.group();
        int outGroup = cout / c.group();
        int k = is.c() * kk;
        float[] w = c.weight().data();
        // per output channel: the im2col rows (input channel, ky, kx) of its nonzero weights
        int[][] rows = new int[cout][];
        weights = new float[cout][];
        boolean[] read = new boolean[k];
        long nz = 0;
        for (int o = 0; o < cout; o++) {
            int first = (o / outGroup) * cinGroup * kk;
            int n = 0;
            for (int j = 0; j < cinGroup * kk; j++) {
                n += w[o * cinGroup * kk + j] != 0 ? 1 : 0;
            }
            rows[o] = new int[n];
            weights[o] = new float[n];
            n = 0;
            for (int j = 0; j < cinGroup * kk; j++) {
                float v = w[o * cinGroup * kk + j];
                if (v != 0) {
                    rows[o][n] = first + j;
                    weights[o][n++] = v;
                    read[first + j] = true;
                }
            }
            nz += n;
        }
        nonzero = nz;
        used = java.util.stream.IntStream.range(0, k).filter(r -> read[r]).toArray();
        bandRows = Math.max(1, Math.min(oh, BAND / Math.max(1, ow)));
        int bands = (oh + bandRows - 1) / bandRows;
        threads = Math.max(1, Math.min(bands, Engine.threadsFor(nonzero * p)));
        scratch = new Scratch[threads];
        for (int t = 0; t < threads; t++) {
            scratch[t] = new Scratch(k, used, rows, bandRows * ow);
        }
        src = new float[is.size()];
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            in.get(s * is.size(), src, 0, src.length);
            int sample = s;
            Bands.run(name, threads, t -> bands(sample, t, threads));
        }
        samples += n;
    }

    /** Bands {@code first}, {@code first + step}, ... of sample {@code s}, on scratch {@code first}. */
    private void bands(int s, int first, int step) {
        Scratch sc = scratch[first];
        int outBase = s * cout * p;
        for (int y0 = first * bandRows; y0 < oh; y0 += step * bandRows) {
            int rowsHere = Math.min(bandRows, oh - y0);
            int len = rowsHere * ow;
            gather(sc, y0, rowsHere);
            float[] acc = sc.acc;
            float[][][] rowsOf = sc.rows;
            for (int o = 0; o < cout; o++) {
                Arrays.fill(acc, 0, len, bias[o]);
                float[][] x = rowsOf[o];
                float[] w = weights[o];
                int j = 0;
                // four weights per pass over the row: a third of the loads and stores of one at a time (six or eight
                // stop the JIT vectorising)
                for (; j + 4 <= w.length; j += 4) {
                    float w0 = w[j];
                    float w1 = w[j + 1];
                    float w2 = w[j + 2];
                    float w3 = w[j + 3];
                    float[] x0 = x[j];
                    float[] x1 = x[j + 1];
                    float[] x2 = x[j + 2];
                    float[] x3 = x[j + 3];
                    for (int i = 0; i < len; i++) {
                        acc[i] += w0 * x0[i] + w1 * x1[i] + w2 * x2[i] + w3 * x3[i];
                    }
                }
                for (; j < w.length; j++) {
                    float wj = w[j];
                    float[] xj = x[j];
                    for (int i = 0; i < len; i++) {
                        acc[i] += wj * xj[i];
                    }
                }
                if (relu) {
                    for (int i = 0; i < len; i++) {
                        acc[i] = Math.max(acc[i], 0f);
                    }
                }
                out.put(outBase + o * p + y0 * ow, acc, 0, len);
            }
        }
    }

    /** im2col of the output rows {@code y0 .. y0 + count} into the used rows of {@code sc}. */
    private void gather(Scratch sc, int y0, int count) {
        float[][] col = sc.col;
        int kh = win.kh();
        int kw = win.kw();
        int h = is.h();
        int w = is.w();
        for (int r : used) {
            int c = r / (kh * kw);
            int ky = (r / kw) % kh;
            int kx = r % kw;
            float[] dst = col[r];
            for (int y = 0; y < count; y++) {
                int iy = (y0 + y) * win.strideH() - win.padH() + ky * dilH;
                int d = y * ow;
                if (iy < 0 || iy >= h) {
                    Arrays.fill(dst, d, d + ow, 0f);
                    continue;
                }
                int base = (c * h + iy) * w;
                if (win.strideW() == 1) {
                    // ix = x + shift: zeros where it falls outside the row, one copy for the rest
                    int shift = kx * dilW - win.padW();
                    int x0 = Math.min(ow, Math.max(0, -shift));
                    int x1 = Math.max(x0, Math.min(ow, w - shift));
                    Arrays.fill(dst, d, d + x0, 0f);
                    System.arraycopy(src, base + x0 + shift, dst, d + x0, x1 - x0);
                    Arrays.fill(dst, d + x1, d + ow, 0f);
                    continue;
                }
                for (int x = 0; x < ow; x++) {
                    int ix = x * win.strideW() - win.padW() + kx * dilW;
                    dst[d + x] = ix >= 0 && ix < w ? src[base + ix] : 0f;
                }
            }
        }
    }

    /** MACs executed since compile time or the last {@link #resetWork}: nonzero weights x output positions. */
    long macs() {
        return samples * nonzero * p;
    }

    void resetWork() {
        samples = 0;
    }
}
