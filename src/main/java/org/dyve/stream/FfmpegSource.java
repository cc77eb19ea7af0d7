package org.dyve.stream;

import org.dyve.metrics.DropReason;

import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameFilter;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameFilter;
import org.bytedeco.javacv.FrameGrabber;
import org.dyve.DyveException;

/**
 * Sources that FFmpeg reads in process: video files (played {@code loop} times, at their own pace or in real time),
 * cameras (V4L2), {@code lavfi:} filter graphs and network streams. Opening happens on the source's own thread when
 * the first frame is asked for, so a source that cannot be opened fails the stream with its one-line reason and
 * nothing else. A live camera or network source that fails later is opened again as {@link StreamSettings.Reconnect}
 * says, and the frames that fell due meanwhile become one dropped-frames marker with reason
 * {@link DropReason#SOURCE_RECONNECT}. A file that ends before its container says it should, or whose frames do not
 * decode, is reported damaged in its {@link SourceHealth}.
 */
final class FfmpegSource {
    private static final int MAX_CONSECUTIVE_ERRORS = 50;
    /** The dispatcher FFmpeg sources run on (see reference.conf). */
    static final String DISPATCHER = "dyve.stream.source-dispatcher";

    private FfmpegSource() {
    }

    /** The frames of {@code src}, decoded as {@code decoding} says. */
    static Source<Frame, NotUsed> of(SourceSpec src, FrameSources.Decoding decoding, StreamSettings.Reconnect policy,
            String logLevel, SourceHealth health) {
        int level = logLevel(logLevel);
        Opener opener = () -> open(src, decoding, level);
        return of(src, opener, policy, health);
    }

    /** Like {@link #of(SourceSpec, FrameSources.Decoding, StreamSettings.Reconnect, String, SourceHealth)}. */
    static Source<Frame, NotUsed> of(SourceSpec src, Opener opener, StreamSettings.Reconnect policy,
            SourceHealth health) {
        return Source.unfoldResource(() -> new Reader(src, opener, policy, health), Reader::next, Reader::close)
                // a thread of its own, so decoding neither hops between pooled threads nor waits for one
                .addAttributes(ActorAttributes.dispatcher(DISPATCHER));
    }

    /** Opens a source: FFmpeg in production, one that fails a known number of times in tests. */
    @FunctionalInterface
    interface Opener {
        /** @throws SourceException naming the source and why it does not open */
        Opened open();
    }

    /** An open FFmpeg input and the filter that crops, scales and converts its frames (or null). */
    record Opened(FFmpegFrameGrabber grabber, FFmpegFrameFilter filter) {
        void close() {
            try {
                grabber.close();
            } catch (FrameGrabber.Exception | RuntimeException e) {
                // closing what failed: nothing more to do
            }
            if (filter != null) {
                try {
                    filter.close();
                } catch (FrameFilter.Exception | RuntimeException e) {
                    // the same
                }
            }
        }
    }

