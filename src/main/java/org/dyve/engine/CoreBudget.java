package org.dyve.engine;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The machine's cores as a budget shared by everything that computes in one process: each worker that runs
 * engines at the same time as the others (a stream's layer-stage actor, a classify worker) holds a {@link Lease},
 * and its engines ask {@link #share} before each run (see {@link Engine.Builder#threads}). With {@code w} workers
 * leased, each may use {@code max(1, cores / w)} native threads for its large layers, so streams started and stopped
 * at run time share the cores without overwriting each other's setting.
 */
public final class CoreBudget {
    private final int cores;
    private final AtomicInteger workers = new AtomicInteger();

    /** A budget of {@code cores} cores. */
    public CoreBudget(int cores) {
        if (cores < 1) {
            throw new IllegalArgumentException("a core budget needs at least one core, found " + cores);
        }
        this.cores = cores;
    }

    /** A budget of the cores this JVM may use. */
    public static CoreBudget ofMachine() {
        return new CoreBudget(Runtime.getRuntime().availableProcessors());
    }

    public int cores() {
        return cores;
    }

    /** Native threads per worker now: the cores over the workers leased, at least one. */
    public int share() {
        return Math.max(1, cores / Math.max(1, workers.get()));
    }

    /** Workers leased now. */
    public int workers() {
        return workers.get();
    }

    /** Leases {@code n} workers until the lease is closed. */
    public Lease lease(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a lease needs at least one worker, found " + n);
        }
        workers.addAndGet(n);
        return new Lease(n);
    }

    /** Workers that compute until {@link #close} (closing twice returns them once). */
    public final class Lease implements AutoCloseable {
        private final int n;
        private final AtomicBoolean open = new AtomicBoolean(true);

        private Lease(int n) {
            this.n = n;
        }

        /** Native threads per worker now (see {@link CoreBudget#share}). */
        public int share() {
            return CoreBudget.this.share();
        }

        @Override
        public void close() {
            if (open.compareAndSet(true, false)) {
                workers.addAndGet(-n);
            }
        }
    }
}
