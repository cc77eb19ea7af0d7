package org.dyve.stream;

import org.dyve.metrics.DropReason;

import org.dyve.data.Image;

/**
 * One input frame. Exactly one of {@code image} and {@code error} is set, except for dropped-frame markers
 * ({@link #dropped}), which carry neither and stand for {@code droppedCount} consecutive frames.
 *
 * @param seq position in the stream, from 0
 * @param ptsMs presentation time in milliseconds (frame index for data sets)
 * @param label ground-truth class when the source knows it, else -1
 * @param arrivedNanos {@link System#nanoTime()} when the source produced it
 * @param backlog frames of a live source still waiting in its {@link LiveBuffer} when this one left it (0 for
 *     other sources): how far the pipeline is behind, before anything is dropped
 * @param name the file the frame came from (image folders), else null
 */
public record Frame(long seq, String source, long ptsMs, Image image, int label, String error, long arrivedNanos,
        int droppedCount, DropReason dropReason, int backlog, String name) {

    static Frame of(long seq, String source, long ptsMs, Image image, int label) {
        return new Frame(seq, source, ptsMs, image, label, null, System.nanoTime(), 0, null, 0, null);
    }

    static Frame failed(long seq, String source, long ptsMs, String error) {
        return new Frame(seq, source, ptsMs, null, -1, error, System.nanoTime(), 0, null, 0, null);
    }

    /** A marker for {@code count} consecutive frames from {@code seq} that were dropped for {@code reason}. */
    static Frame dropped(long seq, String source, int count, DropReason reason) {
        return new Frame(seq, source, -1, null, -1, null, System.nanoTime(), count, reason, 0, null);
    }

    /** This frame with another backlog. */
    Frame withBacklog(int frames) {
        return new Frame(seq, source, ptsMs, image, label, error, arrivedNanos, droppedCount, dropReason, frames, name);
    }

    /** This frame, from the file {@code file} (null: none). */
    Frame named(String file) {
        return new Frame(seq, source, ptsMs, image, label, error, arrivedNanos, droppedCount, dropReason, backlog,
                file);
    }

    boolean isDropped() {
        return droppedCount > 0;
    }
}
