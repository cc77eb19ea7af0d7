package org.dyve.stream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.dyve.engine.Engine;
import org.dyve.model.Network;

/**
 * Owns a contiguous range of the network's layers and its engine state (buffers, compiled ops): takes a
 * frame's live activations, runs its layers, hands the activations on. Frames that are not computed (reused,
 * dropped, failed) pass through untouched. Records its queue wait and compute time per frame.
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
     */
    public record Work(Frame frame, EffortController.Decided decision, Map<String, float[]> tensors, long sentNanos,
            long computeNanos, long waitNanos) {
        boolean computes() {
            return frame.image() != null && decision != null && !decision.reuse() && tensors != null;
        }
    }

    static Behavior<Process> create(Network net, int from, int to, int maxBatch, StageStats stats) {
        return Behaviors.setup(ctx -> {
            Engine engine = Engine.range(net, from, to, maxBatch);
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
                long start = System.nanoTime();
                List<Work> in = p.works();
                int[] slot = new int[in.size()];
                int n = 0;
                for (int i = 0; i < in.size(); i++) {
                    Work w = in.get(i);
                    slot[i] = w.computes() ? n++ : -1;
                    if (slot[i] >= 0) {
                        for (String t : inputs) {
                            engine.setInput(t, slot[i], w.tensors().get(t));
                        }
                    }
                }
                if (n > 0) {
                    engine.run(n);
                }
                long end = System.nanoTime();
                List<Work> out = new ArrayList<>(in.size());
                for (int i = 0; i < in.size(); i++) {
                    Work w = in.get(i);
                    long wait = start - w.sentNanos();
                    if (slot[i] < 0) {
                        out.add(new Work(w.frame(), w.decision(), w.tensors(), end, w.computeNanos(),
                                w.waitNanos() + wait));
                        continue;
                    }
                    Map<String, float[]> next = new HashMap<>(w.tensors());
                    for (String t : dropAfter) {
                        next.remove(t);
                    }
                    for (String t : outputs) {
                        next.put(t, engine.output(t, slot[i]));
                    }
                    long share = (end - start) / n;
                    stats.record(wait, share);
                    out.add(new Work(w.frame(), w.decision(), next, end, w.computeNanos() + share,
                            w.waitNanos() + wait));
                }
                p.replyTo().tell(out);
                return Behaviors.same();
            }).build();
        });
    }
}
