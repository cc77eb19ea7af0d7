package org.dyve.model;

import java.util.List;

/**
 * One node of the network DAG: reads named input tensors, writes one named output tensor. Implementations
 * are immutable records, one per layer type; parameters live in the record.
 */
public sealed interface Layer
        permits SingleInput, Concat, Add, Elementwise {

    /** Unique layer name. */
    String name();

    /** Names of the tensors this layer reads, in order. */
    List<String> inputs();

    /** Name of the tensor this layer writes. */
    String output();

    /** Short type name as shown in layer tables ({@code Convolution}, {@code Pooling}, ...). */
    default String type() {
        return getClass().getSimpleName();
    }

    /**
     * Output shape for the given input shapes.
     *
     * @throws org.dyve.ShapeMismatchException when the inputs do not fit this layer's parameters
     */
    Shape outputShape(List<Shape> in);

    /** Multiply-accumulates per sample (0 for layers without weights). */
    default long macs(List<Shape> in, Shape out) {
        return 0;
    }

    /** Number of learned parameters. */
    default long parameters() {
        return 0;
    }

    /** Whether the output may share memory with the (single) input: the layer works in place. */
    default boolean inPlace() {
        return false;
    }
}
