package org.dyve.engine;

/** Lets tests in other packages use the engine tests' float comparison. */
public final class DynamicConvKernelTestAccess {
    private DynamicConvKernelTestAccess() {
    }

    public static void assertClose(float[] expected, float[] actual, String what) {
        DynamicConvKernelTest.assertClose(expected, actual, what);
    }
}
