package org.dyve.model;

import java.util.List;

/** Softmax over the channel axis, independently at each spatial position (Caffe axis 1). */
public record Softmax(String name, String input, String output) implements SingleInput {
    @Override
    public Shape outputShape(List<Shape> in) {
        return in.get(0);
    }
}
