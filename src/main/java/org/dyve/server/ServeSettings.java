package org.dyve.server;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code dyve.serve.*}: how {@code dyve serve} listens, whom it answers, what it accepts (see {@code reference.conf}).
 *
 * @param streams streams started with the service, each a {@code POST /v1/streams} body as a map
 */
public record ServeSettings(String host, int port, List<String> models, String token, long maxBody, long maxPixels,
        int maxBatchRequest, int sseBuffer, Duration shutdownDeadline, Sources sources,
        List<Map<String, Object>> streams) {

    /**
     * What remote clients may stream from.
     *
     * @param allowedDirs folders whose files may be streamed
     */
    public record Sources(List<Path> allowedDirs, boolean cameras, List<String> urlSchemes, boolean synthetic) {
    }

    public static ServeSettings from(Config root) {
        Config c = root.getConfig("dyve.serve");
        Config src = c.getConfig("sources");
        List<Map<String, Object>> streams = new java.util.ArrayList<>();
        for (var o : c.getObjectList("streams")) {
            streams.add(o.unwrapped());
        }
        return new ServeSettings(c.getString("host"), c.getInt("port"), c.getStringList("models"),
                c.getString("token"), c.getBytes("max-body"), c.getLong("max-pixels"), c.getInt("max-batch-request"),
                c.getInt("sse-buffer"), c.getDuration("shutdown-deadline"),
                new Sources(src.getStringList("allowed-dirs").stream().map(p -> Path.of(p).toAbsolutePath()
                        .normalize()).toList(), src.getBoolean("cameras"), src.getStringList("url-schemes"),
                        src.getBoolean("synthetic")), streams);
    }

    /** These settings listening on {@code h}:{@code p}. */
    public ServeSettings withAddress(String h, int p) {
        return new ServeSettings(h, p, models, token, maxBody, maxPixels, maxBatchRequest, sseBuffer, shutdownDeadline,
                sources, streams);
    }

    /** These settings with {@code t} as the bearer token (empty: none). */
    public ServeSettings withToken(String t) {
        return new ServeSettings(host, port, models, t, maxBody, maxPixels, maxBatchRequest, sseBuffer, shutdownDeadline,
                sources, streams);
    }

    /** These settings serving {@code m}. */
    public ServeSettings withModels(List<String> m) {
        return new ServeSettings(host, port, m, token, maxBody, maxPixels, maxBatchRequest, sseBuffer, shutdownDeadline,
                sources, streams);
    }

    /** These settings letting an events client fall {@code results} behind before it loses some. */
    public ServeSettings withSseBuffer(int results) {
        return new ServeSettings(host, port, models, token, maxBody, maxPixels, maxBatchRequest, results,
                shutdownDeadline, sources, streams);
    }

    /** These settings letting clients stream from {@code s}. */
    public ServeSettings withSources(Sources s) {
        return new ServeSettings(host, port, models, token, maxBody, maxPixels, maxBatchRequest, sseBuffer,
                shutdownDeadline, s, streams);
    }
}
