package org.dyve.runtime;

import org.dyve.Wire;

/**
 * What a stream is, in values only (no live objects), so that it can be written down, sent and started anywhere
 * (a {@link Wire} message):
 * which model, which source, at which effort, for how many frames, and the controller's targets.
 *
 * @param model a model the runtime knows ({@link Dyve#register} or a descriptor name in the model home)
 * @param source a source specification (see {@code dyve stream --help})
 * @param effort {@code auto} (the controller moves along the ladder), {@code exact}, or a profile held throughout
 * @param limit frames to take, 0 for all
 * @param targetFps frame rate the controller holds, 0 for none
 * @param latencyMs latency the controller holds, 0 for none
 * @param reuse temporal-reuse threshold, negative for the setting's ({@code dyve.stream.reuse.threshold})
 * @param held whether the source opens only when the stream's first subscriber arrives (so that it sees every frame)
 */
public record StreamDescription(String model, String source, String effort, long limit, double targetFps,
        double latencyMs, double reuse, boolean held) implements Wire {
    public StreamDescription {
        if (model == null || model.isBlank() || source == null || source.isBlank()) {
            throw new IllegalArgumentException("a stream needs a model and a source");
        }
        effort = effort == null ? "auto" : effort;
    }

    /** {@code source} through {@code model} at automatic effort, every frame, the settings' targets. */
    public static StreamDescription of(String model, String source) {
        return new StreamDescription(model, source, "auto", 0, 0, 0, -1, false);
    }

    public StreamDescription withEffort(String e) {
        return new StreamDescription(model, source, e, limit, targetFps, latencyMs, reuse, held);
    }

    public StreamDescription withLimit(long frames) {
        return new StreamDescription(model, source, effort, frames, targetFps, latencyMs, reuse, held);
    }

    public StreamDescription withTargets(double fps, double latency) {
        return new StreamDescription(model, source, effort, limit, fps, latency, reuse, held);
    }

    public StreamDescription withReuse(double threshold) {
        return new StreamDescription(model, source, effort, limit, targetFps, latencyMs, threshold, held);
    }

    public StreamDescription withHeld(boolean h) {
        return new StreamDescription(model, source, effort, limit, targetFps, latencyMs, reuse, h);
    }
}
