package org.dyve.effort;

import java.util.ArrayList;
import java.util.List;
import org.dyve.engine.ExitProbe;
import org.dyve.model.Convolution;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Shape;

/**
 * Fits confidence early-exit probes: multinomial logistic regression (softmax, L2-regularised, full-batch
 * Adam from zero weights, so deterministic) on grid-averaged activations, with the feature standardisation
 * folded into the weights. The network's weights are not touched.
 */
final class ExitFitter {
    /** Largest probe input: the grid is the finest whose features fit. */
    static final int MAX_FEATURES = 512;
    /** Fewer labelled samples per class than this and no probe is fitted: it would only memorise. */
    static final int MIN_PER_CLASS = 50;
    private static final int ITERATIONS = 300;
    private static final double LAMBDA = 1e-2;
    private static final double RATE = 0.01;

    private ExitFitter() {
    }

    /**
     * Where probes may sit: the input of every convolution but the first when it is the only tensor the rest
     * of the network needs (a cut of the graph) and has spatial extent.
     */
    static List<String> candidates(Network net) {
        List<String> out = new ArrayList<>();
        boolean first = true;
        for (int i = 0; i < net.layers().size(); i++) {
            Layer l = net.layers().get(i);
            if (!(l instanceof Convolution c)) {
                continue;
            }
            if (!first && net.rangeInputs(i, net.layers().size()).equals(List.of(c.input()))
                    && net.shape(c.input()).h() > 1 && !out.contains(c.input())) {
                out.add(c.input());
            }
            first = false;
        }
        return out;
    }

    /**
     * At most {@code max} of {@code cuts} (from {@link #candidates}), spread over the network's work: for each of
     * {@code max} evenly spaced fractions of the MACs, the cut whose MACs before it come nearest, each cut once; all
     * of them when there are not more than {@code max} (or {@code max} <= 0).
     */
    static List<String> spread(Network net, List<String> cuts, int max) {
        if (max <= 0 || cuts.size() <= max) {
            return cuts;
        }
        double[] before = new double[cuts.size()];
        for (int k = 0; k < cuts.size(); k++) {
            int writer = net.lastWriter(cuts.get(k), 0, net.layers().size());
            for (int i = 0; i <= writer; i++) {
                before[k] += net.macs(i);
            }
        }
        java.util.TreeSet<Integer> chosen = new java.util.TreeSet<>();
        for (int j = 1; j <= max; j++) {
            double target = net.totalMacs() * (double) j / (max + 1);
            int best = -1;
            for (int k = 0; k < cuts.size(); k++) {
                boolean nearer = best < 0 || Math.abs(before[k] - target) < Math.abs(before[best] - target);
                if (!chosen.contains(k) && nearer) {
                    best = k;
                }
            }
            chosen.add(best);
        }
        List<String> out = new ArrayList<>();
        for (int k : chosen) {
            out.add(cuts.get(k));
        }
        return out;
    }

    /** The finest grid whose features fit {@link #MAX_FEATURES} (at least 1). */
    static int grid(Shape s) {
        int g = 1;
        while (g + 1 <= Math.min(s.h(), s.w()) && ExitProbe.features(s, g + 1) <= MAX_FEATURES) {
            g++;
        }
        return g;
    }

    /**
     * Fits a probe on {@code x} (samples x features, as {@link ExitProbe#features} computes them) with class
     * labels {@code y} in {@code [0, classes)}.
     */
    static ExitProbe fit(String tensor, Shape shape, int grid, float[][] x, int[] y, int classes) {
        int n = x.length;
        int f = ExitProbe.features(shape, grid);
        double[] mu = new double[f];
        double[] sd = new double[f];
        for (float[] r : x) {
            for (int j = 0; j < f; j++) {
                mu[j] += r[j];
            }
        }
        for (int j = 0; j < f; j++) {
            mu[j] /= n;
        }
        for (float[] r : x) {
            for (int j = 0; j < f; j++) {
                sd[j] += (r[j] - mu[j]) * (r[j] - mu[j]);
            }
        }
        for (int j = 0; j < f; j++) {
            sd[j] = Math.sqrt(sd[j] / n) + 1e-6;
        }
        float[] xs = new float[n * f];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < f; j++) {
                xs[i * f + j] = (float) ((x[i][j] - mu[j]) / sd[j]);
            }
        }
        // w: classes x (f + 1), the last column the bias
        int stride = f + 1;
        double[] w = new double[classes * stride];
        double[] g = new double[w.length];
        double[] m1 = new double[w.length];
        double[] m2 = new double[w.length];
        double[] z = new double[classes];
        double b1 = 0.9;
        double b2 = 0.999;
        for (int it = 1; it <= ITERATIONS; it++) {
            java.util.Arrays.fill(g, 0);
            for (int i = 0; i < n; i++) {
                int row = i * f;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    double s = w[k * stride + f];
                    for (int j = 0; j < f; j++) {
                        s += w[k * stride + j] * xs[row + j];
                    }
                    z[k] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) {
                    z[k] = Math.exp(z[k] - max);
                    sum += z[k];
                }
                for (int k = 0; k < classes; k++) {
                    double d = (z[k] / sum - (k == y[i] ? 1 : 0)) / n;
                    for (int j = 0; j < f; j++) {
                        g[k * stride + j] += d * xs[row + j];
                    }
                    g[k * stride + f] += d;
                }
            }
            double c1 = 1 - Math.pow(b1, it);
            double c2 = 1 - Math.pow(b2, it);
            for (int q = 0; q < w.length; q++) {
                double grad = g[q] + (q % stride == f ? 0 : LAMBDA * w[q]);
                m1[q] = b1 * m1[q] + (1 - b1) * grad;
                m2[q] = b2 * m2[q] + (1 - b2) * grad * grad;
                w[q] -= RATE * (m1[q] / c1) / (Math.sqrt(m2[q] / c2) + 1e-8);
            }
        }
        float[] weights = new float[classes * f];
        float[] bias = new float[classes];
        for (int k = 0; k < classes; k++) {
            double b = w[k * stride + f];
            for (int j = 0; j < f; j++) {
                double v = w[k * stride + j] / sd[j];
                weights[k * f + j] = (float) v;
                b -= v * mu[j];
            }
            bias[k] = (float) b;
        }
        return new ExitProbe(tensor, shape, grid, weights, bias);
    }
}
