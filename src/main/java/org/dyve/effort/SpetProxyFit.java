package org.dyve.effort;

import java.util.ArrayList;
import java.util.List;
import org.dyve.engine.SpetProxy;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.eigen.Eigen;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Fits SPET's low-rank predictors of a convolution's output channels from sampled dense pre-activations: the top
 * principal directions of the output-channel vectors, and each channel's residual spread around the prediction.
 */
final class SpetProxyFit {
    private SpetProxyFit() {
    }

    /**
     * The predictors for ranks {@code cout / d} (at least 2) with {@code d} in {@link #DIVISORS}, from {@code row}
     * sampled output positions of {@code cout = bias.length} channels ({@code y}, row-major).
     */
    static List<SpetProxy> fit(float[] y, int row, float[] bias) {
        int cout = bias.length;
        INDArray ya = Nd4j.create(y, new long[] {row, cout}, DataType.FLOAT);
        INDArray mean = ya.mean(0);
        INDArray centred = ya.subRowVector(mean);
        INDArray cov = centred.transpose().mmul(centred).divi(row);
        // eigenvalues ascending; cov becomes the eigenvectors (columns)
        INDArray lambda = Eigen.symmetricGeneralizedEigenvalues(cov, true);
        float[][] v = cov.toFloatMatrix();
        double[] l = lambda.toDoubleVector();
        float[] mu = mean.toFloatVector();
        List<SpetProxy> fitted = new ArrayList<>();
        for (int d : DIVISORS) {
            int rank = Math.min(cout, Math.max(2, (cout + d - 1) / d));
            if (fitted.isEmpty() || fitted.get(fitted.size() - 1).rank() != rank) {
                fitted.add(proxy(rank, v, l, mu, bias));
            }
        }
        return fitted;
    }

    /** Ranks of the fitted predictors: output channels / these. */
    static final int[] DIVISORS = {16, 8};

    /** The rank-{@code rank} predictor from the eigenvectors {@code v} (columns, ascending eigenvalues {@code l}). */
    private static SpetProxy proxy(int rank, float[][] v, double[] l, float[] mu, float[] bias) {
        int cout = mu.length;
        float[] basis = new float[cout * rank];
        double[] resid = new double[cout];
        for (int i = 0; i < cout; i++) {
            int top = i - (cout - rank);
            for (int o = 0; o < cout; o++) {
                if (top >= 0) {
                    basis[o * rank + top] = v[o][i];
                } else {
                    resid[o] += Math.max(0, l[i]) * v[o][i] * v[o][i];
                }
            }
        }
        double[] proj = new double[rank];
        for (int q = 0; q < rank; q++) {
            for (int o = 0; o < cout; o++) {
                proj[q] += basis[o * rank + q] * (bias[o] - mu[o]);
            }
        }
        float[] offset = new float[cout];
        float[] sigma = new float[cout];
        for (int o = 0; o < cout; o++) {
            double x = mu[o];
            for (int q = 0; q < rank; q++) {
                x += basis[o * rank + q] * proj[q];
            }
            offset[o] = (float) x;
            sigma[o] = (float) Math.sqrt(resid[o]);
        }
        return new SpetProxy(rank, basis, offset, sigma);
    }
}
