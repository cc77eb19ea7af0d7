package org.dyve.data;

import java.nio.file.Files;
import java.nio.file.Path;
import org.dyve.DataException;

/** A finite, randomly accessible, labelled data set. */
public interface Dataset {
    /** Number of samples. */
    int size();

    /**
     * Sample {@code i}, decoded.
     *
     * @throws DataException when the sample cannot be read or decoded
     */
    Sample get(int i);

    /** A short description such as {@code cifar10:test_batch.bin}. */
    String describe();

    /**
     * Opens a data set from a specification: {@code cifar10:FILE.bin}, {@code images:DIR} or
     * {@code idx:DIR} (MNIST-style IDX files, gzip or not; test split unless {@code idx:DIR#train}).
     *
     * @throws DataException when the specification is malformed or its files are missing or corrupt
     */
    static Dataset open(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0) {
            throw new DataException(spec + ": invalid data spec (expected cifar10:FILE, images:DIR or idx:DIR)");
        }
        String kind = spec.substring(0, colon);
        String rest = spec.substring(colon + 1);
        if (rest.isEmpty()) {
            throw new DataException(spec + ": invalid data spec (no path after '" + kind + ":')");
        }
        return switch (kind) {
            case "cifar10" -> Cifar10.open(Path.of(rest));
            case "images" -> ImageFolder.open(Path.of(rest));
            case "idx" -> {
                String split = "test";
                int hash = rest.lastIndexOf('#');
                if (hash > 0) {
                    split = rest.substring(hash + 1);
                    rest = rest.substring(0, hash);
                }
                yield Idx.open(Path.of(rest), split);
            }
            default -> throw new DataException(spec + ": unknown data kind '" + kind
                    + "' (expected cifar10, images or idx)");
        };
    }

    /** Throws a one-line error unless {@code p} exists. */
    static void requireExists(Path p, String what) {
        if (!Files.exists(p)) {
            throw new DataException(p + ": " + what + " not found");
        }
    }
}
