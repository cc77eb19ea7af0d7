package org.dyve.stream;

import java.util.Optional;
import org.apache.pekko.stream.ActorAttributes;
import org.dyve.metrics.DropReason;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.dyve.DyveException;
import org.dyve.data.Dataset;
import org.dyve.data.Image;
import org.dyve.data.Preprocessing;

/**
 * Frame sources by specification ({@link SourceSpec}): {@code video:FILE}, {@code camera:DEVICE} (V4L2),
 * {@code lavfi:GRAPH} (an FFmpeg filter graph: test patterns), {@code rtsp://...} / {@code http(s)://...} (anything
 * FFmpeg opens), {@code images:DIR}, {@code cifar10:FILE}, {@code idx:DIR} and {@code synthetic:WxH@FPS[:COUNT]}.
 * File and data-set sources are fully backpressured; live ones (camera, lavfi, live network streams, synthetic,
 * files read with {@code realtime=1}) never wait and are paired with a {@link LiveBuffer} by the pipeline.
 */
public final class FrameSources {
    private static final Pattern SYNTHETIC = Pattern.compile("(\\d+)x(\\d+)@(\\d+(?:\\.\\d+)?)(?::(\\d+))?");
    /** Frames a synthetic source passes on at once at the least after waking late (see {@link #burst}). */
    private static final int MAX_BURST = 8;
    /**
     * A source thread can wake milliseconds late on a busy machine (a virtual machine's host takes the core): a
     * synthetic source passes on all the frames that fell due over this long without calling them lost at the source.
     */
    private static final double BURST_SECONDS = 0.01;

    private FrameSources() {
    }

    /**
     * How FFmpeg decodes. With {@code width > 0} frames come out {@code width x height}, as the model's
     * preprocessing would make them: with {@code resize > 0} scaled so that their short side is {@code resize}
     * and centre-cropped (FFmpeg crops first and scales only what is kept), else scaled to exactly that size;
     * all in C (area averaging), so Java never handles more pixels than the model sees. With {@code width = 0}
     * frames keep the source's size. {@code threads} is FFmpeg's decoding threads (0: FFmpeg's choice).
     */
    public record Decoding(int width, int height, int resize, int threads) {
        /** Frames at the source's own size, FFmpeg's choice of threads. */
        public static final Decoding NATIVE = new Decoding(0, 0, 0, 0);

        /** Frames at the model input's size, as {@code pre} resizes and crops them. */
        public static Decoding of(Preprocessing pre, int threads) {
            return new Decoding(pre.input().w(), pre.input().h(), pre.resize(), threads);
        }

        /** The FFmpeg filter that turns {@code w x h} frames into these, or null when none is needed. */
        String filter(int w, int h) {
            if (width <= 0 || height <= 0) {
                return null;
            }
            String crop = "";
            if (resize > 0) {
                // the source region that resizing the short side to `resize` and cropping the centre keeps
                double f = (double) Math.min(w, h) / resize;
                int cw = Math.min(w, (int) Math.round(width * f));
                int ch = Math.min(h, (int) Math.round(height * f));
                if (cw != w || ch != h) {
                    crop = "crop=" + cw + ":" + ch + ",";
                }
            }
            return crop + "scale=" + width + ":" + height + ":flags=area,format=rgb24";
        }
    }

    /**
     * The frames of {@code src}.
     *
     * @param blocking executor for blocking reads (decoding data sets)
     * @param decoding how FFmpeg sources decode
     * @param s the stream's settings (how a live source reconnects, FFmpeg's log level)
     * @param health where the source reports damage and reconnections
     * @throws SourceException when the specification is malformed or names a missing file
     */
    public static Source<Frame, NotUsed> open(SourceSpec src, Executor blocking, Decoding decoding, StreamSettings s,
            SourceHealth health) {
        return switch (src.kind()) {
            case "video" -> {
                if (!Files.isRegularFile(Path.of(src.target()))) {
                    throw new SourceException(src.target() + ": video file not found");
                }
                yield FfmpegSource.of(src, decoding, s.reconnect(), s.ffmpegLogLevel(), health);
            }
            case "camera", "lavfi", "url" -> FfmpegSource.of(src, decoding, s.reconnect(), s.ffmpegLogLevel(), health);
            case "synthetic" -> synthetic(src.spec(), src.target());
            default -> dataset(src.spec(), blocking, health);
        };
    }

