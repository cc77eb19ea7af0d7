package org.dyve.effort;

import java.util.Map;
import org.dyve.engine.ConvEffort;

/**
 * A named rung of a model's effort ladder: the knob settings of each convolution layer (layers not listed run
 * exactly) and what calibration measured for it.
 *
 * @param budget the top-1 loss budget it was calibrated for, in percentage points (0 for {@code exact})
 * @param reduction dense MACs over executed MACs on the calibration data
 * @param calibTop1Loss top-1 loss on the calibration data, in points
 * @param calibAgreement top-1 agreement with the dense network on the calibration data, in percent
 */
public record EffortProfile(String name, double budget, Map<String, ConvEffort> layers, double reduction,
        double calibTop1Loss, double calibAgreement) {

    /** The exact profile: no knob on, outputs equal the dense network's. */
    public static final EffortProfile EXACT = new EffortProfile("exact", 0, Map.of(), 1, 0, 100);

    public EffortProfile {
        layers = Map.copyOf(layers);
    }
}
