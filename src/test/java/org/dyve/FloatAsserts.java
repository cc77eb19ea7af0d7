package org.dyve;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Float comparisons shared by the tests. */
public final class FloatAsserts {
    private FloatAsserts() {
    }

    /** Equal up to float summation order: 1e-5 relative (absolute below 1). */
    public static void assertClose(float[] expected, float[] actual, String what) {
        assertClose(expected, actual, 1e-5f, what);
    }

    /** Equal within {@code relative} (absolute below 1). */
    public static void assertClose(float[] expected, float[] actual, float relative, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            float tol = relative * Math.max(1f, Math.abs(expected[i]));
            if (Math.abs(expected[i] - actual[i]) > tol) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }
}
