package org.dyve.engine;

import java.util.List;
import java.util.Random;
import org.dyve.model.Convolution;
import org.dyve.model.Input;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.dyve.model.Window;

/** Small hand-made networks for kernel tests. */
final class Nets {
    private Nets() {
    }

    static Network single(Shape in, Layer l) {
        return new Network("test", List.of(new Input("x", in)), List.of(l), List.of());
    }

    /** Runs a one-layer network on one sample. */
    static float[] run(Shape in, Layer l, float[] x) {
        Network net = single(in, l);
        Engine e = Engine.builder(net).build();
        e.setInput("x", 0, x);
        e.run(1);
        return e.output(l.output(), 0);
    }

    static float[] seq(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i + 1;
        }
        return v;
    }

    /** A {@code cout x cin/group x k x k} convolution with about {@code density} of its weights nonzero. */
    static Convolution pruned(int cout, int cin, int group, Window w, double density, Random r) {
        float[] weights = new float[cout * (cin / group) * w.kh() * w.kw()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = r.nextDouble() < density ? (float) r.nextGaussian() : 0f;
        }
        float[] bias = new float[cout];
        for (int o = 0; o < cout; o++) {
            bias[o] = (float) r.nextGaussian();
        }
        return new Convolution("c", "x", "y", cout, w, 1, 1, group,
                new Tensor(new int[] {cout, cin / group, w.kh(), w.kw()}, weights), new Tensor(new int[] {cout}, bias));
    }

    /** {@code n} standard normal values. */
    static float[] random(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** The convolution's nonzero weights. */
    static long nonzero(Convolution c) {
        long n = 0;
        for (float v : c.weight().data()) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }
}
