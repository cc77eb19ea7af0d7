package org.dyve.model;

/**
 * Per-sample shape of a tensor, channels x height x width (NCHW without N). A vector of length n is
 * {@code n x 1 x 1}.
 */
public record Shape(int c, int h, int w) {
    public Shape {
        if (c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("shape must be positive, found " + c + "x" + h + "x" + w);
        }
    }

    /** Number of elements per sample. */
    public int size() {
        return c * h * w;
    }

    /** Spatial size per channel. */
    public int plane() {
        return h * w;
    }

    @Override
    public String toString() {
        return c + "x" + h + "x" + w;
    }
}
