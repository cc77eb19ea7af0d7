package org.dyve.cli;

import picocli.CommandLine.Command;

/** {@code dyve bench-ort}. */
@Command(name = "bench-ort", mixinStandardHelpOptions = true, description = "Dense engine vs ONNX Runtime.")
final class BenchOrtCommand implements Runnable {
    @Override
    public void run() {
        throw new org.dyve.DyveException("not yet");
    }
}
