package org.dyve.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dyve.DyveException;
import org.dyve.ModelFormatException;
import org.dyve.engine.Engine;
import org.dyve.model.Network;
import org.dyve.model.Shape;

/**
 * Runs DyVE's dense engine and ONNX Runtime on the same inputs in one process: checks that their outputs
 * agree and times both in alternating blocks of runs, so the ratio is measured under the same conditions.
 */
public final class OrtComparison implements AutoCloseable {
    private static final int BLOCK = 20;
    private static final long SETTLE_MS = 20;

    /**
     * One measurement.
     *
     * @param dyveMs median ms per run of the dense engine (one run = {@code batch} samples)
     * @param ortMs median ms per run of ONNX Runtime
     * @param maxAbsDiff largest absolute output difference over the checked inputs
     * @param maxRelDiff largest difference relative to the output's largest magnitude
     */
    public record Result(String model, int batch, int reps, double dyveMs, double ortMs, double maxAbsDiff,
            double maxRelDiff, boolean top1Agrees) {
        /** DyVE time over ONNX Runtime time: below 1 means DyVE is faster. */
        public double ratio() {
            return dyveMs / ortMs;
        }
    }

    private final Network net;
    private final Engine engine;
    private final OrtEnvironment env;
    private final OrtSession session;
    private final String ortInput;
    private final int batch;
    private final Shape in;
    private final FloatBuffer ortBuffer;

