package org.dyve.model;

import java.util.List;

/** Passes its input through unchanged (Dropout at inference, ONNX Identity). */
public record Identity(String name, String input, String output) implements Layer {
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
