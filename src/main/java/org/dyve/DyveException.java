package org.dyve;

/**
 * Root of every error DyVE reports to a user. The message is one line that names the file or
 * input at fault and the problem, in the form {@code <what>: <problem> (expected X, found Y)}; the
 * CLI prints it as is, without a stack trace.
 */
public class DyveException extends RuntimeException {
    public DyveException(String message) {
        super(message);
    }

    public DyveException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The first line of an exception's message, or its class name: for the "(reason)" part of a message. */
    public static String reason(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
