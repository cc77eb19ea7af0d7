package org.dyve.format.caffe;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.dyve.model.Tensor;

/** Writes weights as a binary {@code .caffemodel} (NetParameter with {@code layer} entries and shaped blobs). */
public final class CaffeModelWriter {
    private CaffeModelWriter() {
    }

    /**
     * Writes {@code blobs} (layer name to weights, bias) in map order.
     *
     * @throws IOException when the file cannot be written
     */
    public static void write(Path file, String netName, Map<String, List<Tensor>> blobs) throws IOException {
        try (OutputStream os = Files.newOutputStream(file)) {
            CodedOutputStream out = CodedOutputStream.newInstance(os);
            out.writeString(1, netName);
            for (Map.Entry<String, List<Tensor>> e : blobs.entrySet()) {
                out.writeByteArray(100, layer(e.getKey(), e.getValue()));
            }
            out.flush();
        }
    }

    private static byte[] layer(String name, List<Tensor> blobs) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeString(1, name);
        for (Tensor t : blobs) {
            out.writeByteArray(7, blob(t));
        }
        out.flush();
        return bytes.toByteArray();
    }

    private static byte[] blob(Tensor t) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeTag(5, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(4 * t.size());
        for (float f : t.data()) {
            out.writeFloatNoTag(f);
        }
        ByteArrayOutputStream shape = new ByteArrayOutputStream();
        CodedOutputStream s = CodedOutputStream.newInstance(shape);
        int[] dims = t.shape();
        int len = 0;
        for (int d : dims) {
            len += CodedOutputStream.computeInt64SizeNoTag(d);
        }
        s.writeTag(1, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
        s.writeUInt32NoTag(len);
        for (int d : dims) {
            s.writeInt64NoTag(d);
        }
        s.flush();
        out.writeByteArray(7, shape.toByteArray());
        out.flush();
        return bytes.toByteArray();
    }
}
