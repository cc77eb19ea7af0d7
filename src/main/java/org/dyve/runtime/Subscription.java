package org.dyve.runtime;

import java.util.function.LongSupplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;
import org.dyve.stream.FrameResult;

/**
 * A subscriber's view of a stream's results (see {@link StreamHandle#subscribe}).
 *
 * @param results the results from subscription to the stream's end, in frame order
 * @param dropped how many results this subscriber has lost so far because its buffer was full
 */
public record Subscription(Source<FrameResult, NotUsed> results, LongSupplier dropped) {
}
