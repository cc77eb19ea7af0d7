package org.dyve.engine;

/**
 * Confidence early exit at one activation: a sample whose probe assigns some class a softmax probability of at
 * least {@code threshold} takes the probe's answer and skips every later layer.
 *
 * @param threshold in (0, 1]; values above 1 never exit
 */
public record EarlyExit(ExitProbe probe, double threshold) {
}
