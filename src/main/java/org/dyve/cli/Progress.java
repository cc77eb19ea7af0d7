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
    private final long start = System.nanoTime();
    private long last;

    Progress(boolean quiet) {
        this.terminal = System.console() != null;
        this.enabled = !quiet;
        this.last = start;
    }

    void update(String what, int done, int total) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (!terminal) {
            if (now - last >= LOG_INTERVAL_NANOS) {
                last = now;
                double rate = done / Math.max((now - start) / 1e9, 1e-9);
                err.println(total <= 0 ? String.format("%s %d frames, %.1f/s", what, done, rate)
                        : String.format("%s %d/%d (%.0f%%), eta %.0fs", what, done, total, 100.0 * done / total,
                        (total - done) / Math.max(rate, 1e-9)));
            }
            return;
        }
        if (done < total && now - last < 200_000_000L) {
            return;
        }
        last = now;
        double s = (now - start) / 1e9;
        double rate = done / Math.max(s, 1e-9);
        if (total <= 0) {
            err.printf("\r%s %d frames, %.1f/s   ", what, done, rate);
            err.flush();
            return;
        }
        err.printf("\r%s %d/%d (%.0f%%) %.1f/s, eta %.0fs   ", what, done, total, 100.0 * done / total, rate,
                (total - done) / Math.max(rate, 1e-9));
        if (done >= total) {
            err.print("\r" + " ".repeat(72) + "\r");
        }
        err.flush();
    }
}
