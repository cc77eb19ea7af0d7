package org.dyve.load;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What a load test sends its requests to: a server over HTTP, or the runtime in this process (the same queue,
 * batcher and engines without HTTP, to tell the server's own cost apart).
 */
interface Target {
    /** Checks that the model is served; throws a one-line {@link org.dyve.DyveException} when not. */
    void ready();

    /**
     * Classifies payload {@code k}; the answer's status is HTTP's (200, 429, 504, other), its rung the effort the
     * answer was computed at (null unless 200). Never completes exceptionally for a refused request.
     */
    CompletableFuture<Answer> classify(int k);

    /** The model's request queue, compute and batch-size sums and counts so far ({@code queue_sum}, ...). */
    Map<String, Double> serverTimes();

    /** An answer. */
    record Answer(int status, String rung) {
    }
}
