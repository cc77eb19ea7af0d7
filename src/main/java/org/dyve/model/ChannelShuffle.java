package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * ShuffleNet's channel shuffle: the channels seen as {@code groups} x {@code C / groups}, transposed. Output channel
 * {@code k} is input channel {@code (k % groups) * (C / groups) + k / groups}. ONNX writes it as a 5-D Reshape, a
 * Transpose and a Reshape back.
 */
public record ChannelShuffle(String name, String input, String output, int groups) implements SingleInput {
    @Override
    public Shape outputShape(List<Shape> in) {
        Shape s = in.get(0);
        if (groups < 1 || s.c() % groups != 0) {
            throw new ShapeMismatchException(name + ": " + s.c() + " channels do not split into " + groups + " groups");
        }
        return s;
    }

    /** The input channel that output channel {@code k} of {@code c} copies. */
    public int source(int k, int c) {
        return (k % groups) * (c / groups) + k / groups;
    }
}
