package org.dyve.cli;

import com.typesafe.config.ConfigFactory;
import java.io.PrintWriter;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfiles;
import org.dyve.model.Network;
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
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, ModelCatalog.home(null));
        Network net = d.load();
        StreamSettings s = StreamSettings.from(ConfigFactory.load());
        PrintWriter out = spec.commandLine().getOut();
        out.printf("dyve demo: %s (%,d MACs/image) on idx:%s through %d stage(s) x %d actor(s)%n", d.id(),
                net.totalMacs(), data, s.stageCount(Runtime.getRuntime().availableProcessors()), s.actorsPerStage());
        out.flush();
        StreamCommand.stream(d, net, "idx:" + data, s, EffortProfiles.load(d.id(), null).ladder(), limit, sink,
                quiet, out);
    }
}
