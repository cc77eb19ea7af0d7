package org.dyve.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dyve.Shared;
import org.dyve.bench.OrtComparison;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.model.Network;
import org.junit.jupiter.api.Test;

/**
 * Accuracy of the shared Caffe models on the shared test data, against the reference numbers of an
 * independent implementation of Caffe's semantics, and per-image agreement with ONNX Runtime running the
 * ONNX copies of the same networks. Skipped when ../shared is absent.
 */
class SharedModelsTest {

    private record Outcome(Evaluator.Result result, List<Integer> top1) {
    }

    private static Outcome evaluate(ModelDescriptor d, Network net, Dataset data, int batch) {
        List<Integer> top1 = new ArrayList<>();
        Evaluator.Result r = new Evaluator(net, d.preprocessing(net), batch).run(data, 0, new Evaluator.Listener() {
            @Override
            public void prediction(Evaluator.Prediction p) {
                top1.add(p.top5()[0]);
            }
        });
        return new Outcome(r, top1);
    }

    /** Fraction of samples whose ONNX Runtime top-1 equals ours, and the largest relative output difference. */
    private static double[] agreementWithOrt(ModelDescriptor d, Network net, Dataset data, List<Integer> ours,
            int batch) {
        Preprocessing pre = d.preprocessing(net);
        int same = 0;
        double maxRel = 0;
        try (OrtComparison cmp = new OrtComparison(net, d.onnx(), batch, 2)) {
            for (int start = 0; start + batch <= data.size(); start += batch) {
                float[][] in = new float[batch][];
                for (int i = 0; i < batch; i++) {
                    in[i] = pre.apply(data.get(start + i).image());
                }
                cmp.setInputs(in);
                float[][][] out = cmp.outputs();
                for (int i = 0; i < batch; i++) {
                    int ort = TopK.of(out[1][i], 1)[0];
                    if (ort == ours.get(start + i)) {
                        same++;
                    }
                }
            }
            maxRel = cmp.measure(d.id(), 0, 1).maxRelDiff();
        }
        return new double[] {(double) same / (data.size() / batch * batch), maxRel};
    }

    private static void check(String model, String dataSpec, double top1, double top5, double tol, int batch) {
        ModelDescriptor d = ModelCatalog.resolve(model, Shared.models());
        Network net = d.load();
        Dataset data = Dataset.open(dataSpec);
        Outcome o = evaluate(d, net, data, batch);
        assertEquals(data.size(), o.result().count());
        assertEquals(top1, o.result().top1(), tol, model + " top-1");
        if (!Double.isNaN(top5)) {
            assertEquals(top5, o.result().top5(), tol, model + " top-5");
        }
        double[] agree = agreementWithOrt(d, net, data, o.top1(), batch);
        assertTrue(agree[0] >= 0.998, model + ": per-image top-1 agrees with ONNX Runtime on only " + agree[0]);
        assertTrue(agree[1] < 1e-3, model + ": outputs differ from ONNX Runtime by " + agree[1] + " (relative)");
    }

    @Test
    void cifar10Full() {
        check("cifar10_full", "cifar10:" + Shared.require("data/cifar10/test_batch.bin"), 74.96, Double.NaN, 0.1, 50);
    }

    @Test
    void cifar10Quick() {
        check("cifar10_quick", "cifar10:" + Shared.require("data/cifar10/test_batch.bin"), 70.64, Double.NaN, 0.1,
                50);
    }

    @Test
    void squeezeNetDeepCompression() {
        check("squeezenet_v1.0_deep_compression", "images:" + Shared.require("data/imagenet-samples"), 63.28, 84.38,
                0.4, 4);
    }
}
