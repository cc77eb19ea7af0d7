package org.dyve.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.dyve.DataException;
import org.dyve.format.onnx.OnnxExporter;
import org.dyve.model.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve export}: any model to ONNX. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a model (Caffe, Deep Compression or ONNX) as an ONNX file (opset 13) that ONNX Runtime"
                + " runs with the same results.")
final class ExportCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "The ONNX file to write.")
    Path onnx;

    @Option(names = "--external-data", description = "Store the weights in FILE.data beside the model (ONNX external"
            + " data).")
    boolean externalData;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        Network net = model.descriptor().load();
        try {
            OnnxExporter.write(net, onnx, externalData);
        } catch (IOException e) {
            throw new DataException(onnx + ": cannot write (" + e.getMessage() + ")");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("%s: %d layers, %,d parameters -> %s (ONNX opset 13)%n", net.name(), net.layers().size(),
                net.parameters(), onnx);
        out.flush();
    }
}
