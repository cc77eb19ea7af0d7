package org.dyve.cli;

import java.io.PrintStream;

/**
 * A one-line progress display on an interactive terminal; elsewhere (a log, a pipe) a plain line at most every
 * {@link #LOG_INTERVAL_NANOS}, so long jobs show they are alive.
 */
final class Progress {
    private final PrintStream err = System.err;
    private final boolean enabled;
    private final boolean terminal;
    private static final long LOG_INTERVAL_NANOS = 30_000_000_000L;
    /** When the first item was done: rates count from there, not from start-up (model loading, compiling). */
    private long start = -1;
    private long last;
    /** Whether a progress line is on the terminal now (to be cleared before other output). */
    private boolean shown;

    Progress(boolean quiet) {
        this.terminal = System.console() != null;
        this.enabled = !quiet;
    }

    void update(String what, int done, int total) {
        update(what, done, total, () -> "");
    }

    /**
     * Like {@link #update(String, int, int)}, with {@code extra} (drops, the effort rung) after the rate, asked for
     * only when a line is due; callable from several threads (streams side by side).
     */
    synchronized void update(String what, long done, long total, java.util.function.Supplier<String> extra) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (start < 0) {
            start = now;
            last = now;
            return;
        }
        if (!terminal) {
            if (now - last >= LOG_INTERVAL_NANOS) {
                last = now;
                double rate = done / Math.max((now - start) / 1e9, 1e-9);
                err.println((total <= 0 ? String.format("%s %d frames, %.1f/s", what, done, rate)
                        : String.format("%s %d/%d (%.0f%%), eta %.0fs", what, done, total, 100.0 * done / total,
                        (total - done) / Math.max(rate, 1e-9))) + extra.get());
            }
            return;
        }
        if (done < total && now - last < 200_000_000L) {
            return;
        }
        last = now;
        double s = (now - start) / 1e9;
        double rate = done / Math.max(s, 1e-9);
        String line = total <= 0 ? String.format("%s %d frames, %.1f/s%s", what, done, rate, extra.get())
                : String.format("%s %d/%d (%.0f%%) %.1f/s, eta %.0fs%s", what, done, total, 100.0 * done / total, rate,
                (total - done) / Math.max(rate, 1e-9), extra.get());
        // \r, the line, and erase to the end of the line: a shorter line leaves nothing of the last one behind
        err.print("\r" + line + "\033[K");
        shown = true;
        if (done >= total && total > 0) {
            clear();
        }
        err.flush();
    }

    /** Erases the progress line, so what is printed next starts on a clean line. */
    synchronized void clear() {
        if (shown) {
            err.print("\r\033[K");
            err.flush();
            shown = false;
        }
    }
}
