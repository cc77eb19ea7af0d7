package org.dyve.runtime;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import org.dyve.stream.StreamSettings;

/**
 * DyVE's settings, read once from HOCON ({@code reference.conf}, then {@code application.conf} and
 * {@code -Dkey=value}): where models live, how streams run, and the configuration the actor system starts with.
 *
 * @param config the whole configuration (the actor system's {@code pekko.*} included)
 * @param modelHome the folder that holds model files ({@code dyve.model-home})
 * @param stream how streams run ({@code dyve.stream.*})
 * @param requests how inference requests are queued and batched ({@code dyve.requests.*})
 * @param cores the cores the process computes on (the core budget)
 */
public record DyveSettings(Config config, Path modelHome, StreamSettings stream, RequestSettings requests, int cores) {
    /** The settings from the class path and system properties. */
    public static DyveSettings load() {
        return from(ConfigFactory.load());
    }

    /**
     * The settings from the class path and system properties, models in {@code home} if given, else in
     * {@code DYVE_MODEL_HOME}, else in {@code dyve.model-home} (what every command's --model-home means).
     */
    public static DyveSettings load(Path home) {
        DyveSettings s = load();
        return s.withModelHome(org.dyve.descriptor.ModelCatalog.home(home, s.modelHome()));
    }

    /** The settings from {@code config} (with DyVE's and Pekko's defaults beneath it). */
    public static DyveSettings from(Config config) {
        Config c = config.withFallback(ConfigFactory.defaultReference()).resolve();
        return new DyveSettings(c, Path.of(c.getString("dyve.model-home")), StreamSettings.from(c),
                RequestSettings.from(c), Runtime.getRuntime().availableProcessors());
    }

    /** These settings with models in {@code home}. */
    public DyveSettings withModelHome(Path home) {
        return new DyveSettings(config, home, stream, requests, cores);
    }

    /** These settings with requests batched by {@code r}. */
    public DyveSettings withRequests(RequestSettings r) {
        return new DyveSettings(config, modelHome, stream, r, cores);
    }

    /** These settings with streams run by {@code s}. */
    public DyveSettings withStream(StreamSettings s) {
        return new DyveSettings(config, modelHome, s, requests, cores);
    }
}
