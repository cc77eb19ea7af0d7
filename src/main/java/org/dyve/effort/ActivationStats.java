package org.dyve.effort;

import java.util.ArrayList;
import java.util.List;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.engine.Engine;
import org.dyve.model.Convolution;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Shape;
import org.dyve.model.Window;

/**
 * Per convolution layer, how much of its work a perfect dynamic-effort predictor could skip on real inputs:
 * outputs that are <= 0 before ReLU (SPET's target), 2x2 output blocks that are all zero after ReLU (SDSS's),
 * output maps that are entirely zero, input maps that are constant (SFMA's), and the MACs that exact early
 * termination skips (SnaPEA's exact mode: with non-negative inputs and a ReLU after the layer, add a neuron's
 * positive-weight products first, then the negative ones by decreasing magnitude, and stop once the sum is <= 0,
 * which the rest can only lower), and the outputs a max pooling after the layer ignores (max-pool-aware SPET's
 * target: only each window's winner, when positive, needs its exact value), and the inputs that are exactly zero
 * (what zero-input skipping skips). Measured with the dense engine, one sample at a time.
 */
public final class ActivationStats {

    /** Statistics of one convolution layer; fractions in 0..1. */
    public record LayerStats(String layer, int kernel, int cin, int cout, Shape out, double macShare,
            double nonPositive, double zeroBlocks2x2, double zeroMaps, double constantInputMaps,
            double exactTermination, double poolLosers, double zeroInputs) {
    }

    private ActivationStats() {
    }

