package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * Strided sub-range of channels, rows and columns: along axis i (0 = channels, 1 = rows, 2 = columns) the
 * indices {@code start[i], start[i] + step[i], ...} below {@code stop[i]} (positive steps, bounds within the
 * input).
 */
public record Slice(String name, String input, String output, int[] start, int[] stop, int[] step)
        implements SingleInput {
    public Slice {
        start = start.clone();
        stop = stop.clone();
        step = step.clone();
        for (int i = 0; i < 3; i++) {
            if (step[i] <= 0 || start[i] < 0 || stop[i] <= start[i]) {
                throw new ShapeMismatchException(name + ": invalid slice on axis " + i + " (start " + start[i]
                        + ", stop " + stop[i] + ", step " + step[i] + ")");
            }
        }
    }

    @Override
    public int[] start() {
        return start.clone();
    }

    @Override
    public int[] stop() {
        return stop.clone();
    }

    @Override
    public int[] step() {
        return step.clone();
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        Shape s = in.get(0);
        int[] dims = {s.c(), s.h(), s.w()};
        for (int i = 0; i < 3; i++) {
            if (stop[i] > dims[i]) {
                throw new ShapeMismatchException(name + ": slice stop " + stop[i] + " beyond axis " + i + " of " + s);
            }
        }
        return new Shape(count(0), count(1), count(2));
    }

    private int count(int i) {
        return (stop[i] - start[i] + step[i] - 1) / step[i];
    }
}
