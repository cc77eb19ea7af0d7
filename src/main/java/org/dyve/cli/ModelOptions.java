package org.dyve.cli;

import java.nio.file.Path;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.runtime.DyveSettings;
import picocli.CommandLine.Option;

/** Options shared by every command that loads a model. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "M",
            description = "Model: a descriptor name (${COMPLETION-CANDIDATES}), or a path to a .conf, a .prototxt, an .onnx"
                    + " or a model directory. Default: ${DEFAULT-VALUE}.",
            completionCandidates = Names.class, defaultValue = ModelCatalog.DEFAULT_MODEL)
    String model;

    @Option(names = "--model-home", paramLabel = "DIR",
            description = "Folder holding the model files (default: DYVE_MODEL_HOME, else ~/.dyve/models).")
    Path modelHome;

    @Option(names = "--use-onnx", description = "Run the descriptor's ONNX copy (files.onnx) instead of its Caffe"
            + " files, with the same preprocessing and labels.")
    boolean useOnnx;

    @Option(names = "--bgr", description = "Preprocessing: feed channels in BGR order (overrides the descriptor).")
    Boolean bgr;

    @Option(names = "--resize", paramLabel = "N", description = "Preprocessing: resize the short side to N, then"
            + " centre-crop to the input (overrides the descriptor).")
    Integer resize;

    @Option(names = "--mean", split = ",", paramLabel = "M", description = "Preprocessing: per-channel means, in the"
            + " model's channel order, after --pixel-scale (overrides the descriptor).")
    float[] mean;

    @Option(names = "--std", split = ",", paramLabel = "S", description = "Preprocessing: per-channel standard"
            + " deviations (overrides the descriptor).")
    float[] std;

    @Option(names = "--pixel-scale", paramLabel = "F", description = "Preprocessing: multiply 0..255 pixels by F"
            + " before the mean (overrides the descriptor).")
    Float pixelScale;

    @Option(names = "--debug", description = "Show stack traces on errors.")
    boolean debug;

    private DyveSettings settings;

    /** DyVE's settings, read once, with the model home these options name (else DYVE_MODEL_HOME, else the setting). */
    DyveSettings settings() {
        if (settings == null) {
            settings = DyveSettings.load(modelHome);
        }
        return settings;
    }

    ModelDescriptor descriptor() {
        ModelDescriptor d = ModelCatalog.resolve(model, settings().modelHome());
        d = useOnnx ? d.asOnnx() : d;
        ModelDescriptor.InputSettings in = d.input();
        if (bgr != null || resize != null || mean != null || std != null || pixelScale != null) {
            d = d.withInput(new ModelDescriptor.InputSettings(bgr != null ? bgr : in.bgr(),
                    resize != null ? resize : in.resize(), mean != null ? mean : in.mean(), std != null ? std : in.std(),
                    pixelScale != null ? pixelScale : in.pixelScale(), in.scale()));
        }
        return d;
    }

    /** Bundled descriptor names, for help and completion. */
    static final class Names implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ModelCatalog.BUNDLED.iterator();
        }
    }
}
