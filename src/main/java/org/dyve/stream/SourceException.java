package org.dyve.stream;

import org.dyve.DyveException;

/** A frame source cannot be opened or read (missing file, not a video, unreachable camera, bad spec). */
public class SourceException extends DyveException {
    public SourceException(String message) {
        super(message);
    }
}
