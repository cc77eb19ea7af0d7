package org.dyve.descriptor;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dyve.ModelFormatException;

/** Reads the HOCON files that describe models (descriptors, effort profiles), with one-line errors. */
public final class Hocon {
    private Hocon() {
    }

    /**
     * Parses and resolves a file.
     *
     * @param what what the file should be, for the message ("descriptor", "effort profiles")
     * @throws ModelFormatException naming the file when it cannot be read or is not valid HOCON
     */
    public static Config read(Path file, String what) {
        try (Reader r = Files.newBufferedReader(file)) {
            return ConfigFactory.parseReader(r).resolve();
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read (" + e.getMessage() + ")");
        } catch (ConfigException e) {
            throw new ModelFormatException(file + ": invalid " + what + " (" + e.getMessage() + ")");
        }
    }

    /** Parses and resolves a class-path resource already opened as {@code in}; see {@link #read(Path, String)}. */
    public static Config read(InputStream in, String name, String what) {
        try {
            return ConfigFactory.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8)).resolve();
        } catch (ConfigException e) {
            throw new ModelFormatException(name + ": invalid " + what + " (" + e.getMessage() + ")");
        }
    }
}
