package org.dyve.data;

/**
 * Separable antialiased bilinear resampling (a triangle filter whose support widens with the downscale
 * factor, as PIL's BILINEAR does), so downscaled images do not alias.
 */
final class Resampler {
    private Resampler() {
    }

    static Image resize(Image src, int outH, int outW) {
        int c = src.channels();
        int ih = src.height();
        int iw = src.width();
        float[] tmp = new float[c * ih * outW];
        Filter fx = new Filter(iw, outW);
        Filter fy = new Filter(ih, outH);
        float[] s = src.data();
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < ih; y++) {
                int row = (ch * ih + y) * iw;
                int trow = (ch * ih + y) * outW;
                for (int x = 0; x < outW; x++) {
                    float acc = 0;
                    for (int k = 0; k < fx.len[x]; k++) {
                        acc += s[row + fx.start[x] + k] * fx.weights[x * fx.max + k];
                    }
                    tmp[trow + x] = acc;
                }
            }
        }
        float[] out = new float[c * outH * outW];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < outH; y++) {
                int orow = (ch * outH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    float acc = 0;
                    for (int k = 0; k < fy.len[y]; k++) {
                        acc += tmp[(ch * ih + fy.start[y] + k) * outW + x] * fy.weights[y * fy.max + k];
                    }
                    out[orow + x] = Math.min(255f, Math.max(0f, acc));
                }
            }
        }
        return new Image(c, outH, outW, out);
    }

    /** Per output position: first input index, tap count and normalised triangle weights. */
    private static final class Filter {
        final int[] start;
        final int[] len;
        final float[] weights;
        final int max;

        Filter(int in, int out) {
            double scale = (double) in / out;
            double support = Math.max(1.0, scale);
            max = (int) Math.ceil(support) * 2 + 1;
            start = new int[out];
            len = new int[out];
            weights = new float[out * max];
            for (int o = 0; o < out; o++) {
                double center = (o + 0.5) * scale;
                int lo = Math.max(0, (int) Math.floor(center - support));
                int hi = Math.min(in, (int) Math.ceil(center + support));
                double sum = 0;
                int n = 0;
                double[] w = new double[hi - lo];
                for (int i = lo; i < hi; i++) {
                    double t = Math.abs((i + 0.5 - center) / support);
                    w[i - lo] = t < 1 ? 1 - t : 0;
                    sum += w[i - lo];
                }
                int first = -1;
                for (int i = 0; i < w.length; i++) {
                    if (w[i] > 0) {
                        if (first < 0) {
                            first = i;
                        }
                        n = i - first + 1;
                    }
                }
                if (first < 0) {
                    first = Math.min(Math.max(0, (int) center - lo), w.length - 1);
                    w[first] = 1;
                    sum = 1;
                    n = 1;
                }
                n = Math.min(n, max);
                start[o] = lo + first;
                len[o] = n;
                for (int k = 0; k < n; k++) {
                    weights[o * max + k] = (float) (w[first + k] / sum);
                }
            }
        }
    }
}
