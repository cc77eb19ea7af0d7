package org.dyve.model;

import java.util.List;
import org.dyve.ShapeMismatchException;

/**
 * 2-D convolution with Caffe semantics: weights {@code out x in/group x kh x kw}, output size
 * {@code floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1}.
 *
 * @param bias may be null
 */
public record Convolution(String name, String input, String output, int numOutput, Window window, int dilationH,
        int dilationW, int group, Tensor weight, Tensor bias) implements SingleInput {
    public Convolution {
        if (numOutput <= 0 || group <= 0 || numOutput % group != 0 || dilationH <= 0 || dilationW <= 0) {
            throw new ShapeMismatchException(name + ": invalid convolution (num_output " + numOutput + ", group "
                    + group + ", dilation " + dilationH + "x" + dilationW + ")");
        }
        if (weight.rank() != 4 || weight.dim(0) != numOutput || weight.dim(2) != window.kh()
                || weight.dim(3) != window.kw()) {
            throw new ShapeMismatchException(name + ": weight shape mismatch (expected " + numOutput + "x?x"
                    + window.kh() + "x" + window.kw() + ", found " + weight.shapeString() + ")");
        }
        if (bias != null && bias.size() != numOutput) {
            throw new ShapeMismatchException(name + ": bias shape mismatch (expected " + numOutput + ", found "
                    + bias.shapeString() + ")");
        }
    }

    /** The fraction of the weights that are nonzero (1 for a dense layer; a pruned one has fewer). */
    public double density() {
        float[] w = weight.data();
        long nonzero = 0;
        for (float v : w) {
            nonzero += v != 0 ? 1 : 0;
        }
        return w.length == 0 ? 1 : (double) nonzero / w.length;
    }

    @Override
    public Shape outputShape(List<Shape> in) {
        Shape s = in.get(0);
        if (s.c() % group != 0 || s.c() / group != weight.dim(1)) {
            throw new ShapeMismatchException(name + ": weight shape mismatch (expected " + numOutput + "x"
                    + (s.c() / Math.max(1, group)) + "x" + window.kh() + "x" + window.kw() + " for " + s.c()
                    + " input channels, found " + weight.shapeString() + ")");
        }
        int oh = (s.h() + 2 * window.padH() - dilationH * (window.kh() - 1) - 1) / window.strideH() + 1;
        int ow = (s.w() + 2 * window.padW() - dilationW * (window.kw() - 1) - 1) / window.strideW() + 1;
        if (oh <= 0 || ow <= 0) {
            throw new ShapeMismatchException(name + ": input " + s + " is smaller than the kernel");
        }
        return new Shape(numOutput, oh, ow);
    }

    @Override
    public long macs(List<Shape> in, Shape out) {
        return (long) out.size() * (in.get(0).c() / group) * window.kh() * window.kw();
    }

    /** The bias per output channel, zeros when the layer has none. */
    public float[] biasValues() {
        return bias == null ? new float[numOutput] : bias.data();
    }

    @Override
    public long parameters() {
        return weight.size() + (bias == null ? 0 : bias.size());
    }
}
