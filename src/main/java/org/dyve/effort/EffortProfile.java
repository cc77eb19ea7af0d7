package org.dyve.effort;

import java.util.List;
import java.util.Map;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.EarlyExit;
import org.dyve.engine.Engine;
import org.dyve.engine.Precision;
import org.dyve.model.Convolution;
import org.dyve.model.Network;

/**
 * A named rung of a model's effort ladder: the knob settings of each convolution layer (layers not listed run
 * exactly), the confidence early exits it takes, and what calibration measured for it.
 *
 * @param budget the top-1 loss budget it was calibrated for, in percentage points (0 for {@code exact})
 * @param reduction dense MACs over executed MACs on the calibration data
 * @param calibTop1Loss top-1 loss on the calibration data, in points
 * @param calibAgreement top-1 agreement with the dense network on the calibration data, in percent (NaN, like the
 *     loss, when not measured)
 * @param precision the number format of the engine's oneDNN segments
 */
public record EffortProfile(String name, double budget, Map<String, ConvEffort> layers, List<EarlyExit> exits,
        double reduction, double calibTop1Loss, double calibAgreement, Precision precision) {

    /** The exact profile: no knob on, no early exit, outputs equal the dense network's. */
    public static final EffortProfile EXACT = new EffortProfile("exact", 0, Map.of(), List.of(), 1, 0, 100);

    /** The name of {@link #bf16}'s profile. */
    public static final String BF16 = "bf16";

    public EffortProfile {
        layers = Map.copyOf(layers);
        exits = List.copyOf(exits);
        java.util.Objects.requireNonNull(precision, "precision");
    }

    /** A profile computing in f32. */
    public EffortProfile(String name, double budget, Map<String, ConvEffort> layers, List<EarlyExit> exits,
            double reduction, double calibTop1Loss, double calibAgreement) {
        this(name, budget, layers, exits, reduction, calibTop1Loss, calibAgreement, Precision.F32);
    }

    /**
     * The dense network with its oneDNN segments in bfloat16 ({@link Precision#BF16}): every MAC still executed, about
     * half the time where the CPU computes bfloat16 natively; outputs within bfloat16 rounding of the dense ones, so
     * not exact (its loss is not calibrated: NaN). Null where the CPU does not ({@link Precision#isNative()}).
     */
    public static EffortProfile bf16() {
        return Precision.BF16.isNative()
                ? new EffortProfile(BF16, 0, Map.of(), List.of(), 1, Double.NaN, Double.NaN, Precision.BF16) : null;
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
        return new EffortProfile(name, budget, layers, e, newReduction, loss, agreement, precision);
    }

    /**
     * This profile computing in {@code p}, named {@code newName}; its calibrated loss and agreement were measured in
     * its own precision, so they become NaN (not measured) when {@code p} differs.
     */
    public EffortProfile withPrecision(String newName, Precision p) {
        boolean same = p == precision;
        return new EffortProfile(newName, budget, layers, exits, reduction, same ? calibTop1Loss : Double.NaN,
                same ? calibAgreement : Double.NaN, p);
    }

    /** An engine for the whole network running this profile (knobs, early exits, precision). */
    public Engine engine(Network net, int batch) {
        return Engine.builder(net).batch(batch).effort(layers).exits(exits).precision(precision).build();
    }
}
