package org.dyve.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.dyve.DataException;

/** Image file decoding (JPEG, PNG, BMP, GIF through {@code javax.imageio}). */
public final class Images {
    /** The most pixels an image may have: larger ones (decompression bombs among them) are refused before decoding. */
    public static final long MAX_PIXELS = 64L << 20;
    private Images() {
    }

    /**
     * Decodes an image file into planar RGB (or grey) values 0..255.
     *
     * @throws DataException when the file is missing or not a decodable image
     */
    public static Image read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new DataException(file + ": image file not found");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return decode(in, file.toString(), MAX_PIXELS);
        } catch (IOException e) {
            throw new DataException(file + ": unreadable image (" + org.dyve.DyveException.reason(e) + ")");
        }
    }

    /**
     * Decodes an image sent as {@code bytes} (named {@code name} in errors), refusing one of more than
     * {@code maxPixels} pixels from its header, before it is decoded (a decompression bomb).
     *
     * @throws DataException when the bytes are not a decodable image or the image is too large
     */
    public static Image read(byte[] bytes, String name, long maxPixels) {
        if (bytes.length == 0) {
            throw new DataException(name + ": empty image");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return decode(in, name, maxPixels);
        } catch (IOException e) {
            throw new DataException(name + ": unreadable image (" + org.dyve.DyveException.reason(e) + ")");
        }
    }

    private static Image decode(ImageInputStream in, String name, long maxPixels) {
        BufferedImage img;
        try {
            var readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new DataException(name + ": unreadable image (not a supported image format)");
            }
            ImageReader reader = readers.next();
            // a damaged or truncated file is decoded with grey where data is missing, and only a warning says so
            // ("Premature end of JPEG file"): taken as an error, not as an image
            String[] warning = {null};
            reader.addIIOReadWarningListener((r, w) -> {
                if (warning[0] == null) {
                    warning[0] = w;
                }
            });
            try {
                reader.setInput(in, true, true);
                long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                if (pixels > maxPixels) {
                    throw new DataException(name + ": image of " + reader.getWidth(0) + " x " + reader.getHeight(0)
                            + " pixels is larger than the " + maxPixels + " accepted");
                }
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
            if (warning[0] != null) {
                throw new DataException(name + ": damaged image (" + warning[0] + ")");
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof DataException de) {
                throw de;
            }
            throw new DataException(name + ": unreadable image (" + org.dyve.DyveException.reason(e) + ")");
        }
        if (img == null) {
            throw new DataException(name + ": unreadable image (not a supported image format)");
        }
        return fromBufferedImage(img);
    }

    /** Converts a decoded image to planar RGB. */
    public static Image fromBufferedImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        int plane = w * h;
        float[] d = new float[3 * plane];
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            d[i] = (p >> 16) & 0xFF;
            d[plane + i] = (p >> 8) & 0xFF;
            d[2 * plane + i] = p & 0xFF;
        }
        return new Image(3, h, w, d);
    }
}
