package org.dyve.model;

import java.util.Arrays;

/**
 * A dense float parameter tensor (weights, biases, statistics), row-major. The array is owned by the
 * tensor; callers must not modify it.
 */
public record Tensor(int[] shape, float[] data) {
    public Tensor {
        shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(
                    "tensor shape " + Arrays.toString(shape) + " needs " + n + " values, found " + data.length);
        }
    }

    /** Number of elements. */
    public int size() {
        return data.length;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code i}. */
    public int dim(int i) {
        return shape[i];
    }

    /** Number of dimensions. */
    public int rank() {
        return shape.length;
    }

    /** The shape as {@code AxBxC}. */
    public String shapeString() {
        return shapeString(shape);
    }

    /** A shape as {@code AxBxC}. */
    public static String shapeString(int[] shape) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            b.append(i == 0 ? "" : "x").append(shape[i]);
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor[" + shapeString() + "]";
    }
}
