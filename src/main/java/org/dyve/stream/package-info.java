/**
 * Streaming classification on Pekko Streams: {@link org.dyve.stream.FrameSources} (video files, cameras and
 * network streams through FFmpeg, image folders, data sets, a synthetic generator) feed a backpressured
 * pipeline whose network is split into {@link org.dyve.stream.LayerStage} actors; an
 * {@link org.dyve.stream.EffortController} actor per stream decides per frame to compute, reuse the
 * previous result or drop, and at which effort level; results go to a JSON-lines sink with a summary.
 */
package org.dyve.stream;