    private static Source<Frame, NotUsed> dataset(String spec, Executor blocking, SourceHealth health) {
        // an image folder's frames carry their file's name, so results can be matched to files
        boolean files = spec.startsWith("images:");
        Dataset ds;
        try {
            ds = Dataset.open(spec);
        } catch (DyveException e) {
            throw new SourceException(e.getMessage());
        }
        return Source.range(0, ds.size() - 1).mapAsync(1, i -> CompletableFuture.supplyAsync(() -> {
            try {
                var s = ds.get(i);
                return Frame.of(i, spec, i, s.image(), s.label()).named(files ? s.id() : null);
            } catch (DyveException e) {
                health.undecodableFrame();
                return Frame.failed(i, spec, i, e.getMessage()).named(files ? ds.id(i) : null);
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
        // the source keeps its own clock on its own thread: its frames fall due by the wall clock whatever the
        // actor system's timer grid (one grid serves every stream in a process)
        return Source.unfoldResource(() -> new SyntheticClock(spec, w, h, fps, count),
                c -> Optional.ofNullable(c.next()),
                c -> { })
                .withAttributes(ActorAttributes.dispatcher(FfmpegSource.DISPATCHER));
    }

    /**
     * Produces a synthetic source's frames when they fall due. Frames that fell due while the machine was too busy
     * to produce them (the thread woke late) come out as a camera's driver would hand over its queue, up to
     * {@link #burst} at once; older ones become one dropped-frames marker ({@link DropReason#SOURCE_LATE}), so frames
     * in always equals fps x elapsed time, whatever the load.
     */
    private static final class SyntheticClock {
        private final String spec;
        private final int w;
        private final int h;
        private final double fps;
        private final long count;
        private final int burst;
        private long start = -1;
        private long next;

        SyntheticClock(String spec, int w, int h, double fps, long count) {
            this.spec = spec;
            this.w = w;
            this.h = h;
            this.fps = fps;
            this.count = count;
            this.burst = burst(fps);
        }

        Frame next() {
            if (next >= count) {
                return null;
            }
            long now = System.nanoTime();
            if (start < 0) {
                start = now;
            }
            long dueAt = start + (long) (next * 1e9 / fps);
            while (now < dueAt) {
                java.util.concurrent.locks.LockSupport.parkNanos(dueAt - now);
                if (Thread.interrupted()) {
                    return null;
                }
                now = System.nanoTime();
            }
            long due = Math.min(count, (long) ((now - start) / 1e9 * fps) + 1);
            if (due - next > burst) {
                long lost = due - next - burst;
                Frame marker = Frame.dropped(next, spec, (int) Math.min(Integer.MAX_VALUE, lost),
                        DropReason.SOURCE_LATE);
                next += marker.droppedCount();
                return marker;
            }
            long seq = next++;
            return Frame.of(seq, spec, (long) (seq * 1000 / fps), syntheticImage(w, h, seq), -1);
        }
    }

    /** Frames a synthetic source at {@code fps} passes on after waking late, older ones being lost at the source. */
    static int burst(double fps) {
        return Math.max(MAX_BURST, (int) Math.ceil(fps * BURST_SECONDS));
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

    /** Packed RGB24 (with row stride) to planar float RGB; {@code packed} is a scratch buffer, grown as needed. */
    static Image toImage(org.bytedeco.javacv.Frame f, byte[][] packed) {
        int w = f.imageWidth;
        int h = f.imageHeight;
        int stride = f.imageStride;
        ByteBuffer b = (ByteBuffer) f.image[0];
        int bytes = (h - 1) * stride + 3 * w;
        if (packed[0] == null || packed[0].length < bytes) {
            packed[0] = new byte[bytes];
        }
        byte[] p = packed[0];
        b.get(0, p, 0, bytes);
        int plane = w * h;
        float[] d = new float[3 * plane];
        for (int y = 0; y < h; y++) {
            int i = y * w;
            int end = i + w;
            for (int q = y * stride; i < end; i++, q += 3) {
                d[i] = p[q] & 0xFF;
                d[plane + i] = p[q + 1] & 0xFF;
                d[2 * plane + i] = p[q + 2] & 0xFF;
            }
        }
        return new Image(3, h, w, d);
    }
}
