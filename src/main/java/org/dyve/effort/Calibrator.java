package org.dyve.effort;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.Engine;
import org.dyve.eval.TopK;
import org.dyve.model.Convolution;
import org.dyve.model.Layer;
import org.dyve.model.Network;

/**
 * Calibrates a model's effort ladder on held-out data without retraining (the recipe of
 * {@code docs/dyvedeep.md}): every knob setting of every convolution layer but the first is measured alone
 * (MACs saved, top-1 agreement lost), then settings are added greedily by best saving per disagreement; each
 * addition is re-measured on the whole calibration set and kept only if the top-1 loss stays within the
 * largest budget. For each budget the ladder holds the kept combination with the most saving whose loss fits.
 * Deterministic: same data, same order, same result.
 */
public final class Calibrator {

    /** Progress of a calibration: {@code done} of {@code total} measurements in {@code phase}. */
    public interface Listener {
        void progress(String phase, int done, int total);
    }

    /** One measurement of a profile on the calibration set (MACs per image). */
    public record Measure(int correct, int agree, double denseMacs, double macs) {
        double saved() {
            return denseMacs - macs;
        }
    }

    private record Candidate(String layer, String knob, ConvEffort setting, double saved, int disagree) {
    }

    private final Network net;
    private final List<float[]> inputs = new ArrayList<>();
    private final int[] labels;
    private final int[] dense;
    private final int denseCorrect;

    /** Preprocesses the first {@code limit} samples of {@code data} and records the dense network's answers. */
    public Calibrator(Network net, Preprocessing pre, Dataset data, int limit) {
        this.net = net;
        int n = Math.min(limit, data.size());
        labels = new int[n];
        for (int i = 0; i < n; i++) {
            var s = data.get(i);
            inputs.add(pre.apply(s.image()));
            labels[i] = s.label();
        }
        dense = top1(Engine.of(net, 1));
        int c = 0;
        for (int i = 0; i < n; i++) {
            c += dense[i] == labels[i] ? 1 : 0;
        }
        denseCorrect = c;
    }

