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

    /** Sample {@code i}'s id without decoding it (its file name in an image folder, else its index). */
    default String id(int i) {
        return Integer.toString(i);
    }

    /** The first {@code n} samples (all when there are fewer). */
    default Dataset first(int n) {
        Dataset all = this;
        return new Dataset() {
            @Override
            public int size() {
                return Math.min(n, all.size());
            }

            @Override
            public Sample get(int i) {
                return all.get(i);
            }

            @Override
            public String describe() {
                return all.describe() + " (first " + n + ")";
            }
        };
    }

    /**
     * Opens a data set from a specification: {@code cifar10:FILE.bin}, {@code images:DIR} or
     * {@code idx:DIR} (MNIST-style IDX files, gzip or not; test split unless {@code idx:DIR#train}). A suffix
     * {@code @even} or {@code @odd} keeps the samples with even or odd index: two fixed, disjoint halves (e.g.
     * calibration and test halves of an image folder).
     *
     * @throws DataException when the specification is malformed or its files are missing or corrupt
     */
    static Dataset open(String spec) {
        if (spec.endsWith("@even") || spec.endsWith("@odd")) {
            int at = spec.lastIndexOf('@');
            return half(open(spec.substring(0, at)), spec.endsWith("@odd") ? 1 : 0, spec.substring(at));
        }
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

    private static Dataset half(Dataset all, int parity, String suffix) {
        return new Dataset() {
            @Override
            public int size() {
                return (all.size() + 1 - parity) / 2;
            }

            @Override
            public Sample get(int i) {
                return all.get(2 * i + parity);
            }

            @Override
            public String describe() {
                return all.describe() + suffix;
            }
        };
    }

    /** Throws a one-line error unless {@code p} exists. */
    static void requireExists(Path p, String what) {
        if (!Files.exists(p)) {
            throw new DataException(p + ": " + what + " not found");
        }
    }
}
