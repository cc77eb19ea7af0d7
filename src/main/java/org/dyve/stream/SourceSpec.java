package org.dyve.stream;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed source specification: its kind, what FFmpeg or the data-set reader opens, and DyVE's per-source
 * parameters after a {@code ?}, which keep their meaning when a command has several sources:
 * <ul>
 * <li>{@code loop=N} (files): play the file N times in all ({@code loop=inf}: until stopped);</li>
 * <li>{@code realtime=1} (files, {@code lavfi:} graphs): read at the file's own frame rate, as a camera would
 *     send it; the source is then live (it never waits for the pipeline: frames it cannot pass on are dropped and
 *     counted);</li>
 * <li>{@code size=WxH}, {@code fps=N} (cameras, {@code lavfi:}): the resolution and frame rate asked of the
 *     device;</li>
 * <li>{@code live=1} / {@code live=0} (URLs): whether a network source is live, when its scheme does not say.</li>
 * </ul>
 * In a URL only these keys are DyVE's; the rest of its query stays in the URL FFmpeg opens.
 *
 * @param spec the specification as written
 * @param kind {@code video}, {@code camera}, {@code lavfi}, {@code url}, {@code synthetic}, {@code images},
 *     {@code cifar10} or {@code idx}
 * @param target what is opened: a file, device, filter graph, URL or data-set specification
 * @param loops times a file is played, 0 for no end
 * @param realtime read at the file's own frame rate
 * @param width asked frame width (0: the device's choice)
 * @param height asked frame height (0: the device's choice)
 * @param fps asked frame rate (0: the device's choice)
 * @param live whether frames arrive whether or not the pipeline is ready for them
 */
public record SourceSpec(String spec, String kind, String target, int loops, boolean realtime, int width, int height,
        double fps, boolean live) {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");
    private static final Set<String> KEYS = Set.of("loop", "realtime", "size", "fps", "live");
    /** URL schemes whose streams are live (they send frames whether or not anyone is ready for them). */
    private static final Set<String> LIVE_SCHEMES = Set.of("rtsp", "rtsps", "rtmp", "rtmps", "rtp", "udp", "srt",
            "tcp", "mms", "mmsh");
    /** URL path endings of live streams over HTTP: HLS playlists, MJPEG cameras, SDP descriptions. */
    private static final List<String> LIVE_ENDINGS = List.of(".m3u8", ".mjpg", ".mjpeg", ".sdp");
    static final String EXPECTED = "video:FILE, camera:DEVICE, lavfi:GRAPH, rtsp://..., http(s)://..., images:DIR,"
            + " cifar10:FILE, idx:DIR or synthetic:WxH@FPS[:COUNT]";

    /**
     * Parses {@code spec}.
     *
     * @throws SourceException naming the specification and what is wrong with it
     */
    public static SourceSpec parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new SourceException("empty source (expected " + EXPECTED + ")");
        }
        boolean url = spec.contains("://");
        int colon = spec.indexOf(':');
        String kind = url ? "url" : colon > 0 ? spec.substring(0, colon) : "";
        String rest = url ? spec : colon > 0 ? spec.substring(colon + 1) : "";
        if (!Set.of("url", "video", "camera", "lavfi", "synthetic", "images", "cifar10", "idx").contains(kind)) {
            throw new SourceException(spec + ": invalid source (expected " + EXPECTED + ")");
        }
        Map<String, String> params = new LinkedHashMap<>();
        int q = rest.lastIndexOf('?');
        String target = rest;
        if (q >= 0) {
            target = rest.substring(0, q);
            List<String> kept = new ArrayList<>();
            for (String kv : rest.substring(q + 1).split("&")) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                String k = eq < 0 ? kv : kv.substring(0, eq);
                String v = eq < 0 ? "1" : kv.substring(eq + 1);
                if (KEYS.contains(k)) {
                    params.put(k, v);
                } else if (url) {
                    kept.add(kv);
                } else {
                    throw new SourceException(spec + ": unknown source parameter '" + k + "' (expected loop, realtime,"
                            + " size, fps or live)");
                }
            }
            if (!kept.isEmpty()) {
                target += "?" + String.join("&", kept);
            }
        }
        if (target.isEmpty() && !kind.equals("camera")) {
            throw new SourceException(spec + ": invalid source (nothing after '" + kind + ":'; expected " + EXPECTED
                    + ")");
        }
        int loops = 1;
        String loop = params.get("loop");
        if (loop != null) {
            if (loop.equals("inf") || loop.equals("0")) {
                loops = 0;
            } else {
                loops = positiveInt(spec, "loop", loop);
            }
        }
        boolean realtime = flag(spec, "realtime", params.get("realtime"), false);
        int w = 0;
        int h = 0;
        if (params.containsKey("size")) {
            Matcher m = SIZE.matcher(params.get("size"));
            if (!m.matches() || Integer.parseInt(m.group(1)) == 0 || Integer.parseInt(m.group(2)) == 0) {
                throw new SourceException(spec + ": size '" + params.get("size") + "' is not WIDTHxHEIGHT (e.g."
                        + " 640x480)");
            }
            w = Integer.parseInt(m.group(1));
            h = Integer.parseInt(m.group(2));
        }
        double fps = 0;
        if (params.containsKey("fps")) {
            try {
                fps = Double.parseDouble(params.get("fps"));
            } catch (NumberFormatException e) {
                fps = -1;
            }
            if (!(fps > 0 && fps <= 1000)) {
                throw new SourceException(spec + ": fps '" + params.get("fps") + "' is not a frame rate in (0, 1000]");
            }
        }
        boolean file = kind.equals("video");
        if (loop != null && !file && !kind.equals("url")) {
            throw new SourceException(spec + ": loop applies to files (video:FILE or a file URL)");
        }
        if (params.containsKey("realtime") && !file && !kind.equals("url") && !kind.equals("lavfi")) {
            throw new SourceException(spec + ": realtime applies to files and lavfi: graphs");
        }
        if ((w > 0 || fps > 0) && !kind.equals("camera") && !kind.equals("lavfi")) {
            throw new SourceException(spec + ": size and fps apply to cameras and lavfi: sources");
        }
        boolean live = switch (kind) {
            case "camera", "lavfi", "synthetic" -> true;
            case "url" -> flag(spec, "live", params.get("live"), liveUrl(target)) || realtime;
            case "video" -> realtime;
            default -> false;
        };
        if (kind.equals("url") && live && loop != null && !realtime) {
            throw new SourceException(spec + ": loop applies to files, not to a live stream");
        }
        return new SourceSpec(spec, kind, kind.equals("camera") && target.isEmpty() ? "/dev/video0" : target, loops,
                realtime, w, h, fps, live);
    }

    /** Whether FFmpeg reads this source (and so decodes it as {@link FrameSources.Decoding} says). */
    public boolean isFfmpeg() {
        return kind.equals("video") || kind.equals("camera") || kind.equals("lavfi") || kind.equals("url");
    }

    /** Whether the source is a device or network stream that may come back after it fails (reconnect). */
    boolean reconnects() {
        return live && (kind.equals("camera") || kind.equals("url")) && !realtime;
    }

    /** Whether the source is a file read to its end (so an early end means it is damaged). */
    boolean isFile() {
        return kind.equals("video") || kind.equals("url") && !live;
    }

    /** FFmpeg's input format for this source, or null to let FFmpeg probe it. */
    String ffmpegFormat() {
        return switch (kind) {
            case "camera" -> "video4linux2";
            case "lavfi" -> "lavfi";
            default -> null;
        };
    }

    private static boolean liveUrl(String url) {
        String scheme = url.substring(0, url.indexOf("://")).toLowerCase(Locale.ROOT);
        if (LIVE_SCHEMES.contains(scheme)) {
            return true;
        }
        String path = url.replaceFirst("[?#].*$", "").toLowerCase(Locale.ROOT);
        return LIVE_ENDINGS.stream().anyMatch(path::endsWith);
    }

    private static int positiveInt(String spec, String key, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new SourceException(spec + ": " + key + " '" + v + "' is not a positive whole number");
    }

    private static boolean flag(String spec, String key, String v, boolean absent) {
        if (v == null) {
            return absent;
        }
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new SourceException(spec + ": " + key + " '" + v + "' is not 1 or 0");
        };
    }
}
