package org.dyve.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.dyve.effort.EffortProfile;
import org.dyve.metrics.RequestCounters;
import org.dyve.metrics.RequestCounters.RequestOutcome;

/**
 * A model's request queue and dynamic batcher: requests wait in a bounded queue (full: refused, counted); each worker
 * takes the oldest, lets others join it for up to {@code max-queue-delay} or until {@code max-batch} inputs, drops
 * those whose deadline has passed (never computed, counted), and computes the rest together, one batch per effort
 * rung. Requests that name no effort run at the model's current rung for requests: under queue pressure (a quarter of
 * the queue waiting, or its oldest request waiting {@code pressure-delay}) it moves down the ladder (cheaper) before
 * anything is refused, and back up once the queue stays empty.
 */
public final class RequestBatcher implements AutoCloseable {
    /** Batches in a row with an empty queue after which requests without an effort move one rung back up. */
    private static final int QUIET_BATCHES = 8;

    private final Classifier classifier;
    private final RequestSettings settings;
    private final RequestCounters counters;
    private final List<String> ladder;
    private final LinkedBlockingDeque<Request> queue;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closed;
    // guarded by this
    private int level;
    private int quiet;

    private record Request(List<float[]> inputs, String effort, long enqueued, long deadline,
            CompletableFuture<List<Classifier.Inference>> answer) {
    }

