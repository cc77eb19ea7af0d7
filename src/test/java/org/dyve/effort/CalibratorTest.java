package org.dyve.effort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.dyve.Shared;
import org.dyve.data.Dataset;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.ExitProbe;
import org.dyve.model.Network;
import org.junit.jupiter.api.Test;

/** The calibrator's shortcuts measure exactly what a whole-network run measures. */
class CalibratorTest {

    private Network net;

    /** SqueezeNet's calibrator on 20 samples: one full batch and a partial one. */
    private Calibrator calibrator() {
        ModelDescriptor d = ModelCatalog.resolve("squeezenet_v1.0_deep_compression", Shared.models());
        net = d.load();
        Dataset data = Dataset.open("images:" + Shared.require("data/imagenet-samples") + "@even");
        return new Calibrator(net, d.preprocessing(net), data, 20);
    }

    @Test
    void aLayerMeasuredFromItsCachedDenseInputsEqualsTheWholeNetwork() {
        Calibrator cal = calibrator();
        Calibrator.Combination none = cal.new Combination();
        // the pruned network's trials build on its exact zero skipping, which the combination starts from
        assertEquals(cal.base().layers(), none.layers());
        Calibrator.Measure base = cal.measure(none.layers());
        ConvEffort sdss = ConvEffort.EXACT.withSdss(0.5, 0.25);
        // in network order (each cut from the previous one), then back to an earlier layer (its cut is kept);
        // the expand 3x3 layers' range also needs the expand 1x1 output beside their own input
        for (String layer : new String[] {"fire2/conv3x3_2", "fire3/conv1x1_2", "fire9/conv3x3_2", "conv_final",
            "fire3/conv3x3_2"}) {
            Map<String, ConvEffort> trial = none.with(layer, sdss);
            Calibrator.Measure alone = none.measure(trial, net.indexOf(layer));
            Calibrator.Measure whole = cal.measure(trial);
            assertTrue(whole.macs() != base.macs(), layer + ": the knob changes nothing, the comparison would prove"
                    + " nothing");
            assertEquals(whole.correct(), alone.correct(), layer);
            assertEquals(whole.agree(), alone.agree(), layer);
            assertEquals(whole.macs(), alone.macs(), 1e-6 * whole.denseMacs(), layer);
        }
    }

    @Test
    void aPrunedNetworksCalibrationKeepsItsExactZeroSkippingAndSweepsOnlyTheOtherLayers() {
        Calibrator cal = calibrator();
        // SqueezeNet: 13 pruned layers and 17 pointwise ones after ReLUs (5 both), i.e. every convolution but conv1
        assertEquals(EffortProfile.SPARSE_INPUTS, cal.base().name());
        assertEquals(25, cal.base().layers().size());
        assertTrue(cal.baseReduction() > 2.1, "reduction " + cal.baseReduction());
        // conv1, the only layer outside it, is the first convolution, which stays exact: nothing to sweep
        List<String> phases = new java.util.ArrayList<>();
        EffortProfiles p = cal.calibrate(List.of(0.5), (phase, done, total) -> phases.add(phase));
        assertEquals(List.of(), phases);
        assertEquals(List.of(EffortProfile.EXACT), p.all());
        // a dense network has no base
        Network cifar = ModelCatalog.resolve("cifar10_full", Shared.models()).load();
        assertEquals(null, onCalibrationFile("cifar10_full", cifar).base());
    }

    @Test
    void aTrialRunFromItsLayerOnTheCombinationsCachedActivationsEqualsTheWholeNetwork() {
        Calibrator cal = calibrator();
        Calibrator.Combination comb = cal.new Combination();
        ConvEffort sdss = ConvEffort.EXACT.withSdss(0.5, 0.25);
        // a late layer, then an earlier one (its cut is computed from the input), then one between (from the
        // earlier one's cut, with its knobs): each trial keeps the combination so far
        for (String layer : new String[] {"fire7/conv3x3_2", "fire3/conv3x3_2", "fire5/conv1x1_1"}) {
            Map<String, ConvEffort> trial = comb.with(layer, sdss);
            Calibrator.Measure cached = comb.measure(trial, net.indexOf(layer));
            Calibrator.Measure whole = cal.measure(trial);
            assertTrue(whole.macs() != cal.measure(comb.layers()).macs(), layer + ": the knob changes nothing, the"
                    + " comparison would prove nothing");
            assertEquals(whole.correct(), cached.correct(), layer);
            assertEquals(whole.agree(), cached.agree(), layer);
            assertEquals(whole.macs(), cached.macs(), 1e-6 * whole.denseMacs(), layer);
            assertEquals(whole.denseMacs(), cached.denseMacs(), 1e-6 * whole.denseMacs(), layer);
            comb.accept(trial);
        }
        for (String layer : new String[] {"fire7/conv3x3_2", "fire3/conv3x3_2", "fire5/conv1x1_1"}) {
            assertEquals(sdss, comb.layers().get(layer), layer);
        }
    }

