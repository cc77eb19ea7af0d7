package org.dyve.model;

/** A network input tensor and its per-sample shape. */
public record Input(String name, Shape shape) {
}
