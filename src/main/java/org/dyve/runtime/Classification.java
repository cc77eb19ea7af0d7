package org.dyve.runtime;

import java.util.List;

/**
 * One image's answer from a {@link Classifier}.
 *
 * @param classes the top-k classes, most probable first
 * @param rung the effort rung the image ran at
 * @param macs multiply-accumulates executed for this image (a batch's total shared evenly)
 * @param denseMacs what the dense network spends on one image
 * @param exit the tensor at which the image left the network early, or null
 * @param ms the batch's compute time shared evenly among its images
 */
public record Classification(List<Scored> classes, String rung, long macs, long denseMacs, String exit, double ms) {
    /** A class, its name and its probability. */
    public record Scored(int index, String label, float probability) {
    }
}