    /**
     * @param threads intra-op threads for ONNX Runtime (ND4J uses its own setting, by default all cores)
     * @throws ModelFormatException when the ONNX file is missing or ONNX Runtime cannot load it
     */
    public OrtComparison(Network net, Path onnx, int batch, int threads) {
        if (!Files.isRegularFile(onnx)) {
            throw new ModelFormatException(onnx + ": ONNX file not found");
        }
        this.net = net;
        this.batch = batch;
        this.in = net.input().shape();
        this.engine = Engine.builder(net).batch(batch).build();
        try {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
            opts.setIntraOpNumThreads(threads);
            opts.setInterOpNumThreads(1);
            opts.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (Boolean.getBoolean("dyve.ort.nospin")) {
                opts.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            session = env.createSession(onnx.toString(), opts);
            ortInput = session.getInputNames().iterator().next();
            ortBuffer = FloatBuffer.allocate(batch * in.size());
        } catch (OrtException e) {
            throw new ModelFormatException(onnx + ": ONNX Runtime cannot load it (" + e.getMessage() + ")");
        }
    }

    /** Loads a batch of inputs (each C x H x W) into both engines. */
    public void setInputs(float[][] samples) {
        if (samples.length != batch) {
            throw new IllegalArgumentException("expected " + batch + " samples, found " + samples.length);
        }
        ortBuffer.clear();
        for (int i = 0; i < batch; i++) {
            engine.setInput(net.input().name(), i, samples[i]);
            ortBuffer.put(samples[i]);
        }
    }

    /** ONNX Runtime copies a heap buffer into its own tensor memory once, at creation. */
    private OnnxTensor ortInputTensor() throws OrtException {
        return OnnxTensor.createTensor(env, ortBuffer.rewind(), new long[] {batch, in.c(), in.h(), in.w()});
    }

    /** Outputs of both engines for the current inputs: [0] DyVE, [1] ONNX Runtime, each batch x classes. */
    public float[][][] outputs() {
        engine.run(batch);
        int classes = net.shape(net.output()).size();
        float[][] dyve = new float[batch][];
        for (int i = 0; i < batch; i++) {
            dyve[i] = engine.output(net.output(), i);
        }
        float[][] ort = new float[batch][classes];
        try (OnnxTensor t = ortInputTensor();
             OrtSession.Result r = session.run(Map.of(ortInput, t))) {
            float[] flat = flatten(r.get(0).getValue());
            if (flat.length != batch * classes) {
                throw new ModelFormatException("ONNX output has " + flat.length + " values, expected "
                        + batch * classes);
            }
            for (int i = 0; i < batch; i++) {
                System.arraycopy(flat, i * classes, ort[i], 0, classes);
            }
        } catch (OrtException e) {
            throw new DyveException("ONNX Runtime: " + e.getMessage());
        }
        return new float[][][] {dyve, ort};
    }

    private static float[] flatten(Object v) {
        if (v instanceof float[] f) {
            return f;
        }
        if (v instanceof Object[] arr) {
            float[][] parts = new float[arr.length][];
            int n = 0;
            for (int i = 0; i < arr.length; i++) {
                parts[i] = flatten(arr[i]);
                n += parts[i].length;
            }
            float[] out = new float[n];
            int at = 0;
            for (float[] p : parts) {
                System.arraycopy(p, 0, out, at, p.length);
                at += p.length;
            }
            return out;
        }
        throw new DyveException("unexpected ONNX output type " + v.getClass());
    }

    /** Times both engines on the current inputs: {@code warmup} runs each, then {@code reps} interleaved runs. */
    public Result measure(String model, int warmup, int reps) {
        float[][][] o = outputs();
        double maxAbs = 0;
        double maxRel = 0;
        boolean agree = true;
        for (int i = 0; i < batch; i++) {
            double mag = 0;
            for (float v : o[1][i]) {
                mag = Math.max(mag, Math.abs(v));
            }
            for (int k = 0; k < o[0][i].length; k++) {
                double d = Math.abs(o[0][i][k] - o[1][i][k]);
                maxAbs = Math.max(maxAbs, d);
                maxRel = Math.max(maxRel, d / Math.max(mag, 1e-12));
            }
            agree &= argmax(o[0][i]) == argmax(o[1][i]);
        }
        try (OnnxTensor t = ortInputTensor()) {
            Map<String, OnnxTensor> feed = Map.of(ortInput, t);
            for (int i = 0; i < warmup; i++) {
                engine.run(batch);
                session.run(feed).close();
            }
            // Alternate blocks rather than single runs, with a pause between them: ONNX Runtime's worker threads
            // spin for a while after each run and would otherwise steal the cores from the DyVE run that follows
            // (2-3 ms of SqueezeNet's time on two cores).
            double[] dy = new double[reps];
            double[] ort = new double[reps];
            for (int done = 0; done < reps; done += BLOCK) {
                int m = Math.min(BLOCK, reps - done);
                for (int i = 0; i < m; i++) {
                    long t0 = System.nanoTime();
                    engine.run(batch);
                    dy[done + i] = (System.nanoTime() - t0) / 1e6;
                }
                settle();
                for (int i = 0; i < m; i++) {
                    long t0 = System.nanoTime();
                    session.run(feed).close();
                    ort[done + i] = (System.nanoTime() - t0) / 1e6;
                }
                settle();
            }
            return new Result(model, batch, reps, Stats.median(dy), Stats.median(ort), maxAbs, maxRel, agree);
        } catch (OrtException e) {
            throw new DyveException("ONNX Runtime: " + e.getMessage());
        }
    }

    /** Lets the other side's worker threads go idle before a timed block. */
    private static void settle() {
        try {
            Thread.sleep(SETTLE_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Per-layer median milliseconds of the dense engine over {@code reps} runs. */
    public double[] layerProfile(int reps) {
        int n = net.layers().size();
        double[][] samples = new double[n][reps];
        long[] nanos = new long[n];
        for (int r = 0; r < reps; r++) {
            java.util.Arrays.fill(nanos, 0);
            engine.run(batch, nanos);
            for (int l = 0; l < n; l++) {
                samples[l][r] = nanos[l] / 1e6;
            }
        }
        double[] out = new double[n];
        for (int l = 0; l < n; l++) {
            out[l] = Stats.median(samples[l]);
        }
        return out;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new DyveException("ONNX Runtime: " + e.getMessage());
        }
    }
}
