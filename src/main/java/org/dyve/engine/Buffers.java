package org.dyve.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Direct views of ND4J's off-heap buffers for the plain-Java kernels. */
final class Buffers {
    private Buffers() {
    }

    /** A zeroed direct buffer of {@code floats} floats in native order (for OpenBLAS calls). */
    static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(Math.max(1, floats) * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
    }

    /** A float view of a contiguous array that starts at its buffer's first element. */
    static FloatBuffer view(INDArray a) {
        if (a.offset() != 0 || a.ordering() != 'c' || a.length() > a.data().length()) {
            throw new IllegalArgumentException("expected a whole contiguous buffer, found a view");
        }
        return a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
