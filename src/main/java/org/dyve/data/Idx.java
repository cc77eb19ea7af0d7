package org.dyve.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.dyve.DataException;

/** MNIST / Fashion-MNIST IDX files ({@code <split>-images-idx3-ubyte[.gz]}, {@code -labels-idx1-ubyte}). */
final class Idx implements Dataset {
    private final String describe;
    private final byte[] images;
    private final byte[] labels;
    private final int count;
    private final int rows;
    private final int cols;
    private final int imageOffset;

    private Idx(String describe, byte[] images, byte[] labels, int count, int rows, int cols) {
        this.describe = describe;
        this.images = images;
        this.labels = labels;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.imageOffset = 16;
    }

    /** Opens {@code dir}'s split ({@code test} = {@code t10k}, or {@code train}). */
    static Idx open(Path dir, String split) {
        Dataset.requireExists(dir, "IDX directory");
        String prefix = switch (split) {
            case "test", "t10k" -> "t10k";
            case "train" -> "train";
            default -> throw new DataException(dir + ": unknown IDX split '" + split + "' (expected test or train)");
        };
        Path img = find(dir, prefix + "-images-idx3-ubyte");
        Path lab = find(dir, prefix + "-labels-idx1-ubyte");
        byte[] ib = read(img);
        byte[] lb = read(lab);
        ByteBuffer ih = ByteBuffer.wrap(ib);
        ByteBuffer lh = ByteBuffer.wrap(lb);
        if (ib.length < 16 || ih.getInt(0) != 0x803) {
            throw new DataException(img + ": not an IDX image file (expected magic 0x00000803)");
        }
        if (lb.length < 8 || lh.getInt(0) != 0x801) {
            throw new DataException(lab + ": not an IDX label file (expected magic 0x00000801)");
        }
        int n = ih.getInt(4);
        int r = ih.getInt(8);
        int c = ih.getInt(12);
        if (n <= 0 || r <= 0 || c <= 0 || ib.length != 16 + (long) n * r * c) {
            throw new DataException(img + ": truncated or corrupt IDX image file (" + n + " images of " + r + "x" + c
                    + " need " + (16 + (long) n * r * c) + " bytes, found " + ib.length + ")");
        }
        if (lh.getInt(4) != n || lb.length != 8 + n) {
            throw new DataException(lab + ": label count does not match the images (expected " + n + ", found "
                    + lh.getInt(4) + ")");
        }
        return new Idx("idx:" + dir + "#" + split, ib, lb, n, r, c);
    }

    private static Path find(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base, base.replace("-idx", ".idx")}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new DataException(dir + ": no " + base + "[.gz] file");
    }

    private static byte[] read(Path p) {
        try (InputStream raw = Files.newInputStream(p)) {
            InputStream in = p.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new DataException(p + ": cannot read (" + e.getMessage() + ")");
        }
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public Sample get(int i) {
        int n = rows * cols;
        float[] px = new float[n];
        int at = imageOffset + i * n;
        for (int j = 0; j < n; j++) {
            px[j] = images[at + j] & 0xFF;
        }
        return new Sample(Integer.toString(i), labels[8 + i] & 0xFF, new Image(1, rows, cols, px));
    }

    @Override
    public String describe() {
        return describe;
    }
}
