package org.dyve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dyve.TestNets;
import org.dyve.model.Convolution;
import org.dyve.model.Input;
import org.dyve.model.Network;
import org.dyve.model.Pooling;
import org.dyve.model.Relu;
import org.dyve.model.Shape;
import org.dyve.model.Window;
import org.junit.jupiter.api.Test;

/** bfloat16 segments: the same segments as f32, results within bfloat16 rounding of f32's but not equal to them. */
class PrecisionTest {

    /** 3x3 conv, ReLU, 1x1 conv, ReLU, max pool, 1x1 conv: one segment. */
    private static Network net() {
        Random r = new Random(11);
        return new Network("bf16", List.of(new Input("x", new Shape(16, 8, 8))), List.of(
                new Convolution("c1", "x", "c1", 32, Window.square(3, 1, 1), 1, 1, 1, TestNets.rand(r, 32, 16, 3, 3),
                        TestNets.rand(r, 32)),
                new Relu("r1", "c1", "r1", 0f),
                new Convolution("c2", "r1", "c2", 32, Window.square(1, 1, 0), 1, 1, 1, TestNets.rand(r, 32, 32, 1, 1),
                        TestNets.rand(r, 32)),
                new Relu("r2", "c2", "r2", 0f),
                new Pooling("p", "r2", "p", Pooling.Mode.MAX, Window.square(2, 2, 0), false, Pooling.Rounding.CEIL,
                        false),
                new Convolution("c3", "p", "c3", 10, Window.square(1, 1, 0), 1, 1, 1, TestNets.rand(r, 10, 32, 1, 1),
                        TestNets.rand(r, 10))), List.of());
    }

    @Test
    void bf16SegmentsStayWithinBfloat16RoundingOfF32() {
        assumeTrue(Engine.ONEDNN && Precision.BF16.isNative(), "this CPU has no native bfloat16");
        Network net = net();
        Engine f32 = Engine.of(net, 2);
        Engine bf16 = Engine.of(net, 2, Map.of(), List.of(), Precision.BF16);
        assertEquals(f32.segments().size(), bf16.segments().size());
        assertEquals(1, bf16.segments().size());
        Random r = new Random(1);
        float[][] x = {Nets.random(16 * 64, r), Nets.random(16 * 64, r)};
        for (Engine e : List.of(f32, bf16)) {
            for (int s = 0; s < 2; s++) {
                e.setInput("x", s, x[s]);
            }
            e.run(2);
        }
        for (int s = 0; s < 2; s++) {
            float[] a = f32.output("c3", s);
            float[] b = bf16.output("c3", s);
            double max = 0;
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs(a[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            // three layers of 8-bit mantissas with f32 accumulation: measured 0.3-0.6% of the largest output
            assertTrue(diff <= 0.02 * max, "sample " + s + ": " + diff + " against " + max);
            assertTrue(diff > 1e-4 * max, "sample " + s + ": bf16 gave f32's results (" + diff + ")");
        }
    }

    @Test
    void namesParse() {
        assertEquals(Precision.BF16, Precision.of("BF16"));
        assertEquals("f32", Precision.F32.id());
        assertTrue(Precision.F32.isNative());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.of("fp8"));
        assertEquals("precision 'fp8' (expected f32 or bf16)", e.getMessage());
    }
}
