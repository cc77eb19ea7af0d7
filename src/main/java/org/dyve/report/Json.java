package org.dyve.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.dyve.DataException;

/** Minimal JSON writing for result files and JSON lines (objects, arrays, strings, numbers, booleans, null). */
public final class Json {
    private Json() {
    }

    /** Pretty-printed JSON of maps, lists, strings, numbers, booleans and null. */
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, 0);
        return b.toString();
    }

    /**
     * Writes {@link #write} of {@code v} and a newline to {@code file}.
     *
     * @throws DataException naming the file when it cannot be written
     */
    public static void writeFile(Path file, Object v) {
        try {
            Files.writeString(file, write(v) + "\n");
        } catch (IOException e) {
            throw new DataException(file + ": cannot write (" + e.getMessage() + ")");
        }
    }

    /** The same on one line (JSON lines). */
    public static String line(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, -1);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, int indent) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof String s) {
            quote(b, s);
        } else if (v instanceof Double d) {
            b.append(d.isNaN() || d.isInfinite() ? "null" : num(d));
        } else if (v instanceof Float f) {
            b.append(f.isNaN() || f.isInfinite() ? "null" : num(f.doubleValue()));
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                newline(b, indent < 0 ? -1 : indent + 1);
                quote(b, String.valueOf(e.getKey()));
                b.append(indent < 0 ? ":" : ": ");
                write(b, e.getValue(), indent < 0 ? -1 : indent + 1);
                if (it.hasNext()) {
                    b.append(',');
                }
            }
            newline(b, indent);
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                write(b, l.get(i), indent < 0 ? -1 : indent + 1);
                if (i + 1 < l.size()) {
                    b.append(", ");
                }
            }
            b.append(']');
        } else {
            quote(b, v.toString());
        }
    }

    private static String num(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(Math.round(d * 1e6) / 1e6);
    }

    private static void newline(StringBuilder b, int indent) {
        if (indent < 0) {
            return;
        }
        b.append('\n');
        b.append("  ".repeat(indent));
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
