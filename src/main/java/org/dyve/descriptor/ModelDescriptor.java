package org.dyve.descriptor;

import com.typesafe.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.dyve.ModelFormatException;
import org.dyve.data.Preprocessing;
import org.dyve.format.caffe.CaffeImporter;
import org.dyve.format.onnx.OnnxImporter;
import org.dyve.model.Network;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;

/**
 * A resolved model: its files, preprocessing and labels. Created by {@link ModelCatalog#resolve}.
 *
 * @param id name of the model (descriptor name or file name)
 * @param format {@code caffe} (weights {@code .caffemodel}, {@code .h5} or Deep Compression {@code .net}) or
 *     {@code onnx} (the network is {@code onnx})
 * @param prototxt Caffe network definition, or null for ONNX
 * @param weights weight file, or null to import with zero weights
 * @param meanImage Caffe mean image, or null
 * @param onnx an ONNX export of the same network (for side-by-side runs), or null
 * @param input preprocessing settings (the input shape comes from the network)
 * @param labels class names by index (may be empty)
 * @param config the descriptor as read, for settings owned by other packages (effort profiles)
 */
public record ModelDescriptor(String id, String format, Path prototxt, Path weights, Path meanImage, Path onnx,
        InputSettings input, List<String> labels, Config config) {

    /**
     * The same model read from its ONNX copy ({@code files.onnx}), with the same preprocessing and labels.
     *
     * @throws ModelFormatException when the descriptor names no ONNX file
     */
    public ModelDescriptor asOnnx() {
        if (onnx == null) {
            throw new ModelFormatException(id + ": no ONNX copy (files.onnx) in the descriptor");
        }
        return new ModelDescriptor(id, "onnx", null, null, meanImage, onnx, input, labels, config);
    }

    /** The same model with other preprocessing settings. */
    public ModelDescriptor withInput(InputSettings settings) {
        return new ModelDescriptor(id, format, prototxt, weights, meanImage, onnx, settings, labels, config);
    }

    /** Preprocessing settings from a descriptor's {@code input} block. */
    public record InputSettings(boolean bgr, int resize, float[] mean, float[] std, float pixelScale, float scale) {
        /** Raw pixels 0..255 in RGB order. */
        public static final InputSettings RAW = new InputSettings(false, 0, null, null, 1f, 1f);
    }

    /**
     * Imports the network.
     *
     * @throws ModelFormatException when a file is missing or corrupt
     */
    public Network load() {
        for (Path p : format.equals("onnx") ? new Path[] {onnx} : new Path[] {prototxt, weights}) {
            if (p != null && !Files.isRegularFile(p)) {
                throw new ModelFormatException(p + ": model file not found (model " + id + "; set --model-home or"
                        + " DYVE_MODEL_HOME to the folder that holds it)");
            }
        }
        return switch (format) {
            case "caffe" -> CaffeImporter.load(prototxt, weights);
            case "onnx" -> OnnxImporter.load(onnx);
            default -> throw new ModelFormatException(id + ": unsupported model format '" + format + "'");
        };
    }

    /** The preprocessing for this model's network input. */
    public Preprocessing preprocessing(Network net) {
        Shape in = net.input().shape();
        Tensor mean = null;
        if (meanImage != null) {
            if (!Files.isRegularFile(meanImage)) {
                throw new ModelFormatException(meanImage + ": mean image not found (model " + id + ")");
            }
            mean = CaffeImporter.loadMean(meanImage);
        }
        return new Preprocessing(in, input.bgr(), input.resize(), mean, input.mean(), input.std(),
                input.pixelScale(), input.scale());
    }

    /** Class name of index {@code i}, or the index itself when no labels are known. */
    public String label(int i) {
        return i >= 0 && i < labels.size() ? labels.get(i) : Integer.toString(i);
    }

    static List<String> readLabels(Path file) {
        try {
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                String t = line.strip();
                if (t.isEmpty()) {
                    continue;
                }
                // "n01440764 tench, Tinca tinca" -> "tench, Tinca tinca"
                if (t.matches("n\\d{8}\\s.*")) {
                    t = t.substring(10).strip();
                }
                out.add(t);
            }
            return out;
        } catch (java.io.IOException e) {
            throw new ModelFormatException(file + ": cannot read labels (" + e.getMessage() + ")");
        }
    }
}
