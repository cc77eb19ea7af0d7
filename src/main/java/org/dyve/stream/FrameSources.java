package org.dyve.stream;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.ffmpeg.global.swscale;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.dyve.DyveException;
import org.dyve.data.Dataset;
import org.dyve.data.Image;

/**
 * Frame sources by specification: {@code video:FILE}, {@code camera:DEVICE} (V4L2), {@code rtsp://...} /
 * {@code http(s)://...} (anything FFmpeg opens), {@code images:DIR}, {@code cifar10:FILE}, {@code idx:DIR} and
 * {@code synthetic:WxH@FPS[:COUNT]}. File and data-set sources are fully backpressured; live ones (camera,
 * network, synthetic) never wait and are paired with a {@link LiveBuffer} by the pipeline.
 */
public final class FrameSources {
    private static final Pattern SYNTHETIC = Pattern.compile("(\\d+)x(\\d+)@(\\d+(?:\\.\\d+)?)(?::(\\d+))?");
    private static final int MAX_CONSECUTIVE_ERRORS = 50;
    private static final int MAX_BURST = 8;

    private FrameSources() {
    }

    /**
     * The size FFmpeg should scale decoded frames to (in C, area-averaging), so that Java never handles more
     * pixels than preprocessing needs: {@code shortSide > 0} keeps the aspect ratio with that short side,
     * else {@code width x height} exactly; {@link #NATIVE} keeps the source size.
     */
    public record DecodeSize(int shortSide, int width, int height) {
        /** Frames at the source's own size. */
        public static final DecodeSize NATIVE = new DecodeSize(0, 0, 0);

        int[] target(int w, int h) {
            if (shortSide > 0) {
                double f = (double) shortSide / Math.min(w, h);
                return f >= 1 ? new int[] {w, h} : new int[] {(int) Math.round(w * f), (int) Math.round(h * f)};
            }
            if (width > 0 && height > 0 && width < w && height < h) {
                return new int[] {width, height};
            }
            return new int[] {w, h};
        }
    }

    /** Whether {@code spec} names a live source. */
    public static boolean isLive(String spec) {
        return spec.startsWith("camera:") || spec.startsWith("synthetic:") || spec.contains("://");
    }

    /**
     * The frames of {@code spec}.
     *
     * @param blocking executor for blocking reads (decoding data sets)
     * @throws SourceException when the specification is malformed or names a missing file
     */
    public static Source<Frame, NotUsed> open(String spec, Executor blocking) {
        return open(spec, blocking, DecodeSize.NATIVE);
    }

    /** Like {@link #open(String, Executor)}, with FFmpeg sources scaled to {@code size} while decoding. */
    public static Source<Frame, NotUsed> open(String spec, Executor blocking, DecodeSize size) {
        int colon = spec.indexOf(':');
        String kind = colon > 0 ? spec.substring(0, colon) : "";
        String rest = colon > 0 ? spec.substring(colon + 1) : "";
        if (spec.contains("://")) {
            return ffmpeg(spec, spec, null, size);
        }
        return switch (kind) {
            case "video" -> {
                if (!Files.isRegularFile(Path.of(rest))) {
                    throw new SourceException(rest + ": video file not found");
                }
                yield ffmpeg(spec, rest, null, size);
            }
            case "camera" -> ffmpeg(spec, rest.isEmpty() ? "/dev/video0" : rest, "video4linux2", size);
            case "synthetic" -> synthetic(spec, rest);
            case "images", "cifar10", "idx" -> dataset(spec, blocking);
            default -> throw new SourceException(spec + ": invalid source (expected video:FILE, camera:DEVICE,"
                    + " rtsp://..., images:DIR, cifar10:FILE, idx:DIR or synthetic:WxH@FPS[:COUNT])");
        };
    }

    private static Source<Frame, NotUsed> dataset(String spec, Executor blocking) {
        Dataset ds;
        try {
            ds = Dataset.open(spec);
        } catch (DyveException e) {
            throw new SourceException(e.getMessage());
        }
        return Source.range(0, ds.size() - 1).mapAsync(1, i -> CompletableFuture.supplyAsync(() -> {
            try {
                var s = ds.get(i);
                return Frame.of(i, spec, i, s.image(), s.label());
            } catch (DyveException e) {
                return Frame.failed(i, spec, i, e.getMessage());
            }
        }, blocking));
    }

