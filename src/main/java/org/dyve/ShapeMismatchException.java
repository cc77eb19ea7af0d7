package org.dyve;

/** Tensor shapes do not agree: weights vs the network definition, or an input vs the model. */
public class ShapeMismatchException extends DyveException {
    public ShapeMismatchException(String message) {
        super(message);
    }
}
