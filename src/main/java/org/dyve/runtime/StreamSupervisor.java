package org.dyve.runtime;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.dyve.DyveException;
import org.dyve.Wire;
import org.dyve.effort.EffortProfile;
import org.dyve.stream.FrameResult;
import org.dyve.stream.StreamPipeline;
import org.dyve.stream.StreamSettings;
import org.dyve.stream.StreamSummary;

/**
 * One per stream: owns the stream's effort controller and layer stages as its children, runs its pipeline, and
 * stops with it (its children with it). {@link Stop} stops the source and lets frames in flight finish; a stage
 * that fails or stops fails this stream only, with its reason in the summary.
 */
public final class StreamSupervisor {
    private StreamSupervisor() {
    }

    /** What a stream's supervisor understands. */
    public sealed interface Command permits Stop, Ended {
    }

    /** Stop the stream for {@code reason} ({@link StreamSummary#STOPPED}, {@link StreamSummary#SIGNAL}, ...). */
    public record Stop(String reason) implements Command, Wire {
    }

    /** The pipeline has completed (null) or failed. */
    private record Ended(Throwable error) implements Command {
    }

    /**
     * What the supervisor needs to run a stream: its id and description, the loaded model, its settings and ladder,
     * the compiled plan, where its results go ({@code output}: in frame order on the stream's thread, may wait;
     * {@code fanOut}: bounded subscribers), and the futures it completes once the stream runs and once it has ended.
     */
    record Setup(String id, StreamDescription description, LoadedModel model, StreamSettings settings,
            List<EffortProfile> ladder, StreamPipeline.Plan plan, Consumer<FrameResult> output, ResultFanOut fanOut,
            CompletableFuture<StreamPipeline.Results> running, CompletableFuture<StreamSummary> done,
            CompletableFuture<Void> start) {
    }

    static Behavior<Command> create(Setup s) {
        return Behaviors.setup(ctx -> {
            StreamPipeline.Results r;
            UniqueKillSwitch kill;
            try {
                r = StreamPipeline.build(spawner(ctx), ctx.getSystem(), s.id(), s.model().descriptor(),
                        s.model().network(), s.description().source(), s.settings(), s.ladder(),
                        s.description().limit(), s.plan(), s.description().held() ? s.start() : null);
                var m = r.source().toMat(Sink.foreach(x -> {
                    s.output().accept(x);
                    s.fanOut().publish(x);
                }), Keep.both()).run(ctx.getSystem());
                kill = m.first();
                ctx.pipeToSelf(m.second(), (done, err) -> new Ended(err));
            } catch (RuntimeException e) {
                s.plan().release();
                s.fanOut().complete();
                s.running().completeExceptionally(e);
                s.done().completeExceptionally(e);
                return Behaviors.stopped();
            }
            // a stage that stops while the stream runs (it failed, or was stopped from outside) ends the stream
            ctx.getChildren().forEach(c -> ctx.watch(c));
            s.running().complete(r);
            return running(s, r, kill);
        });
    }

    private static Behavior<Command> running(Setup s, StreamPipeline.Results r, UniqueKillSwitch kill) {
        return Behaviors.receive(Command.class)
                .onMessage(Stop.class, stop -> {
                    r.end().stopping(stop.reason());
                    // a held stream that nobody subscribed to ends at once
                    s.start().complete(null);
                    kill.shutdown();
                    return Behaviors.same();
                })
                .onMessage(Ended.class, e -> {
                    if (e.error() != null) {
                        r.end().failed(DyveException.reason(e.error()));
                    }
                    StreamSummary summary = r.summary();
                    s.plan().release();
                    s.fanOut().complete();
                    s.done().complete(summary);
                    return Behaviors.stopped();
                })
                .onSignal(Terminated.class, t -> {
                    // after the stream's end its stages stop anyway; before it, the stream cannot go on
                    kill.abort(new DyveException(s.id() + ": " + t.getRef().path().name() + " stopped"));
                    return Behaviors.same();
                })
                .build();
    }

    private static StreamPipeline.Spawner spawner(ActorContext<Command> ctx) {
        return new StreamPipeline.Spawner() {
            @Override
            public <T> ActorRef<T> spawn(Behavior<T> behavior, String name, Props props) {
                return ctx.spawn(behavior, name, props);
            }
        };
    }
}
