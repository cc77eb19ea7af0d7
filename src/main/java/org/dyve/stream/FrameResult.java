package org.dyve.stream;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dyve.Wire;
import org.dyve.metrics.Outcome;

/**
 * What happened to one frame: the one frame-result schema, written alike as JSON lines and (to come) server events
 * (README, "Frame results").
 *
 * @param stream the stream's id
 * @param seq position in the stream, from 0
 * @param ptsMs presentation time in milliseconds (frame index for data sets), -1 for dropped frames
 * @param status the frame's outcome
 * @param reason why: a dropped frame's {@link org.dyve.metrics.DropReason}, a failed frame's error, an early exit
 *     ({@code exit@TENSOR}) and why the effort rung last moved; null when there is nothing to say
 * @param top1 predicted class, -1 when none (dropped, error)
 * @param effort the effort rung the frame was computed at (or whose result it reused), null when none
 * @param macs multiply-accumulates spent on this frame
 * @param latencyMs from arrival at the source to the result
 * @param truth the frame's label when the source knows it, else -1
 * @param name the file the frame came from (image folders), else null
 * @param wallMs wall-clock time of the result (milliseconds since the epoch)
 */
public record FrameResult(String stream, long seq, String source, long ptsMs, Outcome status, String reason, int top1,
        String label, float prob, String effort, long macs, double latencyMs, int truth, String name, long wallMs)
        implements Wire {

    /** The result as a JSON-ready map: one JSON line. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("stream", stream);
        m.put("seq", seq);
        m.put("time", java.time.Instant.ofEpochMilli(wallMs).toString());
        m.put("source", source);
        if (name != null) {
            m.put("file", name);
        }
        m.put("pts_ms", ptsMs);
        m.put("top1", top1 < 0 ? null : top1);
        m.put("label", label);
        m.put("prob", top1 < 0 ? null : prob);
        m.put("status", status.wire());
        m.put("effort", effort);
        m.put("macs", macs);
        m.put("latency_ms", latencyMs);
        if (reason != null && !reason.isEmpty()) {
            m.put("reason", reason);
        }
        if (truth >= 0) {
            m.put("truth", truth);
        }
        return m;
    }
}
