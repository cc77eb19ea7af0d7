package org.dyve.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.dyve.ShapeMismatchException;
import org.junit.jupiter.api.Test;

class NetworkTest {
    private static Tensor zeros(int... s) {
        int n = 1;
        for (int d : s) {
            n *= d;
        }
        return new Tensor(s, new float[n]);
    }

    @Test
    void shapesAndMacsAreInferred() {
        Network net = new Network("n", List.of(new Input("x", new Shape(3, 10, 10))), List.of(
                new Convolution("c", "x", "c", 8, Window.square(3, 1, 0), 1, 1, 1, zeros(8, 3, 3, 3), null),
                new Pooling("p", "c", "p", Pooling.Mode.MAX, Window.square(1, 1, 0), true, Pooling.Rounding.CEIL, false),
                new InnerProduct("ip", "p", "ip", 4, zeros(4, 8), zeros(4))), List.of());
        assertEquals(new Shape(8, 8, 8), net.shape("c"));
        assertEquals(new Shape(8, 1, 1), net.shape("p"));
        assertEquals(8L * 64 * 27, net.macs(0));
        assertEquals(8L * 64 * 27 + 32, net.totalMacs());
        assertEquals(List.of("ip"), net.outputs());
        assertEquals(216 + 36, net.parameters());
    }

    @Test
    void invalidGraphsAreRejected() {
        List<Input> in = List.of(new Input("x", new Shape(3, 4, 4)));
        assertThrows(ShapeMismatchException.class, () -> new Network("n", in,
                List.of(new Relu("r", "y", "r", 0)), List.of()));
        assertThrows(ShapeMismatchException.class, () -> new Network("n", in,
                List.of(new Relu("r", "x", "x", 0)), List.of()));
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> new Network("n", in, List.of(
                new Convolution("c", "x", "c", 2, Window.square(3, 1, 0), 1, 1, 1, zeros(2, 4, 3, 3), null)),
                List.of()));
        assertEquals("c: weight shape mismatch (expected 2x3x3x3 for 3 input channels, found 2x4x3x3)",
                e.getMessage());
        assertThrows(ShapeMismatchException.class, () -> new Network("n", in, List.of(
                new Convolution("c", "x", "c", 2, Window.square(5, 1, 0), 1, 1, 1, zeros(2, 3, 5, 5), null)),
                List.of()));
    }
}