    /**
     * ResNet-20's exits alone: nine probes (the stem and every residual block but the last; {@code --max-probes 0}),
     * so the thresholds come from coordinate descent; every rung stays within its budget on the calibration samples,
     * saves more than the one below it, and no knob profile is made.
     */
    @Test
    void exitsAloneOnADeepNetworkWithManyProbes() {
        Network net = ModelCatalog.resolve("resnet20_cifar10", Shared.models()).load();
        Calibrator cal = onCalibrationFile("resnet20_cifar10", net);
        List<ExitProbe> probes = cal.fitProbes((phase, done, total) -> { }, true, 0);
        assertEquals(9, probes.size());
        // dyve calibrate's default keeps three, nearest to a quarter, a half and three quarters of the MACs
        assertEquals(List.of("/layer1/layer1.1/Relu_1_output_0", "/layer2/layer2.0/Relu_1_output_0",
                "/layer3/layer3.0/Relu_1_output_0"), ExitFitter.spread(net, ExitFitter.candidates(net), 3));
        EffortProfiles p = cal.calibrate(List.of(0.5, 2.0), probes, (phase, done, total) -> { }, false);
        assertEquals(List.of(), p.byMacs());
        assertTrue(p.ladder().size() > 1, "no exit-only rung: " + p.ladder());
        double previous = 1;
        for (EffortProfile rung : p.ladder().subList(1, p.ladder().size())) {
            assertTrue(rung.layers().isEmpty() && rung.calibTop1Loss() <= rung.budget() + 1e-9, rung.toString());
            assertTrue(rung.reduction() > previous, rung.name() + " is no cheaper than the rung below it");
            previous = rung.reduction();
        }
    }

    /** A calibrator on CIFAR-10's calibration file: 300 samples to calibrate on, probes on the 1,000 after them. */
    private static Calibrator onCalibrationFile(String model, Network net) {
        ModelDescriptor d = ModelCatalog.resolve(model, Shared.models());
        Dataset data = Dataset.open("cifar10:" + Shared.require("data/cifar10/calib_batch.bin")).first(1300);
        return new Calibrator(net, d.preprocessing(net), data, 300);
    }

    @Test
    void probesLearnFromMirrorImagesTooEachRowReversed() {
        float[] chw = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        assertArrayEquals(new float[] {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10},
                Calibrator.mirror(chw, new org.dyve.model.Shape(2, 2, 3)));
    }

    @Test
    void theLadderHoldsExitOnlyRungsAndTheFewestMacsProfilesStayOffIt() {
        Network cifar = ModelCatalog.resolve("cifar10_full", Shared.models()).load();
        Calibrator cal = onCalibrationFile("cifar10_full", cifar);
        List<ExitProbe> probes = cal.fitProbes((phase, done, total) -> { }, true, 0);
        assertEquals(List.of("norm1", "norm2"), probes.stream().map(ExitProbe::tensor).toList());
        List<Double> budgets = List.of(0.5, 2.0);
        EffortProfiles p = cal.calibrate(budgets, probes, (phase, done, total) -> { });
        assertEquals(EffortProfile.EXACT, p.ladder().get(0));
        assertTrue(p.ladder().size() > 1, "no exit-only rung: " + p.ladder());
        double previous = 1;
        for (EffortProfile rung : p.ladder().subList(1, p.ladder().size())) {
            assertTrue(rung.name().startsWith("fast-"), rung.name());
            assertTrue(rung.layers().isEmpty(), rung.name() + " runs knobs: " + rung.layers());
            assertTrue(!rung.exits().isEmpty() && rung.calibTop1Loss() <= rung.budget() + 1e-9, rung.toString());
            assertTrue(rung.reduction() > previous, rung.name() + " is no cheaper than the rung below it");
            previous = rung.reduction();
        }
        assertEquals(List.of("loss-0.5", "loss-2"), p.byMacs().stream().map(EffortProfile::name).toList());
        for (EffortProfile q : p.byMacs()) {
            assertTrue(q.calibTop1Loss() <= q.budget() + 1e-9, q.toString());
            // exits alone were among its options, so it saves at least what the same budget's fast rung saves
            for (EffortProfile rung : p.ladder()) {
                if (rung.budget() == q.budget()) {
                    assertTrue(q.reduction() >= rung.reduction() - 1e-9, q.name() + " vs " + rung.name());
                }
            }
        }
        assertTrue(p.byMacs().stream().anyMatch(q -> !q.layers().isEmpty()), "no knobs kept: " + p.byMacs());
    }
}
