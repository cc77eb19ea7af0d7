package org.dyve.stream;

import org.dyve.metrics.StageCounters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.dyve.effort.EffortProfile;
import org.dyve.engine.Engine;
import org.dyve.model.Network;

/**
 * Owns a contiguous range of the network's layers and its engine state (buffers, compiled ops; one engine per
 * effort rung, compiled on first use): takes a frame's live activations, runs its layers at the effort the
 * controller chose for the frame, hands the activations on. A frame whose rung exits early here carries the
 * exit's answer on instead, and later stages pass it through like frames that are not computed (reused,
 * dropped, failed). Records its queue wait and compute time per frame, and the MACs executed.
 */
public final class LayerStage {
    private LayerStage() {
    }

    /** What a layer stage understands. */
    public sealed interface Command permits Process, Stop {
    }

    /**
     * Run layers on a batch of frames (in order) and hand them to the next stage, or complete {@code reply} with them
     * at the last. A stage that fails completes {@code reply} exceptionally, so the stream fails instead of waiting.
     */
    public record Process(List<Work> works, CompletableFuture<List<Work>> reply) implements Command {
    }

    /** The stream has ended: the stage stops. */
    public record Stop() implements Command {
    }

    /**
     * A frame in flight: its metadata, the controller's decision, and the tensors later stages need.
     *
     * @param sentNanos when the previous stage handed it on (for queue-wait accounting)
     * @param computeNanos compute time spent so far
     * @param macs multiply-accumulates executed so far (a batch's total shared evenly among its frames)
     * @param exitedAt the tensor at which the frame left the network early (its {@code tensors} then hold only
     *     the exit's class probabilities, under the network's output name), or null
     */
    public record Work(Frame frame, EffortController.Decided decision, Map<String, float[]> tensors, long sentNanos,
            long computeNanos, long waitNanos, long macs, String exitedAt) {
        boolean computes() {
            return frame.image() != null && decision != null && !decision.reuse() && tensors != null
                    && exitedAt == null;
        }
    }

    /**
     * @param engines one engine per effort rung for this stage's layer range (see {@link #compile}); the stage
     *     owns them from now on
     * @param next hands a processed batch to the next stage's actors; null for the last stage
     */
    static Behavior<Command> create(Network net, int from, int to, Map<String, Engine> engines, StageCounters stats,
            Consumer<Process> next) {
        return Behaviors.setup(ctx -> {
            List<String> inputs = net.rangeInputs(from, to);
            List<String> outputs = net.rangeOutputs(from, to);
            List<String> dropAfter = new ArrayList<>();
            for (String t : inputs) {
                if (!outputs.contains(t) && !net.neededFrom(to, t)) {
                    dropAfter.add(t);
                }
            }
            return Behaviors.receive(Command.class)
                    .onMessage(Stop.class, stop -> Behaviors.stopped())
                    .onMessage(Process.class, p -> {
                        try {
                            List<Work> done = run(net, engines, stats, inputs, outputs, dropAfter, p.works());
                            if (next != null) {
                                next.accept(new Process(done, p.reply()));
                            } else {
                                p.reply().complete(done);
                            }
                            return Behaviors.same();
                        } catch (RuntimeException e) {
                            // the stream fails with the stage's error, which the stream reports; the stage stops
                            // (without an actor failure of its own in the log)
                            p.reply().completeExceptionally(e);
                            return Behaviors.stopped();
                        }
                    })
                    .build();
        });
    }

    /** Runs the layers on {@code in}'s frames, rung by rung; the frames in order, with their new tensors. */
    private static List<Work> run(Network net, Map<String, Engine> engines, StageCounters stats, List<String> inputs,
            List<String> outputs, List<String> dropAfter, List<Work> in) {
        Work[] out = new Work[in.size()];
        long end = System.nanoTime();
        // frames at the same rung run together, rung by rung, in order of first appearance
        List<String> efforts = new ArrayList<>();
        for (Work w : in) {
            if (w.computes() && !efforts.contains(w.decision().effort())) {
                efforts.add(w.decision().effort());
            }
        }
        for (String effort : efforts) {
            Engine engine = engines.get(effort);
            if (engine == null) {
                throw new IllegalStateException("effort rung " + effort + " is not on the ladder");
            }
            long start = System.nanoTime();
            int[] slot = new int[in.size()];
            int n = 0;
            for (int i = 0; i < in.size(); i++) {
                Work w = in.get(i);
                slot[i] = w.computes() && w.decision().effort().equals(effort) ? n++ : -1;
                if (slot[i] >= 0) {
                    for (String t : inputs) {
                        engine.setInput(t, slot[i], w.tensors().get(t));
                    }
                }
            }
            engine.resetWork();
            engine.run(n);
            end = System.nanoTime();
            long macs = 0;
            for (org.dyve.engine.Work lw : engine.work()) {
                macs += lw.macs();
            }
            long share = (end - start) / n;
            for (int i = 0; i < in.size(); i++) {
                if (slot[i] < 0) {
                    continue;
                }
                Work w = in.get(i);
                String exit = engine.exited(slot[i]);
                Map<String, float[]> next;
                if (exit != null) {
                    next = Map.of(net.output(), engine.exitProbabilities(slot[i]));
                } else {
                    next = new HashMap<>(w.tensors());
                    for (String t : dropAfter) {
                        next.remove(t);
                    }
                    for (String t : outputs) {
                        next.put(t, engine.output(t, slot[i]));
                    }
                }
                long wait = start - w.sentNanos();
                stats.record(wait, share);
                out[i] = new Work(w.frame(), w.decision(), next, end, w.computeNanos() + share,
                        w.waitNanos() + wait, w.macs() + macs / n, exit);
            }
        }
        for (int i = 0; i < in.size(); i++) {
            if (out[i] == null) {
                Work w = in.get(i);
                out[i] = new Work(w.frame(), w.decision(), w.tensors(), end, w.computeNanos(),
                        w.waitNanos() + Math.max(0, end - w.sentNanos()), w.macs(), w.exitedAt());
            }
        }
        return List.of(out);
    }

    /**
     * Compiles one engine per rung (knobs and the exits this range's layers write) for layers {@code [from, to)}
     * and runs each {@code warmUpRuns} times on zeros, every batch size up to {@code maxBatch} at least once (the
     * dense convolutions set up one oneDNN primitive per batch size on first use), so the first frames of a live
     * source meet compiled code and allocated buffers rather than a stage still warming up (which would drop them).
     */
    static Map<String, Engine> compile(Network net, int from, int to, int maxBatch, List<EffortProfile> ladder,
            int warmUpRuns, java.util.function.IntSupplier threads) {
        Map<String, Engine> engines = new HashMap<>();
        for (EffortProfile p : ladder) {
            Engine e = Engine.builder(net).range(from, to).batch(maxBatch).effort(p.layers()).exits(p.exits())
                    .precision(p.precision()).threads(threads).build();
            for (int r = 0; r < Math.max(warmUpRuns, maxBatch); r++) {
                e.run(1 + r % maxBatch);
            }
            engines.put(p.name(), e);
        }
        return engines;
    }
}
