package org.dyve.stream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a source reports about itself while it runs, beside its frames: damage found in its input (a file that ends
 * before its container says it should, frames that do not decode) and reconnections of a live source. Written by
 * the source's thread, read by the summary at any time.
 */
public final class SourceHealth {
    private volatile String damage;
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong undecodable = new AtomicLong();

    /** Records that the input is damaged; the first description is kept. */
    void damaged(String what) {
        if (damage == null) {
            damage = what;
        }
    }

    void reconnected() {
        reconnects.incrementAndGet();
    }

    void undecodableFrame() {
        undecodable.incrementAndGet();
    }

    /** What is damaged in the input, or null when nothing was found. */
    public String damage() {
        String d = damage;
        long n = undecodable.get();
        if (d == null && n > 0) {
            return n + (n == 1 ? " frame or image" : " frames or images") + " that did not decode";
        }
        return d;
    }

    /** Times a live source was opened again after it failed. */
    public long reconnects() {
        return reconnects.get();
    }
}
