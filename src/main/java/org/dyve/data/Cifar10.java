package org.dyve.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dyve.DataException;

/** A CIFAR-10 binary batch: records of 1 label byte and 3 x 32 x 32 pixel bytes (R, G, B planes). */
final class Cifar10 implements Dataset {
    static final int RECORD = 1 + 3 * 32 * 32;
    private final Path file;
    private final byte[] bytes;

    private Cifar10(Path file, byte[] bytes) {
        this.file = file;
        this.bytes = bytes;
    }

    static Cifar10 open(Path file) {
        Dataset.requireExists(file, "CIFAR-10 batch");
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (b.length == 0 || b.length % RECORD != 0) {
            throw new DataException(file + ": not a CIFAR-10 binary batch (size " + b.length
                    + " is not a multiple of the " + RECORD + "-byte record)");
        }
        for (int i = 0; i < b.length; i += RECORD) {
            if ((b[i] & 0xFF) > 9) {
                throw new DataException(file + ": not a CIFAR-10 binary batch (record " + i / RECORD + " has label "
                        + (b[i] & 0xFF) + ", expected 0..9)");
            }
        }
        return new Cifar10(file, b);
    }

    @Override
    public int size() {
        return bytes.length / RECORD;
    }

    @Override
    public Sample get(int i) {
        int at = i * RECORD;
        float[] px = new float[RECORD - 1];
        for (int j = 0; j < px.length; j++) {
            px[j] = bytes[at + 1 + j] & 0xFF;
        }
        return new Sample(Integer.toString(i), bytes[at] & 0xFF, new Image(3, 32, 32, px));
    }

    @Override
    public String describe() {
        return "cifar10:" + file;
    }
}
