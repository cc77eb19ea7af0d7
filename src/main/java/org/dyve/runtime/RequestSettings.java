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

    /** {@code dyve.requests} with model {@code id}'s own values ({@code dyve.requests.models."id"}) over it. */
    public static RequestSettings forModel(Config root, String id) {
        Config c = root.getConfig("dyve.requests");
        String key = "models.\"" + id + "\"";
        return of(c.hasPath(key) ? c.getConfig(key).withFallback(c) : c);
    }

    private static RequestSettings of(Config c) {
        return new RequestSettings(Math.max(1, c.getInt("max-batch")), c.getDuration("max-queue-delay"),
                Math.max(1, c.getInt("queue")), Math.max(1, c.getInt("workers")), c.getDuration("timeout"),
                c.getDouble("pressure"), c.getDuration("pressure-delay"));
    }
}
