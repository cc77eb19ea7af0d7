package org.dyve.effort;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.dyve.DyveException;
import org.dyve.ModelFormatException;
import org.dyve.descriptor.Hocon;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.EarlyExit;
import org.dyve.engine.ExitProbe;
import org.dyve.engine.Precision;
import org.dyve.engine.SpetProxy;
import org.dyve.model.Network;
import org.dyve.model.Shape;

/**
 * A model's effort profiles, read from and written to HOCON ({@code models/<model>.effort.conf}, beside the
 * descriptor): {@code effort.ladder} lists the rungs the stream's effort controller walks, from exact to the
 * cheapest in time; the optional {@code effort.macs-ladder} lists further profiles that minimise MACs per accuracy
 * budget (the paper's measure) but are not faster than exact on this engine, so the controller leaves them alone;
 * {@code effort.profiles.<name>.layers.<layer>} holds each profile's knobs per layer and
 * {@code effort.profiles.<name>.exits.<tensor>} each early exit's confidence threshold; the exits' probes are
 * {@code effort.probes.<tensor>} (shape, grid, and weights and bias as base64 little-endian float32). A layer
 * whose SPET predicts with a low-rank proxy ({@code spet-proxy = true}) finds it in {@code effort.proxies.<layer>}
 * (rank, and basis, offset and sigma as base64 little-endian float32). A knob left out of a layer's entry is off;
 * {@code sparse = true} computes the layer from its nonzero weights when its knobs are off, {@code zero-inputs =
 * true} a 1x1 layer from its nonzero inputs (and nonzero weights). {@code precision = bf16} computes a profile's
 * oneDNN segments in bfloat16.
 */
public final class EffortProfiles {
    /** What a rung's name gets when {@link #withBuiltIns} puts it on the ladder in bfloat16. */
    public static final String BF16_SUFFIX = "-bf16";

    private final List<EffortProfile> ladder;
    private final List<EffortProfile> byMacs;
    /** Rungs that {@link #withBuiltIns} replaced on the ladder by their bfloat16 forms; still there by name. */
    private final List<EffortProfile> replaced;

    /** A ladder and no other profiles; its first rung should be {@link EffortProfile#EXACT}. */
    public EffortProfiles(List<EffortProfile> ladder) {
        this(ladder, List.of());
    }

    /** A ladder (first rung {@link EffortProfile#EXACT}) and the profiles that minimise MACs instead of time. */
    public EffortProfiles(List<EffortProfile> ladder, List<EffortProfile> byMacs) {
        this(ladder, byMacs, List.of());
    }

    private EffortProfiles(List<EffortProfile> ladder, List<EffortProfile> byMacs, List<EffortProfile> replaced) {
        this.ladder = List.copyOf(ladder);
        this.byMacs = List.copyOf(byMacs);
        this.replaced = List.copyOf(replaced);
    }

    /** The rungs the effort controller walks, from exact to the cheapest in time. */
    public List<EffortProfile> ladder() {
        return ladder;
    }

    /** The profiles with the fewest MACs per budget, not on the ladder since they are not faster than exact. */
    public List<EffortProfile> byMacs() {
        return byMacs;
    }

    /**
     * Every profile: the ladder's rungs, then {@link #byMacs()}, then the f32 rungs that {@link #withBuiltIns} replaced
     * on the ladder.
     */
    public List<EffortProfile> all() {
        List<EffortProfile> out = new ArrayList<>(ladder);
        out.addAll(byMacs);
        out.addAll(replaced);
        return out;
    }

