package org.dyve.engine;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/** Runs the Java kernels' bands of work on several threads: the caller's and daemon helpers. */
final class Bands {

    /** Helper threads beside the caller's; daemons, so they never hold the JVM. */
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dyve-java-kernel");
        t.setDaemon(true);
        return t;
    });

    private Bands() {
    }

    /**
     * Runs {@code task.accept(t)} for {@code t = 0 .. threads - 1}, task 0 on the calling thread, and returns when
     * all are done; a failing task's error is rethrown naming {@code layer}.
     */
    static void run(String layer, int threads, IntConsumer task) {
        if (threads == 1) {
            task.accept(0);
            return;
        }
        Future<?>[] others = new Future<?>[threads - 1];
        for (int t = 1; t < threads; t++) {
            int id = t;
            others[t - 1] = POOL.submit(() -> task.accept(id));
        }
        task.accept(0);
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(layer + ": interrupted", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(layer + ": " + e.getCause(), e.getCause());
            }
        }
    }
}
