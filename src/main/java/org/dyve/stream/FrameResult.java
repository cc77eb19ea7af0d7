package org.dyve.stream;

/**
 * What happened to one frame.
 *
 * @param top1 predicted class, -1 when none (dropped, error)
 * @param macs multiply-accumulates spent on this frame
 * @param latencyMs from arrival at the source to the result
 * @param name the file the frame came from (image folders), else null
 * @param wallMs wall-clock time of the result (milliseconds since the epoch)
 */
public record FrameResult(long seq, String source, long ptsMs, Status status, String reason, int top1, String label,
        float prob, String effort, long macs, double latencyMs, int truth, String name, long wallMs) {

    /** Outcome of a frame. */
    public enum Status {
        /** The network ran on it. */
        COMPUTED,
        /** The previous result was reused (the frame hardly changed). */
        REUSED,
        /** Terminated before the last layer. */
        EARLY_EXIT,
        /** Never processed (overflow of a live source). */
        DROPPED,
        /** The frame could not be decoded or preprocessed. */
        ERROR;

        /** Lower-case name as written to JSON lines. */
        public String wire() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }
}
