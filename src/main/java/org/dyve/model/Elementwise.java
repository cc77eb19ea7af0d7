package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * An element-wise binary operation: of two equally shaped tensors (or a second one with one value per channel), or
 * of one tensor and a constant that is a scalar, one value per channel, or a whole C x H x W tensor. With
 * {@code constantFirst} the constant is the left operand ({@code c - x}, {@code c / x}).
 *
 * @param constant null when {@code inputs} holds two tensors
 */
public record Elementwise(String name, List<String> inputs, String output, Op op, Tensor constant,
        boolean constantFirst) implements Layer {

    /** The operation. */
    public enum Op { ADD, SUB, MUL, DIV, POW, MAX, MIN }

    public Elementwise {
        inputs = List.copyOf(inputs);
        if (inputs.size() != (constant == null ? 2 : 1)) {
            throw new ShapeMismatchException(name + ": expected " + (constant == null ? 2 : 1) + " input tensors, found "
                    + inputs.size());
        }
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        Shape s = in.get(0);
        if (constant == null) {
            Shape t = in.get(1);
            // the second operand may be one value per channel (squeeze-and-excitation's scale)
            boolean perChannel = t.c() == s.c() && t.h() == 1 && t.w() == 1;
            if (!t.equals(s) && !perChannel) {
                throw new ShapeMismatchException(name + ": operands differ in shape (expected " + s + " or "
                        + s.c() + "x1x1, found " + t + ")");
            }
        } else if (constant.size() != 1 && constant.size() != s.c() && constant.size() != s.size()) {
            throw new ShapeMismatchException(name + ": constant of " + constant.size() + " values does not broadcast"
                    + " to " + s + " (expected 1, " + s.c() + " or " + s.size() + ")");
        }
        return s;
    }
}
