package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/** Concatenation along the channel axis. */
public record Concat(String name, List<String> inputs, String output) implements Layer {
    public Concat {
        inputs = List.copyOf(inputs);
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        int c = 0;
        for (Shape s : in) {
            if (s.h() != in.get(0).h() || s.w() != in.get(0).w()) {
                throw new ShapeMismatchException(name + ": concat inputs differ in spatial size (expected "
                        + in.get(0).h() + "x" + in.get(0).w() + ", found " + s.h() + "x" + s.w() + ")");
            }
            c += s.c();
        }
        return new Shape(c, in.get(0).h(), in.get(0).w());
    }
}
