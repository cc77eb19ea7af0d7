package org.dyve.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Direct views of ND4J's off-heap buffers for the plain-Java kernels, direct buffers, and SGEMM on them. */
final class Buffers {
    private Buffers() {
    }

    /**
     * {@code c = a x b} (or {@code a x b^T} when {@code transB}), row-major, single precision: OpenBLAS through
     * JavaCPP on direct buffers, no ND4J op set-up. {@code a} is {@code m x k}, {@code c} is {@code m x n}.
     */
    static void sgemm(boolean transB, int m, int n, int k, FloatBuffer a, int lda, FloatBuffer b, int ldb,
            FloatBuffer c, int ldc) {
        org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm(101, 111, transB ? 112 : 111, m, n, k, 1f, a,
                lda, b, ldb, 0f, c, ldc);
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
