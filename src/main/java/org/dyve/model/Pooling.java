package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * Max or average pooling. {@link Rounding#CEIL} is Caffe's output-size rule (a last window starting at or
 * beyond {@code in + pad} is dropped); {@link Rounding#FLOOR} is the ONNX/TF default. Average pooling divides
 * by the window clipped to {@code [-pad, in + pad)} (Caffe, ONNX {@code count_include_pad=1}) or, with
 * {@code excludePad}, by the number of real input positions in the window.
 */
public record Pooling(String name, String input, String output, Mode mode, Window window, boolean global,
        Rounding rounding, boolean excludePad) implements SingleInput {
    /** Pooling operator. */
    public enum Mode { MAX, AVE }

    /** Output-size rounding. */
    public enum Rounding { CEIL, FLOOR }

    /** The effective window for an input of shape {@code s} (the whole plane when global). */
    public Window windowFor(Shape s) {
        return global ? new Window(s.h(), s.w(), 1, 1, 0, 0) : window;
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        Shape s = in.get(0);
        if (global) {
            return new Shape(s.c(), 1, 1);
        }
        int oh = outSize(s.h(), window.kh(), window.strideH(), window.padH());
        int ow = outSize(s.w(), window.kw(), window.strideW(), window.padW());
        if (oh <= 0 || ow <= 0) {
            throw new ShapeMismatchException(name + ": input " + s + " is smaller than the pooling window");
        }
        return new Shape(s.c(), oh, ow);
    }

    private int outSize(int in, int k, int stride, int pad) {
        if (rounding == Rounding.FLOOR) {
            return Math.floorDiv(in + 2 * pad - k, stride) + 1;
        }
        int out = (int) Math.ceil((double) (in + 2 * pad - k) / stride) + 1;
        if (pad > 0 && (out - 1) * stride >= in + pad) {
            out--;
        }
        return out;
    }
}
