package org.dyve.model;

import java.util.List;

/** Rectified linear unit; {@code negativeSlope} gives Caffe's leaky variant (0 for plain ReLU). */
public record Relu(String name, String input, String output, float negativeSlope) implements Layer {
    @Override
    public List<String> inputs() {
        return List.of(input);
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        return in.get(0);
    }

    @Override
    public boolean inPlace() {
        return true;
    }
}
