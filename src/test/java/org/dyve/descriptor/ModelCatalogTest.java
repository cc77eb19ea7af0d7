package org.dyve.descriptor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dyve.ModelFormatException;
import org.dyve.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCatalogTest {
    @TempDir
    Path dir;

    @Test
    void bundledDescriptorsResolveAgainstTheModelHome() {
        Path home = Shared.models();
        ModelDescriptor d = ModelCatalog.resolve("squeezenet_v1.0_deep_compression", home);
        assertEquals(home.resolve("squeezenet_v1.0_deep_compression/compressed_SqueezeNet.net"), d.weights());
        assertTrue(d.input().bgr());
        assertEquals(256, d.input().resize());
        assertEquals(1000, d.labels().size(), "labels from the shared synsets.txt");
        assertEquals("tench", d.label(0), "the wnid prefix is stripped");
        ModelDescriptor full = ModelCatalog.resolve("cifar10_full", home);
        assertEquals("airplane", full.label(0));
        assertNotNull(full.meanImage());
    }

    @Test
    void pathsToAPrototxtOrADirectoryFindTheWeightsBesideIt() {
        Path model = Shared.require("models/cifar10_quick");
        ModelDescriptor byDir = ModelCatalog.resolve(model.toString(), Path.of("/nonexistent"));
        assertTrue(byDir.weights().toString().endsWith("cifar10_quick_iter_4000.caffemodel"));
        assertTrue(byDir.meanImage().toString().endsWith("mean.binaryproto"));
        ModelDescriptor byFile = ModelCatalog.resolve(model.resolve("deploy.prototxt").toString(), Path.of("/x"));
        assertEquals(byDir.weights(), byFile.weights());
        assertEquals(10, byFile.load().shape(byFile.load().output()).size());
    }

    @Test
    void missingFilesAndBadDescriptorsAreClearErrors() throws IOException {
        ModelDescriptor d = ModelCatalog.resolve("vgg16", dir);
        ModelFormatException e = assertThrows(ModelFormatException.class, d::load);
        assertTrue(e.getMessage().startsWith(dir.resolve("vgg16/VGG_ILSVRC_16_layers_deploy.prototxt")
                + ": model file not found (model vgg16;"), e.getMessage());
        Path bad = dir.resolve("bad.conf");
        Files.writeString(bad, "name = x\nfiles { prototxt = \n");
        ModelFormatException e2 = assertThrows(ModelFormatException.class,
                () -> ModelCatalog.resolve(bad.toString(), dir));
        assertTrue(e2.getMessage().startsWith(bad + ": invalid descriptor"), e2.getMessage());
        Path noFiles = dir.resolve("nofiles.conf");
        Files.writeString(noFiles, "name = x\n");
        assertTrue(assertThrows(ModelFormatException.class, () -> ModelCatalog.resolve(noFiles.toString(), dir))
                .getMessage().contains("files"));
    }
}
