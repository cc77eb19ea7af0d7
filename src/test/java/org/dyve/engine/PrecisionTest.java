package org.dyve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dyve.model.Network;
import org.junit.jupiter.api.Test;

/** bfloat16 segments: the same segments as f32, results within bfloat16 rounding of f32's but not equal to them. */
class PrecisionTest {

    @Test
    void bf16SegmentsStayWithinBfloat16RoundingOfF32() {
        assumeTrue(Engine.ONEDNN && Precision.BF16.isNative(), "this CPU has no native bfloat16");
        // a fire module with a concat, poolings and a global pooling: all but the softmax one segment
        Network net = EngineTest.fire();
        Engine f32 = Engine.builder(net).batch(2).build();
        Engine bf16 = Engine.builder(net).batch(2).precision(Precision.BF16).build();
        assertEquals(f32.segments().size(), bf16.segments().size());
        assertEquals(1, bf16.segments().size());
        Random r = new Random(1);
        float[][] x = {Nets.random(3 * 31 * 31, r), Nets.random(3 * 31 * 31, r)};
        for (Engine e : List.of(f32, bf16)) {
            for (int s = 0; s < 2; s++) {
                e.setInput("x", s, x[s]);
            }
            e.run(2);
        }
        for (int s = 0; s < 2; s++) {
            float[] a = f32.output("gp", s);
            float[] b = bf16.output("gp", s);
            double max = 0;
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                max = Math.max(max, Math.abs(a[i]));
                diff = Math.max(diff, Math.abs(a[i] - b[i]));
            }
            // six convolutions in 8-bit mantissas with f32 accumulation
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
