package org.dyve.engine;

import org.bytedeco.dnnl.memory;

/**
 * The number format of activations and weights inside the engine's oneDNN segments. Inputs, outputs and every tensor
 * read outside a segment stay 32-bit floats; DyVE's own kernels always compute in them.
 */
public enum Precision {
    /** 32-bit floats: the dense network's own results. */
    F32(memory.data_type.f32),
    /**
     * bfloat16 (8-bit mantissa) with 32-bit accumulation, where this CPU computes it natively (AVX-512 BF16, AMX):
     * about twice the throughput of f32 convolutions, results within bfloat16 rounding of them.
     */
    BF16(memory.data_type.bf16);

    private final memory.data_type type;
    private Boolean available;

    Precision(memory.data_type type) {
        this.type = type;
    }

    memory.data_type type() {
        return type;
    }

    /**
     * Whether oneDNN runs convolutions in this precision with this CPU's own instructions (for {@link #BF16}: not
     * emulated in f32 arithmetic, which is slower than f32 itself).
     */
    public synchronized boolean isNative() {
        if (available == null) {
            available = this == F32 || Engine.ONEDNN && supportedByOneDnn();
        }
        return available;
    }

    /**
     * Whether oneDNN loads here and has native code for this type: false when it refuses the probe convolution or
     * does not load (the failures {@link DnnlKernel#usable} guards its kernels against).
     */
    private boolean supportedByOneDnn() {
        try {
            return Dnnl.nativeConvolution(type);
        } catch (RuntimeException | UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
            return false;
        }
    }

    /** The lower-case name used in profiles and reports ({@code f32}, {@code bf16}). */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The precision named {@code id} ({@code f32} or {@code bf16}, any case).
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Precision of(String id) {
        for (Precision p : values()) {
            if (p.id().equalsIgnoreCase(id)) {
                return p;
            }
        }
        throw new IllegalArgumentException("precision '" + id + "' (expected f32 or bf16)");
    }
}
