package org.dyve.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.dyve.stream.SourceSpec;

/**
 * What a remote client may open as a stream source ({@code dyve.serve.sources}): files only inside the allowed
 * folders (no {@code ..}, symbolic links followed before the check), cameras and synthetic sources only when allowed,
 * network sources only by the allowed schemes, {@code lavfi:} never.
 */
final class SourcePolicy {
    private final ServeSettings.Sources allowed;

    SourcePolicy(ServeSettings.Sources allowed) {
        this.allowed = allowed;
    }

    /** Thrown for a source the policy refuses (403). */
    static final class Forbidden extends RuntimeException {
        Forbidden(String message) {
            super(message);
        }
    }

    /** Checks {@code s}; throws {@link Forbidden} with one line saying why when it may not be opened. */
    void check(SourceSpec s) {
        switch (s.kind()) {
            case "lavfi" -> throw new Forbidden(s.spec() + ": lavfi: sources are never opened for a remote client");
            case "camera" -> {
                if (!allowed.cameras()) {
                    throw new Forbidden(s.spec() + ": cameras are not allowed (dyve.serve.sources.cameras)");
                }
            }
            case "synthetic" -> {
                if (!allowed.synthetic()) {
                    throw new Forbidden(s.spec() + ": synthetic sources are not allowed (dyve.serve.sources.synthetic)");
                }
            }
            case "url" -> {
                int colon = s.target().indexOf("://");
                String scheme = s.target().substring(0, Math.max(0, colon)).toLowerCase(Locale.ROOT);
                if (!allowed.urlSchemes().contains(scheme)) {
                    throw new Forbidden(s.spec() + ": URL scheme '" + scheme + "' is not allowed (allowed: "
                            + allowed.urlSchemes() + ")");
                }
            }
            default -> file(s);
        }
    }

    private void file(SourceSpec s) {
        String target = s.target();
        for (String part : target.replace('\\', '/').split("/")) {
            if (part.equals("..")) {
                throw new Forbidden(s.spec() + ": '..' is not allowed in a source path");
            }
        }
        Path p = Path.of(target).toAbsolutePath().normalize();
        try {
            if (Files.exists(p)) {
                p = p.toRealPath();
            }
        } catch (IOException e) {
            throw new Forbidden(s.spec() + ": cannot check the path (" + e.getMessage() + ")");
        }
        for (Path dir : allowed.allowedDirs()) {
            Path real = dir;
            try {
                if (Files.exists(dir)) {
                    real = dir.toRealPath();
                }
            } catch (IOException e) {
                continue;
            }
            if (p.startsWith(real)) {
                return;
            }
        }
        throw new Forbidden(s.spec() + ": path is outside the folders clients may stream from"
                + " (dyve.serve.sources.allowed-dirs)");
    }
}
