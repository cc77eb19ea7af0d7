package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * Rectified linear unit; {@code negativeSlope} gives Caffe's leaky variant (0 for plain ReLU), a finite {@code max}
 * a bounded one (ReLU6, ONNX's {@code Clip(0, max)}: {@code min(max(x, 0), max)}).
 *
 * @param max the upper bound, {@link Float#POSITIVE_INFINITY} for none
 */
public record Relu(String name, String input, String output, float negativeSlope, float max) implements SingleInput {
    public Relu {
        if (!(max > 0)) {
            throw new ShapeMismatchException(name + ": a ReLU's upper bound must be positive, found " + max);
        }
        if (max != Float.POSITIVE_INFINITY && negativeSlope != 0f) {
            throw new ShapeMismatchException(name + ": a bounded ReLU has no negative slope");
        }
    }

    /** An unbounded ReLU. */
    public Relu(String name, String input, String output, float negativeSlope) {
        this(name, input, output, negativeSlope, Float.POSITIVE_INFINITY);
    }

    /** Whether it is a plain ReLU: no negative slope, no upper bound. */
    public boolean plain() {
        return negativeSlope == 0f && max == Float.POSITIVE_INFINITY;
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
