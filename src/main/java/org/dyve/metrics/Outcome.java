package org.dyve.metrics;

import java.util.Locale;

/** What happened to one frame: every frame a source produces ends in exactly one of these. */
public enum Outcome {
    /** The network ran on it to the last layer. */
    COMPUTED,
    /** The previous result was reused (the frame hardly changed). */
    REUSED,
    /** The network ran on it and it left at an early exit. */
    EARLY_EXIT,
    /** Never processed; the {@link DropReason} says why. */
    DROPPED,
    /** The frame could not be decoded or preprocessed. */
    ERROR;

    /** Lower-case name as written to JSON lines and metric labels ({@code early-exit}). */
    public String wire() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Whether the frame has a result (computed, reused or early exit). */
    public boolean answered() {
        return this == COMPUTED || this == REUSED || this == EARLY_EXIT;
    }

    /** Whether the network ran on the frame (computed or early exit). */
    public boolean ran() {
        return this == COMPUTED || this == EARLY_EXIT;
    }
}
