package org.dyve;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared models and data ({@code DYVE_SHARED}, else {@code -Ddyve.shared}, else ../shared). */
public final class Shared {
    private Shared() {
    }

    public static Path root() {
        String env = System.getenv("DYVE_SHARED");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("dyve.shared", "../shared"));
    }

    /** {@code root().resolve(rel)}, skipping the calling test when it does not exist. */
    public static Path require(String rel) {
        Path p = root().resolve(rel);
        assumeTrue(Files.exists(p), "shared data not available: " + p);
        return p;
    }

    /** The model home of the shared models, skipping when absent. */
    public static Path models() {
        return require("models");
    }
}
