package org.dyve.stream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.Engine;
import org.dyve.model.Network;

/**
 * Owns a contiguous range of the network's layers and its engine state (buffers, compiled ops; one engine per
 * effort rung, compiled on first use): takes a frame's live activations, runs its layers at the effort the
 * controller chose for the frame, hands the activations on. Frames that are not computed (reused, dropped,
 * failed) pass through untouched. Records its queue wait and compute time per frame, and the MACs executed.
 */
public final class LayerStage {
    private LayerStage() {
    }

    /** Run layers on a batch of frames (in order) and reply with them; {@code works == null} stops the stage. */
    public record Process(List<Work> works, ActorRef<List<Work>> replyTo) {
    }

    /**
     * A frame in flight: its metadata, the controller's decision, and the tensors later stages need.
     *
     * @param sentNanos when the previous stage handed it on (for queue-wait accounting)
     * @param computeNanos compute time spent so far
     * @param macs multiply-accumulates executed so far (a batch's total shared evenly among its frames)
     */
    public record Work(Frame frame, EffortController.Decided decision, Map<String, float[]> tensors, long sentNanos,
            long computeNanos, long waitNanos, long macs) {
        boolean computes() {
            return frame.image() != null && decision != null && !decision.reuse() && tensors != null;
        }
    }

    /**
     * @param rungs the effort ladder: rung name to per-layer knobs (empty for exact)
     */
    static Behavior<Process> create(Network net, int from, int to, int maxBatch, Map<String, Map<String,
            ConvEffort>> rungs, StageStats stats) {
        return Behaviors.setup(ctx -> {
            Map<String, Engine> engines = new HashMap<>();
            List<String> inputs = net.rangeInputs(from, to);
            List<String> outputs = net.rangeOutputs(from, to);
            List<String> dropAfter = new ArrayList<>();
            for (String t : inputs) {
                if (!outputs.contains(t) && !net.neededFrom(to, t)) {
                    dropAfter.add(t);
                }
            }
            return Behaviors.receive(Process.class).onMessage(Process.class, p -> {
                if (p.works() == null) {
                    return Behaviors.stopped();
                }
                List<Work> in = p.works();
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
                    Engine engine = engines.computeIfAbsent(effort, name -> compile(net, from, to, maxBatch,
                            rungs, name));
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
                        Map<String, float[]> next = new HashMap<>(w.tensors());
                        for (String t : dropAfter) {
                            next.remove(t);
                        }
                        for (String t : outputs) {
                            next.put(t, engine.output(t, slot[i]));
                        }
                        long wait = start - w.sentNanos();
                        stats.record(wait, share);
                        out[i] = new Work(w.frame(), w.decision(), next, end, w.computeNanos() + share,
                                w.waitNanos() + wait, w.macs() + macs / n);
                    }
                }
                for (int i = 0; i < in.size(); i++) {
                    if (out[i] == null) {
                        Work w = in.get(i);
                        out[i] = new Work(w.frame(), w.decision(), w.tensors(), end, w.computeNanos(),
                                w.waitNanos() + Math.max(0, end - w.sentNanos()), w.macs());
                    }
                }
                p.replyTo().tell(List.of(out));
                return Behaviors.same();
            }).build();
        });
    }

    private static Engine compile(Network net, int from, int to, int maxBatch,
            Map<String, Map<String, ConvEffort>> rungs, String effort) {
        Map<String, ConvEffort> knobs = rungs.get(effort);
        if (knobs == null) {
            throw new IllegalStateException("effort rung " + effort + " is not on the ladder");
        }
        return Engine.range(net, from, to, maxBatch, knobs);
    }
}
