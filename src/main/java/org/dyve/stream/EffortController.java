package org.dyve.stream;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One per stream: decides for each frame whether to compute it or reuse the previous result, and at which
 * effort level (see {@link EffortPolicy}); learns from completions and drops.
 */
public final class EffortController {
    private EffortController() {
    }

    /** Messages the controller understands. */
    public sealed interface Command permits Decide, Completed, Dropped, Pressure, Stop {
    }

    /** The stream has ended. */
    public record Stop() implements Command {
    }

    /**
     * Asks for a decision on frame {@code seq}, which left its live buffer with {@code backlog} frames still
     * waiting (0 for sources that wait); {@code thumbnail} may be null when temporal reuse is off. The controller
     * completes {@code answer} (exceptionally when its policy fails): a future rather than a reply to an ask, so a
     * frame costs no temporary actor and no timeout timer.
     */
    public record Decide(long seq, float[] thumbnail, int backlog, CompletableFuture<Decided> answer)
            implements Command {
    }

    /**
     * A frame finished after {@code serviceMs} of compute and {@code latencyMs} end to end; {@code effort} is
     * the rung it was computed at, or null when it was not computed (reused).
     */
    public record Completed(long seq, String effort, double serviceMs, double latencyMs) implements Command {
    }

    /** A live source dropped {@code frames} frames. */
    public record Dropped(long frames) implements Command {
    }

    /**
     * A live source's buffer has {@code backlog} frames waiting, the last of them frame {@code seq} (told as it
     * fills, before any leaves).
     */
    public record Pressure(int backlog, long seq) implements Command {
    }

    /** The answer to {@link Decide}. */
    public record Decided(long seq, boolean reuse, String effort, String reason) {
    }

    static Behavior<Command> create(List<String> ladder, StreamSettings s) {
        double budget = s.latencyMs() > 0 ? s.latencyMs() : s.targetFps() > 0 ? 1000.0 / s.targetFps() : 0;
        return create(new EffortPolicy(ladder, s.reuseThreshold(), s.maxReuse(), budget, s.latencyMs() > 0,
                s.window(), s.pressureBacklog()));
    }

    static Behavior<Command> create(EffortPolicy policy) {
        return Behaviors.receive(Command.class)
                .onMessage(Decide.class, d -> {
                    try {
                        EffortPolicy.Decision dec = policy.decide(d.thumbnail(), d.backlog());
                        d.answer().complete(new Decided(d.seq(), dec.action() == EffortPolicy.Action.REUSE,
                                dec.effort(), dec.reason()));
                    } catch (RuntimeException e) {
                        d.answer().completeExceptionally(e);
                    }
                    return Behaviors.same();
                })
                .onMessage(Completed.class, c -> {
                    policy.completed(c.effort(), c.serviceMs(), c.latencyMs());
                    return Behaviors.same();
                })
                .onMessage(Dropped.class, d -> {
                    policy.dropped(d.frames());
                    return Behaviors.same();
                })
                .onMessage(Pressure.class, p -> {
                    policy.pressure(p.backlog(), p.seq());
                    return Behaviors.same();
                })
                .onMessage(Stop.class, s -> Behaviors.stopped())
                .build();
    }
}
