package org.dyve.model;

import java.util.List;

/** Passes its input through unchanged (Dropout at inference, ONNX Identity). */
public record Identity(String name, String input, String output) implements SingleInput {
    @Override
    public Shape outputShape(List<Shape> in) {
        return in.get(0);
    }

    @Override
    public boolean inPlace() {
        return true;
    }
}
