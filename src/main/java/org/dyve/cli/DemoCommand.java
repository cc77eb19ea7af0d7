package org.dyve.cli;

import java.io.PrintWriter;
import java.util.List;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.DyveSettings;
import org.dyve.runtime.LoadedModel;
import org.dyve.runtime.StreamDescription;
import org.dyve.stream.StreamSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve demo}: the embedded default model on the Fashion-MNIST test set, through the full pipeline. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Stream the Fashion-MNIST test set through the full pipeline (layer-stage actors, effort"
                + " controller) with the embedded default model; show progress, then accuracy, MACs saved,"
                + " throughput and latency.")
final class DemoCommand implements Runnable {
    @Option(names = "--data", defaultValue = EvalCommand.FASHION_MNIST, paramLabel = "DIR",
            description = "Fashion-MNIST IDX folder (default: ${DEFAULT-VALUE}, Debian's dataset-fashion-mnist).")
    String data;

    @Option(names = "--limit", paramLabel = "N", description = "Stream only the first N images.")
    long limit;

    @Option(names = "--sink", defaultValue = "none", paramLabel = "SINK",
            description = "jsonl:FILE, jsonl:- or none (default: ${DEFAULT-VALUE}).")
    String sink;

    @Option(names = {"-q", "--quiet"}, description = "No progress line.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        try (Dyve dyve = Dyve.open(DyveSettings.load(null))) {
            LoadedModel m = dyve.model(ModelCatalog.DEFAULT_MODEL);
            StreamSettings s = dyve.settings().stream();
            PrintWriter out = spec.commandLine().getOut();
            out.printf("dyve demo: %s (%,d MACs/image) on idx:%s through %d stage(s) x %d actor(s)%n",
                    m.descriptor().id(), m.network().totalMacs(), data, s.stageCount(dyve.cores().cores()),
                    s.actorsPerStage());
            out.flush();
            StreamCommand.stream(dyve, List.of(StreamDescription.of(m.descriptor().id(), "idx:" + data)
                    .withLimit(limit)), sink, quiet, out);
        }
    }
}
