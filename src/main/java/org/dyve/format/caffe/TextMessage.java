package org.dyve.format.caffe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A message parsed from protobuf text format: repeated fields keep their order; values are either
 * {@code String} scalars (quotes removed, enums as bare identifiers) or nested {@code TextMessage}s.
 */
final class TextMessage {
    private final Map<String, List<Object>> fields = new LinkedHashMap<>();

    void add(String field, Object value) {
        fields.computeIfAbsent(field, k -> new ArrayList<>()).add(value);
    }

    boolean has(String field) {
        return fields.containsKey(field);
    }

    List<String> strings(String field) {
        List<String> out = new ArrayList<>();
        for (Object o : fields.getOrDefault(field, List.of())) {
            if (o instanceof String s) {
                out.add(s);
            }
        }
        return out;
    }

    List<TextMessage> messages(String field) {
        List<TextMessage> out = new ArrayList<>();
        for (Object o : fields.getOrDefault(field, List.of())) {
            if (o instanceof TextMessage m) {
                out.add(m);
            }
        }
        return out;
    }

    /** The single nested message {@code field}, or an empty message. */
    TextMessage message(String field) {
        List<TextMessage> m = messages(field);
        return m.isEmpty() ? new TextMessage() : m.get(m.size() - 1);
    }

    String string(String field, String dflt) {
        List<String> s = strings(field);
        return s.isEmpty() ? dflt : s.get(s.size() - 1);
    }

    List<Integer> ints(String field) {
        List<Integer> out = new ArrayList<>();
        for (String s : strings(field)) {
            out.add(Integer.parseInt(s));
        }
        return out;
    }

    int integer(String field, int dflt) {
        String s = string(field, null);
        return s == null ? dflt : Integer.parseInt(s);
    }

    float number(String field, float dflt) {
        String s = string(field, null);
        return s == null ? dflt : Float.parseFloat(s);
    }

    boolean bool(String field, boolean dflt) {
        String s = string(field, null);
        return s == null ? dflt : s.equals("true") || s.equals("1") || s.equals("True");
    }
}