    /** Measures the first {@code count} samples of {@code data}. */
    public static List<LayerStats> measure(Network net, Preprocessing pre, Dataset data, int count) {
        List<Integer> convs = new ArrayList<>();
        long convMacs = 0;
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof Convolution) {
                convs.add(i);
                convMacs += net.macs(i);
            }
        }
        int m = convs.size();
        double[] nonPos = new double[m];
        double[] zeroBlocks = new double[m];
        double[] zeroMaps = new double[m];
        double[] constIn = new double[m];
        double[] exact = new double[m];
        SignOrder[] orders = new SignOrder[m];
        double[] losers = new double[m];
        double[] zeroIn = new double[m];
        Pooling[] pools = new Pooling[m];
        for (int k = 0; k < m; k++) {
            Convolution c = (Convolution) net.layers().get(convs.get(k));
            orders[k] = c.group() == 1 && c.dilationH() == 1 && c.dilationW() == 1
                    && net.readByReluOnly(c.output()) ? SignOrder.of(c, net.shape(c.input())) : null;
            pools[k] = maxPoolAfter(net, c.output());
        }
        Engine e = Engine.builder(net).unfused().build();
        int n = Math.min(count, data.size());
        for (int s = 0; s < n; s++) {
            e.setInput(net.input().name(), 0, pre.apply(data.get(s).image()));
            e.run(1, (layer, eng) -> {
                int k = convs.indexOf(layer);
                if (k < 0) {
                    return;
                }
                Layer l = net.layers().get(layer);
                float[] in = eng.output(l.inputs().get(0), 0);
                float[] out = eng.output(l.output(), 0);
                Shape is = net.shape(l.inputs().get(0));
                Shape os = net.shape(l.output());
                nonPos[k] += fraction(out, os, Stat.NON_POSITIVE);
                zeroBlocks[k] += fraction(out, os, Stat.ZERO_BLOCKS);
                zeroMaps[k] += fraction(out, os, Stat.ZERO_MAPS);
                constIn[k] += fraction(in, is, Stat.CONSTANT_MAPS);
                zeroIn[k] += fraction(in, is, Stat.ZERO);
                exact[k] += orders[k] == null ? 0 : orders[k].skipped(in, os);
                losers[k] += pools[k] == null ? 0 : poolLosers(out, os, pools[k], net.shape(pools[k].output()));
            });
        }
        List<LayerStats> out = new ArrayList<>();
        for (int k = 0; k < m; k++) {
            Convolution c = (Convolution) net.layers().get(convs.get(k));
            out.add(new LayerStats(c.name(), c.window().kh(), net.shape(c.input()).c(), c.numOutput(),
                    net.shape(c.output()), (double) net.macs(convs.get(k)) / convMacs, nonPos[k] / n,
                    zeroBlocks[k] / n, zeroMaps[k] / n, constIn[k] / n, exact[k] / n,
                    losers[k] / n, zeroIn[k] / n));
        }
        return out;
    }

    /**
     * The max pooling that, with a plain ReLU before or after it (max and ReLU commute), alone reads
     * {@code tensor}, or null.
     */
    private static Pooling maxPoolAfter(Network net, String tensor) {
        Layer r = net.onlyReader(tensor);
        Layer next = r == null ? null : net.onlyReader(r.output());
        Layer relu = r instanceof Relu ? r : next;
        Layer pool = r instanceof Relu ? next : r;
        return relu instanceof Relu u && u.negativeSlope() == 0f && pool instanceof Pooling p
                && p.mode() == Pooling.Mode.MAX && !p.global() ? p : null;
    }

    /**
     * The fraction of a layer's outputs {@code v} (shape {@code s}, before the ReLU) whose exact value max pooling
     * {@code p} (output shape {@code pooled}) never uses: all but each window's first maximum, and that one too
     * when it is <= 0 (the ReLU makes it 0).
     */
    static double poolLosers(float[] v, Shape s, Pooling p, Shape pooled) {
        Window w = p.window();
        boolean[] needed = new boolean[v.length];
        int oh = pooled.h();
        int ow = pooled.w();
        for (int c = 0; c < s.c(); c++) {
            for (int py = 0; py < oh; py++) {
                for (int px = 0; px < ow; px++) {
                    int best = -1;
                    for (int y = Math.max(0, py * w.strideH() - w.padH());
                            y < Math.min(s.h(), py * w.strideH() - w.padH() + w.kh()); y++) {
                        for (int x = Math.max(0, px * w.strideW() - w.padW());
                                x < Math.min(s.w(), px * w.strideW() - w.padW() + w.kw()); x++) {
                            int i = (c * s.h() + y) * s.w() + x;
                            if (best < 0 || v[i] > v[best]) {
                                best = i;
                            }
                        }
                    }
                    if (best >= 0 && v[best] > 0) {
                        needed[best] = true;
                    }
                }
            }
        }
        int losers = 0;
        for (boolean b : needed) {
            losers += b ? 0 : 1;
        }
        return (double) losers / v.length;
    }

    /**
     * A convolution's weights in SnaPEA's order, per output channel: the positive ones, then the negative ones by
     * decreasing magnitude (zeros among the positives: they never lower the sum), as offsets into the input.
     */
    static final class SignOrder {
        private final Convolution conv;
        private final Shape in;
        private final int[][] order;
        private final int[] positives;

        private SignOrder(Convolution conv, Shape in, int[][] order, int[] positives) {
            this.conv = conv;
            this.in = in;
            this.order = order;
            this.positives = positives;
        }

        static SignOrder of(Convolution c, Shape in) {
            int kh = c.window().kh();
            int kw = c.window().kw();
            int k = in.c() * kh * kw;
            float[] w = c.weight().data();
            int[][] order = new int[c.numOutput()][];
            int[] positives = new int[c.numOutput()];
            for (int o = 0; o < c.numOutput(); o++) {
                final int base = o * k;
                Integer[] idx = new Integer[k];
                for (int j = 0; j < k; j++) {
                    idx[j] = j;
                }
                // non-negative first (any order), then negative by decreasing magnitude
                java.util.Arrays.sort(idx, (a, b) -> {
                    float wa = w[base + a];
                    float wb = w[base + b];
                    boolean pa = wa >= 0;
                    boolean pb = wb >= 0;
                    if (pa != pb) {
                        return pa ? -1 : 1;
                    }
                    return pa ? Integer.compare(a, b) : Float.compare(wa, wb);
                });
                order[o] = new int[k];
                for (int j = 0; j < k; j++) {
                    order[o][j] = idx[j];
                    positives[o] += w[base + idx[j]] >= 0 ? 1 : 0;
                }
            }
            return new SignOrder(c, in, order, positives);
        }

        /**
         * The fraction of the layer's MACs on input {@code x} (CHW) that exact termination skips, or 0 when
         * {@code x} has a negative value (then the rule does not hold).
         */
        double skipped(float[] x, Shape out) {
            for (float v : x) {
                if (v < 0) {
                    return 0;
                }
            }
            Window win = conv.window();
            int kh = win.kh();
            int kw = win.kw();
            int k = in.c() * kh * kw;
            float[] w = conv.weight().data();
            float[] bias = conv.bias() == null ? null : conv.bias().data();
            float[] col = new float[k];
            long skipped = 0;
            for (int oy = 0; oy < out.h(); oy++) {
                for (int ox = 0; ox < out.w(); ox++) {
                    for (int ci = 0, j = 0; ci < in.c(); ci++) {
                        for (int ky = 0; ky < kh; ky++) {
                            int y = oy * win.strideH() - win.padH() + ky;
                            for (int kx = 0; kx < kw; kx++, j++) {
                                int xx = ox * win.strideW() - win.padW() + kx;
                                col[j] = y < 0 || y >= in.h() || xx < 0 || xx >= in.w() ? 0f
                                        : x[(ci * in.h() + y) * in.w() + xx];
                            }
                        }
                    }
                    for (int o = 0; o < conv.numOutput(); o++) {
                        int[] ord = order[o];
                        int base = o * k;
                        float sum = bias == null ? 0f : bias[o];
                        int j = 0;
                        for (; j < positives[o]; j++) {
                            sum += w[base + ord[j]] * col[ord[j]];
                        }
                        for (; j < k && sum > 0; j++) {
                            sum += w[base + ord[j]] * col[ord[j]];
                        }
                        skipped += k - j;
                    }
                }
            }
            return (double) skipped / ((long) k * conv.numOutput() * out.plane());
        }
    }

    private enum Stat { NON_POSITIVE, ZERO, ZERO_BLOCKS, ZERO_MAPS, CONSTANT_MAPS }

    private static double fraction(float[] v, Shape s, Stat stat) {
        int plane = s.plane();
        switch (stat) {
            case NON_POSITIVE -> {
                int c = 0;
                for (float x : v) {
                    if (x <= 0) {
                        c++;
                    }
                }
                return (double) c / v.length;
            }
            case ZERO -> {
                int c = 0;
                for (float x : v) {
                    c += x == 0 ? 1 : 0;
                }
                return (double) c / v.length;
            }
            case ZERO_BLOCKS -> {
                int blocks = 0;
                int zero = 0;
                for (int ch = 0; ch < s.c(); ch++) {
                    for (int y = 0; y + 1 < s.h(); y += 2) {
                        for (int x = 0; x + 1 < s.w(); x += 2) {
                            int p = ch * plane + y * s.w() + x;
                            blocks++;
                            if (v[p] <= 0 && v[p + 1] <= 0 && v[p + s.w()] <= 0 && v[p + s.w() + 1] <= 0) {
                                zero++;
                            }
                        }
                    }
                }
                return blocks == 0 ? 0 : (double) zero / blocks;
            }
            case ZERO_MAPS -> {
                int zero = 0;
                for (int ch = 0; ch < s.c(); ch++) {
                    boolean all = true;
                    for (int p = ch * plane; p < (ch + 1) * plane && all; p++) {
                        all = v[p] <= 0;
                    }
                    if (all) {
                        zero++;
                    }
                }
                return (double) zero / s.c();
            }
            case CONSTANT_MAPS -> {
                int constant = 0;
                for (int ch = 0; ch < s.c(); ch++) {
                    boolean same = true;
                    float first = v[ch * plane];
                    for (int p = ch * plane + 1; p < (ch + 1) * plane && same; p++) {
                        same = v[p] == first;
                    }
                    if (same) {
                        constant++;
                    }
                }
                return (double) constant / s.c();
            }
            default -> throw new IllegalStateException("unreachable");
        }
    }
}
