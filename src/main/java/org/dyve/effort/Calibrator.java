package org.dyve.effort;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.EarlyExit;
import org.dyve.engine.ExitProbe;
import org.dyve.engine.SpetProxy;
import org.dyve.engine.Engine;
import org.dyve.eval.TopK;
import org.dyve.model.Convolution;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Shape;

/**
 * Calibrates a model's effort ladder on held-out data without retraining (the recipe of
 * {@code docs/dyvedeep.md}): every knob setting of every convolution layer but the first is measured alone
 * (MACs saved, top-1 agreement lost), then settings are added greedily by best saving per disagreement; each
 * addition is re-measured on the whole calibration set and kept only if the top-1 loss stays within the
 * largest budget. For each budget the ladder holds the kept combination with the most saving whose loss fits.
 * On a network with pruned layers or 1x1 layers after ReLUs every trial builds on its exact zero-skipping profile
 * ({@link #base}): those layers keep it and are not swept (the knobs' kernel multiplies every weight and input, so
 * a knob there would first give up the exact saving). Deterministic: same data, same order, same result. The
 * exit thresholds are chosen by {@link ExitThresholds}, SPET's low-rank predictors fitted by {@link SpetProxyFit}.
 */
public final class Calibrator {

    /** Progress of a calibration: {@code done} of {@code total} measurements in {@code phase}. */
    public interface Listener {
        void progress(String phase, int done, int total);
    }

    /** One measurement of a profile on the calibration set (MACs per image). */
    public record Measure(int correct, int agree, double denseMacs, double macs) {
    }

    private record Candidate(String layer, String knob, ConvEffort setting, double saved, int disagree,
            double loss) {
    }

    /** Samples per engine run: the dense layers' GEMMs are several times faster per sample than at batch 1. */
    static final int BATCH = 16;

    private final Network net;
    private final Preprocessing pre;
    private final Dataset data;
    /** The preprocessed samples under the network input's name, as the engines are fed. */
    private final Map<String, List<float[]>> input;
    private final int[] labels;
    private final int[] dense;
    private final int denseCorrect;
    /** The dense network's work per layer over the samples. */
    private final List<org.dyve.engine.Work> denseWork;
    /** The exact zero-skipping profile every trial builds on (none for a dense network). */
    private final EffortProfile base;
    /** {@link #base}'s work per layer over the samples (its zero inputs depend on them). */
    private final List<org.dyve.engine.Work> baseWork;

    /** Preprocesses the first {@code limit} samples of {@code data} and records the dense network's answers. */
    public Calibrator(Network net, Preprocessing pre, Dataset data, int limit) {
        this.net = net;
        this.pre = pre;
        this.data = data;
        int n = Math.min(limit, data.size());
        List<float[]> inputs = new ArrayList<>(n);
        labels = new int[n];
        for (int i = 0; i < n; i++) {
            var s = data.get(i);
            inputs.add(pre.apply(s.image()));
            labels[i] = s.label();
        }
        input = Map.of(net.input().name(), List.copyOf(inputs));
        Engine e = Engine.builder(net).batch(BATCH).build();
        dense = top1(e, input);
        denseWork = e.work();
        EffortProfile zeros = EffortProfile.sparseInputs(net);
        base = zeros != null ? zeros : EffortProfile.sparse(net);
        if (base != null) {
            Engine b = base.engine(net, BATCH);
            top1(b, input);
            baseWork = b.work();
        } else {
            baseWork = denseWork;
        }
        int c = 0;
        for (int i = 0; i < n; i++) {
            c += dense[i] == labels[i] ? 1 : 0;
        }
        denseCorrect = c;
    }

    /**
     * The engine's top-1 class for every calibration sample, {@link #BATCH} at a time; {@code in} holds each of the
     * engine's inputs per sample.
     */
    private int[] top1(Engine e, Map<String, List<float[]>> in) {
        float[] scores = new float[net.shape(net.output()).size()];
        int[] top = new int[labels.length];
        for (int i0 = 0; i0 < labels.length; i0 += e.batch()) {
            int m = load(e, in, i0);
            e.run(m);
            for (int j = 0; j < m; j++) {
                e.getOutput(net.output(), j, scores);
                top[i0 + j] = TopK.of(scores, 1)[0];
            }
        }
        return top;
    }

