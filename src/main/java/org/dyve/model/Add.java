package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/** Element-wise sum of inputs of equal shape (residual connections; Caffe Eltwise SUM). */
public record Add(String name, List<String> inputs, String output) implements Layer {
    public Add {
        inputs = List.copyOf(inputs);
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        for (Shape s : in) {
            if (!s.equals(in.get(0))) {
                throw new ShapeMismatchException(name + ": add inputs differ in shape (expected " + in.get(0)
                        + ", found " + s + ")");
            }
        }
        return in.get(0);
    }
}
