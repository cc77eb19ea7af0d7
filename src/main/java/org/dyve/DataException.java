package org.dyve;

/** An input data set, image or data specification cannot be read or does not fit the model. */
public class DataException extends DyveException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
