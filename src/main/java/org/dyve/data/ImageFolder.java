package org.dyve.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.dyve.DataException;

/**
 * A folder of images with an optional {@code labels.txt} ({@code file classIndex} per line). Images are
 * looked for in the folder itself or in its {@code images/} subfolder; without labels, every label is -1.
 */
final class ImageFolder implements Dataset {
    private final Path dir;
    private final List<Path> files;
    private final int[] labels;

    private ImageFolder(Path dir, List<Path> files, int[] labels) {
        this.dir = dir;
        this.files = files;
        this.labels = labels;
    }

    static ImageFolder open(Path dir) {
        Dataset.requireExists(dir, "image folder");
        Path imageDir = Files.isDirectory(dir.resolve("images")) ? dir.resolve("images") : dir;
        Path labelsFile = dir.resolve("labels.txt");
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        try {
            if (Files.isRegularFile(labelsFile)) {
                int lineNo = 0;
                for (String line : Files.readAllLines(labelsFile)) {
                    lineNo++;
                    String t = line.strip();
                    if (t.isEmpty() || t.startsWith("#")) {
                        continue;
                    }
                    String[] parts = t.split("\\s+");
                    if (parts.length != 2) {
                        throw new DataException(labelsFile + ":" + lineNo + ": expected 'file classIndex', found '"
                                + t + "'");
                    }
                    try {
                        labels.add(Integer.parseInt(parts[1]));
                    } catch (NumberFormatException e) {
                        throw new DataException(labelsFile + ":" + lineNo + ": class index '" + parts[1]
                                + "' is not a number");
                    }
                    files.add(imageDir.resolve(parts[0]));
                }
            } else {
                try (Stream<Path> s = Files.list(imageDir)) {
                    s.filter(ImageFolder::isImage).sorted().forEach(p -> {
                        files.add(p);
                        labels.add(-1);
                    });
                }
            }
        } catch (IOException e) {
            throw new DataException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) {
            throw new DataException(dir + ": no images found");
        }
        return new ImageFolder(dir, files, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png") || n.endsWith(".bmp")
                || n.endsWith(".gif");
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public Sample get(int i) {
        return new Sample(id(i), labels[i], Images.read(files.get(i)));
    }

    @Override
    public String id(int i) {
        return files.get(i).getFileName().toString();
    }

    @Override
    public String describe() {
        return "images:" + dir;
    }
}
