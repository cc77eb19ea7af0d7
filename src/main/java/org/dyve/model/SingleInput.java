package org.dyve.model;

import java.util.List;

/** A layer that reads one tensor, {@link #input()}. */
public sealed interface SingleInput extends Layer
        permits Convolution, Pooling, Lrn, Relu, InnerProduct, Identity, Softmax, Flatten, BatchNorm, Scale, Pad, Slice,
        Activation, ChannelShuffle {

    /** The tensor this layer reads. */
    String input();

    @Override
    default List<String> inputs() {
        return List.of(input());
    }
}
