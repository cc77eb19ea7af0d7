package org.dyve.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.dyve.DataException;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    @TempDir
    Path dir;

    private static byte[] idxImages(int n, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols);
        b.putInt(0x803).putInt(n).putInt(rows).putInt(cols);
        for (int i = 0; i < n * rows * cols; i++) {
            b.put((byte) (i % 251));
        }
        return b.array();
    }

    private static byte[] idxLabels(int n) {
        ByteBuffer b = ByteBuffer.allocate(8 + n);
        b.putInt(0x801).putInt(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) (i % 10));
        }
        return b.array();
    }

    private void write(String name, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream o = gzip ? new GZIPOutputStream(Files.newOutputStream(dir.resolve(name + ".gz")))
                : Files.newOutputStream(dir.resolve(name))) {
            o.write(bytes);
        }
    }

    @Test
    void idxFilesGzippedOrNot() throws IOException {
        write("t10k-images-idx3-ubyte", idxImages(3, 4, 5), true);
        write("t10k-labels-idx1-ubyte", idxLabels(3), true);
        write("train-images-idx3-ubyte", idxImages(2, 4, 5), false);
        write("train-labels-idx1-ubyte", idxLabels(2), false);
        Dataset test = Dataset.open("idx:" + dir);
        assertEquals(3, test.size());
        Sample s = test.get(2);
        assertEquals(2, s.label());
        assertEquals(1, s.image().channels());
        assertEquals(40f, s.image().data()[0]); // record 2 starts at byte 40
        assertEquals(2, Dataset.open("idx:" + dir + "#train").size());
    }

    @Test
    void truncatedIdxIsReported() throws IOException {
        byte[] img = idxImages(3, 4, 5);
        write("t10k-images-idx3-ubyte", java.util.Arrays.copyOf(img, img.length - 1), false);
        write("t10k-labels-idx1-ubyte", idxLabels(3), false);
        DataException e = assertThrows(DataException.class, () -> Dataset.open("idx:" + dir));
        assertTrue(e.getMessage().contains("truncated or corrupt IDX image file"), e.getMessage());
    }

    @Test
    void cifarRecordsAreRgbPlanes() throws IOException {
        byte[] rec = new byte[2 * 3073];
        rec[0] = 7;
        rec[1] = (byte) 200; // R(0,0)
        rec[1 + 1024] = 100; // G(0,0)
        rec[1 + 2048 + 1023] = 50; // B(31,31)
        rec[3073] = 3;
        Path f = dir.resolve("b.bin");
        Files.write(f, rec);
        Dataset d = Dataset.open("cifar10:" + f);
        assertEquals(2, d.size());
        Sample s = d.get(0);
        assertEquals(7, s.label());
        assertEquals(200f, s.image().data()[0]);
        assertEquals(100f, s.image().data()[1024]);
        assertEquals(50f, s.image().data()[3071]);
        assertEquals(3, d.get(1).label());
    }

    @Test
    void preprocessingCropsMeansAndSwapsChannels() {
        // 3x4x4 image: channel c has value 10c + (y*4 + x)
        float[] px = new float[48];
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 16; i++) {
                px[c * 16 + i] = 10 * c + i;
            }
        }
        Image img = new Image(3, 4, 4, px);
        // resize 4 (no-op), centre crop 2x2 at (1,1), BGR, per-channel mean, scale 2
        Preprocessing p = new Preprocessing(new Shape(3, 2, 2), true, 4, null, new float[] {1, 2, 3}, null, 1f, 2f);
        float[] out = p.apply(img);
        // model channel 0 = B = image channel 2: crop values 20 + {5, 6, 9, 10}, minus 1, times 2
        assertArrayEquals(new float[] {48, 50, 56, 58, 26, 28, 34, 36, 4, 6, 12, 14}, out, 1e-6f);
        // mean image, cropped to the centre like the input
        float[] m = new float[3 * 4 * 4];
        java.util.Arrays.fill(m, 1f);
        Preprocessing q = new Preprocessing(new Shape(3, 2, 2), false, 4, new Tensor(new int[] {3, 4, 4}, m), null,
                null, 1f, 1f);
        assertEquals(4f, q.apply(img)[0]);
    }

    @Test
    void resizingAConstantImageKeepsItConstant() {
        float[] px = new float[3 * 40 * 30];
        java.util.Arrays.fill(px, 77f);
        Preprocessing p = new Preprocessing(new Shape(3, 8, 8), false, 10, null, null, null, 1f, 1f);
        for (float v : p.apply(new Image(3, 40, 30, px))) {
            assertEquals(77f, v, 1e-3f);
        }
    }

    @Test
    void imageFolderWithLabelsAndBrokenImage() throws IOException {
        BufferedImage bi = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
        bi.setRGB(0, 0, 0x00FF8040);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(bi, "png", png);
        Files.write(dir.resolve("a.png"), png.toByteArray());
        Files.write(dir.resolve("b.jpg"), new byte[] {1, 2, 3});
        Files.writeString(dir.resolve("labels.txt"), "a.png 4\nb.jpg 1\n");
        Dataset d = Dataset.open("images:" + dir);
        assertEquals(2, d.size());
        Sample a = d.get(0);
        assertEquals(4, a.label());
        assertEquals(255f, a.image().data()[0]);
        assertEquals(128f, a.image().data()[24]);
        assertEquals(64f, a.image().data()[48]);
        DataException e = assertThrows(DataException.class, () -> d.get(1));
        assertEquals(dir.resolve("b.jpg") + ": unreadable image (not a supported image format)", e.getMessage());
        Files.writeString(dir.resolve("labels.txt"), "a.png four\n");
        DataException e2 = assertThrows(DataException.class, () -> Dataset.open("images:" + dir));
        assertTrue(e2.getMessage().endsWith("labels.txt:1: class index 'four' is not a number"), e2.getMessage());
    }
}
