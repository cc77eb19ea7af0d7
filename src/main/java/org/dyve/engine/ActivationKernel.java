package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Sigmoid, tanh, hard sigmoid and hard swish over a sample at a time, in plain Java with one reused buffer. */
final class ActivationKernel implements Kernel {
    private final Activation a;
    private final FloatBuffer in;
    private final FloatBuffer out;
    private final float[] x;

    ActivationKernel(Activation a, int sampleSize, INDArray in, INDArray out) {
        this.a = a;
        this.in = Buffers.view(in);
        this.out = Buffers.view(out);
        this.x = new float[sampleSize];
    }

    @Override
    public void run(int n) {
        float alpha = a.alpha();
        float beta = a.beta();
        for (int s = 0; s < n; s++) {
            int at = s * x.length;
            in.get(at, x);
            switch (a.function()) {
                case SIGMOID -> {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) (1 / (1 + Math.exp(-x[i])));
                    }
                }
                case TANH -> {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) Math.tanh(x[i]);
                    }
                }
                case HARD_SIGMOID -> {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = Math.max(0f, Math.min(1f, alpha * x[i] + beta));
                    }
                }
                case HARD_SWISH -> {
                    for (int i = 0; i < x.length; i++) {
                        x[i] = x[i] * Math.max(0f, Math.min(1f, x[i] / 6f + 0.5f));
                    }
                }
                default -> throw new IllegalStateException("unreachable");
            }
            out.put(at, x);
        }
    }
}
