package org.dyve.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dyve.DyveException;
import picocli.CommandLine.Option;

/** The bearer-token options of {@code serve} and {@code load}. */
final class Tokens {
    @Option(names = "--token", paramLabel = "T", description = "Bearer token (prefer --token-file or DYVE_TOKEN: a"
            + " command line is visible to every user).")
    String token;

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token.")
    Path tokenFile;

    /** --token, else --token-file, else DYVE_TOKEN, else {@code otherwise}. */
    String read(String otherwise) {
        if (token != null) {
            return token.trim();
        }
        if (tokenFile != null) {
            try {
                return Files.readString(tokenFile).trim();
            } catch (IOException e) {
                throw new DyveException(tokenFile + ": cannot read the token file (" + DyveException.reason(e) + ")");
            }
        }
        String env = System.getenv("DYVE_TOKEN");
        return env != null && !env.isBlank() ? env.trim() : otherwise;
    }
}
