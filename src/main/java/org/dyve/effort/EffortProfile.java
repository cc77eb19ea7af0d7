package org.dyve.effort;

import java.util.List;
import java.util.Map;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.EarlyExit;
import org.dyve.engine.Engine;
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

    /** This profile with its early exits replaced. */
    public EffortProfile withExits(List<EarlyExit> e, double newReduction, double loss, double agreement) {
        return new EffortProfile(name, budget, layers, e, newReduction, loss, agreement);
    }

    /** An engine for the whole network running this profile (knobs and early exits). */
    public Engine engine(Network net, int batch) {
        return Engine.of(net, batch, layers, exits);
    }
}
