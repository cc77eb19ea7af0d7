package org.dyve.engine;

import org.dyve.model.Pooling;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Max / average pooling with Caffe's window clipping and divisor rules, in plain Java. */
final class PoolKernel extends PerSampleKernel {
    private final Shape is;
    private final Shape os;
    private final Window w;
    private final boolean max;
    private final boolean excludePad;

    PoolKernel(Pooling p, Shape inShape, Shape outShape, INDArray in, INDArray out) {
        super(inShape, outShape, in, out);
        this.is = inShape;
        this.os = outShape;
        this.w = p.windowFor(inShape);
        this.max = p.mode() == Pooling.Mode.MAX;
        this.excludePad = p.excludePad();
    }

    @Override
    void apply(float[] src, float[] dst) {
        if (max) {
            max(src, dst, is, os, w);
        } else {
            average(src, dst, is, os, w, excludePad);
        }
    }

    /**
     * Max pooling, output row by output row with the window offsets outermost: the inner loop runs over output
     * columns, whose maxima are independent, instead of one comparison chain per output.
     */
    static void max(float[] src, float[] dst, Shape is, Shape os, Window w) {
        int ih = is.h();
        int iw = is.w();
        int oh = os.h();
        int ow = os.w();
        int sw = w.strideW();
        for (int c = 0; c < is.c(); c++) {
            int ib = c * ih * iw;
            int ob = c * oh * ow;
            for (int y = 0; y < oh; y++) {
                int out = ob + y * ow;
                java.util.Arrays.fill(dst, out, out + ow, Float.NEGATIVE_INFINITY);
                int h0 = y * w.strideH() - w.padH();
                for (int i = Math.max(h0, 0), he = Math.min(h0 + w.kh(), ih); i < he; i++) {
                    int row = ib + i * iw - w.padW();
                    for (int j = 0; j < w.kw(); j++) {
                        // output columns whose window column j lies inside the input: 0 <= x*sw - padW + j < iw
                        int xa = Math.max(0, (w.padW() - j + sw - 1) / sw);
                        int xb = Math.min(ow, (iw - 1 + w.padW() - j) / sw + 1);
                        for (int x = xa, at = row + j + xa * sw; x < xb; x++, at += sw) {
                            dst[out + x] = Math.max(dst[out + x], src[at]);
                        }
                    }
                }
            }
        }
    }

    /** Average pooling of one sample {@code src} (C x H x W) into {@code dst}, Caffe's divisor rules. */
    static void average(float[] src, float[] dst, Shape is, Shape os, Window w, boolean excludePad) {
        int ih = is.h();
        int iw = is.w();
        int oh = os.h();
        int ow = os.w();
        for (int c = 0; c < is.c(); c++) {
            int ib = c * ih * iw;
            int ob = c * oh * ow;
            for (int y = 0; y < oh; y++) {
                int h0 = y * w.strideH() - w.padH();
                int h1 = Math.min(h0 + w.kh(), ih + w.padH());
                int hs = Math.max(h0, 0);
                int he = Math.min(h1, ih);
                for (int x = 0; x < ow; x++) {
                    int w0 = x * w.strideW() - w.padW();
                    int w1 = Math.min(w0 + w.kw(), iw + w.padW());
                    int ws = Math.max(w0, 0);
                    int we = Math.min(w1, iw);
                    float sum = 0;
                    for (int i = hs; i < he; i++) {
                        int row = ib + i * iw;
                        for (int j = ws; j < we; j++) {
                            sum += src[row + j];
                        }
                    }
                    int area = excludePad ? (he - hs) * (we - ws) : (h1 - h0) * (w1 - w0);
                    dst[ob + y * ow + x] = sum / area;
                }
            }
        }
    }
}
