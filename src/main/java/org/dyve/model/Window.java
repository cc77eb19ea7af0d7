package org.dyve.model;

/** A 2-D sliding window: kernel size, stride and symmetric zero padding, per axis. */
public record Window(int kh, int kw, int strideH, int strideW, int padH, int padW) {
    public Window {
        if (kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("invalid window kernel " + kh + "x" + kw + " stride " + strideH + "x"
                    + strideW + " pad " + padH + "x" + padW);
        }
    }

    /** A square window. */
    public static Window square(int k, int stride, int pad) {
        return new Window(k, k, stride, stride, pad, pad);
    }
}
