package org.dyve.engine;

import org.dyve.model.Lrn;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Local response normalisation with Caffe's arithmetic, both regions, in plain Java. */
final class LrnKernel extends PerSampleKernel {
    private final Lrn lrn;
    private final Shape s;
    private final float[] scale;

    LrnKernel(Lrn lrn, Shape s, INDArray in, INDArray out) {
        super(s, s, in, out);
        this.lrn = lrn;
        this.s = s;
        scale = new float[s.size()];
    }

    @Override
    void apply(float[] src, float[] dst) {
        normalise(lrn, s, src, dst, scale);
    }

    /** Normalises one sample; {@code scale} is scratch of the same size. */
    static void normalise(Lrn lrn, Shape s, float[] src, float[] dst, float[] scale) {
        int plane = s.plane();
        int half = (lrn.size() - 1) / 2;
        if (lrn.region() == Lrn.Region.ACROSS_CHANNELS) {
            // channel by channel over whole planes (unit stride, vectorisable), summing k in ascending order
            float a = lrn.alpha() / lrn.size();
            java.util.Arrays.fill(scale, 0f);
            for (int c = 0; c < s.c(); c++) {
                int lo = Math.max(0, c - half);
                int hi = Math.min(s.c() - 1, c + half);
                int out = c * plane;
                for (int k = lo; k <= hi; k++) {
                    int in = k * plane;
                    for (int p = 0; p < plane; p++) {
                        float v = src[in + p];
                        scale[out + p] += v * v;
                    }
                }
                for (int p = 0; p < plane; p++) {
                    scale[out + p] = lrn.k() + a * scale[out + p];
                }
            }
        } else {
            // separable window sums of squares, each pass as a few long unit-stride loops over the whole sample
            // (planes are small: row-by-row loops cost more in loop overhead than in additions). The terms are
            // added in ascending row and column order, as a direct window sum adds them.
            float a = lrn.alpha() / (lrn.size() * lrn.size());
            int h = s.h();
            int w = s.w();
            int n = src.length;
            for (int i = 0; i < n; i++) {
                scale[i] = src[i] * src[i];
            }
            // along rows into dst (scratch): shifted copies of all rows at once, then the columns within half of a
            // row's ends, where a shift reaches into the neighbouring row, summed directly
            java.util.Arrays.fill(dst, 0f);
            for (int d = -half; d <= half; d++) {
                for (int i = Math.max(0, -d), e = Math.min(n, n - d); i < e; i++) {
                    dst[i] += scale[i + d];
                }
            }
            for (int row = 0; row < n; row += w) {
                for (int x = 0; x < w; x++) {
                    if (x == half && w - half > half) {
                        x = w - half;
                    }
                    float sum = 0;
                    for (int j = Math.max(0, x - half), e = Math.min(w - 1, x + half); j <= e; j++) {
                        sum += scale[row + j];
                    }
                    dst[row + x] = sum;
                }
            }
            // down columns into scale: per channel, shifted copies of the plane's valid rows
            java.util.Arrays.fill(scale, 0f);
            for (int c = 0; c < s.c(); c++) {
                int b = c * plane;
                for (int d = -half; d <= half; d++) {
                    for (int i = b + Math.max(0, -d) * w, e = b + Math.min(h, h - d) * w; i < e; i++) {
                        scale[i] += dst[i + d * w];
                    }
                }
            }
            for (int i = 0; i < n; i++) {
                scale[i] = 1f + a * scale[i];
            }
        }
        if (lrn.beta() == 0.75f) {
            // s^0.75 = sqrt(s) * sqrt(sqrt(s)): two intrinsic square roots instead of a pow per element
            // in float: the JIT turns (float) Math.sqrt(float) into vector square roots
            for (int i = 0; i < src.length; i++) {
                float sq = (float) Math.sqrt(scale[i]);
                dst[i] = src[i] / (sq * (float) Math.sqrt(sq));
            }
            return;
        }
        double nb = -lrn.beta();
        for (int i = 0; i < src.length; i++) {
            dst[i] = (float) (src[i] * Math.pow(scale[i], nb));
        }
    }
}
