package org.dyve.format.caffe;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.dyve.DyveException;
import org.dyve.ModelFormatException;
import org.dyve.model.Tensor;

/** Reads Caffe HDF5 weights: group {@code data/<layer>} with datasets {@code 0}, {@code 1}, ... */
final class CaffeHdf5 {
    private CaffeHdf5() {
    }

    static Map<String, List<Tensor>> read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file + ": file not found");
        }
        Map<String, List<Tensor>> out = new LinkedHashMap<>();
        try (HdfFile hdf = new HdfFile(file)) {
            Node data = hdf.getChild("data");
            if (!(data instanceof Group g)) {
                throw new ModelFormatException(file + ": not a Caffe HDF5 model (no group 'data')");
            }
            for (Map.Entry<String, Node> layer : g.getChildren().entrySet()) {
                if (!(layer.getValue() instanceof Group lg)) {
                    continue;
                }
                TreeMap<Integer, Tensor> blobs = new TreeMap<>();
                for (Map.Entry<String, Node> e : lg.getChildren().entrySet()) {
                    if (e.getValue() instanceof Dataset ds && e.getKey().matches("\\d+")) {
                        blobs.put(Integer.parseInt(e.getKey()), toTensor(ds));
                    }
                }
                if (!blobs.isEmpty()) {
                    out.put(layer.getKey(), new ArrayList<>(blobs.values()));
                }
            }
        } catch (ModelFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ModelFormatException(file + ": not a valid HDF5 file (" + DyveException.reason(e) + ")", e);
        }
        return out;
    }

    private static Tensor toTensor(Dataset ds) {
        int[] dims = ds.getDimensions();
        Object flat = ds.getDataFlat();
        float[] data;
        if (flat instanceof float[] f) {
            data = f;
        } else if (flat instanceof double[] d) {
            data = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                data[i] = (float) d[i];
            }
        } else {
            throw new ModelFormatException(ds.getPath() + ": expected float data, found " + ds.getJavaType());
        }
        return new Tensor(dims.length == 0 ? new int[] {data.length} : dims, data);
    }
}
