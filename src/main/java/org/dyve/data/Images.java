package org.dyve.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.dyve.DataException;

/** Image file decoding (JPEG, PNG, BMP, GIF through {@code javax.imageio}). */
public final class Images {
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
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new DataException(file + ": unreadable image (" + e.getMessage() + ")");
        }
        if (img == null) {
            throw new DataException(file + ": unreadable image (not a supported image format)");
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
