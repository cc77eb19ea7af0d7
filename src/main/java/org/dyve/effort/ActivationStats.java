package org.dyve.effort;

import java.util.ArrayList;
import java.util.List;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.engine.Engine;
import org.dyve.model.Convolution;
import org.dyve.model.Layer;
import org.dyve.model.Network;
import org.dyve.model.Shape;

/**
 * Per convolution layer, how much of its work a perfect dynamic-effort predictor could skip on real inputs:
 * outputs that are <= 0 before ReLU (SPET's target), 2x2 output blocks that are all zero after ReLU (SDSS's),
 * output maps that are entirely zero, and input maps that are constant (SFMA's). Measured with the dense
 * engine, one sample at a time.
 */
public final class ActivationStats {

    /** Statistics of one convolution layer; fractions in 0..1. */
    public record LayerStats(String layer, int kernel, int cin, int cout, Shape out, double macShare,
            double nonPositive, double zeroBlocks2x2, double zeroMaps, double constantInputMaps) {
    }

    private ActivationStats() {
    }

    /** Measures the first {@code count} samples of {@code data}. */
    public static List<LayerStats> measure(Network net, Preprocessing pre, Dataset data, int count) {
        List<Integer> convs = new ArrayList<>();
        long convMacs = 0;
        for (int i = 0; i < net.layers().size(); i++) {
            if (net.layers().get(i) instanceof Convolution) {
                convs.add(i);
                convMacs += net.macs(i);
            }
        }
        int m = convs.size();
        double[] nonPos = new double[m];
        double[] zeroBlocks = new double[m];
        double[] zeroMaps = new double[m];
        double[] constIn = new double[m];
        Engine e = Engine.unfused(net, 1);
        int n = Math.min(count, data.size());
        for (int s = 0; s < n; s++) {
            e.setInput(net.input().name(), 0, pre.apply(data.get(s).image()));
            e.run(1, (layer, eng) -> {
                int k = convs.indexOf(layer);
                if (k < 0) {
                    return;
                }
                Layer l = net.layers().get(layer);
                float[] in = eng.output(l.inputs().get(0), 0);
                float[] out = eng.output(l.output(), 0);
                Shape is = net.shape(l.inputs().get(0));
                Shape os = net.shape(l.output());
                nonPos[k] += fraction(out, os, Stat.NON_POSITIVE);
                zeroBlocks[k] += fraction(out, os, Stat.ZERO_BLOCKS);
                zeroMaps[k] += fraction(out, os, Stat.ZERO_MAPS);
                constIn[k] += fraction(in, is, Stat.CONSTANT_MAPS);
            });
        }
        List<LayerStats> out = new ArrayList<>();
        for (int k = 0; k < m; k++) {
            Convolution c = (Convolution) net.layers().get(convs.get(k));
            out.add(new LayerStats(c.name(), c.window().kh(), net.shape(c.input()).c(), c.numOutput(),
                    net.shape(c.output()), (double) net.macs(convs.get(k)) / convMacs, nonPos[k] / n,
                    zeroBlocks[k] / n, zeroMaps[k] / n, constIn[k] / n));
        }
        return out;
    }

    private enum Stat { NON_POSITIVE, ZERO_BLOCKS, ZERO_MAPS, CONSTANT_MAPS }

    private static double fraction(float[] v, Shape s, Stat stat) {
        int plane = s.plane();
        switch (stat) {
            case NON_POSITIVE -> {
                int c = 0;
                for (float x : v) {
                    if (x <= 0) {
                        c++;
                    }
                }
                return (double) c / v.length;
            }
            case ZERO_BLOCKS -> {
                int blocks = 0;
                int zero = 0;
                for (int ch = 0; ch < s.c(); ch++) {
                    for (int y = 0; y + 1 < s.h(); y += 2) {
                        for (int x = 0; x + 1 < s.w(); x += 2) {
                            int p = ch * plane + y * s.w() + x;
                            blocks++;
                            if (v[p] <= 0 && v[p + 1] <= 0 && v[p + s.w()] <= 0 && v[p + s.w() + 1] <= 0) {
                                zero++;
                            }
                        }
                    }
                }
                return blocks == 0 ? 0 : (double) zero / blocks;
            }
            case ZERO_MAPS -> {
                int zero = 0;
                for (int ch = 0; ch < s.c(); ch++) {
                    boolean all = true;
                    for (int p = ch * plane; p < (ch + 1) * plane && all; p++) {
                        all = v[p] <= 0;
                    }
                    if (all) {
                        zero++;
                    }
                }
                return (double) zero / s.c();
            }
            case CONSTANT_MAPS -> {
                int constant = 0;
                for (int ch = 0; ch < s.c(); ch++) {
                    boolean same = true;
                    float first = v[ch * plane];
                    for (int p = ch * plane + 1; p < (ch + 1) * plane && same; p++) {
                        same = v[p] == first;
                    }
                    if (same) {
                        constant++;
                    }
                }
                return (double) constant / s.c();
            }
            default -> throw new IllegalStateException("unreachable");
        }
    }
}
