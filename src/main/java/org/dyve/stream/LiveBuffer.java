package org.dyve.stream;

import org.dyve.metrics.DropReason;

import java.util.ArrayDeque;
import java.util.function.ObjIntConsumer;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A bounded buffer for live sources that never backpressures its producer (unless the policy is
 * {@link Overflow#BACKPRESSURE}): on overflow it drops a frame by the policy and leaves a dropped-frame marker
 * in its place, merging consecutive drops into one marker, so memory stays bounded and every drop reaches the
 * sink with its reason. It can also report its backlog as it builds up ({@code pressureAt} frames waiting), so an
 * effort controller can act before the first drop even while no frame leaves (a stalled first frame).
 */
final class LiveBuffer extends GraphStage<FlowShape<Frame, Frame>> {
    private final Inlet<Frame> in = Inlet.create("LiveBuffer.in");
    private final Outlet<Frame> out = Outlet.create("LiveBuffer.out");
    private final FlowShape<Frame, Frame> shape = FlowShape.of(in, out);
    private final int capacity;
    private final Overflow policy;
    private final int pressureAt;
    private final ObjIntConsumer<Frame> onPressure;

    LiveBuffer(int capacity, Overflow policy) {
        this(capacity, policy, 0, null);
    }

    /**
     * @param pressureAt frames waiting at which {@code onPressure} is told (each time the backlog rises to it); 0 =
     *     never
     * @param onPressure called on the stream's thread with the frame that brought the backlog to {@code pressureAt}
     *     and the backlog; must not block
     */
    LiveBuffer(int capacity, Overflow policy, int pressureAt, ObjIntConsumer<Frame> onPressure) {
        if (capacity < 1) {
            throw new IllegalArgumentException("live buffer capacity must be positive, found " + capacity);
        }
        this.capacity = capacity;
        this.policy = policy;
        this.pressureAt = onPressure == null ? 0 : pressureAt;
        this.onPressure = onPressure;
    }

    @Override
    public FlowShape<Frame, Frame> shape() {
        return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attrs) {
        return new GraphStageLogic(shape) {
            private final ArrayDeque<Frame> queue = new ArrayDeque<>();
            private int frames;

            {
                setHandler(in, new AbstractInHandler() {
                    @Override
                    public void onPush() {
                        Frame f = grab(in);
                        if (frames >= capacity) {
                            if (policy == Overflow.DROP_NEWEST) {
                                addMarker(Frame.dropped(f.seq(), f.source(), 1, DropReason.OVERFLOW_DROP_NEWEST));
                            } else {
                                dropOldest();
                                enqueue(f);
                            }
                        } else {
                            enqueue(f);
                        }
                        if (isAvailable(out) && !queue.isEmpty()) {
                            emitOne();
                        }
                        pullIfRoom();
                    }

                    @Override
                    public void onUpstreamFinish() {
                        if (queue.isEmpty()) {
                            completeStage();
                        }
                    }
                });
                setHandler(out, new AbstractOutHandler() {
                    @Override
                    public void onPull() {
                        if (!queue.isEmpty()) {
                            emitOne();
                        }
                        if (isClosed(in) && queue.isEmpty()) {
                            completeStage();
                        } else {
                            pullIfRoom();
                        }
                    }
                });
            }

            private void enqueue(Frame f) {
                queue.addLast(f);
                if (!f.isDropped()) {
                    frames++;
                    if (frames == pressureAt) {
                        onPressure.accept(f, frames);
                    }
                }
            }

            /** Replaces the oldest waiting frame by a marker, merged with a marker just before it. */
            private void dropOldest() {
                ArrayDeque<Frame> kept = new ArrayDeque<>();
                boolean done = false;
                while (!queue.isEmpty()) {
                    Frame f = queue.pollFirst();
                    if (!done && !f.isDropped()) {
                        frames--;
                        Frame marker = Frame.dropped(f.seq(), f.source(), 1, DropReason.OVERFLOW_DROP_OLDEST);
                        Frame prev = kept.peekLast();
                        if (prev != null && prev.isDropped() && prev.seq() + prev.droppedCount() == f.seq()) {
                            kept.pollLast();
                            marker = Frame.dropped(prev.seq(), prev.source(), prev.droppedCount() + 1,
                                    prev.dropReason());
                        }
                        kept.addLast(marker);
                        done = true;
                    } else {
                        kept.addLast(f);
                    }
                }
                queue.addAll(kept);
            }

            private void addMarker(Frame marker) {
                Frame last = queue.peekLast();
                if (last != null && last.isDropped() && last.seq() + last.droppedCount() == marker.seq()) {
                    queue.pollLast();
                    marker = Frame.dropped(last.seq(), last.source(), last.droppedCount() + 1, last.dropReason());
                }
                queue.addLast(marker);
            }

            private void emitOne() {
                Frame f = queue.pollFirst();
                if (!f.isDropped()) {
                    frames--;
                    f = f.withBacklog(frames);
                }
                push(out, f);
                pullIfRoom();
            }

            /** Asks for the next frame unless one is asked for already or, with backpressure, the buffer is full. */
            private void pullIfRoom() {
                if (!hasBeenPulled(in) && !isClosed(in) && (policy != Overflow.BACKPRESSURE || frames < capacity)) {
                    pull(in);
                }
            }

            @Override
            public void preStart() {
                pull(in);
            }
        };
    }
}
