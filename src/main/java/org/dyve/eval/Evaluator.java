package org.dyve.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.dyve.DyveException;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.data.Sample;
import java.util.Map;
import org.dyve.engine.ConvEffort;
import org.dyve.engine.EarlyExit;
import org.dyve.engine.Engine;
import org.dyve.engine.Precision;
import org.dyve.engine.Work;
import org.dyve.model.Network;

/**
 * Runs a data set through a {@link Engine} in batches, decoding and preprocessing the next batch on a
 * second thread while the current one is computed.
 */
public final class Evaluator {

    /** Per-sample outcome. */
    public record Prediction(String id, int label, int[] top5, float maxProb) {
    }

    /** Receives progress and predictions in data-set order. */
    public interface Listener {
        default void progress(int done, int total) {
        }

        default void prediction(Prediction p) {
        }
    }

    /**
     * Aggregate outcome.
     *
     * @param msPerImage engine time per image (decode and preprocessing excluded)
     * @param wallMsPerImage wall time per image, everything included
     */
    public record Result(int count, int labelled, double top1, double top5, long macsPerImage, double msPerImage,
            double wallMsPerImage, int batch) {
    }

    private final Network net;
    private final Preprocessing pre;
    private final Engine engine;
    private final String input;
    private final String output;
    private final boolean probabilities;

    public Evaluator(Network net, Preprocessing pre, int batch) {
        this(net, pre, batch, null);
    }

    /**
     * An evaluator whose engine applies dynamic effort ({@code effort} per convolution layer, see
     * {@link Engine.Builder#effort}); {@code null} for the dense engine.
     */
    public Evaluator(Network net, Preprocessing pre, int batch, Map<String, ConvEffort> effort) {
        this(net, pre, batch, effort == null ? Map.of() : effort, List.of(), Precision.F32);
    }

    /**
     * An evaluator whose engine applies dynamic effort and confidence early exits, its oneDNN segments computing in
     * {@code precision}.
     */
    public Evaluator(Network net, Preprocessing pre, int batch, Map<String, ConvEffort> effort,
            List<EarlyExit> exits, Precision precision) {
        this.net = net;
        this.pre = pre;
        this.engine = Engine.builder(net).batch(batch).effort(effort).exits(exits).precision(precision).build();
        this.input = net.input().name();
        this.output = net.output();
        this.probabilities = net.outputIsSoftmax();
    }

    /** Operations executed per layer by the runs so far (see {@link Engine#work}). */
    public List<Work> work() {
        return engine.work();
    }

    /** Samples that left at each early exit so far (see {@link Engine#exitCounts}). */
    public Map<String, Long> exitCounts() {
        return engine.exitCounts();
    }

    /** Evaluates the first {@code limit} samples (all when {@code limit <= 0}). */
    public Result run(Dataset data, int limit, Listener listener) {
        int total = limit > 0 ? Math.min(limit, data.size()) : data.size();
        int batch = engine.batch();
        long correct1 = 0;
        long correct5 = 0;
        int labelled = 0;
        long engineNanos = 0;
        long t0 = System.nanoTime();
        ExecutorService decoder = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "dyve-decode");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<List<Prepared>> next = decoder.submit(() -> prepare(data, 0, Math.min(batch, total)));
            float[] scores = new float[net.shape(output).size()];
            for (int start = 0; start < total; start += batch) {
                List<Prepared> cur = await(next);
                int nextStart = start + batch;
                if (nextStart < total) {
                    int end = Math.min(nextStart + batch, total);
                    next = decoder.submit(() -> prepare(data, nextStart, end));
                }
                for (int i = 0; i < cur.size(); i++) {
                    engine.setInput(input, i, cur.get(i).values);
                }
                long e0 = System.nanoTime();
                engine.run(cur.size());
                engineNanos += System.nanoTime() - e0;
                for (int i = 0; i < cur.size(); i++) {
                    engine.getOutput(output, i, scores);
                    int[] top5 = TopK.of(scores, 5);
                    float[] p = probabilities ? scores : TopK.softmax(scores);
                    Sample s = cur.get(i).sample;
                    if (s.label() >= 0) {
                        labelled++;
                        if (top5[0] == s.label()) {
                            correct1++;
                        }
                        for (int t : top5) {
                            if (t == s.label()) {
                                correct5++;
                                break;
                            }
                        }
                    }
                    listener.prediction(new Prediction(s.id(), s.label(), top5, p[top5[0]]));
                }
                listener.progress(start + cur.size(), total);
            }
        } finally {
            decoder.shutdownNow();
        }
        double wall = (System.nanoTime() - t0) / 1e6;
        return new Result(total, labelled, labelled == 0 ? Double.NaN : 100.0 * correct1 / labelled,
                labelled == 0 ? Double.NaN : 100.0 * correct5 / labelled, net.totalMacs(),
                engineNanos / 1e6 / Math.max(1, total), wall / Math.max(1, total), batch);
    }

    private record Prepared(Sample sample, float[] values) {
    }

    private List<Prepared> prepare(Dataset data, int from, int to) {
        List<Prepared> out = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            Sample s = data.get(i);
            try {
                out.add(new Prepared(s, pre.apply(s.image())));
            } catch (DyveException e) {
                throw new DyveException(data.describe() + " sample " + s.id() + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static List<Prepared> await(Future<List<Prepared>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DyveException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DyveException d) {
                throw d;
            }
            throw new DyveException("decoding failed: " + e.getCause(), e.getCause());
        }
    }
}
