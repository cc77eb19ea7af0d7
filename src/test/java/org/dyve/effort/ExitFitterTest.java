package org.dyve.effort;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.dyve.TestNets;
import org.dyve.engine.ExitProbe;
import org.dyve.model.Shape;
import org.junit.jupiter.api.Test;

class ExitFitterTest {

    @Test
    void probesSitAtCutsAfterTheFirstConvolution() {
        // dag: c1 -> r1 -> {c2a, c2b, c3}; only r1 alone carries everything later layers need
        assertEquals(List.of("r1"), ExitFitter.candidates(TestNets.dag()));
        assertEquals(2, ExitFitter.grid(new Shape(128, 16, 16)), "128 x 2 x 2 = 512 features");
        assertEquals(4, ExitFitter.grid(new Shape(32, 16, 16)));
        assertEquals(1, ExitFitter.grid(new Shape(1024, 8, 8)), "at least one cell");
    }

    /** Class = which of two channels has the larger mean: a fitted probe separates it, the same way twice. */
    @Test
    void fitsASeparableProblemDeterministically() {
        Shape s = new Shape(2, 2, 2);
        Random r = new Random(11);
        int n = 400;
        float[][] x = new float[n][];
        int[] y = new int[n];
        float[] act = new float[s.size()];
        for (int i = 0; i < n; i++) {
            y[i] = i % 2;
            for (int j = 0; j < act.length; j++) {
                act[j] = (float) (r.nextGaussian() + (j / 4 == y[i] ? 1.5 : 0));
            }
            x[i] = new float[2];
            ExitProbe.features(act, 0, s, 1, x[i]);
        }
        ExitProbe p = ExitFitter.fit("t", s, 1, x, y, 2);
        int correct = 0;
        float[] probs = new float[2];
        for (int i = 0; i < n; i++) {
            correct += p.probabilities(x[i], probs) == y[i] ? 1 : 0;
        }
        assertTrue(correct >= 0.95 * n, correct + " of " + n);
        ExitProbe again = ExitFitter.fit("t", s, 1, x, y, 2);
        assertArrayEquals(p.weights(), again.weights(), 0f);
        assertArrayEquals(p.bias(), again.bias(), 0f);
    }
}
