package org.dyve.cli;

import picocli.CommandLine.Command;

/** {@code dyve train}: reproduces the embedded default model. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train the embedded default model.")
final class TrainCommand implements Runnable {
    @Override
    public void run() {
        throw new org.dyve.DyveException("not yet");
    }
}
