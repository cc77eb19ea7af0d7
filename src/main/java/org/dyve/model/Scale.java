package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * Per-channel affine transform {@code y = gamma x + beta} (Caffe Scale layer).
 *
 * @param beta may be null (0)
 */
public record Scale(String name, String input, String output, Tensor gamma, Tensor beta) implements SingleInput {
    @Override
    public Shape outputShape(List<Shape> in) {
        int c = in.get(0).c();
        if (gamma.size() != c || (beta != null && beta.size() != c)) {
            throw new ShapeMismatchException(name + ": scale shape mismatch (expected " + c + ", found "
                    + gamma.shapeString() + ")");
        }
        return in.get(0);
    }

    @Override
    public long parameters() {
        return gamma.size() + (beta == null ? 0 : beta.size());
    }

    @Override
    public boolean inPlace() {
        return true;
    }
}
