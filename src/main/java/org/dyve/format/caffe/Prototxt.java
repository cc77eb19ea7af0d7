package org.dyve.format.caffe;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.dyve.ModelFormatException;

/** A small parser for the protobuf text format as Caffe writes it. */
final class Prototxt {
    private final String src;
    private final String file;
    private int pos;
    private int line = 1;

    private Prototxt(String src, String file) {
        this.src = src;
        this.file = file;
    }

    static TextMessage parse(Path path) {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path + ": file not found");
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(text, path.toString());
    }

    static TextMessage parse(String text, String file) {
        Prototxt p = new Prototxt(text, file);
        TextMessage m = p.body(false);
        return m;
    }

    private TextMessage body(boolean nested) {
        TextMessage m = new TextMessage();
        while (true) {
            skipSpace();
            if (pos >= src.length()) {
                if (nested) {
                    throw error("unexpected end of file inside a { } block");
                }
                return m;
            }
            char c = src.charAt(pos);
            if (c == '}') {
                if (!nested) {
                    throw error("unbalanced '}'");
                }
                pos++;
                return m;
            }
            String field = identifier();
            skipSpace();
            boolean colon = false;
            if (pos < src.length() && src.charAt(pos) == ':') {
                pos++;
                colon = true;
                skipSpace();
            }
            if (pos < src.length() && (src.charAt(pos) == '{' || src.charAt(pos) == '<')) {
                char close = src.charAt(pos) == '{' ? '}' : '>';
                pos++;
                m.add(field, close == '}' ? body(true) : angleBody());
            } else if (!colon) {
                throw error("expected ':' or '{' after field '" + field + "'");
            } else {
                m.add(field, scalar());
            }
            skipSpace();
            if (pos < src.length() && (src.charAt(pos) == ';' || src.charAt(pos) == ',')) {
                pos++;
            }
        }
    }

    private TextMessage angleBody() {
        throw error("'<' message delimiters are not supported; use '{'");
    }

    private String identifier() {
        int start = pos;
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        if (start == pos) {
            throw error("expected a field name, found '" + src.charAt(pos) + "'");
        }
        return src.substring(start, pos);
    }

    private String scalar() {
        if (pos >= src.length()) {
            throw error("expected a value, found end of file");
        }
        char c = src.charAt(pos);
        if (c == '"' || c == '\'') {
            StringBuilder b = new StringBuilder();
            pos++;
            while (pos < src.length() && src.charAt(pos) != c) {
                char ch = src.charAt(pos++);
                if (ch == '\\' && pos < src.length()) {
                    ch = src.charAt(pos++);
                }
                if (ch == '\n') {
                    throw error("unterminated string");
                }
                b.append(ch);
            }
            if (pos >= src.length()) {
                throw error("unterminated string");
            }
            pos++;
            return b.toString();
        }
        int start = pos;
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || "_-+.".indexOf(src.charAt(pos)) >= 0)) {
            pos++;
        }
        if (start == pos) {
            throw error("expected a value, found '" + c + "'");
        }
        return src.substring(start, pos);
    }

    private void skipSpace() {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (Character.isWhitespace(c)) {
                if (c == '\n') {
                    line++;
                }
                pos++;
            } else {
                return;
            }
        }
    }

    private ModelFormatException error(String problem) {
        return new ModelFormatException(file + ":" + line + ": " + problem);
    }
}
