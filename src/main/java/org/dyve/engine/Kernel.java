package org.dyve.engine;

/** One compiled layer: reads and writes buffers bound at compile time. */
interface Kernel {
    /** Runs the layer on the first {@code n} samples of the batch. */
    void run(int n);
}
