package org.dyve.model;

import java.util.List;

/**
 * An element-wise activation other than ReLU: {@code SIGMOID} {@code 1 / (1 + e^-x)}, {@code TANH},
 * {@code HARD_SIGMOID} {@code max(0, min(1, alpha x + beta))} and {@code HARD_SWISH} {@code x * max(0, min(1, x / 6 +
 * 1/2))} (ONNX's operators of those names).
 *
 * @param alpha HARD_SIGMOID's slope (ONNX default 0.2), else unused
 * @param beta HARD_SIGMOID's offset (ONNX default 0.5), else unused
 */
public record Activation(String name, String input, String output, Function function, float alpha, float beta)
        implements SingleInput {
    /** The function. */
    public enum Function { SIGMOID, TANH, HARD_SIGMOID, HARD_SWISH }

    /** An activation without parameters. */
    public Activation(String name, String input, String output, Function function) {
        this(name, input, output, function, 0.2f, 0.5f);
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        return in.get(0);
    }

    @Override
    public String type() {
        return switch (function) {
            case SIGMOID -> "Sigmoid";
            case TANH -> "Tanh";
            case HARD_SIGMOID -> "HardSigmoid";
            case HARD_SWISH -> "HardSwish";
        };
    }
}
