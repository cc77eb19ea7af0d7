package org.dyve.engine;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.dyve.model.Convolution;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A convolution (group 1, no dilation) with DyVEDeep's knobs applied per input, in the order the spec gives:
 * SFMA drops near-constant input maps (a smaller K), SDSS computes a stride-2 grid of output positions and
 * decides the others from their grid neighbours, SPET sums the most significant input channels first and
 * finishes only the neurons it does not predict saturated.
 *
 * <p>The dense part of every step is one SGEMM over a position-major im2col matrix: the grid (or all)
 * positions x the kept channels, or their first {@code spetFraction} for SPET. When every input map is kept and
 * SPET is off, the SGEMMs (the grid's, and SDSS's gathered columns, their count rounded up to a bucket) run
 * through ND4J on arrays prepared at compile time, which on this stack is 1.5-2x faster than the OpenBLAS build
 * JavaCPP ships; other shapes (SFMA's smaller K, SPET's partial sums) use that OpenBLAS on direct buffers.
 * Per-neuron work (SPET's finishing, SDSS's exact outputs) runs as dot products over the same rows. Every MAC
 * executed or skipped is counted per mechanism.
 */
final class DynamicConvKernel implements Kernel {

    private final String name;
    private final ConvEffort knobs;
    private final boolean reluAfter;
    /** SDSS applies: its knob is on and a plain ReLU is the output's only reader. */
    private final boolean sdss;
    private final Shape is;
    private final Shape os;
    private final Window win;
    private final int cin;
    private final int cout;
    private final int kk;
    private final int k;
    private final int p;
    private final FloatBuffer in;
    private final FloatBuffer out;

    /** Input channels by descending filter L1 norm (most significant first). */
    private final int[] order;
    /** Weights {@code cout x k}, channel blocks in {@link #order}. */
    private final float[] wOrdered;
    private final FloatBuffer wOrderedNative;
    /** {@code cout x cin}: sum of each filter slice, for SFMA's constant contribution. */
    private final float[] kernelSums;
    private final float[] bias;

    /** SDSS geometry: grid positions, the other positions, and each other position's grid neighbours. */
    private final int[] grid;
    private final int[] rest;
    private final int[] nbStart;
    private final int[] nb;
    private final int[] all;

    private final float[] src;
    private final float[] dst;
    private final float[] x;
    private final float[] xt;
    private final float[] wk;
    private final float[] z;
    private final float[] biasEff;
    /** SPET's per-output-channel threshold for this sample; read only when SPET is on. */
    private final float[] thr;
    private final float[] xrow;
    /** Per sample: the kept input channels, as positions in {@link #order} and as channel indices. */
    private final int[] kept;
    /** {@link #neighbours}' results. */
    private float nbMax;
    private float nbMin;
    private float nbSum;
    /** SDSS by columns: the off-grid positions computed for this sample. */
    private final int[] selected;
    private final int[] keptChannels;
    private final FloatBuffer xNative;
    private final FloatBuffer wkNative;
    private final FloatBuffer zNative;
    /** All weights ({@code cout x k}, {@link #order}ed) as an ND4J array, for the fixed-shape products. */
    private final INDArray wArr;
    /** The grid's (or all positions') product, used when every map is kept and SPET is off. */
    private final Product first;
    /** SDSS's gathered-columns products, by bucket of {@link #BUCKET} columns, made on first use. */
    private final Product[] restProducts;
    /** SDSS by columns: how many channels of each off-grid position failed both tests. */
    private final int[] fails;
    /** SDSS by columns: 1 / the number of grid neighbours of each off-grid position. */
    private final float[] invCount;
    /** SDSS by columns: the decision overhead of all off-grid positions, per sample. */
    private final long restOverhead;
    /** SPET's low-rank predictor when the knobs carry one (and a ReLU follows), else null. */
    private final SpetProxy proxy;
    /** {@code z = (U^T W) x} at the grid (or all) positions, {@code rank x nc}; null without a proxy. */
    private final Product proxyProduct;
    private final float[] zr;
    /** {@code U^T W} ({@code rank x k}), the projection one position at a time; null without a proxy. */
    private final float[] proxyWeights;
    /** SDSS per neuron: the channels of one off-grid position left to compute. */
    private final int[] need;

