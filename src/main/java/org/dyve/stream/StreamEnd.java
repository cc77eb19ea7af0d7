package org.dyve.stream;

import org.dyve.metrics.CountersSnapshot;

/**
 * What decides how a stream ends, gathered while it runs: the reason it was stopped for (told by whoever stops
 * it), its frame limit and its source's health. {@link #summary} turns the final counters into the summary.
 */
public final class StreamEnd {
    private final long limit;
    private final SourceHealth health;
    private final double rssStartMb = StreamSummary.rssKb() / 1024.0;
    private volatile String stopReason;
    private volatile String error;

    StreamEnd(long limit, SourceHealth health) {
        this.limit = limit;
        this.health = health;
    }

    /**
     * Records why the stream is being stopped ({@link StreamSummary#SIGNAL}, {@link StreamSummary#STOPPED},
     * {@link StreamSummary#OUTPUT_CLOSED}); the first reason given is kept.
     */
    public synchronized void stopping(String reason) {
        if (stopReason == null) {
            stopReason = reason;
        }
    }

    /** The stream failed for {@code why} (one line). */
    public synchronized void failed(String why) {
        if (error == null) {
            error = why;
        }
        stopping(StreamSummary.ERROR);
    }

    /** What was damaged in the input so far, or null. */
    public String damage() {
        return health.damage();
    }

    /**
     * The summary of a stream whose last counters are {@code c}: it ended for the reason it was stopped for, else
     * {@link StreamSummary#INPUT_DAMAGED} when its input was damaged, {@link StreamSummary#LIMIT} when it took its
     * frame limit, else {@link StreamSummary#END_OF_INPUT}.
     */
    public StreamSummary summary(CountersSnapshot c) {
        String end = stopReason != null ? stopReason : damage() != null ? StreamSummary.INPUT_DAMAGED
                : limit > 0 && c.framesIn() >= limit ? StreamSummary.LIMIT : StreamSummary.END_OF_INPUT;
        return new StreamSummary(c, end, damage(), error, health.reconnects(), rssStartMb,
                StreamSummary.rssKb() / 1024.0);
    }
}