    static int logLevel(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "quiet" -> avutil.AV_LOG_QUIET;
            case "fatal" -> avutil.AV_LOG_FATAL;
            case "error" -> avutil.AV_LOG_ERROR;
            case "warning" -> avutil.AV_LOG_WARNING;
            case "info" -> avutil.AV_LOG_INFO;
            default -> throw new SourceException("dyve.stream.ffmpeg-log-level: '" + name + "' is not one of quiet,"
                    + " fatal, error, warning, info");
        };
    }

    /** Opens {@code src} with FFmpeg. */
    static Opened open(SourceSpec src, FrameSources.Decoding decoding, int logLevel) {
        try {
            // registers FFmpeg's input devices (v4l2, lavfi) as well as its formats
            FFmpegFrameGrabber.tryLoad();
        } catch (FrameGrabber.Exception | RuntimeException | LinkageError e) {
            throw new SourceException(src.spec() + ": FFmpeg does not load (" + firstLine(e) + ")");
        }
        avutil.av_log_set_level(logLevel);
        String target = src.target();
        if (src.kind().equals("lavfi")) {
            if (src.width() > 0) {
                target += ",scale=" + src.width() + ":" + src.height();
            }
            if (src.fps() > 0) {
                target += ",fps=" + src.fps();
            }
        }
        FFmpegFrameGrabber g = new FFmpegFrameGrabber(target);
        if (src.ffmpegFormat() != null) {
            g.setFormat(src.ffmpegFormat());
        }
        if (src.kind().equals("camera")) {
            // ask the device for its size and rate (a device that cannot deliver the pixel format asked below is
            // opened again by JavaCV without asking for it)
            if (src.width() > 0) {
                g.setOption("video_size", src.width() + "x" + src.height());
            }
            if (src.fps() > 0) {
                g.setOption("framerate", Double.toString(src.fps()));
            }
        }
        if (decoding.threads() > 0) {
            g.setVideoOption("threads", Integer.toString(decoding.threads()));
        }
        FFmpegFrameFilter filter = null;
        try {
            // opened once (a live server may serve one connection only), delivering planar YUV (what most video is:
            // no conversion at full size) into a filter that crops, scales and converts only what the model sees
            g.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            g.start();
            String graph = decoding.filter(g.getImageWidth(), g.getImageHeight());
            filter = new FFmpegFrameFilter(graph == null ? "format=rgb24" : graph, g.getImageWidth(),
                    g.getImageHeight());
            filter.setPixelFormat(g.getPixelFormat());
            filter.start();
        } catch (FrameGrabber.Exception | FrameFilter.Exception | RuntimeException e) {
            new Opened(g, filter).close();
            throw new SourceException(src.target() + ": cannot open (" + firstLine(e) + ")");
        }
        return new Opened(g, filter);
    }

    /** {@link DyveException#reason}, with JavaCV's advice left out and FFmpeg's words for an error code added. */
    static String firstLine(Throwable e) {
        // JavaCV's advice to call setFormat() or FFmpegLogCallback.set() is not the user's business
        String m = DyveException.reason(e).replaceAll(" \\((Has setFormat\\(\\) been called\\?|For more details,"
                + " make sure FFmpegLogCallback\\.set\\(\\) has been called\\.)\\)", "");
        java.util.regex.Matcher code = java.util.regex.Pattern.compile("error (-\\d+)").matcher(m);
        if (code.find()) {
            // FFmpeg's words for the error code: "No such file or directory", "Connection refused"
            byte[] buf = new byte[256];
            if (avutil.av_strerror(Integer.parseInt(code.group(1)), buf, buf.length) == 0) {
                String words = new String(buf, java.nio.charset.StandardCharsets.UTF_8).replace("\0", "").trim();
                if (!words.isEmpty()) {
                    m = m + ": " + words;
                }
            }
        }
        return m;
    }

    /** The state of one FFmpeg source, used on its own thread only. */
    static final class Reader {
        private final SourceSpec src;
        private final Opener opener;
        private final StreamSettings.Reconnect policy;
        private final SourceHealth health;
        /** The last frame's packed pixels, copied out of FFmpeg's buffer in one call. */
        private final byte[][] packed = new byte[1][];
        private Opened cur;
        private boolean opened;
        private long seq;
        private int errors;
        /** Times the file has been played to its end. */
        private int played;
        /** Added to the timestamps of this pass over a looped file, so they keep rising. */
        private long offsetUs;
        /** The last frame's timestamp in this pass (µs), or -1. */
        private long lastUs = -1;
        /** Frames decoded in this pass. */
        private long passFrames;
        /** Frame rate of the input as last opened, 0 when unknown. */
        private double fps;
        /** For real-time pacing: the wall clock and timestamp of the first frame. */
        private long paceNanos = -1;
        private long paceUs;
        /** When the last frame came out of FFmpeg. */
        private long lastFrameNanos = System.nanoTime();
        /** A frame held back while the dropped-frames marker before it goes out. */
        private Frame pending;

        Reader(SourceSpec src, Opener opener, StreamSettings.Reconnect policy, SourceHealth health) {
            this.src = src;
            this.opener = opener;
            this.policy = policy;
            this.health = health;
        }

        Optional<Frame> next() {
            if (pending != null) {
                Frame p = pending;
                pending = null;
                return Optional.of(p);
            }
            if (!opened) {
                // opened here rather than when the stage starts: a failure then fails the stream with its own message
                use(opener.open());
                opened = true;
            }
            while (true) {
                org.bytedeco.javacv.Frame f;
                org.bytedeco.javacv.Frame image;
                try {
                    f = cur.grabber().grabImage();
                    image = f;
                    if (f != null && cur.filter() != null) {
                        cur.filter().push(f);
                        image = cur.filter().pull();
                        if (image == null) {
                            throw new FrameFilter.Exception("the scaler returned no frame");
                        }
                    }
                } catch (FrameGrabber.Exception | FrameFilter.Exception | RuntimeException e) {
                    if (++errors > MAX_CONSECUTIVE_ERRORS) {
                        String why = MAX_CONSECUTIVE_ERRORS + " consecutive undecodable frames (" + firstLine(e) + ")";
                        if (src.reconnects()) {
                            Optional<Frame> gap = reconnect(why);
                            if (gap.isPresent()) {
                                return gap;
                            }
                            continue;
                        }
                        throw new SourceException(src.spec() + ": " + why);
                    }
                    health.undecodableFrame();
                    return Optional.of(Frame.failed(seq++, src.spec(), -1, "undecodable frame (" + firstLine(e) + ")"));
                }
                if (f == null) {
                    Optional<Frame> after = ended();
                    if (after == null) {
                        return Optional.empty();
                    }
                    if (after.isPresent()) {
                        return after;
                    }
                    continue;
                }
                errors = 0;
                passFrames++;
                lastUs = f.timestamp;
                lastFrameNanos = System.nanoTime();
                long us = f.timestamp + offsetUs;
                if (src.realtime()) {
                    pace(us);
                }
                return Optional.of(Frame.of(seq++, src.spec(), us / 1000, FrameSources.toImage(image, packed), -1));
            }
        }

        /**
         * The input ended: null when the source is done, empty when it goes on (a looped file opened again, a live
         * source reconnected with no frame missed), or a dropped-frames marker for what a reconnection missed.
         */
        private Optional<Frame> ended() {
            if (src.reconnects()) {
                return reconnect("the stream ended");
            }
            if (src.isFile()) {
                checkComplete();
            }
            played++;
            if (src.isFile() && (src.loops() == 0 || played < src.loops()) && passFrames > 0) {
                double period = fps > 0 ? 1e6 / fps : 0;
                offsetUs += lastUs + (long) period;
                cur.close();
                cur = null;
                use(opener.open());
                return Optional.empty();
            }
            return null;
        }

        /** Reports the file damaged when it ended before its container's duration, or gave no frame at all. */
        private void checkComplete() {
            FFmpegFrameGrabber g = cur.grabber();
            if (passFrames == 0) {
                health.damaged(src.target() + ": no frame decoded");
                return;
            }
            var oc = g.getFormatContext();
            if (oc == null || oc.duration() <= 0
                    || oc.duration_estimation_method() == avformat.AVFMT_DURATION_FROM_BITRATE) {
                return;
            }
            long start = oc.start_time() == avutil.AV_NOPTS_VALUE ? 0 : oc.start_time();
            double period = fps > 0 ? 1e6 / fps : 0;
            double missing = oc.duration() - (lastUs - start) - period;
            // a few frames' slack for containers whose streams end a little apart
            if (missing > Math.max(3 * period, 0.01 * oc.duration())) {
                health.damaged(String.format(Locale.ROOT, "%s: ended at %.2f s of %.2f s (truncated or damaged)",
                        src.target(), (lastUs - start) / 1e6, oc.duration() / 1e6));
            }
        }

        /**
         * Opens a failed live source again, waiting between attempts as the policy says; the frames that fell due
         * meanwhile (at the source's frame rate) come back as one dropped-frames marker, the next frame after it.
         *
         * @throws SourceException when the policy's attempts are used up
         */
        private Optional<Frame> reconnect(String why) {
            cur.close();
            cur = null;
            long backoff = policy.initialBackoff().toNanos();
            String last = why;
            int attempt = 0;
            while (cur == null) {
                if (attempt >= policy.attempts()) {
                    throw new SourceException(src.target() + ": lost (" + why + ")" + (attempt == 0 ? ""
                            : "; " + attempt + " reconnect attempt" + (attempt == 1 ? "" : "s") + " failed (last: "
                            + last + ")"));
                }
                sleep(backoff);
                attempt++;
                try {
                    use(opener.open());
                } catch (SourceException e) {
                    last = e.getMessage();
                    backoff = Math.min(2 * backoff, policy.maxBackoff().toNanos());
                }
            }
            health.reconnected();
            long missed = fps > 0 ? Math.round((System.nanoTime() - lastFrameNanos) / 1e9 * fps) - 1 : 0;
            if (missed <= 0) {
                return Optional.empty();
            }
            int n = (int) Math.min(Integer.MAX_VALUE, missed);
            Frame marker = Frame.dropped(seq, src.spec(), n, DropReason.SOURCE_RECONNECT);
            seq += n;
            return Optional.of(marker);
        }

        private void use(Opened o) {
            cur = o;
            passFrames = 0;
            lastUs = -1;
            double r = o.grabber().getFrameRate();
            if (r > 0 && r < 10_000) {
                fps = r;
            } else if (src.fps() > 0) {
                fps = src.fps();
            }
        }

        /** Waits until the frame with timestamp {@code us} is due, the first frame being due at once. */
        private void pace(long us) {
            long now = System.nanoTime();
            if (paceNanos < 0) {
                paceNanos = now;
                paceUs = us;
                return;
            }
            long due = paceNanos + (us - paceUs) * 1000;
            if (due > now) {
                sleep(due - now);
            }
        }

        private static void sleep(long nanos) {
            try {
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SourceException("source interrupted");
            }
        }

        void close() {
            if (cur != null) {
                cur.close();
                cur = null;
            }
        }
    }
}
