package org.dyve.effort;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.dyve.Shared;
import org.dyve.data.Dataset;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.model.Convolution;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.dyve.model.Window;
import org.junit.jupiter.api.Test;

/** The activation statistics reproduce the independent reference (../shared/docs/activation-stats.md). */
class ActivationStatsTest {
    /**
     * A 1x1 convolution over 4 channels, 2 outputs, on a 1x2 input. Output 0 (weights 1, -2, 0.5, -1, bias 0) in
     * SnaPEA's order 1, 0.5, -2, -1: at position 0 (x = 1, 1, 2, 3) the positives give 2, minus 2 is 0, so the
     * last product (-1 x 3) is skipped; at position 1 (x = 0, 1, 1, 0) the positives give 0.5, minus 2 is -1.5
     * and -1 x 0 is skipped as well. Output 1 (weights -1, -1, -1, -1, bias 0.5): nothing positive but the bias;
     * at position 0 the first product makes the sum negative (3 of 4 skipped); at position 1 (equal weights go in
     * channel order) -1 x 0 keeps 0.5, -1 x 1 gives -0.5: 2 skipped. 1 + 1 + 3 + 2 = 7 of 16.
     * A negative input anywhere voids the rule: nothing skipped.
     */
    @Test
    void exactTerminationSkipsWhatTheSignOrderGuarantees() {
        Convolution c = new Convolution("c", "x", "c", 2, Window.square(1, 1, 0), 1, 1, 1,
                new Tensor(new int[] {2, 4, 1, 1}, new float[] {1, -2, 0.5f, -1, -1, -1, -1, -1}),
                new Tensor(new int[] {2}, new float[] {0, 0.5f}));
        Shape in = new Shape(4, 1, 2);
        var order = ActivationStats.SignOrder.of(c, in);
        float[] x = {1, 0, 1, 1, 2, 1, 3, 0};
        assertEquals(7.0 / 16, order.skipped(x, new Shape(2, 1, 2)), 1e-12);
        x[3] = -0.5f;
        assertEquals(0.0, order.skipped(x, new Shape(2, 1, 2)), 0);
    }

    /**
     * 2x2 max pooling, stride 2, over a 2x4 plane: the left window's winner (3) needs its exact value, the right
     * window's (-1) is 0 after the ReLU whatever it is; 7 of 8 outputs are never used exactly.
     */
    @Test
    void maxPoolLosersAreAllButThePositiveWinners() {
        Pooling p = new Pooling("p", "c", "p", Pooling.Mode.MAX, Window.square(2, 2, 0), false, Pooling.Rounding.CEIL,
                false);
        float[] v = {1, 3, -1, -2, 2, 0, -3, -4};
        assertEquals(7.0 / 8, ActivationStats.poolLosers(v, new Shape(1, 2, 4), p, new Shape(1, 1, 2)), 1e-12);
    }

    @Test
    void cifar10FullMatchesTheReference() {
        ModelDescriptor d = ModelCatalog.resolve("cifar10_full", Shared.models());
        Network net = d.load();
        List<ActivationStats.LayerStats> s = ActivationStats.measure(net, d.preprocessing(net),
                Dataset.open("cifar10:" + Shared.require("data/cifar10/calib_batch.bin")), 200);
        assertEquals(3, s.size());
        double[][] reference = {
            // MAC %, <=0 pre-ReLU %, 2x2 all-zero %, zero maps %, constant input maps %, zero inputs %
            {20.0, 50.2, 32.9, 0.3, 0.0, 0.0}, {53.3, 54.0, 38.6, 0.2, 0.3, 22.6}, {26.6, 89.2, 76.7, 10.4, 0.2, 26.4}};
        for (int i = 0; i < 3; i++) {
            ActivationStats.LayerStats l = s.get(i);
            assertEquals(reference[i][0], 100 * l.macShare(), 0.11, l.layer() + " MAC share");
            assertEquals(reference[i][1], 100 * l.nonPositive(), 0.051, l.layer() + " <=0 pre-ReLU");
            assertEquals(reference[i][2], 100 * l.zeroBlocks2x2(), 0.051, l.layer() + " 2x2 all-zero");
            assertEquals(reference[i][3], 100 * l.zeroMaps(), 0.051, l.layer() + " zero maps");
            assertEquals(reference[i][4], 100 * l.constantInputMaps(), 0.051, l.layer() + " constant input maps");
            assertEquals(reference[i][5], 100 * l.zeroInputs(), 0.051, l.layer() + " zero inputs");
        }
    }
}
