package org.dyve.engine;

import java.util.List;
import org.dyve.model.Input;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Shape;

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
        Engine e = Engine.of(net, 1);
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
}
