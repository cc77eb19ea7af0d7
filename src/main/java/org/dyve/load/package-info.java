/**
 * {@code dyve load}: load testing a running {@code dyve serve} with stream sources. A {@link org.dyve.load.LoadTest}
 * steps through loads (closed loop: requests outstanding; open loop: a request rate; camera-like streams at a frame
 * rate), measures latency from each request's intended send time on HdrHistogram (no coordinated omission), accounts
 * for every request, and reads the server's own queue and compute time from its {@code /metrics}.
 */
package org.dyve.load;
