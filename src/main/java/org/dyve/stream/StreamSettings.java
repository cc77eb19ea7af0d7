package org.dyve.stream;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.List;

/**
 * The {@code dyve.stream} configuration block, read once (every key is documented in reference.conf).
 *
 * @param stages number of layer stages (0: one per core)
 * @param split layer names before which a new stage starts; empty for a split balanced by measured cost
 * @param stageBuffer batches buffered between consecutive stages
 * @param maxBatch most frames a stage runs at once (batches form only while frames queue)
 * @param warmUpRuns runs of every stage's engine per effort rung on zeros before the source starts
 * @param liveBuffer frames a live source may queue before its overflow policy applies
 * @param reuseThreshold mean absolute difference (0..255) of 16 x 16 grey thumbnails below which a frame reuses
 *     the previous result; 0 disables reuse
 * @param maxReuse consecutive reuses after which a frame is computed regardless
 * @param targetFps rate the controller tries to hold (0: none)
 * @param latencyMs per-frame latency the controller tries to hold (0: none)
 * @param window frames between two effort-ladder moves
 * @param pressureBacklog frames waiting in a live source's buffer that move the controller to a cheaper rung at
 *     once, before the buffer overflows (0: only drops and targets move it)
 * @param progress interval of the live progress line
 * @param decodeThreads FFmpeg's decoding threads per source (0: FFmpeg's choice)
 * @param replicas actors per layer stage, each with its own engines, taking the stage's batches in turn
 * @param reconnect how a live camera or network source that fails is opened again
 * @param ffmpegLogLevel FFmpeg's own log level on standard error (quiet, fatal, error, warning, info)
 */
public record StreamSettings(int stages, List<String> split, int stageBuffer, int maxBatch, int warmUpRuns,
        int liveBuffer, Overflow overflow, double reuseThreshold, int maxReuse, double targetFps, double latencyMs,
        int window, int pressureBacklog, Duration progress, int decodeThreads, int replicas, Reconnect reconnect,
        String ffmpegLogLevel) {

    /**
     * How a live camera or network source that fails (unplugged, a server restarting) is opened again.
     *
     * @param attempts failed attempts in a row after which the stream ends with an error (0: no reconnection)
     * @param initialBackoff wait before the first attempt; each failed attempt doubles it
     * @param maxBackoff the longest wait between two attempts
     */
    public record Reconnect(int attempts, Duration initialBackoff, Duration maxBackoff) {
        /** Reads a {@code reconnect} block. */
        static Reconnect from(Config c) {
            Reconnect r = new Reconnect(c.getInt("attempts"), c.getDuration("initial-backoff"),
                    c.getDuration("max-backoff"));
            if (r.attempts < 0 || r.initialBackoff.isNegative() || r.maxBackoff.compareTo(r.initialBackoff) < 0) {
                throw new org.dyve.DyveException("dyve.stream.reconnect: attempts must be >= 0 and max-backoff >="
                        + " initial-backoff >= 0");
            }
            return r;
        }
    }

    /** Reads {@code dyve.stream} from {@code root}. */
    public static StreamSettings from(Config root) {
        Config c = root.getConfig("dyve.stream");
        return new StreamSettings(c.getInt("stages"), c.getStringList("split"), c.getInt("stage-buffer"),
                c.getInt("max-batch"), c.getInt("warm-up-runs"), c.getInt("live-buffer"),
                Overflow.parse(c.getString("overflow")), c.getDouble("reuse.threshold"),
                c.getInt("reuse.max-consecutive"), c.getDouble("controller.target-fps"),
                c.getDouble("controller.latency-ms"), c.getInt("controller.window"),
                c.getInt("controller.pressure-backlog"), c.getDuration("progress"), c.getInt("decode-threads"),
                c.getInt("replicas"), Reconnect.from(c.getConfig("reconnect")),
                c.getString("ffmpeg-log-level"));
    }

    /**
     * The number of layer stages on {@code cores} cores: one more than the split points, else {@code stages}, else
     * one per core.
     */
    public int stageCount(int cores) {
        return !split.isEmpty() ? split.size() + 1 : stages > 0 ? stages : cores;
    }

    /** Actors per layer stage (at least one). */
    public int actorsPerStage() {
        return Math.max(1, replicas);
    }

    /** A copy with another rate / latency target (0 keeps none). */
    public StreamSettings withTargets(double fps, double latency) {
        return new StreamSettings(stages, split, stageBuffer, maxBatch, warmUpRuns, liveBuffer, overflow,
                reuseThreshold, maxReuse, fps, latency, window, pressureBacklog, progress, decodeThreads, replicas,
                reconnect, ffmpegLogLevel);
    }

    /** A copy with another reuse threshold (0 disables reuse). */
    public StreamSettings withReuse(double threshold) {
        return new StreamSettings(stages, split, stageBuffer, maxBatch, warmUpRuns, liveBuffer, overflow, threshold,
                maxReuse, targetFps, latencyMs, window, pressureBacklog, progress, decodeThreads, replicas, reconnect,
                ffmpegLogLevel);
    }
}
