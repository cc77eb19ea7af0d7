package org.dyve.runtime;

import org.dyve.DyveException;
import org.dyve.metrics.RequestCounters.RequestOutcome;

/** A request the batcher did not compute: its queue was full, or its deadline passed while it waited. */
public final class RequestRejected extends DyveException {
    private final RequestOutcome outcome;

    RequestRejected(RequestOutcome outcome, String message) {
        super(message);
        this.outcome = outcome;
    }

    /** {@link RequestOutcome#QUEUE_FULL} or {@link RequestOutcome#EXPIRED}. */
    public RequestOutcome outcome() {
        return outcome;
    }
}
