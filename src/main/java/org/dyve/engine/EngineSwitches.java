package org.dyve.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The engine's process-wide switches, {@code dyve.engine.*} in {@code reference.conf} (each key commented there),
 * overridden by {@code application.conf} and {@code -Ddyve.engine.KEY=VALUE}. Read once, when the engine is first
 * used, and fixed for the life of the process: they choose kernels for every engine compiled.
 *
 * @param onednn whether convolutions and pooling may run as oneDNN primitives (also needs oneDNN to load)
 * @param segments whether runs of layers may execute as one chain of oneDNN primitives
 * @param parallelMacs below this many MACs per run a layer's native ops use one thread
 * @param parallelFloats from this many floats per run a data-moving step is split over the native threads
 */
record EngineSwitches(boolean onednn, boolean segments, long parallelMacs, long parallelFloats) {
    /** The switches of this process. */
    static final EngineSwitches CURRENT = from(ConfigFactory.load());

    static EngineSwitches from(Config root) {
        Config c = root.getConfig("dyve.engine");
        return new EngineSwitches(c.getBoolean("onednn"), c.getBoolean("segments"), c.getLong("parallel-macs"),
                c.getLong("parallel-floats"));
    }
}
