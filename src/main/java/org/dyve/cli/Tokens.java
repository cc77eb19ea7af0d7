package org.dyve.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dyve.DyveException;

/** The bearer token of {@code serve} and {@code load}: --token, else --token-file, else DYVE_TOKEN, else a default. */
final class Tokens {
    private Tokens() {
    }

    static String read(String token, Path file, String otherwise) {
        if (token != null) {
            return token.trim();
        }
        if (file != null) {
            try {
                return Files.readString(file).trim();
            } catch (IOException e) {
                throw new DyveException(file + ": cannot read the token file (" + DyveException.reason(e) + ")");
            }
        }
        String env = System.getenv("DYVE_TOKEN");
        return env != null && !env.isBlank() ? env.trim() : otherwise;
    }
}