    /** A moving bright bar over a slowly changing gradient: consecutive frames differ a little. */
    private static Source<Frame, NotUsed> synthetic(String spec, String rest) {
        Matcher m = SYNTHETIC.matcher(rest);
        if (!m.matches()) {
            throw new SourceException(spec + ": invalid synthetic source (expected synthetic:WxH@FPS[:COUNT])");
        }
        int w = Integer.parseInt(m.group(1));
        int h = Integer.parseInt(m.group(2));
        double fps = Double.parseDouble(m.group(3));
        long count = m.group(4) == null ? Long.MAX_VALUE : Long.parseLong(m.group(4));
        if (w <= 0 || h <= 0 || fps <= 0) {
            throw new SourceException(spec + ": width, height and rate must be positive");
        }
        Duration period = Duration.ofNanos((long) (1e9 / fps));
        // Frames are due by the wall clock. Source.tick skips ticks when the machine is too busy to deliver
        // them; frames that fell due meanwhile are reported as dropped, so frames in always equals
        // fps x elapsed time, whatever the load.
        return Source.tick(Duration.ZERO, period, 0)
                .statefulMapConcat(() -> {
                    long[] next = {0};
                    long[] start = {-1};
                    return tick -> {
                        long now = System.nanoTime();
                        if (start[0] < 0) {
                            start[0] = now;
                        }
                        long due = Math.min(count, (long) ((now - start[0]) / 1e9 * fps) + 1);
                        // produce what fell due, like a camera whose driver queued frames meanwhile (at most
                        // MAX_BURST per tick; older ones are reported as lost at the source)
                        java.util.List<Frame> out = new java.util.ArrayList<>(MAX_BURST + 1);
                        if (due - next[0] > MAX_BURST) {
                            long lost = due - next[0] - MAX_BURST;
                            out.add(Frame.dropped(next[0], spec, (int) lost,
                                    "source: frames fell due while the machine was too busy to produce them"));
                            next[0] += lost;
                        }
                        while (next[0] < due) {
                            long seq = next[0]++;
                            out.add(Frame.of(seq, spec, (long) (seq * 1000 / fps), syntheticImage(w, h, seq), -1));
                        }
                        return out;
                    };
                })
                .takeWhile(f -> f.seq() + Math.max(1, f.droppedCount()) < count, true)
                .mapMaterializedValue(c -> NotUsed.getInstance());
    }

    static Image syntheticImage(int w, int h, long seq) {
        float[] d = new float[3 * w * h];
        int bar = (int) (seq * 2 % w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                float base = (x + y + seq / 10f) % 256;
                float v = Math.abs(x - bar) < w / 16 ? 250f : base;
                d[i] = v;
                d[w * h + i] = (base * 0.5f) % 256;
                d[2 * w * h + i] = 255 - base;
            }
        }
        return new Image(3, h, w, d);
    }

    /** A source read by FFmpeg in process; errors in single frames become error frames, the stream goes on. */
    private static Source<Frame, NotUsed> ffmpeg(String spec, String target, String format, DecodeSize size) {
        return Source.unfoldResource(() -> {
            avutil.av_log_set_level(avutil.AV_LOG_ERROR);
            FFmpegFrameGrabber g = new FFmpegFrameGrabber(target);
            if (format != null) {
                g.setFormat(format);
            }
            g.setPixelFormat(avutil.AV_PIX_FMT_RGB24);
            try {
                g.start();
                int[] t = size.target(g.getImageWidth(), g.getImageHeight());
                if (t[0] != g.getImageWidth() || t[1] != g.getImageHeight()) {
                    // reopen with the output size fixed, so FFmpeg's scaler produces it from the first frame on
                    g.stop();
                    g.setImageWidth(t[0]);
                    g.setImageHeight(t[1]);
                    g.setImageScalingFlags(swscale.SWS_AREA);
                    g.start();
                }
            } catch (FrameGrabber.Exception | RuntimeException e) {
                try {
                    g.release();
                } catch (FrameGrabber.Exception ignored) {
                    // nothing more to release
                }
                throw new SourceException(target + ": cannot open (" + firstLine(e) + ")");
            }
            return new Grabber(spec, g);
        }, Grabber::next, Grabber::close);
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }

    /** The state of one open FFmpeg source. */
    private static final class Grabber {
        private final String spec;
        private final FFmpegFrameGrabber g;
        private long seq;
        private int errors;

        Grabber(String spec, FFmpegFrameGrabber g) {
            this.spec = spec;
            this.g = g;
        }

        Optional<Frame> next() {
            org.bytedeco.javacv.Frame f;
            try {
                f = g.grabImage();
            } catch (FrameGrabber.Exception | RuntimeException e) {
                if (++errors > MAX_CONSECUTIVE_ERRORS) {
                    throw new SourceException(spec + ": " + MAX_CONSECUTIVE_ERRORS + " consecutive undecodable frames ("
                            + firstLine(e) + ")");
                }
                return Optional.of(Frame.failed(seq++, spec, -1, "undecodable frame (" + firstLine(e) + ")"));
            }
            if (f == null) {
                return Optional.empty();
            }
            errors = 0;
            return Optional.of(Frame.of(seq++, spec, f.timestamp / 1000, toImage(f), -1));
        }

        void close() {
            try {
                g.close();
            } catch (FrameGrabber.Exception e) {
                throw new SourceException(spec + ": cannot close (" + firstLine(e) + ")");
            }
        }
    }

    /** Packed RGB24 (with row stride) to planar float RGB. */
    static Image toImage(org.bytedeco.javacv.Frame f) {
        int w = f.imageWidth;
        int h = f.imageHeight;
        int stride = f.imageStride;
        ByteBuffer b = (ByteBuffer) f.image[0];
        int plane = w * h;
        float[] d = new float[3 * plane];
        byte[] row = new byte[3 * w];
        for (int y = 0; y < h; y++) {
            b.get(y * stride, row);
            int i = y * w;
            for (int x = 0, p = 0; x < w; x++, p += 3, i++) {
                d[i] = row[p] & 0xFF;
                d[plane + i] = row[p + 1] & 0xFF;
                d[2 * plane + i] = row[p + 2] & 0xFF;
            }
        }
        return new Image(3, h, w, d);
    }
}
