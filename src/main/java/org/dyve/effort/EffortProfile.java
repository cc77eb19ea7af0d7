package org.dyve.effort;

import java.util.List;
import java.util.Map;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.EarlyExit;
import org.dyve.engine.Engine;
import org.dyve.model.Convolution;
import org.dyve.model.Network;

/**
 * A named rung of a model's effort ladder: the knob settings of each convolution layer (layers not listed run
 * exactly), the confidence early exits it takes, and what calibration measured for it.
 *
 * @param budget the top-1 loss budget it was calibrated for, in percentage points (0 for {@code exact})
 * @param reduction dense MACs over executed MACs on the calibration data
 * @param calibTop1Loss top-1 loss on the calibration data, in points
 * @param calibAgreement top-1 agreement with the dense network on the calibration data, in percent
 */
public record EffortProfile(String name, double budget, Map<String, ConvEffort> layers, List<EarlyExit> exits,
        double reduction, double calibTop1Loss, double calibAgreement) {

    /** The exact profile: no knob on, no early exit, outputs equal the dense network's. */
    public static final EffortProfile EXACT = new EffortProfile("exact", 0, Map.of(), List.of(), 1, 0, 100);

    public EffortProfile {
        layers = Map.copyOf(layers);
        exits = List.copyOf(exits);
    }

    /** The name of {@link #sparse}'s profile. */
    public static final String SPARSE = "sparse";

    /** The name of {@link #sparseInputs}'s profile. */
    public static final String SPARSE_INPUTS = "sparse-inputs";

    /**
     * The exact profile for a pruned network: every convolution with at most
     * {@link ConvEffort#SPARSE_MAX_DENSITY} nonzero weights runs from its nonzero weights only, the rest exactly;
     * outputs equal the dense network's (to rounding). Its reduction is counted from the weights; null when no
     * layer is sparse enough.
     */
    public static EffortProfile sparse(Network net) {
        return zeroSkipping(net, SPARSE, false);
    }

    /**
     * {@link #sparse} and more: every 1x1 convolution that reads a ReLU's output (directly or through
     * concatenation or pooling) also skips its zero inputs ({@link ConvEffort#ZERO_INPUTS}); exact too, fewer MACs,
     * slower. Its reduction is counted from the weights only (how many inputs are zero depends on the image; eval
     * measures it); null when no layer changes.
     */
    public static EffortProfile sparseInputs(Network net) {
        return zeroSkipping(net, SPARSE_INPUTS, true);
    }

    private static EffortProfile zeroSkipping(Network net, String name, boolean inputs) {
        Map<String, ConvEffort> layers = new java.util.LinkedHashMap<>();
        long dense = 0;
        long executed = 0;
        for (int i = 0; i < net.layers().size(); i++) {
            long macs = net.macs(i);
            dense += macs;
            executed += macs;
            if (!(net.layers().get(i) instanceof Convolution c)) {
                continue;
            }
            double density = c.density();
            boolean sparse = density <= ConvEffort.SPARSE_MAX_DENSITY;
            boolean zeroInputs = inputs && c.window().kh() == 1 && c.window().kw() == 1 && c.group() == 1
                    && net.nonNegative(c.input(), i);
            if (sparse || zeroInputs) {
                layers.put(c.name(), ConvEffort.EXACT.withSparse(sparse).withZeroInputs(zeroInputs));
            }
            if (sparse) {
                executed -= Math.round(macs * (1 - density));
            }
        }
        boolean any = layers.values().stream().anyMatch(k -> inputs ? k.zeroInputs() : k.sparse());
        return !any ? null : new EffortProfile(name, 0, layers, List.of(), (double) dense / executed, 0, 100);
    }

    /** This profile with its early exits replaced. */
    public EffortProfile withExits(List<EarlyExit> e, double newReduction, double loss, double agreement) {
        return new EffortProfile(name, budget, layers, e, newReduction, loss, agreement);
    }

    /** An engine for the whole network running this profile (knobs and early exits). */
    public Engine engine(Network net, int batch) {
        return Engine.of(net, batch, layers, exits);
    }
}
