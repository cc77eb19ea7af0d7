package org.dyve.engine;

import java.nio.FloatBuffer;
import org.dyve.model.Elementwise;
import org.dyve.model.Shape;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Element-wise binary operations with tensor or broadcast-constant operands, in plain Java. */
final class ElementwiseKernel implements Kernel {
    private final Elementwise.Op op;
    private final FloatBuffer a;
    private final FloatBuffer b;
    private final FloatBuffer out;
    private final float[] x;
    private final float[] y;
    private final boolean constantFirst;
    /** The second tensor operand holds one value per channel (C x 1 x 1), spread over each channel's plane. */
    private final boolean perChannel;
    private final float[] channels;
    private final int plane;

    ElementwiseKernel(Elementwise e, Shape s, INDArray in0, INDArray in1, INDArray out) {
        this.op = e.op();
        this.a = Buffers.view(in0);
        this.b = in1 == null ? null : Buffers.view(in1);
        this.out = Buffers.view(out);
        this.constantFirst = e.constantFirst();
        x = new float[s.size()];
        y = new float[s.size()];
        plane = s.plane();
        perChannel = in1 != null && in1.length() / Math.max(1, in1.size(0)) == s.c() && s.plane() > 1;
        channels = new float[perChannel ? s.c() : 0];
        if (e.constant() != null) {
            float[] c = e.constant().data();
            if (c.length == 1) {
                java.util.Arrays.fill(y, c[0]);
            } else if (c.length == s.c()) {
                for (int ch = 0; ch < s.c(); ch++) {
                    java.util.Arrays.fill(y, ch * s.plane(), (ch + 1) * s.plane(), c[ch]);
                }
            } else {
                System.arraycopy(c, 0, y, 0, c.length);
            }
        }
    }

    @Override
    public void run(int n) {
        for (int s = 0; s < n; s++) {
            int at = s * x.length;
            a.get(at, x);
            if (perChannel) {
                b.get(s * channels.length, channels);
                for (int ch = 0; ch < channels.length; ch++) {
                    java.util.Arrays.fill(y, ch * plane, (ch + 1) * plane, channels[ch]);
                }
            } else if (b != null) {
                b.get(at, y);
            }
            float[] l = constantFirst ? y : x;
            float[] r = constantFirst ? x : y;
            float[] d = x;
            switch (op) {
                case ADD -> {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = l[i] + r[i];
                    }
                }
                case SUB -> {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = l[i] - r[i];
                    }
                }
                case MUL -> {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = l[i] * r[i];
                    }
                }
                case DIV -> {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = l[i] / r[i];
                    }
                }
                case POW -> {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = (float) Math.pow(l[i], r[i]);
                    }
                }
                case MAX -> {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = l[i] >= r[i] ? l[i] : r[i];
                    }
                }
                case MIN -> {
                    for (int i = 0; i < d.length; i++) {
                        d[i] = l[i] <= r[i] ? l[i] : r[i];
                    }
                }
                default -> throw new IllegalStateException("unreachable");
            }
            out.put(at, d);
        }
    }
}
