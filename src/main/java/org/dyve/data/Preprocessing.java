package org.dyve.data;

import org.dyve.DataException;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;

/**
 * Turns a decoded image into a model input: resize (short side to {@code resize}, antialiased bilinear),
 * centre crop to the input size, grey/colour conversion, channel order, then per value
 * {@code ((pixel * pixelScale) - mean) / std * scale}, where mean is a mean image (centre-cropped to the
 * input) or per-channel means (in the model's channel order).
 *
 * @param input model input shape
 * @param bgr whether the model expects BGR channel order (Caffe ImageNet models)
 * @param resize short side to resize to before cropping; 0 resizes straight to the input size when the
 *     image does not already have it
 * @param meanImage C x H x W mean image, or null
 * @param mean per-channel means, or null
 * @param std per-channel standard deviations, or null
 */
public record Preprocessing(Shape input, boolean bgr, int resize, Tensor meanImage, float[] mean, float[] std,
        float pixelScale, float scale) {

    /** Raw pixels 0..255, no mean, RGB, resized straight to the input. */
    public static Preprocessing raw(Shape input) {
        return new Preprocessing(input, false, 0, null, null, null, 1f, 1f);
    }

    /**
     * The same preprocessing for images that were already resized and cropped to the input size elsewhere (by
     * FFmpeg while decoding): channels, mean and scale only.
     */
    public Preprocessing forInputSizedImages() {
        return new Preprocessing(input, bgr, 0, meanImage, mean, std, pixelScale, scale);
    }

    /**
     * Applies the preprocessing to one image.
     *
     * @throws DataException when the image cannot be fitted to the input (e.g. too small to crop)
     */
    public float[] apply(Image img) {
        Image im = img;
        int h = input.h();
        int w = input.w();
        if (resize > 0) {
            int shortSide = Math.min(im.height(), im.width());
            if (shortSide != resize) {
                double f = (double) resize / shortSide;
                im = Resampler.resize(im, (int) Math.round(im.height() * f), (int) Math.round(im.width() * f));
            }
        } else if (im.height() != h || im.width() != w) {
            im = Resampler.resize(im, h, w);
        }
        if (im.height() < h || im.width() < w) {
            throw new DataException("image of " + im.height() + "x" + im.width() + " is smaller than the model input "
                    + h + "x" + w);
        }
        int y0 = (im.height() - h) / 2;
        int x0 = (im.width() - w) / 2;
        int c = input.c();
        int plane = h * w;
        int srcPlane = im.height() * im.width();
        float[] out = new float[c * plane];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                int srcRow = (y0 + y) * im.width() + x0;
                for (int x = 0; x < w; x++) {
                    int s = srcRow + x;
                    float v;
                    if (c == 1 && im.channels() == 3) {
                        float[] d = im.data();
                        v = 0.299f * d[s] + 0.587f * d[srcPlane + s] + 0.114f * d[2 * srcPlane + s];
                    } else {
                        int srcCh = im.channels() == 1 ? 0 : (bgr ? 2 - ch : ch);
                        if (srcCh >= im.channels()) {
                            throw new DataException("image has " + im.channels() + " channels, model expects " + c);
                        }
                        v = im.data()[srcCh * srcPlane + s];
                    }
                    out[ch * plane + y * w + x] = v * pixelScale;
                }
            }
        }
        if (meanImage != null) {
            int mh = meanImage.dim(1);
            int mw = meanImage.dim(2);
            if (meanImage.dim(0) != c || mh < h || mw < w) {
                throw new DataException("mean image " + meanImage.shapeString() + " does not fit the input " + input);
            }
            int my = (mh - h) / 2;
            int mx = (mw - w) / 2;
            float[] m = meanImage.data();
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        out[ch * plane + y * w + x] -= m[(ch * mh + my + y) * mw + mx + x];
                    }
                }
            }
        }
        for (int ch = 0; ch < c; ch++) {
            float m = mean == null ? 0f : mean[ch];
            float f = (std == null ? 1f : 1f / std[ch]) * scale;
            if (m == 0f && f == 1f) {
                continue;
            }
            for (int i = ch * plane; i < (ch + 1) * plane; i++) {
                out[i] = (out[i] - m) * f;
            }
        }
        return out;
    }
}
