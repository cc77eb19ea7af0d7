package org.dyve.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.dyve.DataException;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.eval.Evaluator;
import org.dyve.format.caffe.CaffeImporter;
import org.dyve.model.Network;
import org.dyve.train.FashionCnnTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve train}: reproduces the embedded default model and reports its test accuracy. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train the embedded default model (fashion_cnn) on Fashion-MNIST and export it as Caffe"
            + " files, then evaluate the export with the dense engine on the test split.",
            "Reproduce the committed model: dyve train --out models/fashion_cnn"})
final class TrainCommand implements Runnable {
    @Option(names = "--data", paramLabel = "DIR", defaultValue = EvalCommand.FASHION_MNIST,
            description = "Folder with the Fashion-MNIST IDX files (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "models/fashion_cnn",
            description = "Where to write deploy.prototxt and fashion_cnn.caffemodel (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--epochs", defaultValue = "10", description = "Training epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "64", description = "Mini-batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.001", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--seed", defaultValue = "20261124", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--limit", description = "Train on the first N samples only (smoke runs).")
    int limit;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        PrintWriter w = spec.commandLine().getOut();
        Dataset train = Dataset.open("idx:" + data + "#train");
        if (limit > 0) {
            train = train.first(limit);
        }
        try {
            new FashionCnnTrainer(seed, epochs, batch, lr).train(train, out, s -> {
                w.println(s);
                w.flush();
            });
        } catch (IOException e) {
            throw new DataException(out + ": cannot write the model (" + e.getMessage() + ")");
        }
        Network net = CaffeImporter.load(out.resolve("deploy.prototxt"), out.resolve("fashion_cnn.caffemodel"));
        Preprocessing pre = FashionCnnTrainer.preprocessing();
        Evaluator.Result r = new Evaluator(net, pre, 64).run(Dataset.open("idx:" + data), 0, new Evaluator.Listener() {
        });
        w.printf("fashion_cnn: trained %d epochs on %d samples (seed %d); test top-1 %.2f%%, top-5 %.2f%% on %d"
                + " images (dense engine on the exported Caffe files)%n", epochs, train.size(), seed, r.top1(),
                r.top5(), r.count());
        w.flush();
    }
}
