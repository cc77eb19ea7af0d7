package org.dyve;

/**
 * A message that may cross from one node to another (a stream's description, the request to stop it, its results
 * and counters): serialised by Pekko with Jackson's CBOR format (the binding is in {@code reference.conf}), so a
 * stream can be hosted on any node of a cluster.
 */
public interface Wire {
}
