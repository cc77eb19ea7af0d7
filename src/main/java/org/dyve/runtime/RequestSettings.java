package org.dyve.runtime;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How requests to a model are queued and batched ({@code dyve.requests.*} in {@code reference.conf}).
 *
 * @param maxBatch most inputs computed together
 * @param maxQueueDelay how long the first request of a batch waits for others to join it
 * @param queue requests that may wait; one more is refused (429)
 * @param workers batches computed at once per model
 * @param timeout a request's deadline when it names none
 * @param pressure fraction of the queue at which requests without an effort move one rung cheaper
 * @param pressureDelay wait of the oldest queued request at which they move one rung cheaper as well
 */
public record RequestSettings(int maxBatch, Duration maxQueueDelay, int queue, int workers, Duration timeout,
        double pressure, Duration pressureDelay) {
    /** {@code dyve.requests}, without any model's own values. */
    public static RequestSettings from(Config root) {
        return of(root.getConfig("dyve.requests"));
    }

    /**
     * These settings with model {@code id}'s own values ({@code dyve.requests.models."id"} in {@code root}) over them.
     */
    public RequestSettings forModel(Config root, String id) {
        String key = "dyve.requests.models.\"" + id + "\"";
        if (!root.hasPath(key)) {
            return this;
        }
        Config c = root.getConfig(key);
        return new RequestSettings(c.hasPath("max-batch") ? Math.max(1, c.getInt("max-batch")) : maxBatch,
                c.hasPath("max-queue-delay") ? c.getDuration("max-queue-delay") : maxQueueDelay,
                c.hasPath("queue") ? Math.max(1, c.getInt("queue")) : queue,
                c.hasPath("workers") ? Math.max(1, c.getInt("workers")) : workers,
                c.hasPath("timeout") ? c.getDuration("timeout") : timeout,
                c.hasPath("pressure") ? c.getDouble("pressure") : pressure,
                c.hasPath("pressure-delay") ? c.getDuration("pressure-delay") : pressureDelay);
    }

    private static RequestSettings of(Config c) {
        return new RequestSettings(Math.max(1, c.getInt("max-batch")), c.getDuration("max-queue-delay"),
                Math.max(1, c.getInt("queue")), Math.max(1, c.getInt("workers")), c.getDuration("timeout"),
                c.getDouble("pressure"), c.getDuration("pressure-delay"));
    }
}
