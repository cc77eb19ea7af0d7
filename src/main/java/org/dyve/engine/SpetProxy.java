package org.dyve.engine;

import java.util.Arrays;

/**
 * SPET's data-aware predictor for one convolution: its pre-activations {@code y = W x + b} (one value per
 * output channel at a position) projected on their top {@code rank} principal directions {@code U}, measured
 * on calibration data. The kernel computes {@code z = (U^T W) x} ({@code rank} dot products per position
 * instead of one per channel) and predicts {@code y_hat = offset + U z}; a neuron whose prediction is below
 * SPET's threshold times its residual {@code sigma} is taken as saturated by the ReLU and not computed.
 *
 * @param rank number of principal directions
 * @param basis {@code U}, {@code cout x rank}, row-major
 * @param offset {@code mean + U U^T (b - mean)}, per output channel: the prediction at {@code z = 0}
 * @param sigma per output channel, the standard deviation of {@code y - y_hat} on the calibration data
 */
public record SpetProxy(int rank, float[] basis, float[] offset, float[] sigma) {

    public SpetProxy {
        int cout = offset.length;
        if (rank < 1 || basis.length != cout * rank || sigma.length != cout) {
            throw new IllegalArgumentException("SPET proxy: a rank-" + rank + " basis over " + cout
                    + " channels needs " + cout * rank + " basis values and " + cout + " sigmas, found "
                    + basis.length + " and " + sigma.length);
        }
    }

    /** Output channels the proxy predicts. */
    public int channels() {
        return offset.length;
    }

    /** Equal values, not the same arrays (a proxy read back from its file equals the one written). */
    @Override
    public boolean equals(Object o) {
        return o instanceof SpetProxy q && rank == q.rank && Arrays.equals(basis, q.basis)
                && Arrays.equals(offset, q.offset) && Arrays.equals(sigma, q.sigma);
    }

    @Override
    public int hashCode() {
        return rank * 31 + Arrays.hashCode(basis);
    }

    @Override
    public String toString() {
        return "SpetProxy[rank " + rank + ", " + channels() + " channels]";
    }
}
