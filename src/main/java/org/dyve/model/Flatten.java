package org.dyve.model;

import java.util.List;

/** Reshapes C x H x W to a vector of C*H*W values (row-major); no data moves. */
public record Flatten(String name, String input, String output) implements SingleInput {
    @Override
    public Shape outputShape(List<Shape> in) {
        return new Shape(in.get(0).size(), 1, 1);
    }

    @Override
    public boolean inPlace() {
        return true;
    }
}