    /**
     * These profiles and the built-in ones, unless profiles of their names exist already. Where this CPU computes
     * bfloat16 natively, the ladder becomes {@code exact}, {@link EffortProfile#bf16} (every MAC, about half the
     * time), then each calibrated rung in bfloat16, named with {@link #BF16_SUFFIX} (the f32 rungs stay available by
     * name, off the ladder). As further {@link #byMacs()} profiles (exact, but slower than the dense kernels, so not
     * on the ladder): {@link EffortProfile#sparse} when {@code net} is pruned and {@link EffortProfile#sparseInputs}
     * when it has 1x1 convolutions after ReLUs.
     */
    public EffortProfiles withBuiltIns(Network net) {
        List<EffortProfile> rungs = new ArrayList<>();
        List<EffortProfile> off = new ArrayList<>(replaced);
        EffortProfile bf16 = EffortProfile.bf16();
        if (bf16 != null && absent(bf16)) {
            for (EffortProfile r : ladder) {
                if (r.name().equals(EffortProfile.EXACT.name())) {
                    rungs.add(r);
                    rungs.add(bf16);
                } else if (r.precision() == Precision.F32) {
                    rungs.add(r.withPrecision(r.name() + BF16_SUFFIX, Precision.BF16));
                    off.add(r);
                } else {
                    rungs.add(r);
                }
            }
            if (!rungs.contains(bf16)) {
                rungs.add(0, bf16);
            }
        } else {
            rungs.addAll(ladder);
        }
        List<EffortProfile> more = new ArrayList<>();
        for (EffortProfile p : new EffortProfile[] {EffortProfile.sparse(net), EffortProfile.sparseInputs(net)}) {
            if (p != null && absent(p)) {
                more.add(p);
            }
        }
        more.addAll(byMacs);
        return new EffortProfiles(rungs, more, off);
    }

    /** Whether no profile here has {@code p}'s name. */
    private boolean absent(EffortProfile p) {
        return all().stream().noneMatch(q -> q.name().equals(p.name()));
    }

    /**
     * The profile named {@code name} ({@code exact} always exists).
     *
     * @throws DyveException naming the known profiles when there is no such profile
     */
    public EffortProfile get(String name) {
        for (EffortProfile p : all()) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        if (name.equals("exact")) {
            return EffortProfile.EXACT;
        }
        List<String> names = new ArrayList<>();
        all().forEach(p -> names.add(p.name()));
        throw new DyveException("unknown effort profile '" + name + "' (expected one of " + names
                + "; run dyve calibrate to make more)");
    }

