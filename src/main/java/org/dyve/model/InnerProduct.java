package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * Fully connected layer: flattens its input C x H x W (row-major) to K values and computes
 * {@code y = W x + b} with {@code W} of shape {@code numOutput x K}.
 *
 * @param bias may be null
 */
public record InnerProduct(String name, String input, String output, int numOutput, Tensor weight, Tensor bias)
        implements SingleInput {
    public InnerProduct {
        if (weight.rank() != 2 || weight.dim(0) != numOutput) {
            throw new ShapeMismatchException(name + ": weight shape mismatch (expected " + numOutput + "xK, found "
                    + weight.shapeString() + ")");
        }
        if (bias != null && bias.size() != numOutput) {
            throw new ShapeMismatchException(name + ": bias shape mismatch (expected " + numOutput + ", found "
                    + bias.shapeString() + ")");
        }
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        if (in.get(0).size() != weight.dim(1)) {
            throw new ShapeMismatchException(name + ": weight shape mismatch (expected " + numOutput + "x"
                    + in.get(0).size() + " for input " + in.get(0) + ", found " + weight.shapeString() + ")");
        }
        return new Shape(numOutput, 1, 1);
    }

    @Override
    public long macs(List<Shape> in, Shape out) {
        return (long) numOutput * weight.dim(1);
    }

    @Override
    public long parameters() {
        return weight.size() + (bias == null ? 0 : bias.size());
    }
}
