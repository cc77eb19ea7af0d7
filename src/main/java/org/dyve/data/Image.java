package org.dyve.data;

/**
 * A decoded image, planar: {@code channels x height x width} values in 0..255, channels in RGB order (or a
 * single grey channel).
 */
public record Image(int channels, int height, int width, float[] data) {
    public Image {
        if ((long) channels * height * width != data.length) {
            throw new IllegalArgumentException("image " + channels + "x" + height + "x" + width + " needs "
                    + (long) channels * height * width + " values, found " + data.length);
        }
    }
}
