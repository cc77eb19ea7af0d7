package org.dyve.runtime;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.dyve.metrics.CountersSnapshot;
import org.dyve.stream.StreamPipeline;
import org.dyve.stream.StreamSummary;

/** A running stream as its starter and any reader see it: its counters now, its results, its end. */
public final class StreamHandle {
    private final String id;
    private final StreamDescription description;
    private final ActorRef<StreamSupervisor.Command> supervisor;
    private final StreamPipeline.Results pipeline;
    private final ResultFanOut fanOut;
    private final CompletionStage<StreamSummary> done;
    private final java.util.concurrent.CompletableFuture<Void> start;

    StreamHandle(String id, StreamDescription description, ActorRef<StreamSupervisor.Command> supervisor,
            StreamPipeline.Results pipeline, ResultFanOut fanOut, CompletionStage<StreamSummary> done,
            java.util.concurrent.CompletableFuture<Void> start) {
        this.start = start;
        this.id = id;
        this.description = description;
        this.supervisor = supervisor;
        this.pipeline = pipeline;
        this.fanOut = fanOut;
        this.done = done;
    }

    public String id() {
        return id;
    }

    public StreamDescription description() {
        return description;
    }

    /** The stream's counters now (frames in = the sum of the outcomes + frames in flight). */
    public CountersSnapshot counters() {
        return pipeline.counters().snapshot();
    }

    /** Stops the source for {@code reason} and lets frames in flight finish; {@link #done} completes after. */
    public void stop(String reason) {
        supervisor.tell(new StreamSupervisor.Stop(reason));
    }

    /** The summary once the stream has ended (its end reason says how: input over, stopped, failed...). */
    public CompletionStage<StreamSummary> done() {
        return done;
    }

    /** Whether the stream has ended. */
    public boolean ended() {
        return done.toCompletableFuture().isDone();
    }

    /**
     * The stream's results from now on, at most {@code buffer} waiting (see {@link Subscription#dropped}); a held
     * stream ({@link StreamDescription#held}) opens its source for its first subscriber, which sees every frame.
     */
    public Subscription subscribe(int buffer) {
        Subscription s = fanOut.subscribe(buffer);
        start.complete(null);
        return s;
    }
}
