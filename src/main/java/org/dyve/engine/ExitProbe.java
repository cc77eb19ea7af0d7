package org.dyve.engine;

import java.util.Arrays;
import org.dyve.model.Shape;

/**
 * A linear classifier on an intermediate activation (a "probe"), fitted on calibration data while the network
 * stays as it is: the activation is averaged over a {@code grid x grid} partition of each channel's plane, and
 * {@code scores = weights * features + bias}. Confidence early exit answers with the probe when its softmax
 * maximum reaches a threshold and skips the rest of the network.
 *
 * @param tensor the activation it reads
 * @param shape that activation's per-sample shape
 * @param grid cells per side of the spatial average pooling, in [1, min(h, w)]
 * @param weights {@code classes x features}, row-major, {@code features = c * grid * grid}
 * @param bias one per class
 */
public record ExitProbe(String tensor, Shape shape, int grid, float[] weights, float[] bias) {

    public ExitProbe {
        if (grid < 1 || grid > Math.min(shape.h(), shape.w())) {
            throw new IllegalArgumentException(tensor + ": probe grid " + grid + " outside 1.." + Math.min(shape.h(),
                    shape.w()));
        }
        if (bias.length == 0 || weights.length != bias.length * features(shape, grid)) {
            throw new IllegalArgumentException(tensor + ": probe weights shape mismatch (expected " + bias.length
                    + "x" + features(shape, grid) + " values, found " + weights.length + ")");
        }
    }

    /** Number of features a probe with this grid reads from an activation of this shape. */
    public static int features(Shape shape, int grid) {
        return shape.c() * grid * grid;
    }

    /** Number of features. */
    public int features() {
        return features(shape, grid);
    }

    /** Number of classes. */
    public int classes() {
        return bias.length;
    }

    /** MACs of one evaluation (the linear map; pooling and softmax are {@link #overheadOps}). */
    public long macs() {
        return (long) weights.length;
    }

    /** Scalar operations besides the MACs: one add per activation value, softmax and compare per class. */
    public long overheadOps() {
        return shape.size() + 4L * classes();
    }

    /**
     * Averages one sample's activation ({@code values[offset ..]}, CHW) into {@code features}: cell
     * {@code (gy, gx)} of channel {@code c} covers rows {@code [gy*h/grid, (gy+1)*h/grid)} and likewise columns.
     */
    public void features(float[] values, int offset, float[] features) {
        features(values, offset, shape, grid, features);
    }

    /** {@link #features(float[], int, float[])} with {@code row} (at least the activation's width) as scratch. */
    public void features(float[] values, int offset, float[] features, float[] row) {
        features(values, offset, shape, grid, features, row);
    }

    /** {@link #features(float[], int, float[])} for any shape and grid. */
    public static void features(float[] values, int offset, Shape shape, int grid, float[] features) {
        features(values, offset, shape, grid, features, new float[shape.w()]);
    }

    /**
     * {@link #features(float[], int, Shape, int, float[])} with {@code row} as scratch: each band of cells sums its
     * rows into {@code row} first (whole rows, unit stride: vectorised), then each cell its columns of it.
     */
    public static void features(float[] values, int offset, Shape shape, int grid, float[] features, float[] row) {
        int h = shape.h();
        int w = shape.w();
        for (int c = 0; c < shape.c(); c++) {
            int fc = c * grid * grid;
            for (int gy = 0; gy < grid; gy++) {
                int y0 = gy * h / grid;
                int y1 = (gy + 1) * h / grid;
                int first = offset + (c * h + y0) * w;
                System.arraycopy(values, first, row, 0, w);
                for (int y = y0 + 1; y < y1; y++) {
                    int r = offset + (c * h + y) * w;
                    for (int x = 0; x < w; x++) {
                        row[x] += values[r + x];
                    }
                }
                for (int gx = 0; gx < grid; gx++) {
                    int x0 = gx * w / grid;
                    int x1 = (gx + 1) * w / grid;
                    float s = 0f;
                    for (int x = x0; x < x1; x++) {
                        s += row[x];
                    }
                    features[fc + gy * grid + gx] = s / ((y1 - y0) * (x1 - x0));
                }
            }
        }
    }

    /**
     * Softmax probabilities of the classes for {@code features} into {@code probs}; returns the index of the
     * most probable class.
     */
    public int probabilities(float[] features, float[] probs) {
        int f = features();
        for (int k = 0; k < classes(); k++) {
            probs[k] = bias[k] + Dot.dot(weights, k * f, features, 0, f);
        }
        return softmax(probs, classes());
    }

    /** Turns the first {@code classes} scores in {@code p} into softmax probabilities; returns the most probable. */
    static int softmax(float[] p, int classes) {
        float max = Float.NEGATIVE_INFINITY;
        int best = 0;
        for (int k = 0; k < classes; k++) {
            if (p[k] > max) {
                max = p[k];
                best = k;
            }
        }
        float sum = 0f;
        for (int k = 0; k < classes; k++) {
            p[k] = (float) Math.exp(p[k] - max);
            sum += p[k];
        }
        for (int k = 0; k < classes; k++) {
            p[k] /= sum;
        }
        return best;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExitProbe e && tensor.equals(e.tensor) && shape.equals(e.shape) && grid == e.grid
                && Arrays.equals(weights, e.weights) && Arrays.equals(bias, e.bias);
    }

    @Override
    public int hashCode() {
        return tensor.hashCode() * 31 + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "ExitProbe[" + tensor + ", grid " + grid + ", " + classes() + "x" + features() + "]";
    }
}
