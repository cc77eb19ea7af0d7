package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * Inference-mode batch normalisation per channel: {@code y = gamma (x - mean) / sqrt(var + eps) + beta}.
 *
 * @param gamma may be null (1)
 * @param beta may be null (0)
 */
public record BatchNorm(String name, String input, String output, Tensor mean, Tensor variance, float epsilon,
        Tensor gamma, Tensor beta) implements SingleInput {

    @Override
    public Shape outputShape(List<Shape> in) {
        int c = in.get(0).c();
        for (Tensor t : new Tensor[] {mean, variance, gamma, beta}) {
            if (t != null && t.size() != c) {
                throw new ShapeMismatchException(name + ": batch-norm statistics shape mismatch (expected " + c
                        + ", found " + t.shapeString() + ")");
            }
        }
        return in.get(0);
    }

    @Override
    public long parameters() {
        return 2L * mean.size() + (gamma == null ? 0 : gamma.size()) + (beta == null ? 0 : beta.size());
    }

    @Override
    public boolean inPlace() {
        return true;
    }
}
