package org.dyve.load;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.dyve.DyveException;

/**
 * What a load test sends: encoded images for the classify endpoint, made once before the test from
 * {@code images:DIR} (the files as they are) or {@code synthetic:WxH} (generated PNGs).
 *
 * @param bodies the request bodies, sent in turn
 * @param contentTypes each body's content type
 */
public record Payloads(List<byte[]> bodies, List<String> contentTypes) {
    private static final Pattern SYNTHETIC = Pattern.compile("synthetic:(\\d{1,5})x(\\d{1,5})");
    /** Most files read from an image folder. */
    private static final int MAX_FILES = 256;

    /** The bodies of {@code spec}; throws a one-line {@link DyveException} for a bad one. */
    public static Payloads of(String spec) {
        Matcher m = SYNTHETIC.matcher(spec);
        if (m.matches()) {
            int w = Integer.parseInt(m.group(1));
            int h = Integer.parseInt(m.group(2));
            if (w < 1 || h < 1 || (long) w * h > 16_000_000) {
                throw new DyveException(spec + ": synthetic size out of range (1x1 to 4000x4000)");
            }
            List<byte[]> out = new ArrayList<>();
            for (int k = 0; k < 8; k++) {
                out.add(png(w, h, k));
            }
            return new Payloads(out, java.util.Collections.nCopies(out.size(), "image/png"));
        }
        if (spec.startsWith("images:")) {
            Path dir = Path.of(spec.substring("images:".length()));
            if (!Files.isDirectory(dir)) {
                throw new DyveException(spec + ": image folder not found");
            }
            List<byte[]> out = new ArrayList<>();
            List<String> types = new ArrayList<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.sorted().toList()) {
                    String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                    String type = n.endsWith(".png") ? "image/png" : n.endsWith(".jpg") || n.endsWith(".jpeg")
                            ? "image/jpeg" : null;
                    if (type != null && out.size() < MAX_FILES) {
                        out.add(Files.readAllBytes(f));
                        types.add(type);
                    }
                }
            } catch (IOException e) {
                throw new DyveException(spec + ": cannot read the folder (" + DyveException.reason(e) + ")");
            }
            if (out.isEmpty()) {
                throw new DyveException(spec + ": no .jpg or .png images in the folder");
            }
            return new Payloads(out, types);
        }
        throw new DyveException(spec + ": invalid load input (expected images:DIR or synthetic:WxH)");
    }

    private static byte[] png(int w, int h, int seed) {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = (x * (seed + 3) + y * 7 + seed * 31) % 256;
                bi.setRGB(x, y, v << 16 | (255 - v) << 8 | (v / 2));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(bi, "png", out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }
}
