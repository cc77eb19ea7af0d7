package org.dyve.cli;

import java.nio.file.Path;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import picocli.CommandLine.Option;

/** Options shared by every command that loads a model. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "M",
            description = "Model: a descriptor name (${COMPLETION-CANDIDATES}), or a path to a .conf, a .prototxt"
                    + " or a model directory. Default: ${DEFAULT-VALUE}.",
            completionCandidates = Names.class, defaultValue = ModelCatalog.DEFAULT_MODEL)
    String model;

    @Option(names = "--model-home", paramLabel = "DIR",
            description = "Folder holding the model files (default: DYVE_MODEL_HOME, else ~/.dyve/models).")
    Path modelHome;

    @Option(names = "--use-onnx", description = "Run the descriptor's ONNX copy (files.onnx) instead of its Caffe"
            + " files, with the same preprocessing and labels.")
    boolean useOnnx;

    @Option(names = "--debug", description = "Show stack traces on errors.")
    boolean debug;

    ModelDescriptor descriptor() {
        ModelDescriptor d = ModelCatalog.resolve(model, ModelCatalog.home(modelHome));
        return useOnnx ? d.asOnnx() : d;
    }

    /** Bundled descriptor names, for help and completion. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ModelCatalog.BUNDLED.iterator();
        }
    }
}
