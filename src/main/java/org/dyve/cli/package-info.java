/** The {@code dyve} command line (picocli): info, classify, eval, bench-ort, train. */
package org.dyve.cli;
