package org.dyve.cli;

import java.io.PrintWriter;
import java.util.List;
import org.dyve.data.Dataset;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.ActivationStats;
import org.dyve.model.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve stats}: what a perfect dynamic-effort predictor could skip, per convolution layer. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Per convolution layer on real inputs: share of conv MACs, outputs <= 0 before ReLU, 2x2 output"
                + " blocks all zero after ReLU, all-zero output maps, constant input maps, inputs exactly zero, MACs"
                + " that exact early termination (SnaPEA's sign-ordered rule) skips, outputs a max pooling after the"
                + " layer ignores.")
final class StatsCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "SPEC", description = "Data set (as for eval).")
    String data;

    @Option(names = "--limit", defaultValue = "200", description = "Samples to measure (default: ${DEFAULT-VALUE}).")
    int limit;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        Dataset ds = Dataset.open(data);
        List<ActivationStats.LayerStats> stats = ActivationStats.measure(net, d.preprocessing(net), ds, limit);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("| layer | k | Cin>Cout | out | MAC %% | <=0 pre-ReLU %% | 2x2 all-zero %% | zero maps %% |"
                + " const in-maps %% | zero inputs %% | exact termination skips %% | max-pool losers %% |%n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|%n");
        double w1 = 0;
        double w2 = 0;
        double w3 = 0;
        double w4 = 0;
        double w5 = 0;
        for (ActivationStats.LayerStats s : stats) {
            out.printf("| %s | %d | %d>%d | %dx%d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                    s.layer(), s.kernel(), s.cin(), s.cout(), s.out().h(), s.out().w(), 100 * s.macShare(),
                    100 * s.nonPositive(), 100 * s.zeroBlocks2x2(), 100 * s.zeroMaps(), 100 * s.constantInputMaps(),
                    100 * s.zeroInputs(), 100 * s.exactTermination(), 100 * s.poolLosers());
            w1 += s.macShare() * s.nonPositive();
            w2 += s.macShare() * s.zeroBlocks2x2();
            w3 += s.macShare() * s.exactTermination();
            w4 += s.macShare() * s.poolLosers();
            w5 += s.macShare() * s.zeroInputs();
        }
        out.printf("%nMAC-weighted over conv layers: <=0 pre-ReLU %.1f%%, 2x2 all-zero %.1f%%, zero inputs %.1f%%,"
                + " exact termination skips %.1f%%, max-pool losers %.1f%% of the MACs (%d samples)%n", 100 * w1,
                100 * w2, 100 * w5, 100 * w3, 100 * w4, Math.min(limit, ds.size()));
        out.flush();
    }
}
