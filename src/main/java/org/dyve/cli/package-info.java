/**
 * The {@code dyve} command line (picocli): parses options, opens the runtime ({@link org.dyve.runtime.Dyve}) or the
 * library call a command needs, and prints results, summaries and one-line errors. It holds no runtime state of its
 * own.
 */
package org.dyve.cli;
