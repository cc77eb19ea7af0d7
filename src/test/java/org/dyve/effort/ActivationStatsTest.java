package org.dyve.effort;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dyve.Shared;
import org.dyve.data.Dataset;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.model.Network;
import org.junit.jupiter.api.Test;

/** The activation statistics reproduce the independent reference (../shared/docs/activation-stats.md). */
class ActivationStatsTest {
    @Test
    void cifar10FullMatchesTheReference() {
        ModelDescriptor d = ModelCatalog.resolve("cifar10_full", Shared.models());
        Network net = d.load();
        List<ActivationStats.LayerStats> s = ActivationStats.measure(net, d.preprocessing(net),
                Dataset.open("cifar10:" + Shared.require("data/cifar10/calib_batch.bin")), 200);
        assertEquals(3, s.size());
        double[][] reference = {
            // MAC %, <=0 pre-ReLU %, 2x2 all-zero %, zero maps %, constant input maps %
            {20.0, 50.2, 32.9, 0.3, 0.0}, {53.3, 54.0, 38.6, 0.2, 0.3}, {26.6, 89.2, 76.7, 10.4, 0.2}};
        for (int i = 0; i < 3; i++) {
            ActivationStats.LayerStats l = s.get(i);
            assertEquals(reference[i][0], 100 * l.macShare(), 0.11, l.layer() + " MAC share");
            assertEquals(reference[i][1], 100 * l.nonPositive(), 0.051, l.layer() + " <=0 pre-ReLU");
            assertEquals(reference[i][2], 100 * l.zeroBlocks2x2(), 0.051, l.layer() + " 2x2 all-zero");
            assertEquals(reference[i][3], 100 * l.zeroMaps(), 0.051, l.layer() + " zero maps");
            assertEquals(reference[i][4], 100 * l.constantInputMaps(), 0.051, l.layer() + " constant input maps");
        }
    }
}
