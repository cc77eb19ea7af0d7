/**
 * Benchmarks that measure DyVE side by side with a baseline in one process (warm-up, interleaved
 * repetitions, medians): the dense engine against ONNX Runtime on the same network.
 */
package org.dyve.bench;
