package org.dyve.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import org.dyve.effort.EffortProfile;
import org.dyve.engine.ConvEffort;
import org.dyve.model.Convolution;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Shape;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code dyve info}: the layer table. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's layers: output shapes, parameters, the convolutions' nonzero weights, MACs and"
                + " their share of the total.")
final class InfoCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        Network net = model.descriptor().load();
        PrintWriter out = spec.commandLine().getOut();
        out.println(table(net));
        EffortProfile sparse = EffortProfile.sparse(net);
        if (sparse != null) {
            out.printf("pruned: --effort %s computes it exactly from its nonzero weights (%d layers), %.3fx fewer"
                    + " MACs%n", sparse.name(), sparse.layers().size(), sparse.reduction());
        }
        EffortProfile inputs = EffortProfile.sparseInputs(net);
        if (inputs != null) {
            out.printf("pointwise after ReLU: --effort %s also skips the zero inputs of %d 1x1 layers (exact; fewer"
                    + " MACs, how many depends on the image: see dyve eval)%n", inputs.name(),
                    inputs.layers().values().stream().filter(ConvEffort::zeroInputs).count());
        }
        out.println(EffortProfile.bf16() != null
                ? "this CPU computes bfloat16 natively: --effort bf16 runs the oneDNN segments in bfloat16 (every MAC,"
                        + " about half the time; not exact), and the stream's ladder has bf16 rungs"
                : "this CPU has no native bfloat16 (no bf16 rung)");
        out.flush();
    }

    static String table(Network net) {
        StringBuilder b = new StringBuilder();
        b.append("model ").append(net.name()).append(": input ").append(net.input().name()).append(' ')
                .append(net.input().shape()).append(", ").append(net.layers().size()).append(" layers, output ")
                .append(net.output()).append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"#", "layer", "type", "output", "params", "nonzero", "MACs", "share"});
        long total = net.totalMacs();
        double nonzeroMacs = 0;
        for (int i = 0; i < net.layers().size(); i++) {
            Layer l = net.layers().get(i);
            Shape s = net.shape(l.output());
            long m = net.macs(i);
            double density = l instanceof Convolution c ? c.density() : 1;
            nonzeroMacs += m * density;
            rows.add(new String[] {Integer.toString(i), l.name(), l.type(), s.toString(),
                Long.toString(l.parameters()), l instanceof Convolution ? String.format("%.0f%%", 100 * density) : "",
                m == 0 ? "-" : String.format("%,d", m),
                m == 0 ? "" : String.format("%.1f%%", 100.0 * m / total)});
        }
        // the total's nonzero share is of the MACs: what computing the convolutions from their nonzero weights leaves
        rows.add(new String[] {"", "total", "", "", Long.toString(net.parameters()),
            total == 0 ? "" : String.format("%.0f%%", 100 * nonzeroMacs / total), String.format("%,d", total),
            "100.0%"});
        int[] w = new int[8];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                boolean right = i == 0 || i >= 4;
                String f = "%" + (right ? "" : "-") + w[i] + "s";
                b.append(String.format(f, r[i])).append(i + 1 < r.length ? "  " : "\n");
            }
        }
        return b.toString().stripTrailing();
    }
}
