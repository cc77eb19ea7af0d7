/**
 * {@code dyve serve}: DyVE as an HTTP service on Pekko HTTP, over the runtime ({@link org.dyve.runtime.Dyve}): the
 * KServe Open Inference Protocol v2 ({@code /v2/...}), image classification ({@code /v1/models/{m}/classify}),
 * managed streams with live results as Server-Sent Events ({@code /v1/streams}), bearer-token access and a source
 * allow-list ({@link org.dyve.server.SourcePolicy}).
 */
package org.dyve.server;
