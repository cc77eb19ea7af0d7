package org.dyve.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.dyve.data.Image;
import org.dyve.data.Preprocessing;
import org.dyve.effort.EffortProfile;
import org.dyve.engine.CoreBudget;
import org.dyve.engine.Engine;
import org.dyve.eval.TopK;
import org.dyve.model.Network;

/**
 * Classifies images with one model, from any number of threads at once. Compiled engines are pooled per (effort
 * rung, batch size): a call borrows one, runs its images through it and returns it, so engines are compiled once and
 * reused; each call holds one worker of the runtime's {@link CoreBudget} while it computes, so calls and streams share
 * the cores.
 */
public final class Classifier {
    /** Images per engine run: larger requests run in batches of this size. */
    static final int MAX_BATCH = 8;

    private final LoadedModel model;
    private final CoreBudget budget;
    private final Preprocessing pre;
    private final Map<String, ConcurrentLinkedQueue<Engine>> pools = new ConcurrentHashMap<>();

    Classifier(LoadedModel model, CoreBudget budget) {
        this.model = model;
        this.budget = budget;
        this.pre = model.descriptor().preprocessing(model.network());
    }

    public LoadedModel model() {
        return model;
    }

    /** Engines compiled so far (all pools), for tests and metrics. */
    public int enginesCompiled() {
        return pools.values().stream().mapToInt(ConcurrentLinkedQueue::size).sum();
    }

    /**
     * The top {@code k} classes of each image at {@code effort} ({@code exact} or a profile's name; {@code auto} means
     * exact here: a request has no stream for a controller to watch).
     *
     * @throws org.dyve.DyveException when the effort is unknown or an image cannot be preprocessed (one line)
     */
    public List<Classification> classify(List<Image> images, String effort, int k) {
        List<float[]> inputs = new ArrayList<>(images.size());
        for (Image im : images) {
            inputs.add(prepare(im));
        }
        return top(infer(inputs, effort), k);
    }

    /** {@code image} through the model's own preprocessing: the network's input. */
    public float[] prepare(Image image) {
        return pre.apply(image);
    }

    /** The top {@code k} classes of each answer. */
    public List<Classification> top(List<Inference> raw, int k) {
        List<Classification> out = new ArrayList<>(raw.size());
        for (Inference r : raw) {
            List<Classification.Scored> top = new ArrayList<>();
            for (int c : TopK.of(r.probabilities(), Math.min(Math.max(1, k), r.probabilities().length))) {
                top.add(new Classification.Scored(c, model.descriptor().label(c), r.probabilities()[c]));
            }
            out.add(new Classification(top, r.rung(), r.macs(), r.denseMacs(), r.exit(), r.ms()));
        }
        return out;
    }

    /**
     * One input's answer: the class probabilities, the rung, MACs executed and dense, the exit taken (or null), and
     * its share of the batch's compute time.
     */
    public record Inference(float[] probabilities, String rung, long macs, long denseMacs, String exit, double ms) {
    }

    /**
     * The class probabilities of already preprocessed inputs (each the network input's CHW size) at {@code effort}.
     *
     * @throws org.dyve.DyveException when the effort is unknown
     */
    public List<Inference> infer(List<float[]> inputs, String effort) {
        EffortProfile rung = "auto".equals(effort) ? model.ladder("exact").get(0) : model.ladder(effort).get(0);
        Network net = model.network();
        List<Inference> out = new ArrayList<>(inputs.size());
        try (CoreBudget.Lease lease = budget.lease(1)) {
            for (int start = 0; start < inputs.size(); start += MAX_BATCH) {
                int n = Math.min(MAX_BATCH, inputs.size() - start);
                int batch = n == 1 ? 1 : MAX_BATCH;
                String key = rung.name() + "@" + batch;
                ConcurrentLinkedQueue<Engine> pool = pools.computeIfAbsent(key, x -> new ConcurrentLinkedQueue<>());
                Engine e = pool.poll();
                if (e == null) {
                    e = Engine.builder(net).batch(batch).effort(rung.layers()).exits(rung.exits())
                            .precision(rung.precision()).threads(budget::share).build();
                }
                try {
                    out.addAll(run(e, inputs.subList(start, start + n), rung.name()));
                } finally {
                    pool.add(e);
                }
            }
        }
        return out;
    }

    private List<Inference> run(Engine e, List<float[]> inputs, String rung) {
        Network net = model.network();
        int n = inputs.size();
        e.resetWork();
        long t0 = System.nanoTime();
        e.infer(inputs);
        double ms = (System.nanoTime() - t0) / 1e6 / n;
        long macs = 0;
        for (org.dyve.engine.Work w : e.work()) {
            macs += w.macs();
        }
        List<Inference> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String exit = e.exited(i);
            float[] scores = exit != null ? e.exitProbabilities(i) : e.output(net.output(), i);
            float[] p = exit != null || net.outputIsSoftmax() ? scores : TopK.softmax(scores);
            out.add(new Inference(p, rung, macs / n, net.totalMacs(), exit, ms));
        }
        return out;
    }
}