    private long samples;
    private long macs;
    private long sfmaSkipped;
    private long sdssSkipped;
    private long spetSkipped;
    private long overhead;

    static boolean applies(Convolution c) {
        return c.group() == 1 && c.dilationH() == 1 && c.dilationW() == 1;
    }

    DynamicConvKernel(Convolution c, Shape is, Shape os, INDArray input, INDArray output, ConvEffort knobs,
            boolean reluAfter) {
        this.name = c.name();
        this.knobs = knobs;
        this.reluAfter = reluAfter;
        this.sdss = reluAfter && knobs.sdssOn();
        this.is = is;
        this.os = os;
        this.win = c.window();
        this.in = Buffers.view(input);
        this.out = Buffers.view(output);
        cin = is.c();
        cout = c.numOutput();
        kk = win.kh() * win.kw();
        k = cin * kk;
        p = os.plane();
        float[] w = c.weight().data();
        double[] l1 = new double[cin];
        kernelSums = new float[cout * cin];
        for (int o = 0; o < cout; o++) {
            for (int ch = 0; ch < cin; ch++) {
                double a = 0;
                double s = 0;
                for (int t = 0; t < kk; t++) {
                    float v = w[(o * cin + ch) * kk + t];
                    a += Math.abs(v);
                    s += v;
                }
                l1[ch] += a;
                kernelSums[o * cin + ch] = (float) s;
            }
        }
        order = java.util.stream.IntStream.range(0, cin).boxed()
                .sorted((x, y) -> Double.compare(l1[y], l1[x])).mapToInt(Integer::intValue).toArray();
        wOrdered = new float[cout * k];
        for (int o = 0; o < cout; o++) {
            for (int r = 0; r < cin; r++) {
                System.arraycopy(w, (o * cin + order[r]) * kk, wOrdered, o * k + r * kk, kk);
            }
        }
        wOrderedNative = Buffers.direct(wOrdered.length).put(0, wOrdered);
        bias = c.biasValues();

        int oh = os.h();
        int ow = os.w();
        all = new int[p];
        for (int i = 0; i < p; i++) {
            all[i] = i;
        }
        int[] g = new int[p];
        int[] r = new int[p];
        int ng = 0;
        int nr = 0;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                if (y % 2 == 0 && x % 2 == 0) {
                    g[ng++] = y * ow + x;
                } else {
                    r[nr++] = y * ow + x;
                }
            }
        }
        grid = Arrays.copyOf(g, ng);
        rest = Arrays.copyOf(r, nr);
        nbStart = new int[nr + 1];
        int[] nbs = new int[4 * nr];
        int m = 0;
        for (int i = 0; i < nr; i++) {
            nbStart[i] = m;
            int y = rest[i] / ow;
            int x = rest[i] % ow;
            int[] ys = y % 2 == 0 ? new int[] {y} : new int[] {y - 1, y + 1};
            int[] xs = x % 2 == 0 ? new int[] {x} : new int[] {x - 1, x + 1};
            for (int yy : ys) {
                for (int xx : xs) {
                    if (yy < oh && xx < ow) {
                        nbs[m++] = yy * ow + xx;
                    }
                }
            }
        }
        nbStart[nr] = m;
        nb = Arrays.copyOf(nbs, m);

        src = new float[is.size()];
        dst = new float[os.size()];
        x = new float[p * k];
        xt = new float[p * k];
        wk = new float[cout * k];
        z = new float[cout * p];
        biasEff = new float[cout];
        thr = new float[cout];
        xrow = new float[k];
        kept = new int[cin];
        selected = new int[p];
        keptChannels = new int[cin];
        xNative = Buffers.direct(x.length);
        wkNative = Buffers.direct(wk.length);
        zNative = Buffers.direct(z.length);
        wArr = Nd4j.create(wOrdered, new long[] {cout, k}, DataType.FLOAT);
        first = new Product(wArr, k, sdss ? grid.length : p, false);
        restProducts = new Product[(rest.length + BUCKET - 1) / BUCKET + 1];
        fails = new int[rest.length];
        invCount = new float[rest.length];
        long ro = 0;
        for (int i = 0; i < rest.length; i++) {
            ro += (long) cout * (3L * (nbStart[i + 1] - nbStart[i]) + 3);
            invCount[i] = 1f / (nbStart[i + 1] - nbStart[i]);
        }
        restOverhead = ro;
        proxy = reluAfter && knobs.spetOn() ? knobs.proxy() : null;
        if (proxy != null) {
            if (proxy.channels() != cout) {
                throw new IllegalArgumentException(name + ": SPET proxy for " + proxy.channels()
                        + " channels, the layer has " + cout);
            }
            int rank = proxy.rank();
            float[] u = proxy.basis();
            float[] pw = new float[rank * k];
            for (int o = 0; o < cout; o++) {
                for (int q = 0; q < rank; q++) {
                    float uq = u[o * rank + q];
                    for (int i = 0; i < k; i++) {
                        pw[q * k + i] += uq * wOrdered[o * k + i];
                    }
                }
            }
            int nc = (int) first.c.size(1);
            proxyProduct = new Product(Nd4j.create(pw, new long[] {rank, k}, DataType.FLOAT), k, nc, false);
            zr = new float[rank * nc];
            proxyWeights = pw;
        } else {
            proxyProduct = null;
            zr = null;
            proxyWeights = null;
        }
        need = new int[cout];
    }

    /** Columns per bucket of SDSS's gathered-columns products. */
    private static final int BUCKET = 32;

    /**
     * {@code c = a x b} ({@code a x b^T} when {@code transB}) through ND4J's GEMM on arrays made once: the kernel
     * writes {@code b} through {@link #bIn} and reads {@code c} through {@link #cOut}.
     */
    private static final class Product {
        final INDArray a;
        final INDArray b;
        final INDArray c;
        final FloatBuffer bIn;
        final FloatBuffer cOut;
        final boolean transB;

        /** {@code b} is {@code rows x cols}; {@code c} has {@code a}'s rows and {@code b}'s (or b^T's) columns. */
        Product(INDArray a, int rows, int cols, boolean transB) {
            this.a = a;
            this.transB = transB;
            b = Nd4j.create(DataType.FLOAT, rows, cols);
            c = Nd4j.create(DataType.FLOAT, a.size(0), transB ? rows : cols);
            bIn = Buffers.view(b);
            cOut = Buffers.view(c);
        }

        void run() {
            Nd4j.gemm(a, b, c, false, transB, 1.0, 0.0);
        }
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            in.get(s * src.length, src);
            sample();
            out.put(s * dst.length, dst);
        }
    }

    private void sample() {
        samples++;
        // SFMA: which input maps to keep, and the constant contribution of the others
        System.arraycopy(bias, 0, biasEff, 0, cout);
        int m = 0;
        int plane = is.plane();
        for (int r = 0; r < cin; r++) {
            int ch = order[r];
            if (knobs.sfmaOn()) {
                double sum = 0;
                double sq = 0;
                for (int i = ch * plane, e = i + plane; i < e; i++) {
                    float v = src[i];
                    sum += v;
                    sq += v * v;
                }
                overhead += 2L * plane;
                double mean = sum / plane;
                double var = sq / plane - mean * mean;
                if (var <= knobs.sfma() * mean * mean) {
                    if (mean != 0) {
                        for (int o = 0; o < cout; o++) {
                            biasEff[o] += (float) (mean * kernelSums[o * cin + ch]);
                        }
                        overhead += 2L * cout;
                    }
                    sfmaSkipped += (long) kk * cout * p;
                    continue;
                }
            }
            keptChannels[m] = ch;
            kept[m++] = r;
        }
        int kp = m * kk;
        float[] wa;
        FloatBuffer wn;
        if (m == cin) {
            wa = wOrdered;
            wn = wOrderedNative;
        } else {
            for (int o = 0; o < cout; o++) {
                for (int q = 0; q < m; q++) {
                    System.arraycopy(wOrdered, o * k + kept[q] * kk, wk, o * kp + q * kk, kk);
                }
            }
            wkNative.put(0, wk, 0, cout * kp);
            wa = wk;
            wn = wkNative;
        }

        // the low-rank predictor projects every input map; the partial-sum one needs at least two
        boolean byProxy = proxy != null && m == cin;
        boolean spet = reluAfter && knobs.spetOn() && knobs.proxy() == null && m > 1;
        int k1 = spet ? Math.max(1, Math.min(m - 1, (int) Math.ceil(knobs.spetFraction() * m))) * kk : kp;
        // every map kept and full sums: the products prepared at compile time fit
        boolean prepared = m == cin && k1 == kp;
        int[] cols = sdss ? grid : all;
        int nc = cols.length;

        // one SGEMM: partial (SPET) or full sums at the grid (SDSS) or all positions
        int step = sdss ? 2 : 1;
        if (kp > 0) {
            Im2colConvKernel.im2col(src, keptChannels, m, is, os, win, 1, 1, step, x);
            if (byProxy) {
                proxyProduct.bIn.put(0, x, 0, k * nc);
                proxyProduct.run();
                proxyProduct.cOut.get(0, zr, 0, proxy.rank() * nc);
                transpose(x, k, nc, 0, xt);
            } else if (prepared) {
                first.bIn.put(0, x, 0, kp * nc);
                first.run();
                first.cOut.get(0, z, 0, cout * nc);
            } else {
                xNative.put(0, x, 0, kp * nc);
                Buffers.sgemm(false, cout, nc, k1, wn, kp, xNative, nc, zNative, nc);
                zNative.get(0, z, 0, cout * nc);
            }
            if (!byProxy) {
                macs += (long) cout * nc * k1;
            }
            if (k1 < kp) {
                transpose(x, kp, nc, k1, xt);
            }
        } else {
            Arrays.fill(z, 0, cout * nc, 0f);
        }
        // SPET's per-channel threshold: spet x the spread the unsummed inputs can still add,
        // ||w_o[k1..]|| x RMS(x[k1..]) (both measured on this input, counted as overhead)
        if (spet) {
            double sq = 0;
            for (int i = k1 * nc, e = kp * nc; i < e; i++) {
                sq += x[i] * x[i];
            }
            double rmsX = Math.sqrt(sq / Math.max(1, (long) (kp - k1) * nc));
            for (int o = 0; o < cout; o++) {
                double w2 = 0;
                for (int i = o * kp + k1, e = o * kp + kp; i < e; i++) {
                    w2 += wa[i] * wa[i];
                }
                thr[o] = (float) (knobs.spet() * Math.sqrt(w2) * rmsX * Math.sqrt(kp - k1));
            }
            overhead += 2L * (kp - k1) * (nc + cout);
        }
        if (byProxy) {
            finishByProxy(nc, cols);
        } else {
            finish(wa, kp, k1, xt, nc, cols);
        }
        if (sdss && knobs.sdssColumns()) {
            restColumns(wa, wn, m, kp, k1, prepared);
        } else if (sdss) {
            rest(wa, m, kp, k1, byProxy);
        }
    }

    /**
     * Adds bias to the {@code cout x nc} sums in {@link #z} over the first {@code k1} of {@code kp} rows and
     * writes them to output positions {@code pos[j]}; with SPET, finishes the neurons not predicted saturated
     * from the position-major patches {@code rows} ({@code nc x kp}).
     */
    private void finish(float[] wa, int kp, int k1, float[] rows, int nc, int[] pos) {
        int rem = kp - k1;
        for (int o = 0; o < cout; o++) {
            float b = biasEff[o];
            int wrow = o * kp;
            for (int j = 0; j < nc; j++) {
                float v = z[o * nc + j] + b;
                if (rem > 0) {
                    if (v < thr[o]) {
                        v = 0f;
                        spetSkipped += rem;
                    } else {
                        v += Dot.dot(wa, wrow + k1, rows, j * kp + k1, rem);
                        macs += rem;
                    }
                }
                dst[o * p + pos[j]] = v;
            }
        }
        if (rem > 0) {
            overhead += (long) cout * nc;
        }
    }

    /**
     * SPET with the low-rank predictor at output positions {@code pos[j]}: each neuron's pre-activation is
     * predicted from {@link #zr} ({@code rank} MACs); those predicted below {@code spet} times their residual
     * sigma are 0, the others are computed in full from the position-major patches in {@link #xt}. The
     * projection's MACs count as executed, so SPET's skipped MACs are net of them.
     */
    private void finishByProxy(int nc, int[] pos) {
        int r = proxy.rank();
        long computed = 0;
        for (int o = 0; o < cout; o++) {
            float b = biasEff[o];
            int wrow = o * k;
            for (int j = 0; j < nc; j++) {
                float v = 0f;
                if (predictedActive(o, j, nc)) {
                    v = b + Dot.dot(wOrdered, wrow, xt, j * k, k);
                    computed++;
                }
                dst[o * p + pos[j]] = v;
            }
        }
        long projection = (long) r * nc * (k + cout);
        macs += computed * k + projection;
        spetSkipped += ((long) cout * nc - computed) * k - projection;
        overhead += (long) cout * nc;
    }

    /**
     * Whether the low-rank predictor lets neuron {@code o} through: its prediction {@code offset + U z}, with
     * {@code z} at {@code zr[q * stride + j]}, reaches {@code spet} times its residual sigma.
     */
    private boolean predictedActive(int o, int j, int stride) {
        int r = proxy.rank();
        float[] u = proxy.basis();
        float y = proxy.offset()[o];
        for (int q = 0; q < r; q++) {
            y += u[o * r + q] * zr[q * stride + j];
        }
        return y >= (float) (knobs.spet() * proxy.sigma()[o]);
    }

    /** The bits of {@code max(v, 0)} (negative zero too becomes +0), without a branch. */
    private static int reluBits(float v) {
        int b = Float.floatToRawIntBits(v);
        return b & ~(b >> 31);
    }

    /** Max, min and sum after ReLU of the grid neighbours {@code nb[a..e)} in the channel at {@code base}. */
    private void neighbours(int base, int a, int e) {
        float mx = 0f;
        float mn = Float.MAX_VALUE;
        float sum = 0f;
        for (int t = a; t < e; t++) {
            float v = Math.max(0f, dst[base + nb[t]]);
            mx = Math.max(mx, v);
            mn = Math.min(mn, v);
            sum += v;
        }
        nbMax = mx;
        nbMin = mn;
        nbSum = sum;
    }

    /** An SDSS threshold in output units: {@code knob x rms}, or -infinity (never met) when the knob is off. */
    private static float scaled(double knob, double rms) {
        return knob >= 0 ? (float) (knob * rms) : Float.NEGATIVE_INFINITY;
    }

    /** The RMS of the grid outputs after ReLU, SDSS's scale. */
    private double gridRms() {
        double sq = 0;
        for (int o = 0; o < cout; o++) {
            for (int g : grid) {
                float v = Math.max(0f, dst[o * p + g]);
                sq += v * v;
            }
        }
        overhead += 3L * cout * grid.length;
        return Math.sqrt(sq / ((double) cout * grid.length));
    }

    /**
     * SDSS per output position: every channel of an off-grid position takes 0 or its neighbours' mean unless
     * more than {@code sdssCols} of its channels fail both tests; those positions are computed for all
     * channels by one SGEMM over their gathered patches (with SPET's check when on).
     */
    private void restColumns(float[] wa, FloatBuffer wn, int m, int kp, int k1, boolean prepared) {
        double rms = gridRms();
        float sig = scaled(knobs.sdssSig(), rms);
        float sim = scaled(knobs.sdssSim(), rms);
        int allowed = (int) Math.floor(knobs.sdssCols() * cout);
        // channel by channel (each channel's plane stays in cache): zero or interpolate every off-grid output,
        // counting per position the channels that fail both tests
        Arrays.fill(fails, 0);
        float[] d = dst;
        for (int o = 0; o < cout; o++) {
            int base = o * p;
            for (int i = 0; i < rest.length; i++) {
                int a = nbStart[i];
                int e = nbStart[i + 1];
                // the grid neighbours after ReLU, as bits: a non-negative float orders like its bits, so max and
                // min are integer ones, and nothing below branches on the data (the outcomes are near coin flips)
                int b = reluBits(d[base + nb[a]]);
                int mxb = b;
                int mnb = b;
                float sum = Float.intBitsToFloat(b);
                for (int t = a + 1; t < e; t++) {
                    b = reluBits(d[base + nb[t]]);
                    mxb = Math.max(mxb, b);
                    mnb = Math.min(mnb, b);
                    sum += Float.intBitsToFloat(b);
                }
                float mx = Float.intBitsToFloat(mxb);
                float mn = Float.intBitsToFloat(mnb);
                // significant = mx > sig; a significant output fails when mx - mn > sim: the sign bit of
                // (threshold - value) is 1 exactly when the value exceeds the threshold, also an infinite one
                int significant = Float.floatToRawIntBits(sig - mx) >>> 31;
                d[base + rest[i]] = sum * invCount[i] * significant;
                fails[i] += significant & (Float.floatToRawIntBits(sim - (mx - mn)) >>> 31);
            }
        }
        overhead += restOverhead;
        int nsel = 0;
        for (int i = 0; i < rest.length; i++) {
            if (fails[i] > allowed) {
                selected[nsel++] = rest[i];
            } else {
                sdssSkipped += (long) cout * kp;
            }
        }
        if (kp == 0) {
            // every input map dropped by SFMA: each output is its effective bias
            for (int j = 0; j < nsel; j++) {
                for (int o = 0; o < cout; o++) {
                    dst[o * p + selected[j]] = biasEff[o];
                }
            }
            return;
        }
        if (nsel == 0) {
            return;
        }
        for (int j = 0; j < nsel; j++) {
            im2colRow(selected[j], m, xt, j * kp);
        }
        if (prepared) {
            int bucket = (nsel + BUCKET - 1) / BUCKET;
            Product g = restProducts[bucket];
            if (g == null) {
                g = new Product(wArr, Math.min(bucket * BUCKET, rest.length), k, true);
                restProducts[bucket] = g;
            }
            int cols = (int) g.c.size(1);
            g.bIn.put(0, xt, 0, nsel * kp);
            g.run();
            // the product's columns past nsel are stale patches, never read
            for (int o = 0; o < cout; o++) {
                g.cOut.get(o * cols, z, o * nsel, nsel);
            }
        } else {
            xNative.put(0, xt, 0, nsel * kp);
            Buffers.sgemm(true, cout, nsel, k1, wn, kp, xNative, kp, zNative, nsel);
            zNative.get(0, z, 0, cout * nsel);
        }
        macs += (long) cout * nsel * k1;
        finish(wa, kp, k1, xt, nsel, selected);
    }

    /**
     * SDSS for the positions off the grid: zero, interpolate, or compute (with SPET's check). With the low-rank
     * predictor ({@code byProxy}) a position whose channels to compute number at least twice its rank is projected
     * once ({@code rank x (K + cout)} MACs), and only the channels it predicts above SPET's threshold are computed.
     */
    private void rest(float[] wa, int m, int kp, int k1, boolean byProxy) {
        double rms = gridRms();
        float sig = scaled(knobs.sdssSig(), rms);
        float sim = scaled(knobs.sdssSim(), rms);
        int rem = kp - k1;
        int r = byProxy ? proxy.rank() : 0;
        for (int i = 0; i < rest.length; i++) {
            int pos = rest[i];
            int a = nbStart[i];
            int e = nbStart[i + 1];
            int needed = 0;
            for (int o = 0; o < cout; o++) {
                int base = o * p;
                neighbours(base, a, e);
                float mx = nbMax;
                float mn = nbMin;
                overhead += 3L * (e - a) + 2;
                if (mx <= sig) {
                    dst[base + pos] = 0f;
                    sdssSkipped += kp;
                } else if (mx - mn <= sim) {
                    dst[base + pos] = nbSum / (e - a);
                    sdssSkipped += kp;
                    overhead += 1;
                } else {
                    need[needed++] = o;
                }
            }
            if (needed == 0) {
                continue;
            }
            im2colRow(pos, m, xrow, 0);
            boolean predict = byProxy && needed >= 2 * r;
            if (predict) {
                for (int q = 0; q < r; q++) {
                    zr[q] = Dot.dot(proxyWeights, q * k, xrow, 0, k);
                }
                long projection = (long) r * (k + needed);
                macs += projection;
                spetSkipped -= projection;
                overhead += needed;
            }
            for (int t = 0; t < needed; t++) {
                int o = need[t];
                if (predict && !predictedActive(o, 0, 1)) {
                    dst[o * p + pos] = 0f;
                    spetSkipped += kp;
                    continue;
                }
                float v = biasEff[o] + Dot.dot(wa, o * kp, xrow, 0, k1);
                macs += k1;
                if (rem > 0) {
                    overhead += 1;
                    if (v < thr[o]) {
                        v = 0f;
                        spetSkipped += rem;
                    } else {
                        v += Dot.dot(wa, o * kp + k1, xrow, k1, rem);
                        macs += rem;
                    }
                }
                dst[o * p + pos] = v;
            }
        }
    }

    /** Rows {@code from..rows} of the {@code rows x cols} matrix {@code a}, transposed into {@code t} ({@code cols x rows}). */
    private static void transpose(float[] a, int rows, int cols, int from, float[] t) {
        final int b = 32;
        for (int r0 = from; r0 < rows; r0 += b) {
            int r1 = Math.min(rows, r0 + b);
            for (int c0 = 0; c0 < cols; c0 += b) {
                int c1 = Math.min(cols, c0 + b);
                for (int r = r0; r < r1; r++) {
                    int src = r * cols;
                    for (int c = c0; c < c1; c++) {
                        t[c * rows + r] = a[src + c];
                    }
                }
            }
        }
    }

    /** Writes the input patch of output position {@code pos} over the first {@code m} kept channels. */
    private void im2colRow(int pos, int m, float[] into, int off) {
        int ow = os.w();
        int ih = is.h();
        int iw = is.w();
        int kh = win.kh();
        int kw = win.kw();
        int iy0 = pos / ow * win.strideH() - win.padH();
        int ix0 = pos % ow * win.strideW() - win.padW();
        int at = off;
        int plane = is.plane();
        boolean inside = ix0 >= 0 && ix0 + kw <= iw;
        for (int q = 0; q < m; q++) {
            int base = keptChannels[q] * plane;
            for (int ky = 0; ky < kh; ky++) {
                int iy = iy0 + ky;
                if (iy < 0 || iy >= ih) {
                    Arrays.fill(into, at, at + kw, 0f);
                } else if (inside) {
                    int row = base + iy * iw + ix0;
                    for (int kx = 0; kx < kw; kx++) {
                        into[at + kx] = src[row + kx];
                    }
                } else {
                    int row = base + iy * iw;
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ix0 + kx;
                        into[at + kx] = ix >= 0 && ix < iw ? src[row + ix] : 0f;
                    }
                }
                at += kw;
            }
        }
    }

    /** The work done since compile time or the last {@link #resetWork}. */
    Work work() {
        return new Work(name, samples, samples * cout * (long) k * p, macs, sfmaSkipped, sdssSkipped, spetSkipped, 0,
                0, overhead, 0);
    }

    void resetWork() {
        samples = 0;
        macs = 0;
        sfmaSkipped = 0;
        sdssSkipped = 0;
        spetSkipped = 0;
        overhead = 0;
    }
}
