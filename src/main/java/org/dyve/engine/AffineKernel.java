package org.dyve.engine;

import org.dyve.model.BatchNorm;
import org.dyve.model.Layer;
import org.dyve.model.Scale;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Per-channel {@code y = a[c] x + b[c]}: inference batch normalisation and Caffe Scale, folded. */
final class AffineKernel extends PerSampleKernel {
    private final Shape s;
    private final float[] a;
    private final float[] b;

    private AffineKernel(Shape s, float[] a, float[] b, INDArray in, INDArray out) {
        super(s, s, in, out);
        this.s = s;
        this.a = a;
        this.b = b;
    }

    static AffineKernel of(BatchNorm bn, Shape s, INDArray in, INDArray out) {
        float[][] ab = coefficients(bn, s.c());
        return new AffineKernel(s, ab[0], ab[1], in, out);
    }

    static AffineKernel of(Scale sc, Shape s, INDArray in, INDArray out) {
        float[][] ab = coefficients(sc, s.c());
        return new AffineKernel(s, ab[0], ab[1], in, out);
    }

    /** {@code {a, b}} of a {@link BatchNorm} or {@link Scale} layer over {@code c} channels. */
    static float[][] coefficients(Layer l, int c) {
        float[] a = new float[c];
        float[] b = new float[c];
        if (l instanceof BatchNorm bn) {
            for (int i = 0; i < c; i++) {
                float inv = (float) (1.0 / Math.sqrt(bn.variance().data()[i] + (double) bn.epsilon()));
                float g = bn.gamma() == null ? 1f : bn.gamma().data()[i];
                a[i] = g * inv;
                b[i] = (bn.beta() == null ? 0f : bn.beta().data()[i]) - bn.mean().data()[i] * a[i];
            }
        } else if (l instanceof Scale sc) {
            System.arraycopy(sc.gamma().data(), 0, a, 0, c);
            if (sc.beta() != null) {
                System.arraycopy(sc.beta().data(), 0, b, 0, c);
            }
        } else {
            throw new IllegalArgumentException(l.name() + ": " + l.type() + " is not a per-channel affine layer");
        }
        return new float[][] {a, b};
    }

    @Override
    void apply(float[] src, float[] dst) {
        int plane = s.plane();
        for (int c = 0; c < s.c(); c++) {
            float ac = a[c];
            float bc = b[c];
            for (int p = c * plane, e = p + plane; p < e; p++) {
                dst[p] = src[p] * ac + bc;
            }
        }
    }
}
