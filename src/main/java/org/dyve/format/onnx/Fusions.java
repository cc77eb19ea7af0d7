package org.dyve.format.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dyve.model.Elementwise;
import org.dyve.model.Layer;
import org.dyve.model.Lrn;
import org.dyve.model.Pad;
import org.dyve.model.Pooling;

/**
 * Patterns that exporters write out as several operators and that the IR has as one layer, recognised after import
 * so that every engine path runs the one layer: today Caffe's within-channel LRN, which ONNX has no operator for,
 * written {@code x / (1 + alpha * AveragePool(Pad(x * x)))^beta} ({@code Mul, [Pad,] AveragePool, Mul, Add, Pow,
 * Div}; DyVE's own exporter writes it so too).
 */
final class Fusions {
    private Fusions() {
    }

    /** {@code layers} with every recognised pattern replaced by its layer (intermediate tensors read only there). */
    static List<Layer> fuse(List<Layer> layers, List<String> outputs) {
        Map<String, Integer> readers = new HashMap<>();
        for (Layer l : layers) {
            for (String t : l.inputs()) {
                readers.merge(t, 1, Integer::sum);
            }
        }
        outputs.forEach(t -> readers.merge(t, 1, Integer::sum));
        Map<String, Layer> writer = new HashMap<>();
        for (Layer l : layers) {
            writer.put(l.output(), l);
        }
        List<Layer> out = new ArrayList<>(layers);
        for (Layer l : layers) {
            if (l instanceof Elementwise div && div.op() == Elementwise.Op.DIV && div.constant() == null) {
                List<Layer> matched = new ArrayList<>();
                Lrn lrn = withinChannelLrn(div, writer, readers, matched);
                if (lrn != null) {
                    // the pattern's layers go, the LRN takes the division's place
                    out.removeAll(matched);
                    out.set(out.indexOf(div), lrn);
                }
            }
        }
        return out;
    }

    /**
     * The within-channel LRN that the division {@code div} ends, or null; {@code matched} receives the pattern's
     * layers before the division.
     */
    private static Lrn withinChannelLrn(Elementwise div, Map<String, Layer> writer, Map<String, Integer> readers,
            List<Layer> matched) {
        String x = div.inputs().get(0);
        Layer pow = single(div.inputs().get(1), writer, readers);
        if (!(pow instanceof Elementwise p && scalar(p, Elementwise.Op.POW))) {
            return null;
        }
        Layer add = single(p.inputs().get(0), writer, readers);
        if (!(add instanceof Elementwise a && scalar(a, Elementwise.Op.ADD) && a.constant().data()[0] == 1f)) {
            return null;
        }
        Layer mul = single(a.inputs().get(0), writer, readers);
        if (!(mul instanceof Elementwise m && scalar(m, Elementwise.Op.MUL))) {
            return null;
        }
        Layer avg = single(m.inputs().get(0), writer, readers);
        if (!(avg instanceof Pooling pool && pool.mode() == Pooling.Mode.AVE && !pool.global()
                && pool.window().kh() == pool.window().kw() && pool.window().strideH() == 1
                && pool.window().strideW() == 1 && pool.window().kh() % 2 == 1)) {
            return null;
        }
        int size = pool.window().kh();
        int half = (size - 1) / 2;
        Layer before = single(pool.input(), writer, readers);
        Pad padding = null;
        if (before instanceof Pad pad) {
            // the padding outside the pooling: zeros, half the window on each side of rows and columns
            if (pad.value() != 0f || pool.window().padH() != 0 || pool.window().padW() != 0
                    || !java.util.Arrays.equals(pad.before(), new int[] {0, half, half})
                    || !java.util.Arrays.equals(pad.after(), new int[] {0, half, half})) {
                return null;
            }
            padding = pad;
            before = single(pad.input(), writer, readers);
        } else if (pool.window().padH() != half || pool.window().padW() != half || pool.excludePad()) {
            return null;
        }
        if (!(before instanceof Elementwise sq && sq.op() == Elementwise.Op.MUL && sq.constant() == null
                && sq.inputs().get(0).equals(x) && sq.inputs().get(1).equals(x))) {
            return null;
        }
        matched.addAll(padding == null ? List.of(p, a, m, pool, sq) : List.of(p, a, m, pool, padding, sq));
        return new Lrn(div.name(), x, div.output(), Lrn.Region.WITHIN_CHANNEL, size, m.constant().data()[0],
                p.constant().data()[0], 1f);
    }

    /** The layer writing {@code t} when {@code t} has that one reader, else null. */
    private static Layer single(String t, Map<String, Layer> writer, Map<String, Integer> readers) {
        return readers.getOrDefault(t, 0) == 1 ? writer.get(t) : null;
    }

    private static boolean scalar(Elementwise e, Elementwise.Op op) {
        return e.op() == op && e.constant() != null && e.constant().size() == 1 && !e.constantFirst();
    }
}
