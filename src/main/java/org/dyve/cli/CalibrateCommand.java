package org.dyve.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.dyve.DataException;
import org.dyve.data.Dataset;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.Calibrator;
import org.dyve.effort.EffortProfile;
import org.dyve.effort.EffortProfiles;
import org.dyve.engine.ExitProbe;
import org.dyve.model.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve calibrate}: the effort ladder of a model, tuned on calibration data. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Tune the per-layer effort knobs (SFMA, SDSS, SPET) on calibration data, maximising saved MACs"
                + " with top-1 loss within each budget; writes the effort ladder as HOCON.")
final class CalibrateCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Option(names = {"-d", "--data"}, required = true, paramLabel = "SPEC",
            description = "Calibration data (never the evaluation split), e.g. cifar10:calib_batch.bin.")
    String data;

    @Option(names = "--limit", defaultValue = "1000", paramLabel = "N",
            description = "Calibration samples (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--max-loss", split = ",", defaultValue = "0.1,0.5,1,2", paramLabel = "POINTS",
            description = "Top-1 loss budgets in points, one profile each (default: ${DEFAULT-VALUE}).")
    List<Double> budgets;

    @Option(names = "--out", paramLabel = "FILE",
            description = "Where to write the profiles (default: models/<model>.effort.conf).")
    Path outFile;

    @Option(names = "--no-exits", description = "No confidence early exits: tune the per-layer knobs only.")
    boolean noExits;

    @Option(names = "--no-mirror", description = "Fit the exit probes on the samples alone, not also on their"
            + " left-right mirror images (for data whose classes change when mirrored, such as text).")
    boolean noMirror;

    @Option(names = "--exits-only", description = "Calibrate the early exits alone (the fast-<b> rungs), no knobs:"
            + " minutes instead of hours on a large network.")
    boolean exitsOnly;

    @Option(names = "--max-probes", paramLabel = "N", defaultValue = "3",
            description = "At most N early-exit probes, at cuts spread evenly over the network's MACs; 0 = one at"
                    + " every cut (default: ${DEFAULT-VALUE}: on ResNet-20 three probes gave 1.28x the dense speed"
                    + " at -0.28 points where nine gave 1.13x at -1.12).")
    int maxProbes;

    @Option(names = {"-q", "--quiet"}, description = "No progress line.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        if (noExits && exitsOnly) {
            throw new DataException("--no-exits and --exits-only: choose one (knobs alone, or exits alone)");
        }
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        Dataset ds = Dataset.open(data);
        List<Double> sorted = new ArrayList<>(budgets);
        sorted.sort(null);
        Progress progress = new Progress(quiet);
        long t0 = System.nanoTime();
        Calibrator cal = new Calibrator(net, d.preprocessing(net), ds, limit);
        Calibrator.Listener listener = (phase, done, total) -> progress.update(phase, done, total);
        List<ExitProbe> probes = noExits ? List.of() : cal.fitProbes(listener, !noMirror, maxProbes);
        if (exitsOnly && probes.isEmpty()) {
            throw new DataException(d.id() + ": --exits-only, but no early-exit probe could be fitted (no cut of the"
                    + " network with enough samples per class after the calibration ones)");
        }
        EffortProfiles ladder = cal.calibrate(sorted, probes, listener, !exitsOnly);
        double secs = (System.nanoTime() - t0) / 1e9;
        Path out = outFile != null ? outFile : Path.of("models", d.id() + ".effort.conf");
        List<String> header = List.of("Effort ladder of " + d.id() + ", written by: dyve calibrate --model " + d.id()
                + " --data " + data + " --limit " + limit + " --max-loss " + sorted + (noMirror ? " --no-mirror" : "")
                + (exitsOnly ? " --exits-only" : "") + (maxProbes > 0 ? " --max-probes " + maxProbes : ""),
                String.format("Calibration: %d samples of %s, dense top-1 %.2f%%, %.0f s.", cal.size(), ds.describe(),
                        cal.denseTop1(), secs),
                "Per layer: sfma = input-map variance threshold (x mean^2), sdss-sig / sdss-sim = SDSS thresholds"
                        + " (x RMS of the grid outputs), spet = SPET threshold after the first spet-fraction of the"
                        + " input channels, or with spet-proxy = true in units of the residual sigma of the low-rank"
                        + " predictor under effort.proxies; -1 / off = knob off.",
                "ladder: the rungs the stream's effort controller walks, exact and fast-<b> (early exits alone,"
                        + " within b points on these samples; they skip whole dense layers, so they are faster than"
                        + " exact); macs-ladder: loss-<b>, the fewest MACs within b (knobs and exits; the dynamic"
                        + " kernels are slower than the dense ones, so the controller leaves them alone).",
                cal.base() == null ? "Knobs swept on the dense network." : String.format("Every trial builds on the"
                        + " exact profile %s (%d layers, %.3fx fewer MACs on these samples); its layers are not swept,"
                        + " and each profile below keeps their zero skipping.", cal.base().name(),
                        cal.base().layers().size(), cal.baseReduction()),
                probes.isEmpty() ? "No early exits (" + (noExits ? "--no-exits" : "no cut of the network with"
                        + " enough samples per class after the calibration ones") + ")."
                        : "Early exits: softmax probes on " + probes.stream().map(ExitProbe::tensor).toList()
                        + " fitted on the " + (ds.size() - cal.size()) + " samples after the calibration ones"
                        + (noMirror ? "" : " and their mirror images") + "; a profile's exits give each probe's"
                        + " confidence threshold.");
        try {
            if (out.getParent() != null) {
                Files.createDirectories(out.getParent());
            }
            Files.writeString(out, ladder.toHocon(header));
        } catch (IOException e) {
            throw new DataException(out + ": cannot write (" + e.getMessage() + ")");
        }
        PrintWriter w = spec.commandLine().getOut();
        w.printf("%s: %d calibration samples, dense top-1 %.2f%%, %.0f s%n", d.id(), cal.size(), cal.denseTop1(), secs);
        if (cal.base() != null) {
            w.printf("every trial builds on the exact profile %s (%d layers, %.3fx fewer MACs on these samples);"
                    + " its layers are not swept%n", cal.base().name(), cal.base().layers().size(),
                    cal.baseReduction());
        }
        if (!exitsOnly && ladder.byMacs().isEmpty()) {
            w.printf("no knob setting or exit saved MACs within the budgets%s%n", cal.base() != null
                    ? "; use --effort " + cal.base().name() : "");
        }
        w.printf("| profile | budget (points) | MAC reduction | top-1 loss (points) | agreement | exits |%n"
                + "|---|---|---|---|---|---|%n");
        for (EffortProfile p : ladder.all()) {
            w.printf("| %s | %.2f | %.3fx | %.2f | %.2f%% | %s |%n", p.name(), p.budget(), p.reduction(),
                    p.calibTop1Loss(), p.calibAgreement(), p.exits().isEmpty() ? "-" : p.exits().stream()
                    .map(e -> e.probe().tensor() + " >= " + e.threshold()).collect(Collectors.joining(", ")));
        }
        w.printf("written to %s%n", out);
        w.flush();
    }
}
