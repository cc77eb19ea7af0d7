package org.dyve.descriptor;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.dyve.ModelFormatException;

/**
 * Finds models: by descriptor name (bundled {@code models/<name>.conf}, or {@code <home>/<name>.conf}), or
 * by path (a descriptor {@code .conf}, a {@code .prototxt}, or a directory holding one).
 */
public final class ModelCatalog {
    /** Name of the embedded default model, trained by {@code dyve train}. */
    public static final String DEFAULT_MODEL = "fashion_cnn";
    /** Descriptors shipped in the jar. */
    public static final List<String> BUNDLED = List.of("fashion_cnn", "cifar10_full", "cifar10_quick",
            "squeezenet_v1.0_deep_compression", "resnet20_cifar10", "bvlc_alexnet", "vgg16", "overfeat");

    private ModelCatalog() {
    }

    /**
     * The model home: {@code explicit} if given, else {@code DYVE_MODEL_HOME}, else {@code configured} (the
     * settings' {@code dyve.model-home}, by default {@code ~/.dyve/models}).
     */
    public static Path home(Path explicit, Path configured) {
        if (explicit != null) {
            return explicit;
        }
        String env = System.getenv("DYVE_MODEL_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return configured;
    }

    /**
     * Resolves {@code model} (a name or a path) against {@code home}.
     *
     * @throws ModelFormatException when nothing matches or the descriptor is malformed
     */
    public static ModelDescriptor resolve(String model, Path home) {
        Path p = Path.of(model);
        if (Files.isDirectory(p)) {
            return fromDirectory(p);
        }
        String lower = model.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".conf")) {
            if (!Files.isRegularFile(p)) {
                throw new ModelFormatException(p + ": descriptor not found");
            }
            return fromConfig(parse(p), p.getParent() == null ? Path.of(".") : p.getParent(), home, p.toString());
        }
        if (lower.endsWith(".onnx")) {
            if (!Files.isRegularFile(p)) {
                throw new ModelFormatException(p + ": ONNX model not found");
            }
            return new ModelDescriptor(p.getFileName().toString(), "onnx", null, null, null, p,
                    ModelDescriptor.InputSettings.RAW, List.of(), ConfigFactory.empty());
        }
        if (lower.endsWith(".prototxt")) {
            if (!Files.isRegularFile(p)) {
                throw new ModelFormatException(p + ": network definition not found");
            }
            return fromPrototxt(p);
        }
        String resource = "models/" + model + ".conf";
        try (InputStream in = ModelCatalog.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                Config c = parse(in, resource);
                if (c.hasPath("embedded") && c.getBoolean("embedded")) {
                    return fromConfig(c, extractEmbedded(c.getString("dir")), null, resource);
                }
                return fromConfig(c, home, home, resource);
            }
        } catch (IOException e) {
            throw new ModelFormatException(resource + ": cannot read (" + e.getMessage() + ")");
        }
        Path inHome = home.resolve(model + ".conf");
        if (Files.isRegularFile(inHome)) {
            return fromConfig(parse(inHome), home, home, inHome.toString());
        }
        throw new ModelFormatException(model + ": unknown model (not a bundled descriptor " + BUNDLED
                + ", not " + inHome + ", and not a path to a .conf, .prototxt or model directory)");
    }

    private static Config parse(Path p) {
        return Hocon.read(p, "descriptor");
    }

    private static Config parse(InputStream in, String name) {
        return Hocon.read(in, name, "descriptor");
    }

    /** Copies an embedded model's files from the class path to a private temporary folder. */
    private static Path extractEmbedded(String dir) {
        try {
            Path tmp = Files.createTempDirectory("dyve-model-");
            tmp.toFile().deleteOnExit();
            Path target = tmp.resolve(dir);
            Files.createDirectories(target);
            target.toFile().deleteOnExit();
            String listing = "models/" + dir + "/FILES";
            try (InputStream l = ModelCatalog.class.getClassLoader().getResourceAsStream(listing)) {
                if (l == null) {
                    throw new ModelFormatException(listing + ": embedded model listing missing from the class path");
                }
                for (String f : new String(l.readAllBytes(), StandardCharsets.UTF_8).split("\\s+")) {
                    if (f.isBlank()) {
                        continue;
                    }
                    try (InputStream in = ModelCatalog.class.getClassLoader()
                            .getResourceAsStream("models/" + dir + "/" + f)) {
                        if (in == null) {
                            throw new ModelFormatException("models/" + dir + "/" + f
                                    + ": embedded model file missing from the class path");
                        }
                        Path out = target.resolve(f);
                        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                        out.toFile().deleteOnExit();
                    }
                }
            }
            return tmp;
        } catch (IOException e) {
            throw new ModelFormatException("embedded model " + dir + ": cannot extract (" + e.getMessage() + ")");
        }
    }

    private static ModelDescriptor fromConfig(Config c, Path base, Path home, String source) {
        try {
            String id = c.hasPath("name") ? c.getString("name") : source;
            String dir = c.hasPath("dir") ? c.getString("dir") : ".";
            Path root = base.resolve(dir);
            if (home != null && !Files.isDirectory(root) && Files.isDirectory(home.resolve(dir))) {
                root = home.resolve(dir);
            }
            Config files = c.getConfig("files");
            String format = c.hasPath("format") ? c.getString("format") : "caffe";
            Path prototxt = files.hasPath("prototxt") ? root.resolve(files.getString("prototxt")) : null;
            if (prototxt == null && format.equals("caffe")) {
                throw new ModelFormatException(source + ": invalid descriptor (files.prototxt is required for a Caffe"
                        + " model)");
            }
            Path weights = files.hasPath("weights") ? root.resolve(files.getString("weights")) : null;
            Path mean = files.hasPath("mean-image") ? root.resolve(files.getString("mean-image")) : null;
            Path onnx = files.hasPath("onnx") ? root.resolve(files.getString("onnx")) : null;
            ModelDescriptor.InputSettings in = ModelDescriptor.InputSettings.RAW;
            if (c.hasPath("input")) {
                Config i = c.getConfig("input");
                String order = i.hasPath("order") ? i.getString("order") : "RGB";
                if (!order.equals("RGB") && !order.equals("BGR")) {
                    throw new ModelFormatException(source + ": input.order must be RGB or BGR, found " + order);
                }
                in = new ModelDescriptor.InputSettings(order.equals("BGR"),
                        i.hasPath("resize") ? i.getInt("resize") : 0, floats(i, "mean"), floats(i, "std"),
                        i.hasPath("pixel-scale") ? (float) i.getDouble("pixel-scale") : 1f,
                        i.hasPath("scale") ? (float) i.getDouble("scale") : 1f);
            }
            List<String> labels = new ArrayList<>();
            if (c.hasPath("labels")) {
                labels.addAll(c.getStringList("labels"));
            } else if (c.hasPath("labels-file")) {
                for (String f : c.getStringList("labels-file")) {
                    Path lp = root.resolve(f);
                    if (Files.isRegularFile(lp)) {
                        labels.addAll(ModelDescriptor.readLabels(lp));
                        break;
                    }
                }
                if (labels.isEmpty()) {
                    org.slf4j.LoggerFactory.getLogger(ModelCatalog.class).warn("{}: no labels file ({} in {}): classes"
                            + " are shown as numbers", source, String.join(" or ", c.getStringList("labels-file")),
                            root);
                }
            }
            if (onnx == null && format.equals("onnx")) {
                throw new ModelFormatException(source + ": invalid descriptor (files.onnx is required for an ONNX"
                        + " model)");
            }
            return new ModelDescriptor(id, format, prototxt, weights,
                    mean, onnx, in, List.copyOf(labels), c);
        } catch (ConfigException e) {
            throw new ModelFormatException(source + ": invalid descriptor (" + e.getMessage() + ")");
        }
    }

    private static float[] floats(Config c, String key) {
        if (!c.hasPath(key)) {
            return null;
        }
        List<Double> d = c.getDoubleList(key);
        if (d.isEmpty()) {
            return null;
        }
        float[] f = new float[d.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = d.get(i).floatValue();
        }
        return f;
    }

    private static ModelDescriptor fromDirectory(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.sorted().toList();
            for (Path f : files) {
                if (f.toString().endsWith(".conf")) {
                    return fromConfig(parse(f), dir, null, f.toString());
                }
            }
            for (Path f : files) {
                if (f.toString().endsWith(".prototxt") && !f.getFileName().toString().contains("solver")
                        && !f.getFileName().toString().contains("train")) {
                    return fromPrototxt(f);
                }
            }
            for (Path f : files) {
                if (f.toString().endsWith(".onnx")) {
                    return resolve(f.toString(), dir);
                }
            }
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        throw new ModelFormatException(dir + ": no model descriptor (.conf), deploy .prototxt or .onnx in this directory");
    }

    /** A bare prototxt: weights and mean image are looked for beside it; inputs are raw pixels. */
    private static ModelDescriptor fromPrototxt(Path prototxt) {
        Path dir = prototxt.toAbsolutePath().getParent();
        Path weights = null;
        Path mean = null;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.sorted().toList()) {
                String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                if (weights == null && (n.endsWith(".caffemodel") || n.endsWith(".caffemodel.h5") || n.endsWith(".net"))) {
                    weights = f;
                } else if (n.equals("mean.binaryproto")) {
                    mean = f;
                }
            }
        } catch (IOException e) {
            throw new ModelFormatException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        String id = dir.getFileName() == null ? prototxt.toString() : dir.getFileName().toString();
        return new ModelDescriptor(id, "caffe", prototxt, weights, mean, null, ModelDescriptor.InputSettings.RAW, List.of(),
                ConfigFactory.empty());
    }
}
