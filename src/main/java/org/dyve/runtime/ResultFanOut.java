package org.dyve.runtime;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.javadsl.Source;
import org.dyve.stream.FrameResult;

/**
 * Hands a stream's results to any number of subscribers, each through its own bounded queue: a subscriber that falls
 * behind loses results (counted, per subscriber) instead of stalling the stream or the other subscribers.
 */
final class ResultFanOut {
    private final ActorSystem<?> system;
    private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private volatile boolean completed;

    ResultFanOut(ActorSystem<?> system) {
        this.system = system;
    }

    private record Subscriber(BoundedSourceQueue<FrameResult> queue, LongAdder dropped) {
    }

    /**
     * A new subscriber's results from now on, at most {@code buffer} waiting for it; the source completes when the
     * stream ends (at once if it has ended).
     */
    Subscription subscribe(int buffer) {
        if (buffer < 1) {
            throw new IllegalArgumentException("a subscriber's buffer must hold at least one result, found " + buffer);
        }
        Pair<BoundedSourceQueue<FrameResult>, Source<FrameResult, NotUsed>> p = Source.<FrameResult>queue(buffer)
                .preMaterialize(system);
        Subscriber s = new Subscriber(p.first(), new LongAdder());
        subscribers.add(s);
        if (completed) {
            s.queue().complete();
        }
        return new Subscription(p.second(), s.dropped()::sum);
    }

    /** Offers {@code r} to every subscriber; never waits. */
    void publish(FrameResult r) {
        for (Subscriber s : subscribers) {
            QueueOfferResult res = s.queue().offer(r);
            if (res == QueueOfferResult.dropped()) {
                s.dropped().increment();
            } else if (res instanceof QueueOfferResult.QueueClosed$ || res instanceof QueueOfferResult.Failure) {
                // the subscriber went away (its source was cancelled)
                subscribers.remove(s);
            }
        }
    }

    /** The stream has ended: every subscriber's source completes once it has taken what is queued. */
    void complete() {
        completed = true;
        subscribers.forEach(s -> s.queue().complete());
    }

    /** Subscribers now. */
    int size() {
        return subscribers.size();
    }
}
