package org.dyve.stream;

import java.util.Locale;
import org.dyve.DyveException;

/** What a live source does when the pipeline cannot keep up. */
public enum Overflow {
    /** Drop the oldest waiting frame: results stay as fresh as possible. */
    DROP_OLDEST,
    /** Drop the arriving frame. */
    DROP_NEWEST,
    /** Slow the producer down (only sensible for sources that can wait, such as files). */
    BACKPRESSURE;

    /** Parses {@code drop-oldest}, {@code drop-newest} or {@code backpressure}. */
    public static Overflow parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new DyveException("unknown overflow policy '" + s + "' (expected drop-oldest, drop-newest or"
                    + " backpressure)");
        }
    }
}
