package org.dyve;

/** A model file (network definition, weights, mean image, descriptor) is missing, truncated or corrupt. */
public class ModelFormatException extends DyveException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
