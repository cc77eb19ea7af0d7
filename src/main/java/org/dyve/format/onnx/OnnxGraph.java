package org.dyve.format.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.DyveException;
import org.dyve.ModelFormatException;
import org.dyve.format.ModelFiles;

/** The parts of an ONNX model the importer needs, decoded from the protobuf wire format. */
final class OnnxGraph {
    /** A constant tensor; integer tensors keep their values in {@code longs}. */
    record Const(String name, long[] dims, float[] floats, long[] longs) {
        int size() {
            return floats != null ? floats.length : longs.length;
        }
    }

    /** An attribute value: one of the fields is set. */
    record Attr(String name, Float f, Long i, String s, Const t, float[] floats, long[] ints) {
    }

    record Node(String name, String opType, List<String> inputs, List<String> outputs, Map<String, Attr> attrs) {
        long i(String key, long dflt) {
            Attr a = attrs.get(key);
            return a == null || a.i() == null ? dflt : a.i();
        }

        float f(String key, float dflt) {
            Attr a = attrs.get(key);
            return a == null || a.f() == null ? dflt : a.f();
        }

        String s(String key, String dflt) {
            Attr a = attrs.get(key);
            return a == null || a.s() == null ? dflt : a.s();
        }

        long[] ints(String key) {
            Attr a = attrs.get(key);
            return a == null ? null : a.ints();
        }

        String describe() {
            return (name.isEmpty() ? outputs.isEmpty() ? "?" : outputs.get(0) : name) + " (" + opType + ")";
        }
    }

    /** A graph input or output: name, element type (TensorProto.DataType, 0 if absent) and dims (-1 symbolic). */
    record ValueInfo(String name, int elemType, long[] dims) {
    }

    final List<Node> nodes = new ArrayList<>();
    final Map<String, Const> initializers = new LinkedHashMap<>();
    final List<ValueInfo> inputs = new ArrayList<>();
    final List<ValueInfo> outputs = new ArrayList<>();
    String name = "";
    long opset = 1;
    private final Path file;

    private OnnxGraph(Path file) {
        this.file = file;
    }

