package org.dyve.format.caffe;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dyve.DyveException;
import org.dyve.ModelFormatException;
import org.dyve.format.ModelFiles;
import org.dyve.model.Tensor;

/**
 * Reads Caffe's binary protobuf files without generated classes: {@code .caffemodel} (NetParameter with
 * {@code layer} = 100 or V1 {@code layers} = 2) and {@code .binaryproto} (a single BlobProto).
 */
final class CaffeBinary {
    // NetParameter
    private static final int NET_LAYERS_V1 = 2;
    private static final int NET_LAYER = 100;
    // LayerParameter / V1LayerParameter
    private static final int LAYER_NAME = 1;
    private static final int LAYER_BLOBS = 7;
    private static final int V1_NAME = 4;
    private static final int V1_BLOBS = 6;
    // BlobProto
    private static final int BLOB_NUM = 1;
    private static final int BLOB_CHANNELS = 2;
    private static final int BLOB_HEIGHT = 3;
    private static final int BLOB_WIDTH = 4;
    private static final int BLOB_DATA = 5;
    private static final int BLOB_SHAPE = 7;
    private static final int BLOB_DOUBLE_DATA = 8;
    private static final int SHAPE_DIM = 1;

    private CaffeBinary() {
    }

    /** Layer name to its blobs, in file order. */
    static Map<String, List<Tensor>> readCaffemodel(Path file) {
        byte[] bytes = ModelFiles.readAll(file);
        Map<String, List<Tensor>> out = new LinkedHashMap<>();
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setSizeLimit(Integer.MAX_VALUE);
            in.setRecursionLimit(100);
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                int field = WireFormat.getTagFieldNumber(tag);
                if ((field == NET_LAYER || field == NET_LAYERS_V1)
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int limit = in.pushLimit(in.readRawVarint32());
                    readLayer(in, field == NET_LAYER ? LAYER_NAME : V1_NAME,
                            field == NET_LAYER ? LAYER_BLOBS : V1_BLOBS, out);
                    in.popLimit(limit);
                } else if (!in.skipField(tag)) {
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file + ": not a valid Caffe binary model (" + DyveException.reason(e) + ")",
                    e);
        }
        if (out.isEmpty()) {
            throw new ModelFormatException(file + ": not a Caffe binary model (no layers with weights found)");
        }
        return out;
    }

    /** A single BlobProto file such as {@code mean.binaryproto}. */
    static Tensor readBlobProto(Path file) {
        byte[] bytes = ModelFiles.readAll(file);
        try {
            Tensor t = readBlob(CodedInputStream.newInstance(bytes));
            if (t.size() == 0) {
                throw new ModelFormatException(file + ": not a Caffe BlobProto (no data)");
            }
            return t;
        } catch (IOException | RuntimeException e) {
            if (e instanceof ModelFormatException m) {
                throw m;
            }
            throw new ModelFormatException(file + ": not a valid Caffe BlobProto (" + DyveException.reason(e) + ")", e);
        }
    }

    private static void readLayer(CodedInputStream in, int nameField, int blobsField, Map<String, List<Tensor>> out)
            throws IOException {
        String name = null;
        List<Tensor> blobs = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == nameField && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                name = in.readStringRequireUtf8();
            } else if (field == blobsField
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int limit = in.pushLimit(in.readRawVarint32());
                blobs.add(readBlob(in));
                in.popLimit(limit);
            } else if (!in.skipField(tag)) {
                break;
            }
        }
        if (name != null && !blobs.isEmpty()) {
            out.put(name, blobs);
        }
    }

    private static Tensor readBlob(CodedInputStream in) throws IOException {
        List<Long> dims = new ArrayList<>();
        int[] legacy = {-1, -1, -1, -1};
        float[] data = new float[0];
        int n = 0;
        double[] ddata = null;
        int dn = 0;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int field = WireFormat.getTagFieldNumber(tag);
            int wire = WireFormat.getTagWireType(tag);
            switch (field) {
                case BLOB_NUM, BLOB_CHANNELS, BLOB_HEIGHT, BLOB_WIDTH -> {
                    if (wire != WireFormat.WIRETYPE_VARINT) {
                        throw new IOException("bad wire type for blob dimension");
                    }
                    legacy[field - 1] = in.readInt32();
                }
                case BLOB_SHAPE -> {
                    int limit = in.pushLimit(in.readRawVarint32());
                    while (!in.isAtEnd()) {
                        int t = in.readTag();
                        if (WireFormat.getTagFieldNumber(t) == SHAPE_DIM) {
                            if (WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                                int l2 = in.pushLimit(in.readRawVarint32());
                                while (!in.isAtEnd()) {
                                    dims.add(in.readInt64());
                                }
                                in.popLimit(l2);
                            } else {
                                dims.add(in.readInt64());
                            }
                        } else {
                            in.skipField(t);
                        }
                    }
                    in.popLimit(limit);
                }
                case BLOB_DATA -> {
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int len = in.readRawVarint32();
                        if (len % 4 != 0) {
                            throw new IOException("packed float data of " + len + " bytes");
                        }
                        data = grow(data, n + len / 4);
                        int limit = in.pushLimit(len);
                        while (!in.isAtEnd()) {
                            data[n++] = in.readFloat();
                        }
                        in.popLimit(limit);
                    } else {
                        data = grow(data, n + 1);
                        data[n++] = in.readFloat();
                    }
                }
                case BLOB_DOUBLE_DATA -> {
                    if (ddata == null) {
                        ddata = new double[16];
                    }
                    if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int len = in.readRawVarint32();
                        int limit = in.pushLimit(len);
                        while (!in.isAtEnd()) {
                            if (dn == ddata.length) {
                                ddata = java.util.Arrays.copyOf(ddata, dn * 2);
                            }
                            ddata[dn++] = in.readDouble();
                        }
                        in.popLimit(limit);
                    } else {
                        if (dn == ddata.length) {
                            ddata = java.util.Arrays.copyOf(ddata, dn * 2);
                        }
                        ddata[dn++] = in.readDouble();
                    }
                }
                default -> in.skipField(tag);
            }
        }
        if (n == 0 && dn > 0) {
            data = new float[dn];
            for (int i = 0; i < dn; i++) {
                data[i] = (float) ddata[i];
            }
            n = dn;
        }
        data = n == data.length ? data : java.util.Arrays.copyOf(data, n);
        int[] shape;
        if (!dims.isEmpty()) {
            shape = new int[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = Math.toIntExact(dims.get(i));
            }
        } else if (legacy[0] >= 0 || legacy[1] >= 0 || legacy[2] >= 0 || legacy[3] >= 0) {
            shape = new int[4];
            for (int i = 0; i < 4; i++) {
                shape[i] = Math.max(legacy[i], 1);
            }
        } else {
            shape = new int[] {n};
        }
        long expected = 1;
        for (int d : shape) {
            expected *= d;
        }
        if (expected != n) {
            throw new IOException("blob of shape " + java.util.Arrays.toString(shape) + " holds " + n
                    + " values (truncated?)");
        }
        return new Tensor(shape, data);
    }

    private static float[] grow(float[] a, int need) {
        return need <= a.length ? a : java.util.Arrays.copyOf(a, Math.max(need, a.length * 2));
    }

}
