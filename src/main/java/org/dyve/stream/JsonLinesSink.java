package org.dyve.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dyve.DataException;

/**
 * Where a stream's JSON lines go: {@code jsonl:-} (standard output), {@code jsonl:FILE} (appended to: a service
 * restarted by its supervisor keeps what it wrote before), {@code jsonl:FILE?max-size=100MB&keep=5} (when the file
 * passes the size it is renamed {@code FILE.1}, older ones shift to {@code FILE.2} ... {@code FILE.<keep>}, and a new
 * file begins), {@code jsonl:FILE?truncate=1} (started afresh), or {@code none}. Used from one thread.
 */
public final class JsonLinesSink implements AutoCloseable {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]?)b?", Pattern.CASE_INSENSITIVE);
    private final Path file;
    private final long maxBytes;
    private final int keep;
    private PrintStream out;
    private long written;
    private boolean closedByReader;

    private JsonLinesSink(Path file, long maxBytes, int keep, PrintStream out, long written) {
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.out = out;
        this.written = written;
    }

    /**
     * Opens the sink {@code spec} names.
     *
     * @throws DataException naming the sink and the problem (unknown kind, bad parameter, file not writable)
     */
    public static JsonLinesSink open(String spec) {
        if (spec.equals("none")) {
            return new JsonLinesSink(null, 0, 0, new PrintStream(OutputStream.nullOutputStream()), 0);
        }
        if (!spec.startsWith("jsonl:") || spec.length() == "jsonl:".length()) {
            throw new DataException(spec + ": unknown sink (expected jsonl:FILE, jsonl:- or none)");
        }
        String target = spec.substring("jsonl:".length());
        if (target.equals("-")) {
            return new JsonLinesSink(null, 0, 0, System.out, 0);
        }
        long maxBytes = 0;
        int keep = 5;
        boolean truncate = false;
        int q = target.lastIndexOf('?');
        if (q >= 0) {
            for (String kv : target.substring(q + 1).split("&")) {
                int eq = kv.indexOf('=');
                String k = eq < 0 ? kv : kv.substring(0, eq);
                String v = eq < 0 ? "" : kv.substring(eq + 1);
                switch (k) {
                    case "max-size" -> maxBytes = bytes(spec, v);
                    case "keep" -> keep = count(spec, v);
                    case "truncate" -> truncate = v.equals("1") || v.equalsIgnoreCase("true");
                    default -> throw new DataException(spec + ": unknown sink parameter '" + k + "' (expected"
                            + " max-size, keep or truncate)");
                }
            }
            target = target.substring(0, q);
        }
        Path file = Path.of(target);
        return new JsonLinesSink(file, maxBytes, keep, openFile(file, truncate), size(file));
    }

    /** Writes one line (whole, whichever thread calls); false once the reader of standard output has gone away. */
    public synchronized boolean println(String line) {
        out.println(line);
        if (file == null) {
            if (out.checkError()) {
                closedByReader = true;
            }
            return !closedByReader;
        }
        written += line.length() + 1L;
        if (out.checkError()) {
            throw new DataException(file + ": cannot write (disk full or file removed?)");
        }
        if (maxBytes > 0 && written >= maxBytes) {
            rotate();
        }
        return true;
    }

    /** Whether standard output's reader went away. */
    public boolean closedByReader() {
        return closedByReader;
    }

    public synchronized void flush() {
        out.flush();
    }

    private void rotate() {
        out.close();
        try {
            for (int i = keep - 1; i >= 1; i--) {
                Path from = Path.of(file + "." + i);
                if (Files.exists(from)) {
                    Files.move(from, Path.of(file + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (keep >= 1) {
                Files.move(file, Path.of(file + ".1"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new DataException(file + ": cannot rotate (" + e.getMessage() + ")");
        }
        out = openFile(file, true);
        written = 0;
    }

    private static PrintStream openFile(Path file, boolean truncate) {
        try {
            OutputStream os = truncate ? Files.newOutputStream(file)
                    : Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return new PrintStream(new java.io.BufferedOutputStream(os, 1 << 16), false, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new DataException(file + ": cannot write (" + e.getMessage() + ")");
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private static long bytes(String spec, String v) {
        Matcher m = SIZE.matcher(v.trim());
        if (!m.matches()) {
            throw new DataException(spec + ": max-size '" + v + "' is not a size such as 100MB");
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 1L << 10;
            case "m" -> 1L << 20;
            case "g" -> 1L << 30;
            default -> 1;
        };
        if (n <= 0 || n > (1L << 50) / unit) {
            throw new DataException(spec + ": max-size '" + v + "' must be positive");
        }
        return n * unit;
    }

    private static int count(String spec, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 0 && n <= 1000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new DataException(spec + ": keep '" + v + "' is not a whole number from 0 to 1000");
    }

    @Override
    public void close() {
        if (out != System.out) {
            out.close();
        } else {
            out.flush();
        }
    }
}
