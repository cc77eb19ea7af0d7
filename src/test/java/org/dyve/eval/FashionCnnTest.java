package org.dyve.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dyve.data.Dataset;
import org.dyve.data.Image;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.model.Network;
import org.dyve.train.FashionCnnTrainer;
import org.junit.jupiter.api.Test;

/** The embedded default model: its descriptor agrees with its training, and its test accuracy. */
class FashionCnnTest {
    static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    @Test
    void descriptorPreprocessingIsTheTrainingPreprocessing() {
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, Path.of("/nonexistent"));
        Network net = d.load();
        Preprocessing fromDescriptor = d.preprocessing(net);
        Preprocessing trained = FashionCnnTrainer.preprocessing();
        float[] px = new float[784];
        for (int i = 0; i < px.length; i++) {
            px[i] = (i * 37) % 256;
        }
        Image img = new Image(1, 28, 28, px);
        assertArrayEquals(trained.apply(img), fromDescriptor.apply(img), 1e-6f);
        assertEquals("Ankle boot", d.label(9));
    }

    @Test
    void testAccuracyIsAtLeastNinetyPercent() {
        assumeTrue(Files.isDirectory(FASHION), "dataset-fashion-mnist not installed");
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, Path.of("/nonexistent"));
        Network net = d.load();
        Evaluator.Result r = new Evaluator(net, d.preprocessing(net), 100).run(Dataset.open("idx:" + FASHION), 0,
                new Evaluator.Listener() {
                });
        assertEquals(10000, r.count());
        assertTrue(r.top1() >= 90.0, "top-1 " + r.top1());
    }
}
