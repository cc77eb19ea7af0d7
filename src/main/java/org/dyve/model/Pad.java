package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * Constant padding of channels, rows and columns: {@code before[i]} / {@code after[i]} values of
 * {@code value} are added before / after axis i (0 = channels, 1 = rows, 2 = columns).
 */
public record Pad(String name, String input, String output, int[] before, int[] after, float value)
        implements SingleInput {
    public Pad {
        before = before.clone();
        after = after.clone();
        if (before.length != 3 || after.length != 3) {
            throw new ShapeMismatchException(name + ": padding needs 3 axes (channels, rows, columns)");
        }
        for (int i = 0; i < 3; i++) {
            if (before[i] < 0 || after[i] < 0) {
                throw new ShapeMismatchException(name + ": negative padding is not supported");
            }
        }
    }

    @Override
    public int[] before() {
        return before.clone();
    }

    @Override
    public int[] after() {
        return after.clone();
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        Shape s = in.get(0);
        return new Shape(s.c() + before[0] + after[0], s.h() + before[1] + after[1], s.w() + before[2] + after[2]);
    }
}
