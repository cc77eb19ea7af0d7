package org.dyve.stream;

import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.dyve.engine.DenseEngine;
import org.dyve.model.Network;

/**
 * Owns a contiguous range of the network's layers and its engine state (buffers, compiled ops): takes a
 * frame's live activations, runs its layers, hands the activations on. Frames that are not computed (reused,
 * dropped, failed) pass through untouched. Records its queue wait and compute time per frame.
 */
public final class LayerStage {
    private LayerStage() {
    }

    /** Run layers on {@code work} and reply with the result. */
    public record Process(Work work, ActorRef<Work> replyTo) {
    }

    /**
     * A frame in flight: its metadata, the controller's decision, and the tensors later stages need.
     *
     * @param sentNanos when the previous stage handed it on (for queue-wait accounting)
     * @param computeNanos compute time spent so far
     */
    public record Work(Frame frame, EffortController.Decided decision, Map<String, float[]> tensors, long sentNanos,
            long computeNanos, long waitNanos) {
        boolean computes() {
            return frame.image() == null ? false : decision != null && !decision.reuse();
        }
    }

    static Behavior<Process> create(Network net, int from, int to, StageStats stats) {
        return Behaviors.setup(ctx -> {
            DenseEngine engine = DenseEngine.range(net, from, to, 1);
            var inputs = net.rangeInputs(from, to);
            var outputs = net.rangeOutputs(from, to);
            return Behaviors.receive(Process.class).onMessage(Process.class, p -> {
                Work w = p.work();
                long start = System.nanoTime();
                long wait = start - w.sentNanos();
                if (!w.computes() || w.tensors() == null) {
                    p.replyTo().tell(new Work(w.frame(), w.decision(), w.tensors(), System.nanoTime(), w.computeNanos(),
                            w.waitNanos() + wait));
                    return Behaviors.same();
                }
                for (String t : inputs) {
                    engine.setInput(t, 0, w.tensors().get(t));
                }
                engine.run(1);
                Map<String, float[]> next = new HashMap<>(w.tensors());
                for (String t : inputs) {
                    if (!outputs.contains(t) && !neededLater(net, to, t)) {
                        next.remove(t);
                    }
                }
                for (String t : outputs) {
                    next.put(t, engine.output(t, 0));
                }
                long end = System.nanoTime();
                stats.record(wait, end - start);
                p.replyTo().tell(new Work(w.frame(), w.decision(), next, end, w.computeNanos() + (end - start),
                        w.waitNanos() + wait));
                return Behaviors.same();
            }).build();
        });
    }

    private static boolean neededLater(Network net, int to, String tensor) {
        for (int i = to; i < net.layers().size(); i++) {
            if (net.layers().get(i).inputs().contains(tensor)) {
                return true;
            }
        }
        return net.outputs().contains(tensor);
    }
}
