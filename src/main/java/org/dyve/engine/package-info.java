/**
 * Dense execution of a {@link org.dyve.model.Network} (or a contiguous range of its layers) on ND4J with
 * Caffe arithmetic. {@link org.dyve.engine.Engine} compiles a plan once for a batch size: buffers and
 * ND4J ops are allocated at compile time, so running it allocates nothing per call.
 */
package org.dyve.engine;
