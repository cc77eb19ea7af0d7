package org.dyve.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.dyve.ModelFormatException;

/** Reading model files with one-line errors that name the file. */
public final class ModelFiles {
    private ModelFiles() {
    }

    /**
     * The whole file.
     *
     * @throws ModelFormatException when it is missing or unreadable
     */
    public static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(file + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }
}
