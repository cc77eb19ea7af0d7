package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Convolution;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Convolution as im2col + one SGEMM per sample and group, for the cases libnd4j's oneDNN helper gets wrong
 * (dilation > 1). The column matrix and GEMM output are preallocated.
 */
final class Im2colConvKernel implements Kernel {
    private final Convolution conv;
    private final Shape is;
    private final Shape os;
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final float[] src;
    private final float[] col;
    private final float[] res;
    private final float[] bias;
    private final INDArray[] weights;
    private final INDArray colArr;
    private final FloatBuffer colView;
    private final INDArray resArr;
    private final FloatBuffer resView;

    Im2colConvKernel(Convolution c, Shape is, Shape os, INDArray in, INDArray out) {
        this.conv = c;
        this.is = is;
        this.os = os;
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        int g = c.group();
        int cin = is.c() / g;
        int cout = c.numOutput() / g;
        int k = cin * c.window().kh() * c.window().kw();
        int p = os.plane();
        src = new float[is.size()];
        col = new float[k * p];
        res = new float[cout * p];
        bias = c.bias() == null ? new float[c.numOutput()] : c.bias().data();
        weights = new INDArray[g];
        float[] w = c.weight().data();
        for (int i = 0; i < g; i++) {
            float[] wg = new float[cout * k];
            System.arraycopy(w, i * cout * k, wg, 0, wg.length);
            weights[i] = Nd4j.create(wg, new long[] {cout, k}, DataType.FLOAT);
        }
        colArr = Nd4j.create(DataType.FLOAT, k, p);
        colView = Buffers.view(colArr);
        resArr = Nd4j.create(DataType.FLOAT, cout, p);
        resView = Buffers.view(resArr);
    }

    @Override
    public void run(int n) {
        Window w = conv.window();
        int g = conv.group();
        int cin = is.c() / g;
        int cout = conv.numOutput() / g;
        int p = os.plane();
        for (int s = 0; s < n; s++) {
            in.get(s * src.length, src);
            for (int gi = 0; gi < g; gi++) {
                im2col(src, gi * cin, cin, is, os, w, conv.dilationH(), conv.dilationW(), col);
                colView.put(0, col);
                Nd4j.gemm(weights[gi], colArr, resArr, false, false, 1.0, 0.0);
                resView.get(0, res);
                for (int o = 0; o < cout; o++) {
                    float b = bias[gi * cout + o];
                    for (int i = o * p, e = i + p; i < e; i++) {
                        res[i] += b;
                    }
                }
                out.put((s * conv.numOutput() + gi * cout) * p, res);
            }
        }
    }

    /**
     * Fills {@code col} ({@code channels*kh*kw} rows x output positions) with the input patches of channels
     * {@code [c0, c0 + channels)}; positions in the padding read 0.
     */
    static void im2col(float[] src, int c0, int channels, Shape is, Shape os, Window w, int dh, int dw,
            float[] col) {
        int oh = os.h();
        int ow = os.w();
        int p = oh * ow;
        int row = 0;
        for (int c = c0; c < c0 + channels; c++) {
            int base = c * is.plane();
            for (int ky = 0; ky < w.kh(); ky++) {
                for (int kx = 0; kx < w.kw(); kx++, row++) {
                    int at = row * p;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * w.strideH() - w.padH() + ky * dh;
                        if (iy < 0 || iy >= is.h()) {
                            java.util.Arrays.fill(col, at + y * ow, at + (y + 1) * ow, 0f);
                            continue;
                        }
                        int srow = base + iy * is.w();
                        for (int x = 0; x < ow; x++) {
                            int ix = x * w.strideW() - w.padW() + kx * dw;
                            col[at + y * ow + x] = ix >= 0 && ix < is.w() ? src[srow + ix] : 0f;
                        }
                    }
                }
            }
        }
    }
}