    RequestBatcher(Classifier classifier, RequestSettings settings) {
        this.classifier = classifier;
        this.settings = settings;
        this.counters = new RequestCounters(classifier.model().descriptor().id());
        this.ladder = classifier.model().profiles().ladder().stream().map(EffortProfile::name).toList();
        this.queue = new LinkedBlockingDeque<>(settings.queue());
        for (int w = 0; w < settings.workers(); w++) {
            Thread t = new Thread(this::work, "dyve-requests-" + counters.snapshot().model() + "-" + w);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    public RequestCounters counters() {
        return counters;
    }

    /** The rung requests without an effort run at now. */
    public synchronized String autoRung() {
        return ladder.get(level);
    }

    /**
     * Queues {@code inputs} (preprocessed, one request) at {@code effort} (null: the model's current rung for
     * requests) with a deadline {@code timeoutMs} from now (0: the setting's). The answer fails with
     * {@link RequestRejected} when the queue is full or the deadline passes first, with a {@link org.dyve.DyveException}
     * for an unknown effort.
     */
    public CompletableFuture<List<Classifier.Inference>> submit(List<float[]> inputs, String effort, long timeoutMs) {
        long now = System.nanoTime();
        long timeout = timeoutMs > 0 ? TimeUnit.MILLISECONDS.toNanos(timeoutMs) : settings.timeout().toNanos();
        if (effort != null && !effort.equals("auto")) {
            classifier.model().ladder(effort); // an unknown effort fails here, not in a batch with others
        }
        Request r = new Request(inputs, effort == null || effort.equals("auto") ? null : effort, now, now + timeout,
                new CompletableFuture<>());
        if (closed || !queue.offerLast(r)) {
            counters.ended(RequestOutcome.QUEUE_FULL, 0);
            r.answer().completeExceptionally(new RequestRejected(RequestOutcome.QUEUE_FULL, closed
                    ? classifier.model().descriptor().id() + ": shutting down"
                    : classifier.model().descriptor().id() + ": request queue full (" + settings.queue()
                            + " waiting; dyve.requests.queue)"));
            return r.answer();
        }
        counters.queued();
        return r.answer();
    }

    private void work() {
        while (!closed) {
            Request first;
            try {
                first = queue.pollFirst(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                continue;
            }
            List<Request> batch = new ArrayList<>(List.of(first));
            int inputs = first.inputs().size();
            long until = System.nanoTime() + settings.maxQueueDelay().toNanos();
            try {
                while (inputs < settings.maxBatch()) {
                    long left = until - System.nanoTime();
                    Request next = left > 0 ? queue.pollFirst(left, TimeUnit.NANOSECONDS) : queue.pollFirst();
                    if (next == null) {
                        break;
                    }
                    if (inputs + next.inputs().size() > settings.maxBatch()) {
                        queue.offerFirst(next); // the next batch starts with it
                        break;
                    }
                    batch.add(next);
                    inputs += next.inputs().size();
                }
            } catch (InterruptedException e) {
                fail(batch, new RequestRejected(RequestOutcome.EXPIRED, "shutting down"));
                return;
            }
            run(batch);
        }
    }

    /** Computes {@code batch}: expired requests are answered at once, the others grouped by rung. */
    private void run(List<Request> batch) {
        String auto = adapt();
        long now = System.nanoTime();
        Map<String, List<Request>> byRung = new LinkedHashMap<>();
        for (Request r : batch) {
            if (now > r.deadline()) {
                counters.ended(RequestOutcome.EXPIRED, (now - r.enqueued()) / 1e6);
                r.answer().completeExceptionally(new RequestRejected(RequestOutcome.EXPIRED,
                        classifier.model().descriptor().id() + ": deadline passed after "
                                + Math.round((now - r.enqueued()) / 1e6) + " ms in the queue; not computed"));
            } else {
                byRung.computeIfAbsent(r.effort() != null ? r.effort() : auto, k -> new ArrayList<>()).add(r);
            }
        }
        for (var e : byRung.entrySet()) {
            List<float[]> all = new ArrayList<>();
            e.getValue().forEach(r -> all.addAll(r.inputs()));
            long t0 = System.nanoTime();
            List<Classifier.Inference> out;
            try {
                out = classifier.infer(all, e.getKey());
            } catch (RuntimeException ex) {
                for (Request r : e.getValue()) {
                    counters.ended(RequestOutcome.ERROR, (System.nanoTime() - r.enqueued()) / 1e6);
                    r.answer().completeExceptionally(ex);
                }
                continue;
            }
            long t1 = System.nanoTime();
            long macs = 0;
            long dense = 0;
            for (Classifier.Inference x : out) {
                macs += x.macs();
                dense += x.denseMacs();
                if (x.exit() != null) {
                    counters.exited(x.exit());
                }
            }
            counters.batch(all.size(), e.getKey(), (t1 - t0) / 1e6, macs, dense);
            int at = 0;
            for (Request r : e.getValue()) {
                List<Classifier.Inference> mine = out.subList(at, at + r.inputs().size());
                at += r.inputs().size();
                counters.answered((t0 - r.enqueued()) / 1e6, (t1 - r.enqueued()) / 1e6);
                r.answer().complete(List.copyOf(mine));
            }
        }
    }

    /** Moves the rung for requests without an effort by the queue's length; returns it. */
    private synchronized String adapt() {
        int waiting = queue.size();
        Request oldest = queue.peekFirst();
        long waited = oldest == null ? 0 : System.nanoTime() - oldest.enqueued();
        if (waiting >= Math.max(1, settings.pressure() * settings.queue())
                || (oldest != null && waited >= settings.pressureDelay().toNanos())) {
            level = Math.min(level + 1, ladder.size() - 1);
            quiet = 0;
        } else if (waiting == 0 && ++quiet >= QUIET_BATCHES) {
            level = Math.max(level - 1, 0);
            quiet = 0;
        }
        return ladder.get(level);
    }

    private void fail(List<Request> batch, RuntimeException e) {
        for (Request r : batch) {
            counters.ended(RequestOutcome.ERROR, (System.nanoTime() - r.enqueued()) / 1e6);
            r.answer().completeExceptionally(e);
        }
    }

    /** Stops taking requests; those waiting are refused, batches under way finish. */
    @Override
    public void close() {
        closed = true;
        List<Request> left = new ArrayList<>();
        queue.drainTo(left);
        fail(left, new RequestRejected(RequestOutcome.QUEUE_FULL, "shutting down"));
        for (Thread t : workers) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
