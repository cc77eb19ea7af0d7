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
    private final int[][] groupChannels;
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
        bias = c.biasValues();
        groupChannels = new int[g][cin];
        for (int i = 0; i < g; i++) {
            for (int ch = 0; ch < cin; ch++) {
                groupChannels[i][ch] = i * cin + ch;
            }
        }
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
                im2col(src, groupChannels[gi], cin, is, os, w, conv.dilationH(), conv.dilationW(), 1, col);
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
     * Fills {@code into} (row-major: one row per {@code (channel, ky, kx)}, one column per output position
     * {@code (y, x)} with {@code y % step == 0 && x % step == 0}) with the input patches of the channels
     * {@code channels[0..m)}; positions in the padding read 0.
     */
    static void im2col(float[] src, int[] channels, int m, Shape is, Shape os, Window w, int dh, int dw, int step,
            float[] into) {
        int ih = is.h();
        int iw = is.w();
        int sy = w.strideH() * step;
        int sx = w.strideW() * step;
        int ny = (os.h() + step - 1) / step;
        int nx = (os.w() + step - 1) / step;
        int n = ny * nx;
        int at = 0;
        for (int q = 0; q < m; q++) {
            int base = channels[q] * is.plane();
            for (int ky = 0; ky < w.kh(); ky++) {
                for (int kx = 0; kx < w.kw(); kx++, at += n) {
                    int ix0 = kx * dw - w.padW();
                    // columns whose input x is inside: ix0 + j * sx in [0, iw)
                    int jlo = ix0 >= 0 ? 0 : (-ix0 + sx - 1) / sx;
                    int jhi = Math.min(nx, iw - ix0 <= 0 ? 0 : (iw - ix0 + sx - 1) / sx);
                    for (int j = 0; j < ny; j++) {
                        int iy = j * sy + ky * dh - w.padH();
                        int o = at + j * nx;
                        if (iy < 0 || iy >= ih || jlo >= jhi) {
                            Arrays.fill(into, o, o + nx, 0f);
                            continue;
                        }
                        Arrays.fill(into, o, o + jlo, 0f);
                        int r = base + iy * iw + ix0;
                        if (sx == 1) {
                            System.arraycopy(src, r + jlo, into, o + jlo, jhi - jlo);
                        } else {
                            for (int i = jlo; i < jhi; i++) {
                                into[o + i] = src[r + i * sx];
                            }
                        }
                        Arrays.fill(into, o + jhi, o + nx, 0f);
                    }
                }
            }
        }
    }
}