    /**
     * Copies the next batch of samples, from {@code i0}, of each tensor of {@code in} into the engine's slots;
     * returns how many.
     */
    private int load(Engine e, Map<String, List<float[]>> in, int i0) {
        int m = Math.min(e.batch(), labels.length - i0);
        for (var t : in.entrySet()) {
            for (int j = 0; j < m; j++) {
                e.setInput(t.getKey(), j, t.getValue().get(i0 + j));
            }
        }
        return m;
    }

    /**
     * What layers {@code [from, end)} read, per calibration sample, with the knobs {@code layers}: advances
     * {@code prefix} (the same for an earlier layer {@code at}) through layers {@code [at, from)}.
     */
    private Map<String, List<float[]>> prefix(int at, Map<String, List<float[]>> prefix, int from,
            Map<String, ConvEffort> layers) {
        int end = net.layers().size();
        Map<String, List<float[]>> out = new LinkedHashMap<>();
        List<String> needed = net.rangeInputs(from, end);
        List<String> written = new ArrayList<>();
        for (String t : needed) {
            if (net.lastWriter(t, at, from) >= 0) {
                written.add(t);
                out.put(t, new ArrayList<>());
            } else {
                out.put(t, prefix.get(t));
            }
        }
        if (written.isEmpty()) {
            return out;
        }
        Engine e = Engine.builder(net).range(at, from).batch(BATCH).effort(layers).build();
        for (int i0 = 0; i0 < labels.length; i0 += BATCH) {
            int m = load(e, prefix, i0);
            e.run(m);
            for (String t : written) {
                for (int j = 0; j < m; j++) {
                    out.get(t).add(e.output(t, j));
                }
            }
        }
        return out;
    }

    /** Top-1 loss against the dense network, in points, of {@code correct} right answers on the samples. */
    private double loss(int correct) {
        return 100.0 * (denseCorrect - correct) / labels.length;
    }

    /** Samples used. */
    public int size() {
        return labels.length;
    }

    /** The exact zero-skipping profile every trial builds on, or null for a dense network. */
    public EffortProfile base() {
        return base;
    }

    /** Dense MACs over {@link #base}'s on the calibration samples (1 for a dense network). */
    public double baseReduction() {
        return WorkSummary.of(baseWork).reduction();
    }

    /** {@link #base}'s layers, empty for a dense network. */
    private Map<String, ConvEffort> baseLayers() {
        return base != null ? base.layers() : Map.of();
    }

    /** Dense top-1 on the calibration samples, in percent. */
    public double denseTop1() {
        return 100.0 * denseCorrect / labels.length;
    }

    /** Runs a profile over the calibration samples. */
    public Measure measure(Map<String, ConvEffort> layers) {
        return measure(layers, List.of());
    }

    /** Runs knobs and early exits over the calibration samples. */
    public Measure measure(Map<String, ConvEffort> layers, List<EarlyExit> exits) {
        return measure(Engine.builder(net).batch(BATCH).effort(layers).exits(exits).build(), input);
    }

    /** Runs an engine (of the whole network, or of its layers from some point on) over the samples' inputs. */
    private Measure measure(Engine e, Map<String, List<float[]>> in) {
        return measure(e, in, List.of());
    }