    static OnnxGraph read(Path file) {
        byte[] bytes = ModelFiles.readAll(file);
        OnnxGraph g = new OnnxGraph(file);
        boolean sawGraph = false;
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 7 -> {
                        sawGraph = true;
                        int limit = in.pushLimit(in.readRawVarint32());
                        g.readGraph(in);
                        in.popLimit(limit);
                    }
                    case 8 -> {
                        int limit = in.pushLimit(in.readRawVarint32());
                        String domain = "";
                        long version = 0;
                        while (!in.isAtEnd()) {
                            int t = in.readTag();
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case 1 -> domain = in.readStringRequireUtf8();
                                case 2 -> version = in.readInt64();
                                default -> in.skipField(t);
                            }
                        }
                        in.popLimit(limit);
                        if (domain.isEmpty() || domain.equals("ai.onnx")) {
                            g.opset = version;
                        }
                    }
                    default -> in.skipField(tag);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelFormatException m) {
                throw m;
            }
            throw new ModelFormatException(file + ": not a valid ONNX model (" + DyveException.reason(e) + ")", e);
        }
        if (!sawGraph || g.nodes.isEmpty()) {
            throw new ModelFormatException(file + ": not an ONNX model (no graph with nodes)");
        }
        return g;
    }

    private void readGraph(CodedInputStream in) throws IOException {
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                in.skipField(tag);
                continue;
            }
            switch (field) {
                case 1 -> nodes.add(readNode(message(in)));
                case 2 -> name = in.readStringRequireUtf8();
                case 5 -> {
                    Const c = readTensor(message(in));
                    initializers.put(c.name(), c);
                }
                case 11 -> inputs.add(readValueInfo(message(in)));
                case 12 -> outputs.add(readValueInfo(message(in)));
                default -> in.skipField(tag);
            }
        }
    }

    /** Reads one value of a repeated scalar field, or all of them when the field is packed. */
    private interface ValueReader {
        void read() throws IOException;
    }

    private static void repeated(CodedInputStream in, int wire, ValueReader value) throws IOException {
        if (wire != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            value.read();
            return;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        while (!in.isAtEnd()) {
            value.read();
        }
        in.popLimit(limit);
    }

    private static CodedInputStream message(CodedInputStream in) throws IOException {
        return CodedInputStream.newInstance(in.readByteArray());
    }

    private Node readNode(CodedInputStream in) throws IOException {
        List<String> ins = new ArrayList<>();
        List<String> outs = new ArrayList<>();
        String nm = "";
        String op = "";
        Map<String, Attr> attrs = new LinkedHashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> ins.add(in.readStringRequireUtf8());
                case 2 -> outs.add(in.readStringRequireUtf8());
                case 3 -> nm = in.readStringRequireUtf8();
                case 4 -> op = in.readStringRequireUtf8();
                case 5 -> {
                    Attr a = readAttr(message(in));
                    attrs.put(a.name(), a);
                }
                default -> in.skipField(tag);
            }
        }
        return new Node(nm, op, ins, outs, attrs);
    }

    private Attr readAttr(CodedInputStream in) throws IOException {
        String nm = "";
        Float f = null;
        Long i = null;
        String s = null;
        Const t = null;
        List<Float> floats = new ArrayList<>();
        List<Long> ints = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int wire = WireFormat.getTagWireType(tag);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nm = in.readStringRequireUtf8();
                case 2 -> f = in.readFloat();
                case 3 -> i = in.readInt64();
                case 4 -> s = in.readBytes().toStringUtf8();
                case 5 -> t = readTensor(message(in));
                case 7 -> repeated(in, wire, () -> floats.add(in.readFloat()));
                case 8 -> repeated(in, wire, () -> ints.add(in.readInt64()));
                default -> in.skipField(tag);
            }
        }
        float[] fa = null;
        if (!floats.isEmpty()) {
            fa = new float[floats.size()];
            for (int k = 0; k < fa.length; k++) {
                fa[k] = floats.get(k);
            }
        }
        long[] ia = ints.isEmpty() ? null : ints.stream().mapToLong(Long::longValue).toArray();
        return new Attr(nm, f, i, s, t, fa, ia);
    }

    private ValueInfo readValueInfo(CodedInputStream in) throws IOException {
        String nm = "";
        int elemType = 0;
        List<Long> dims = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> nm = in.readStringRequireUtf8();
                case 2 -> {
                    // TypeProto.tensor_type(1).shape(2).dim(1).dim_value(1) | dim_param(2)
                    CodedInputStream type = message(in);
                    while (!type.isAtEnd()) {
                        int t = type.readTag();
                        if (WireFormat.getTagFieldNumber(t) != 1) {
                            type.skipField(t);
                            continue;
                        }
                        CodedInputStream tensor = message(type);
                        while (!tensor.isAtEnd()) {
                            int t2 = tensor.readTag();
                            if (WireFormat.getTagFieldNumber(t2) == 1) {
                                elemType = tensor.readInt32();
                                continue;
                            }
                            if (WireFormat.getTagFieldNumber(t2) != 2) {
                                tensor.skipField(t2);
                                continue;
                            }
                            CodedInputStream shape = message(tensor);
                            while (!shape.isAtEnd()) {
                                int t3 = shape.readTag();
                                if (WireFormat.getTagFieldNumber(t3) != 1) {
                                    shape.skipField(t3);
                                    continue;
                                }
                                CodedInputStream dim = message(shape);
                                long v = -1;
                                while (!dim.isAtEnd()) {
                                    int t4 = dim.readTag();
                                    if (WireFormat.getTagFieldNumber(t4) == 1) {
                                        v = dim.readInt64();
                                    } else {
                                        dim.skipField(t4);
                                    }
                                }
                                dims.add(v);
                            }
                        }
                    }
                }
                default -> in.skipField(tag);
            }
        }
        return new ValueInfo(nm, elemType, dims.stream().mapToLong(Long::longValue).toArray());
    }

    /** Reads a serialized TensorProto file (as in the ONNX backend tests' {@code input_0.pb}). */
    static Const readTensorFile(Path file) {
        try {
            return new OnnxGraph(file).readTensor(CodedInputStream.newInstance(ModelFiles.readAll(file)));
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelFormatException m) {
                throw m;
            }
            throw new ModelFormatException(file + ": not a valid ONNX tensor (" + DyveException.reason(e) + ")", e);
        }
    }

    // TensorProto.DataType
    static final int FLOAT = 1;
    private static final int INT32 = 6;
    private static final int INT64 = 7;
    private static final int DOUBLE = 11;

    Const readTensor(CodedInputStream in) throws IOException {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String nm = "";
        byte[] raw = null;
        List<Float> floats = new ArrayList<>();
        List<Long> longs = new ArrayList<>();
        List<Double> doubles = new ArrayList<>();
        Map<String, String> external = new LinkedHashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int wire = WireFormat.getTagWireType(tag);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> repeated(in, wire, () -> dims.add(in.readInt64()));
                case 2 -> type = in.readInt32();
                case 4 -> repeated(in, wire, () -> floats.add(in.readFloat()));
                case 5, 7 -> repeated(in, wire, () -> longs.add(in.readInt64()));
                case 8 -> nm = in.readStringRequireUtf8();
                case 9 -> raw = in.readByteArray();
                case 10 -> repeated(in, wire, () -> doubles.add(in.readDouble()));
                case 13 -> {
                    CodedInputStream kv = message(in);
                    String k = null;
                    String v = null;
                    while (!kv.isAtEnd()) {
                        int t = kv.readTag();
                        switch (WireFormat.getTagFieldNumber(t)) {
                            case 1 -> k = kv.readStringRequireUtf8();
                            case 2 -> v = kv.readStringRequireUtf8();
                            default -> kv.skipField(t);
                        }
                    }
                    if (k != null) {
                        external.put(k, v);
                    }
                }
                default -> in.skipField(tag);
            }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long x : d) {
            n *= x;
        }
        if (!external.isEmpty()) {
            raw = readExternal(nm, external, n, type);
        }
        if (type == FLOAT || type == DOUBLE) {
            float[] f = new float[(int) n];
            if (raw != null) {
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                int width = type == FLOAT ? 4 : 8;
                if (raw.length != n * width) {
                    throw new IOException("tensor " + nm + " holds " + raw.length + " bytes, expected " + n * width);
                }
                for (int k = 0; k < n; k++) {
                    f[k] = type == FLOAT ? b.getFloat() : (float) b.getDouble();
                }
            } else {
                List<? extends Number> src = type == FLOAT ? floats : doubles;
                if (src.size() != n) {
                    throw new IOException("tensor " + nm + " holds " + src.size() + " values, expected " + n);
                }
                for (int k = 0; k < n; k++) {
                    f[k] = src.get(k).floatValue();
                }
            }
            return new Const(nm, d, f, null);
        }
        if (type == INT64 || type == INT32) {
            long[] l = new long[(int) n];
            if (raw != null) {
                ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
                for (int k = 0; k < n; k++) {
                    l[k] = type == INT64 ? b.getLong() : b.getInt();
                }
            } else {
                if (longs.size() != n) {
                    throw new IOException("tensor " + nm + " holds " + longs.size() + " values, expected " + n);
                }
                for (int k = 0; k < n; k++) {
                    l[k] = longs.get(k);
                }
            }
            return new Const(nm, d, null, l);
        }
        throw new ModelFormatException(file + ": tensor " + nm + " has unsupported data type " + type
                + " (expected float, double, int32 or int64)");
    }

    private byte[] readExternal(String tensor, Map<String, String> kv, long n, int type) throws IOException {
        String location = kv.get("location");
        if (location == null) {
            throw new ModelFormatException(file + ": tensor " + tensor + " has external data without a location");
        }
        Path p = (file.getParent() == null ? Path.of(".") : file.getParent()).resolve(location);
        if (!Files.isRegularFile(p)) {
            throw new ModelFormatException(p + ": external data of tensor " + tensor + " not found");
        }
        long offset = kv.containsKey("offset") ? Long.parseLong(kv.get("offset")) : 0;
        int width = type == DOUBLE || type == INT64 ? 8 : 4;
        long length = kv.containsKey("length") ? Long.parseLong(kv.get("length")) : n * width;
        try (var ch = Files.newByteChannel(p)) {
            if (offset + length > ch.size()) {
                throw new ModelFormatException(p + ": truncated external data for tensor " + tensor + " (expected "
                        + (offset + length) + " bytes, found " + ch.size() + ")");
            }
            ByteBuffer b = ByteBuffer.allocate((int) length);
            ch.position(offset);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // keep reading
            }
            return b.array();
        }
    }
}
