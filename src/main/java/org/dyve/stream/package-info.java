/**
 * Streaming classification on Pekko Streams: {@link org.dyve.stream.FrameSources} (video files, cameras and
 * network streams through FFmpeg, image folders, data sets, a synthetic generator) feed a backpressured
 * pipeline ({@link org.dyve.stream.StreamPipeline}: planned and compiled first, then built) whose network is split
 * into {@link org.dyve.stream.LayerStage} actors; an {@link org.dyve.stream.EffortController} actor per stream
 * decides per frame to compute, reuse the previous result or drop, and at which effort level. Every frame leaves as
 * one {@link org.dyve.stream.FrameResult} and is counted in the stream's {@link org.dyve.metrics.StreamCounters}.
 * The runtime ({@code org.dyve.runtime}) owns streams; this package only builds them.
 */
package org.dyve.stream;
