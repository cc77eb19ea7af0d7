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
            float a = lrn.alpha() / lrn.size();
            for (int c = 0; c < s.c(); c++) {
                int lo = Math.max(0, c - half);
                int hi = Math.min(s.c() - 1, c + half);
                for (int p = 0; p < plane; p++) {
                    float sum = 0;
                    for (int k = lo; k <= hi; k++) {
                        float v = src[k * plane + p];
                        sum += v * v;
                    }
                    scale[c * plane + p] = lrn.k() + a * sum;
                }
            }
        } else {
            float a = lrn.alpha() / (lrn.size() * lrn.size());
            int h = s.h();
            int w = s.w();
            for (int c = 0; c < s.c(); c++) {
                int b = c * plane;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float sum = 0;
                        for (int i = Math.max(0, y - half); i <= Math.min(h - 1, y + half); i++) {
                            for (int j = Math.max(0, x - half); j <= Math.min(w - 1, x + half); j++) {
                                float v = src[b + i * w + j];
                                sum += v * v;
                            }
                        }
                        scale[b + y * w + x] = 1f + a * sum;
                    }
                }
            }
        }
        if (lrn.beta() == 0.75f) {
            // s^0.75 = sqrt(s) * sqrt(sqrt(s)): two intrinsic square roots instead of a pow per element
            for (int i = 0; i < src.length; i++) {
                double sq = Math.sqrt(scale[i]);
                dst[i] = (float) (src[i] / (sq * Math.sqrt(sq)));
            }
            return;
        }
        double nb = -lrn.beta();
        for (int i = 0; i < src.length; i++) {
            dst[i] = (float) (src[i] * Math.pow(scale[i], nb));
        }
    }
}