    /** As {@link #measure(Engine, Map)}, counting {@code before} (the work of the layers before the engine's). */
    private Measure measure(Engine e, Map<String, List<float[]>> in, List<org.dyve.engine.Work> before) {
        int[] top = top1(e, in);
        int correct = 0;
        int agree = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += top[i] == labels[i] ? 1 : 0;
            agree += top[i] == dense[i] ? 1 : 0;
        }
        List<org.dyve.engine.Work> work = new ArrayList<>(before);
        work.addAll(e.work());
        WorkSummary w = WorkSummary.of(work);
        return new Measure(correct, agree, w.denseMacs(), w.macs());
    }

    /** Cuts of the combination's activations kept at once, beyond the network input. */
    private static final int CHAIN_CUTS = 6;

    /**
     * The knob combination being built (none during the sweep, then the greedy phase's), with its activations
     * kept at a few cuts (the input of a calibrated layer) so that a trial of one layer's knob runs only from that
     * layer on: the layers before it are the combination's, already computed. Exact: a trial measures what
     * {@link #measure(Map)} measures.
     */
    final class Combination {
        private Map<String, ConvEffort> layers = Map.of();
        /** What layers {@code [cut, end)} read, per sample, with {@link #layers}; cut 0 is the input. */
        private final java.util.TreeMap<Integer, Map<String, List<float[]>>> cuts = new java.util.TreeMap<>();
        private final Map<Integer, Long> lastUse = new java.util.HashMap<>();
        private long uses;
        /** Each layer's work with {@link #layers}, in network order. */
        private final List<org.dyve.engine.Work> work;
        private Engine lastTrial;
        private int lastFrom;

        Combination() {
            cuts.put(0, input);
            layers = baseLayers();
            work = new ArrayList<>(baseWork);
        }

        /** The knobs kept so far. */
        Map<String, ConvEffort> layers() {
            return layers;
        }

        /** The knobs kept so far with {@code layer}'s set to {@code setting}: a trial. */
        Map<String, ConvEffort> with(String layer, ConvEffort setting) {
            Map<String, ConvEffort> trial = new LinkedHashMap<>(layers);
            trial.put(layer, setting);
            return trial;
        }

        /** Measures {@code trial}: this combination's knobs before layer {@code from}, any knobs from it on. */
        Measure measure(Map<String, ConvEffort> trial, int from) {
            Map<String, List<float[]>> in = inputsAt(from);
            List<org.dyve.engine.Work> before = new ArrayList<>();
            for (org.dyve.engine.Work w : work) {
                if (net.indexOf(w.layer()) < from) {
                    before.add(w);
                }
            }
            lastTrial = Engine.builder(net).range(from, net.layers().size()).batch(BATCH).effort(trial).build();
            lastFrom = from;
            return Calibrator.this.measure(lastTrial, in, before);
        }

        /** Keeps the last measured trial (which changed layers from {@code from} on). */
        void accept(Map<String, ConvEffort> trial) {
            layers = Map.copyOf(trial);
            work.removeIf(w -> net.indexOf(w.layer()) >= lastFrom);
            work.addAll(lastTrial.work());
            cuts.tailMap(lastFrom, false).clear();
            lastUse.keySet().retainAll(cuts.keySet());
        }

        /** This combination's activations at cut {@code at}, from the nearest kept cut before it. */
        private Map<String, List<float[]>> inputsAt(int at) {
            var near = cuts.floorEntry(at);
            Map<String, List<float[]>> in = near.getKey() == at ? near.getValue()
                    : prefix(near.getKey(), near.getValue(), at, layers);
            cuts.put(at, in);
            lastUse.put(at, ++uses);
            while (cuts.size() > CHAIN_CUTS + 1) {
                int oldest = lastUse.entrySet().stream().filter(e -> e.getKey() != 0)
                        .min(java.util.Map.Entry.comparingByValue()).orElseThrow().getKey();
                cuts.remove(oldest);
                lastUse.remove(oldest);
            }
            return in;
        }
    }

    /**
     * Fits an early-exit probe at the cuts of the network ({@link ExitFitter#candidates}) on the samples of
     * the data set after the calibration ones (disjoint from them, so the thresholds are chosen on samples the
     * probes never saw) and, when {@code mirrored}, on their left-right mirror images as well (twice the data for
     * the same samples: on CIFAR-10 the best exit-only saving within half a point of top-1 on the test set goes from
     * 1.41x to 1.52x). Empty when there is no cut or fewer than {@link ExitFitter#MIN_PER_CLASS} labelled samples
     * per class. With {@code maxProbes} > 0, at no more than that many cuts, spread evenly over the network's MACs
     * ({@link ExitFitter#spread}): every probe costs its evaluation on the samples that do not exit there, and more
     * thresholds fit the calibration samples' noise.
     */
    public List<ExitProbe> fitProbes(Listener listener, boolean mirrored, int maxProbes) {
        List<String> tensors = ExitFitter.spread(net, ExitFitter.candidates(net), maxProbes);
        int classes = net.shape(net.output()).size();
        int samples = data.size() - labels.length;
        if (tensors.isEmpty() || samples < ExitFitter.MIN_PER_CLASS * classes) {
            return List.of();
        }
        int copies = mirrored ? 2 : 1;
        int n = samples * copies;
        float[][][] x = new float[tensors.size()][n][];
        int[] grids = new int[tensors.size()];
        for (int t = 0; t < tensors.size(); t++) {
            grids[t] = ExitFitter.grid(net.shape(tensors.get(t)));
        }
        int[] y = new int[n];
        Engine e = Engine.builder(net).batch(BATCH).build();
        float[] scores = new float[classes];
        int[] label = new int[BATCH];
        Shape input = net.shape(net.input().name());
        float[] image = null;
        int imageLabel = -1;
        for (int i0 = 0; i0 < n; i0 += BATCH) {
            int m = Math.min(BATCH, n - i0);
            for (int j = 0; j < m; j++) {
                int copy = (i0 + j) % copies;
                if (copy == 0) {
                    var s = data.get(labels.length + (i0 + j) / copies);
                    image = pre.apply(s.image());
                    imageLabel = s.label();
                }
                label[j] = imageLabel;
                e.setInput(net.input().name(), j, copy == 0 ? image : mirror(image, input));
            }
            e.run(m);
            for (int j = 0; j < m; j++) {
                int i = i0 + j;
                for (int t = 0; t < tensors.size(); t++) {
                    Shape sh = net.shape(tensors.get(t));
                    x[t][i] = new float[ExitProbe.features(sh, grids[t])];
                    ExitProbe.features(e.output(tensors.get(t), j), 0, sh, grids[t], x[t][i]);
                }
                e.getOutput(net.output(), j, scores);
                y[i] = label[j] >= 0 && label[j] < classes ? label[j] : TopK.of(scores, 1)[0];
            }
            listener.progress("probe features", i0 + m, n);
        }
        List<ExitProbe> out = new ArrayList<>();
        for (int t = 0; t < tensors.size(); t++) {
            out.add(ExitFitter.fit(tensors.get(t), net.shape(tensors.get(t)), grids[t], x[t], y, classes));
            listener.progress("probe fit", t + 1, tensors.size());
        }
        return out;
    }

    /** A CHW image mirrored left to right. */
    static float[] mirror(float[] chw, Shape s) {
        float[] out = new float[chw.length];
        int w = s.w();
        for (int row = 0; row < s.c() * s.h(); row++) {
            for (int x = 0; x < w; x++) {
                out[row * w + x] = chw[row * w + w - 1 - x];
            }
        }
        return out;
    }

    private ExitThresholds.Table exitTable(Map<String, ConvEffort> layers, List<ExitProbe> probes) {
        Engine e = Engine.builder(net).batch(BATCH).effort(layers).build();
        int n = labels.length;
        int[] top = new int[n];
        int[][] answer = new int[probes.size()][n];
        float[][] confidence = new float[probes.size()][n];
        int[] at = new int[probes.size()];
        float[][] features = new float[probes.size()][];
        for (int q = 0; q < probes.size(); q++) {
            at[q] = net.lastWriter(probes.get(q).tensor(), 0, net.layers().size());
            features[q] = new float[probes.get(q).features()];
        }
        float[] scores = new float[net.shape(net.output()).size()];
        float[] probs = new float[scores.length];
        for (int i0 = 0; i0 < n; i0 += BATCH) {
            int first = i0;
            int m = load(e, input, i0);
            e.run(m, (layer, eng) -> {
                for (int q = 0; q < probes.size(); q++) {
                    if (at[q] == layer) {
                        ExitProbe p = probes.get(q);
                        for (int j = 0; j < m; j++) {
                            p.features(eng.output(p.tensor(), j), 0, features[q]);
                            int best = p.probabilities(features[q], probs);
                            answer[q][first + j] = best;
                            confidence[q][first + j] = probs[best];
                        }
                    }
                }
            });
            for (int j = 0; j < m; j++) {
                e.getOutput(net.output(), j, scores);
                top[i0 + j] = TopK.of(scores, 1)[0];
            }
        }
        // MACs per image executed up to and including each probe, and in all
        double[] upTo = new double[probes.size()];
        double full = 0;
        List<org.dyve.engine.Work> work = e.work();
        for (org.dyve.engine.Work w : work) {
            double m = (double) w.macs() / Math.max(1, w.samples());
            int li = net.indexOf(w.layer());
            for (int q = 0; q < probes.size(); q++) {
                if (li <= at[q]) {
                    upTo[q] += m;
                }
            }
            full += m;
        }
        for (int q = 0; q < probes.size(); q++) {
            for (int r = 0; r <= q; r++) {
                upTo[q] += probes.get(r).macs();
            }
        }
        for (ExitProbe p : probes) {
            full += p.macs();
        }
        return new ExitThresholds.Table(top, answer, confidence, upTo, full);
    }

    /** Rows (output positions over all samples) a proxy is fitted on, at most. */
    private static final int PROXY_ROWS = 32768;

    /**
     * Fits SPET's low-rank predictors for convolution {@code layer} on the dense pre-activations of the
     * calibration samples, whose inputs {@code in} holds: the top principal directions of the output-channel
     * vectors, and each channel's residual spread around the prediction, for ranks {@code cout / d} (at least 2)
     * with {@code d} in {@link SpetProxyFit#DIVISORS}.
     */
    List<SpetProxy> fitProxies(String layer, Map<String, List<float[]>> in) {
        int at = net.indexOf(layer);
        Convolution conv = (Convolution) net.layers().get(at);
        Shape os = net.shape(conv.output());
        int cout = os.c();
        int plane = os.plane();
        long all = (long) labels.length * plane;
        int step = (int) Math.max(1, (all + PROXY_ROWS - 1) / PROXY_ROWS);
        int rows = (int) ((all + step - 1) / step);
        float[] y = new float[rows * cout];
        Engine e = Engine.builder(net).range(at, at + 1).batch(BATCH).build();
        int row = 0;
        long index = 0;
        float[] out = new float[os.size()];
        for (int i0 = 0; i0 < labels.length; i0 += BATCH) {
            int m = load(e, in, i0);
            e.run(m);
            for (int j = 0; j < m; j++) {
                e.getOutput(conv.output(), j, out);
                for (int q = 0; q < plane; q++, index++) {
                    if (index % step == 0) {
                        for (int o = 0; o < cout; o++) {
                            y[row * cout + o] = out[o * plane + q];
                        }
                        row++;
                    }
                }
            }
        }
        return SpetProxyFit.fit(y, row, conv.biasValues());
    }

    /** SPET thresholds tried with the low-rank predictor, in units of its residual sigma. */
    private static final double[] PROXY_THRESHOLDS = {-3, -2.5, -2, -1.5, -1, -0.5};

    /** The knob settings tried per layer, alone and in combination ({@code proxies}: SPET's low-rank predictors). */
    static List<Candidate> settings(String layer, List<SpetProxy> proxies) {
        ConvEffort x = ConvEffort.EXACT;
        List<Candidate> out = new ArrayList<>();
        out.add(new Candidate(layer, "sfma", x.withSfma(0.05), 0, 0, 0));
        out.add(new Candidate(layer, "sfma", x.withSfma(0.25), 0, 0, 0));
        // {sig, sim, cols}: per neuron (cols -1), then by columns (whole GEMM columns skipped, time as well)
        for (double[] s : new double[][] {{0.1, -1, -1}, {0.25, -1, -1}, {0.25, 0.1, -1}, {0.5, 0.25, -1},
            {1, 0.5, -1}, {0.25, 0.1, 0.1}, {0.5, 0.25, 0.25}, {0.5, 0.25, 0.5}}) {
            out.add(new Candidate(layer, "sdss", x.withSdss(s[0], s[1], s[2]), 0, 0, 0));
        }
        for (double t : new double[] {-0.1, 0}) {
            out.add(new Candidate(layer, "spet", x.withSpet(0.5, t), 0, 0, 0));
        }
        for (SpetProxy proxy : proxies) {
            for (double t : PROXY_THRESHOLDS) {
                out.add(new Candidate(layer, "spet", x.withSpet(proxy, t), 0, 0, 0));
            }
        }
        return out;
    }

    /**
     * Builds the profiles {@code loss-<b>...} for the given budgets (top-1 points, ascending), without early
     * exits; the ladder holds only {@code exact} (see {@link #calibrate(List, List, Listener)}).
     */
    public EffortProfiles calibrate(List<Double> budgets, Listener listener) {
        return calibrate(budgets, List.of(), listener);
    }

    /**
     * Builds a model's effort profiles for the given budgets (top-1 points, ascending). {@code loss-<b>} has the
     * fewest MACs within budget {@code b}: the greedy combination of knobs and, with {@code probes}, early-exit
     * thresholds (every kept knob combination within the budget, and no knobs at all, is tried with the
     * thresholds that save the most MACs within the budget; the best pair wins). Those profiles run the dynamic
     * convolution kernel, which is slower than the dense one on this engine (README), so the controller's ladder
     * gets {@code fast-<b>} instead: early exits alone, the thresholds that save the most MACs within {@code b},
     * which skip whole dense layers and so are faster than exact. Without probes the ladder is {@code exact}.
     */
    public EffortProfiles calibrate(List<Double> budgets, List<ExitProbe> probes, Listener listener) {
        return calibrate(budgets, probes, listener, true);
    }

    /**
     * {@link #calibrate(List, List, Listener)}, or with {@code knobs} false the early exits alone: no knob is swept
     * (minutes instead of hours on a large network), and the profiles are the {@code fast-<b>} rungs only.
     */
    public EffortProfiles calibrate(List<Double> budgets, List<ExitProbe> probes, Listener listener, boolean knobs) {
        List<String> layers = new ArrayList<>();
        boolean first = true;
        for (Layer l : knobs ? net.layers() : List.<Layer>of()) {
            if (l instanceof Convolution c) {
                if (!first && !baseLayers().containsKey(c.name())) {
                    layers.add(c.name());
                }
                first = false;
            }
        }
        // 1. each setting alone, running only the layers from its own on (the ones before are dense, computed
        // once per layer from the previous layer's cut); 2. then the greedy phase goes on from the same cuts
        Combination combination = new Combination();
        double baseMacs = WorkSummary.of(baseWork).macs();
        List<Candidate> measured = new ArrayList<>();
        int perProxy = PROXY_THRESHOLDS.length;
        int total = layers.size() * (settings("x", List.of()).size() + SpetProxyFit.DIVISORS.length * perProxy);
        int done = 0;
        for (String layer : layers) {
            // SPET's low-rank predictors, fitted on the dense inputs the sweep is about to use anyway (ranks that
            // coincide on a narrow layer are fitted once)
            List<SpetProxy> proxies = fitProxies(layer, combination.inputsAt(net.indexOf(layer)));
            total -= (SpetProxyFit.DIVISORS.length - proxies.size()) * perProxy;
            for (Candidate c : settings(layer, proxies)) {
                Measure m = combination.measure(combination.with(layer, c.setting()), net.indexOf(layer));
                listener.progress("sweep", ++done, total);
                // MACs saved over the base (the dense network, or its exact zero skipping)
                double saved = baseMacs - m.macs();
                if (saved > 0) {
                    measured.add(new Candidate(layer, c.knob(), c.setting(), saved, labels.length - m.agree(),
                            loss(m.correct())));
                }
            }
        }
        measured.sort(Comparator.comparingDouble((Candidate c) -> -c.saved() / (c.disagree() + 0.5))
                .thenComparing(Candidate::layer).thenComparing(Candidate::knob));
        // 2. greedy combination, each trial run from its layer on, budget by budget
        // from the smallest (each goes on from the combination the one below kept, so a small budget is not left
        // with a prefix of a large budget's choices); a layer's knob, once kept, is only replaced by a setting
        // that saves more on its own
        Map<String, Double> used = new java.util.HashMap<>();
        Map<String, SpetProxy> proxies = new java.util.HashMap<>();
        List<EffortProfile> kept = new ArrayList<>();
        done = 0;
        for (double b : budgets) {
            for (Candidate c : measured) {
                listener.progress("combine", ++done, measured.size() * budgets.size());
                SpetProxy had = proxies.get(c.layer());
                if (c.saved() <= used.getOrDefault(c.layer() + "/" + c.knob(), 0.0) || c.loss() > b
                        || had != null && c.setting().proxy() != null && !had.equals(c.setting().proxy())) {
                    // a setting over budget on its own is not worth a full measurement; the profiles file holds
                    // one predictor per layer
                    continue;
                }
                Map<String, ConvEffort> trial = combination.with(c.layer(),
                        merge(combination.layers().getOrDefault(c.layer(), ConvEffort.EXACT), c));
                Measure m = combination.measure(trial, net.indexOf(c.layer()));
                double loss = loss(m.correct());
                if (loss <= b) {
                    combination.accept(trial);
                    used.put(c.layer() + "/" + c.knob(), c.saved());
                    if (c.setting().proxy() != null) {
                        proxies.put(c.layer(), c.setting().proxy());
                    }
                    kept.add(new EffortProfile("", b, trial, List.of(), m.denseMacs() / m.macs(), loss,
                            100.0 * m.agree() / labels.length));
                }
            }
        }
        List<EffortProfile> ladder = new ArrayList<>();
        ladder.add(EffortProfile.EXACT);
        List<EffortProfile> byMacs = new ArrayList<>();
        Map<Map<String, ConvEffort>, ExitThresholds.Table> tables = new java.util.HashMap<>();
        done = 0;
        for (double b : budgets) {
            // the kept combinations within the budget (and no knobs at all) are the options for exits
            EffortProfile best = null;
            List<Map<String, ConvEffort>> options = new ArrayList<>();
            options.add(baseLayers());
            for (EffortProfile p : kept) {
                if (p.calibTop1Loss() <= b + 1e-9) {
                    options.add(p.layers());
                    if (best == null || p.reduction() > best.reduction()) {
                        best = p;
                    }
                }
            }
            if (!probes.isEmpty()) {
                EffortProfile withExits = withExits(b, options, probes, tables);
                if (withExits != null && (best == null || withExits.reduction() > best.reduction())) {
                    best = withExits;
                }
                // a rung that exits no more than the one below it would be a step that changes nothing
                EffortProfile fast = withExits(b, List.of(Map.of()), probes, tables);
                if (fast != null && !fast.exits().isEmpty()
                        && !fast.exits().equals(ladder.get(ladder.size() - 1).exits())) {
                    ladder.add(rung("fast-", b, fast));
                }
                listener.progress("exits", ++done, budgets.size());
            }
            if (best != null && knobs) {
                byMacs.add(rung("loss-", b, best));
            }
        }
        return new EffortProfiles(ladder, byMacs);
    }

    /** {@code p} named {@code prefix} + the budget {@code b}, with that budget. */
    private static EffortProfile rung(String prefix, double b, EffortProfile p) {
        return new EffortProfile(prefix + EffortProfiles.num(b), b, p.layers(), p.exits(), p.reduction(),
                p.calibTop1Loss(), p.calibAgreement());
    }

    /**
     * Of the knob combinations {@code options}, each with the exit thresholds that save the most MACs within
     * {@code budget}, the one with the fewest MACs (measured again with its exits); null when no thresholds keep
     * any option within the budget.
     */
    private EffortProfile withExits(double budget, List<Map<String, ConvEffort>> options, List<ExitProbe> probes,
            Map<Map<String, ConvEffort>, ExitThresholds.Table> tables) {
        double bestMacs = Double.MAX_VALUE;
        Map<String, ConvEffort> bestLayers = null;
        double[] bestTh = null;
        for (Map<String, ConvEffort> layers : options) {
            ExitThresholds.Table t = tables.computeIfAbsent(layers, l -> exitTable(l, probes));
            double[] th = new ExitThresholds(labels, this::loss).best(t, probes.size(), budget);
            if (th != null && th[probes.size()] < bestMacs - 1e-6) {
                bestMacs = th[probes.size()];
                bestLayers = layers;
                bestTh = th;
            }
        }
        if (bestLayers == null) {
            return null;
        }
        List<EarlyExit> exits = new ArrayList<>();
        for (int q = 0; q < probes.size(); q++) {
            if (bestTh[q] <= 1) {
                exits.add(new EarlyExit(probes.get(q), bestTh[q]));
            }
        }
        Measure m = measure(bestLayers, exits);
        return new EffortProfile("", budget, bestLayers, exits, m.denseMacs() / m.macs(), loss(m.correct()),
                100.0 * m.agree() / labels.length);
    }

    private static ConvEffort merge(ConvEffort base, Candidate c) {
        ConvEffort s = c.setting();
        return switch (c.knob()) {
            case "sfma" -> base.withSfma(s.sfma());
            case "sdss" -> base.withSdss(s.sdssSig(), s.sdssSim(), s.sdssCols());
            default -> s.proxy() != null ? base.withSpet(s.proxy(), s.spet()) : base.withSpet(s.spetFraction(),
                    s.spet());
        };
    }
}