    /**
     * The ladder for a model: {@code file} when given, else the bundled {@code models/<model>.effort.conf},
     * else only {@code exact}.
     *
     * @throws ModelFormatException when the file is missing or malformed
     */
    public static EffortProfiles load(String model, Path file) {
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw new ModelFormatException(file + ": effort profiles not found");
            }
            return parse(Hocon.read(file, "effort profiles"), file.toString());
        }
        String resource = "models/" + model + ".effort.conf";
        try (InputStream in = EffortProfiles.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return new EffortProfiles(List.of(EffortProfile.EXACT));
            }
            return parse(Hocon.read(in, resource, "effort profiles"), resource);
        } catch (IOException e) {
            throw new ModelFormatException(resource + ": cannot read (" + e.getMessage() + ")");
        }
    }

    static EffortProfiles parse(Config c, String source) {
        try {
            List<EffortProfile> ladder = profiles(c, c.getStringList("effort.ladder"));
            List<EffortProfile> byMacs = c.hasPath("effort.macs-ladder")
                    ? profiles(c, c.getStringList("effort.macs-ladder")) : List.of();
            return new EffortProfiles(ladder, byMacs);
        } catch (ConfigException | IllegalArgumentException e) {
            throw new ModelFormatException(source + ": malformed effort profiles (" + e.getMessage() + ")");
        }
    }

    /** The profiles {@code names} from {@code effort.profiles} ({@code exact} needs no entry). */
    private static List<EffortProfile> profiles(Config c, List<String> names) {
        List<EffortProfile> out = new ArrayList<>();
        Config profiles = c.getConfig("effort.profiles");
        for (String name : names) {
            if (name.equals("exact")) {
                out.add(EffortProfile.EXACT);
                continue;
            }
            Config p = profiles.getConfig(quote(name));
            Map<String, ConvEffort> layers = new LinkedHashMap<>();
            Config lc = p.getConfig("layers");
            for (String layer : lc.root().keySet()) {
                Config k = lc.getConfig(quote(layer));
                boolean byProxy = k.hasPath("spet-proxy") && k.getBoolean("spet-proxy");
                ConvEffort off = ConvEffort.EXACT;
                layers.put(layer, new ConvEffort(number(k, "sfma", off.sfma()), number(k, "sdss-sig", off.sdssSig()),
                        number(k, "sdss-sim", off.sdssSim()), number(k, "sdss-cols", off.sdssCols()),
                        number(k, "spet-fraction", off.spetFraction()), k.hasPath("spet") ? spet(k) : off.spet(),
                        byProxy ? proxy(c, layer) : null, flag(k, "sparse"), flag(k, "zero-inputs")));
            }
            List<EarlyExit> exits = new ArrayList<>();
            if (p.hasPath("exits")) {
                Config ec = p.getConfig("exits");
                for (String tensor : new java.util.TreeSet<>(ec.root().keySet())) {
                    exits.add(new EarlyExit(probe(c, tensor), ec.getDouble(quote(tensor))));
                }
            }
            out.add(new EffortProfile(name, p.getDouble("budget"), layers, exits, p.getDouble("reduction"),
                    p.getDouble("calib-top1-loss"), p.getDouble("calib-agreement"),
                    p.hasPath("precision") ? Precision.of(p.getString("precision")) : Precision.F32));
        }
        return out;
    }

    private static ExitProbe probe(Config c, String tensor) {
        Config p = c.getConfig("effort.probes." + quote(tensor));
        List<Integer> shape = p.getIntList("shape");
        if (shape.size() != 3) {
            throw new IllegalArgumentException("probe " + tensor + ": shape needs 3 values (c, h, w)");
        }
        return new ExitProbe(tensor, new Shape(shape.get(0), shape.get(1), shape.get(2)), p.getInt("grid"),
                floats(p.getString("weights")), floats(p.getString("bias")));
    }

    /** {@code k}'s boolean at {@code key}, false when absent. */
    private static boolean flag(Config k, String key) {
        return k.hasPath(key) && k.getBoolean(key);
    }

    /** {@code k}'s number at {@code key}, or {@code otherwise} when absent. */
    private static double number(Config k, String key, double otherwise) {
        return k.hasPath(key) ? k.getDouble(key) : otherwise;
    }

    private static SpetProxy proxy(Config c, String layer) {
        Config p = c.getConfig("effort.proxies." + quote(layer));
        return new SpetProxy(p.getInt("rank"), floats(p.getString("basis")), floats(p.getString("offset")),
                floats(p.getString("sigma")));
    }

    private static float[] floats(String base64) {
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(base64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    private static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(b.array());
    }

    private static double spet(Config k) {
        return k.getString("spet").equals("off") ? Double.NEGATIVE_INFINITY : k.getDouble("spet");
    }

    private static String quote(String key) {
        return "\"" + key + "\"";
    }

    /** The ladder as HOCON, with {@code header} lines as comments. */
    public String toHocon(List<String> header) {
        StringBuilder b = new StringBuilder();
        header.forEach(h -> b.append("# ").append(h).append('\n'));
        b.append("effort {\n");
        names(b, "ladder", ladder);
        if (!byMacs.isEmpty()) {
            names(b, "macs-ladder", byMacs);
        }
        b.append("  profiles {\n");
        List<EffortProfile> all = all();
        for (EffortProfile p : all) {
            if (p.name().equals("exact")) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "    \"%s\" {%n      budget = %s%n      reduction = %.4f%n"
                    + "      calib-top1-loss = %.3f%n      calib-agreement = %.3f%n%s      layers {%n", p.name(),
                    num(p.budget()), p.reduction(), p.calibTop1Loss(), p.calibAgreement(),
                    p.precision() == Precision.F32 ? "" : "      precision = " + p.precision().id() + "\n"));
            // sorted: the profile's map has no stable order, the file must (same calibration, same file)
            for (var e : new java.util.TreeMap<>(p.layers()).entrySet()) {
                ConvEffort k = e.getValue();
                String zeros = (k.sparse() ? ", sparse = true" : "") + (k.zeroInputs() ? ", zero-inputs = true" : "");
                if (!k.knobsOn() && !zeros.isEmpty()) {
                    b.append(String.format(Locale.ROOT, "        \"%s\" { %s }%n", e.getKey(), zeros.substring(2)));
                    continue;
                }
                b.append(String.format(Locale.ROOT, "        \"%s\" { sfma = %s, sdss-sig = %s, sdss-sim = %s,"
                        + " sdss-cols = %s, spet-fraction = %s, spet = %s%s%s }%n", e.getKey(), num(k.sfma()),
                        num(k.sdssSig()), num(k.sdssSim()), num(k.sdssCols()), num(k.spetFraction()),
                        k.spetOn() ? num(k.spet()) : "off", k.proxy() != null ? ", spet-proxy = true" : "", zeros));
            }
            b.append("      }\n");
            if (!p.exits().isEmpty()) {
                b.append("      exits {");
                for (int i = 0; i < p.exits().size(); i++) {
                    EarlyExit e = p.exits().get(i);
                    b.append(String.format(Locale.ROOT, "%s \"%s\" = %s", i == 0 ? "" : ",", e.probe().tensor(),
                            num(e.threshold())));
                }
                b.append(" }\n");
            }
            b.append("    }\n");
        }
        b.append("  }\n");
        Map<String, ExitProbe> probes = new java.util.TreeMap<>();
        all.forEach(p -> p.exits().forEach(e -> share(probes, "probes", e.probe().tensor(), e.probe())));
        section(b, "probes", probes, q -> String.format(Locale.ROOT, "      shape = [%d, %d, %d]%n      grid = %d%n"
                + "      classes = %d%n      bias = \"%s\"%n      weights = \"%s\"%n", q.shape().c(), q.shape().h(),
                q.shape().w(), q.grid(), q.classes(), base64(q.bias()), base64(q.weights())));
        Map<String, SpetProxy> proxies = new java.util.TreeMap<>();
        all.forEach(p -> p.layers().forEach((layer, k) -> {
            if (k.proxy() != null) {
                share(proxies, "proxies", layer, k.proxy());
            }
        }));
        section(b, "proxies", proxies, q -> String.format(Locale.ROOT, "      rank = %d%n      offset = \"%s\"%n"
                + "      sigma = \"%s\"%n      basis = \"%s\"%n", q.rank(), base64(q.offset()), base64(q.sigma()),
                base64(q.basis())));
        b.append("}\n");
        return b.toString();
    }

    /** Writes {@code effort.<key> = ["name", ...]}. */
    private static void names(StringBuilder b, String key, List<EffortProfile> rungs) {
        b.append("  ").append(key).append(" = [");
        for (int i = 0; i < rungs.size(); i++) {
            b.append(i == 0 ? "" : ", ").append('"').append(rungs.get(i).name()).append('"');
        }
        b.append("]\n");
    }

    /**
     * Adds {@code item} under {@code key} to the data the rungs share ({@code effort.<section>}): the file holds one
     * per key, so two rungs needing different ones under the same key cannot be written.
     */
    private static <T> void share(Map<String, T> into, String section, String key, T item) {
        T had = into.putIfAbsent(key, item);
        if (had != null && !had.equals(item)) {
            throw new IllegalArgumentException("effort." + section + "." + key
                    + ": two rungs need different values, the file holds one");
        }
    }

    /** Writes {@code effort.<section>}, one block per key (its lines from {@code body}); nothing when empty. */
    private static <T> void section(StringBuilder b, String section, Map<String, T> items,
            java.util.function.Function<T, String> body) {
        if (items.isEmpty()) {
            return;
        }
        b.append("  ").append(section).append(" {\n");
        items.forEach((key, v) -> b.append("    \"").append(key).append("\" {\n").append(body.apply(v))
                .append("    }\n"));
        b.append("  }\n");
    }

    /** A number as HOCON and profile names write it: {@code 2}, {@code 0.5}. */
    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v);
    }
}
