package org.dyve.metrics;

import java.util.Locale;

/** Why a frame was dropped: the one list of drop reasons (README, "Frame results"). */
public enum DropReason {
    /** A live source's buffer was full and its oldest waiting frame gave way to a new one ({@code overflow}). */
    OVERFLOW_DROP_OLDEST("a live source's buffer was full; its oldest waiting frame gave way"),
    /** A live source's buffer was full and the new frame was not queued ({@code overflow = drop-newest}). */
    OVERFLOW_DROP_NEWEST("a live source's buffer was full; the new frame was not queued"),
    /** The frames fell due while a live source was reconnecting. */
    SOURCE_RECONNECT("frames fell due while a live source reconnected"),
    /** The frames fell due while the machine was too busy to produce them (a synthetic source). */
    SOURCE_LATE("frames fell due while the machine was too busy to produce them");

    private final String meaning;

    DropReason(String meaning) {
        this.meaning = meaning;
    }

    /** Lower-case name as written to JSON lines and metric labels ({@code overflow-drop-oldest}). */
    public String wire() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** One sentence for documentation and help texts. */
    public String meaning() {
        return meaning;
    }

    /** Whether the drop tells that the pipeline is too slow (not a source's own gap, such as a reconnect). */
    public boolean overload() {
        return this != SOURCE_RECONNECT;
    }
}
