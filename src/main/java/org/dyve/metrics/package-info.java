/**
 * The counters and histograms every surface reads: per stream ({@link org.dyve.metrics.StreamCounters}: frames by
 * {@link org.dyve.metrics.Outcome} and {@link org.dyve.metrics.DropReason}, frames per effort rung, MACs, latency
 * histograms, per-stage queue wait and compute), readable at any moment as an immutable
 * {@link org.dyve.metrics.CountersSnapshot}. A stream's final summary, the JSON lines, and the coming HTTP and
 * Prometheus endpoints read the same counters; nothing is counted twice. Depends on nothing else in DyVE.
 */
package org.dyve.metrics;