    /** The engine's top-1 class for every calibration sample, batch 1. */
    private int[] top1(Engine e) {
        float[] scores = new float[net.shape(net.output()).size()];
        int[] top = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            e.setInput(net.input().name(), 0, inputs.get(i));
            e.run(1);
            e.getOutput(net.output(), 0, scores);
            top[i] = TopK.of(scores, 1)[0];
        }
        return top;
    }

    /** Samples used. */
    public int size() {
        return labels.length;
    }

    /** Dense top-1 on the calibration samples, in percent. */
    public double denseTop1() {
        return 100.0 * denseCorrect / labels.length;
    }

    /** Runs a profile over the calibration samples. */
    public Measure measure(Map<String, ConvEffort> layers) {
        Engine e = Engine.of(net, 1, layers);
        int[] top = top1(e);
        int correct = 0;
        int agree = 0;
        for (int i = 0; i < labels.length; i++) {
            correct += top[i] == labels[i] ? 1 : 0;
            agree += top[i] == dense[i] ? 1 : 0;
        }
        WorkSummary w = WorkSummary.of(e.work());
        return new Measure(correct, agree, w.denseMacs(), w.macs());
    }

    /** The knob settings tried per layer, alone and in combination. */
    static List<Candidate> settings(String layer) {
        ConvEffort x = ConvEffort.EXACT;
        List<Candidate> out = new ArrayList<>();
        out.add(new Candidate(layer, "sfma", x.withSfma(0.05), 0, 0));
        out.add(new Candidate(layer, "sfma", x.withSfma(0.25), 0, 0));
        // {sig, sim, cols}: per neuron (cols -1), then by columns (whole GEMM columns skipped, time as well)
        for (double[] s : new double[][] {{0.1, -1, -1}, {0.25, -1, -1}, {0.25, 0.1, -1}, {0.5, 0.25, -1},
            {1, 0.5, -1}, {0.25, 0.1, 0.1}, {0.5, 0.25, 0.25}, {0.5, 0.25, 0.5}}) {
            out.add(new Candidate(layer, "sdss", x.withSdss(s[0], s[1], s[2]), 0, 0));
        }
        for (double t : new double[] {-0.1, 0}) {
            out.add(new Candidate(layer, "spet", x.withSpet(0.5, t), 0, 0));
        }
        return out;
    }

    /**
     * Builds the ladder {@code exact, loss-<b>...} for the given budgets (top-1 points, ascending).
     */
    public EffortProfiles calibrate(List<Double> budgets, Listener listener) {
        double maxBudget = budgets.stream().mapToDouble(Double::doubleValue).max().orElse(0.5);
        List<String> layers = new ArrayList<>();
        boolean first = true;
        for (Layer l : net.layers()) {
            if (l instanceof Convolution c) {
                if (!first) {
                    layers.add(c.name());
                }
                first = false;
            }
        }
        // 1. each setting alone
        List<Candidate> measured = new ArrayList<>();
        int total = layers.size() * settings("x").size();
        int done = 0;
        for (String layer : layers) {
            for (Candidate c : settings(layer)) {
                Measure m = measure(Map.of(layer, c.setting()));
                listener.progress("sweep", ++done, total);
                if (m.saved() > 0) {
                    measured.add(new Candidate(layer, c.knob(), c.setting(), m.saved(), labels.length - m.agree()));
                }
            }
        }
        measured.sort(Comparator.comparingDouble((Candidate c) -> -c.saved() / (c.disagree() + 0.5))
                .thenComparing(Candidate::layer).thenComparing(Candidate::knob));
        // 2. greedy combination under the largest budget
        Map<String, ConvEffort> current = new LinkedHashMap<>();
        Set<String> used = new HashSet<>();
        List<EffortProfile> kept = new ArrayList<>();
        done = 0;
        for (Candidate c : measured) {
            listener.progress("combine", ++done, measured.size());
            if (used.contains(c.layer() + "/" + c.knob())) {
                continue;
            }
            Map<String, ConvEffort> trial = new LinkedHashMap<>(current);
            trial.put(c.layer(), merge(trial.getOrDefault(c.layer(), ConvEffort.EXACT), c));
            Measure m = measure(trial);
            double loss = 100.0 * (denseCorrect - m.correct()) / labels.length;
            if (loss <= maxBudget) {
                current = trial;
                used.add(c.layer() + "/" + c.knob());
                kept.add(new EffortProfile("", maxBudget, current, (double) m.denseMacs() / m.macs(), loss,
                        100.0 * m.agree() / labels.length));
            }
        }
        List<EffortProfile> ladder = new ArrayList<>();
        ladder.add(EffortProfile.EXACT);
        for (double b : budgets) {
            EffortProfile best = null;
            for (EffortProfile p : kept) {
                if (p.calibTop1Loss() <= b + 1e-9 && (best == null || p.reduction() > best.reduction())) {
                    best = p;
                }
            }
            if (best != null) {
                ladder.add(new EffortProfile(name(b), b, best.layers(), best.reduction(), best.calibTop1Loss(),
                        best.calibAgreement()));
            }
        }
        return new EffortProfiles(ladder);
    }

    /** Profile name for a budget: {@code loss-0.5}. */
    public static String name(double budget) {
        return "loss-" + EffortProfiles.num(budget);
    }

    private static ConvEffort merge(ConvEffort base, Candidate c) {
        ConvEffort s = c.setting();
        return switch (c.knob()) {
            case "sfma" -> base.withSfma(s.sfma());
            case "sdss" -> base.withSdss(s.sdssSig(), s.sdssSim(), s.sdssCols());
            default -> base.withSpet(s.spetFraction(), s.spet());
        };
    }
}
