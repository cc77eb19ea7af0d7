package org.dyve.model;

import java.util.List;

/**
 * Local response normalisation, Caffe semantics. ACROSS_CHANNELS:
 * {@code y = x / (k + alpha/n * sum_{n channels around c} x^2)^beta}; WITHIN_CHANNEL:
 * {@code y = x / (1 + alpha/n^2 * sum_{n x n window, zero padded} x^2)^beta}.
 */
public record Lrn(String name, String input, String output, Region region, int size, float alpha, float beta,
        float k) implements SingleInput {
    /** Normalisation neighbourhood. */
    public enum Region { ACROSS_CHANNELS, WITHIN_CHANNEL }

    public Lrn {
        if (size <= 0 || size % 2 == 0) {
            throw new org.dyve.ShapeMismatchException(name + ": LRN local_size must be odd and positive, found " + size);
        }
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        return in.get(0);
    }
}
