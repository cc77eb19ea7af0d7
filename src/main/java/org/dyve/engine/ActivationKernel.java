package org.dyve.engine;

import org.dyve.model.Activation;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Sigmoid, tanh, hard sigmoid and hard swish, in plain Java. */
final class ActivationKernel extends PerSampleKernel {
    private final Activation.Function f;
    private final float alpha;
    private final float beta;

    ActivationKernel(Activation a, Shape s, INDArray in, INDArray out) {
        super(s, s, in, out);
        this.f = a.function();
        this.alpha = a.alpha();
        this.beta = a.beta();
    }

    @Override
    void apply(float[] x, float[] y) {
        switch (f) {
            case SIGMOID -> {
                for (int i = 0; i < x.length; i++) {
                    y[i] = (float) (1 / (1 + Math.exp(-x[i])));
                }
            }
            case TANH -> {
                for (int i = 0; i < x.length; i++) {
                    y[i] = (float) Math.tanh(x[i]);
                }
            }
            case HARD_SIGMOID -> {
                for (int i = 0; i < x.length; i++) {
                    y[i] = Math.max(0f, Math.min(1f, alpha * x[i] + beta));
                }
            }
            case HARD_SWISH -> {
                for (int i = 0; i < x.length; i++) {
                    y[i] = x[i] * Math.max(0f, Math.min(1f, x[i] / 6f + 0.5f));
                }
            }
            default -> throw new IllegalStateException("unreachable");
        }
    }
}
