package org.dyve.load;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.dyve.DyveException;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** {@code dyve load --plot}: latency percentiles against the throughput achieved, one point per step (XChart). */
public final class LoadPlot {
    private LoadPlot() {
    }

    /** Writes the plot of {@code steps} to {@code png}; {@code title} names the run. */
    public static void write(List<LoadTest.Step> steps, String title, Path png) {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("answers per second")
                .yAxisTitle("latency from the intended send time (ms)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendVisible(true);
        double[] x = steps.stream().mapToDouble(LoadTest.Step::throughput).toArray();
        add(chart, "p50", x, steps.stream().mapToDouble(LoadTest.Step::p50).toArray());
        add(chart, "p90", x, steps.stream().mapToDouble(LoadTest.Step::p90).toArray());
        add(chart, "p99", x, steps.stream().mapToDouble(LoadTest.Step::p99).toArray());
        add(chart, "max", x, steps.stream().mapToDouble(LoadTest.Step::max).toArray());
        String file = png.toString();
        try {
            BitmapEncoder.saveBitmap(chart, file.endsWith(".png") ? file.substring(0, file.length() - 4) : file,
                    BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new DyveException(png + ": cannot write the plot (" + DyveException.reason(e) + ")");
        }
    }

    private static void add(XYChart chart, String name, double[] x, double[] y) {
        double[] positive = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            positive[i] = Math.max(0.001, y[i]); // a logarithmic axis has no 0
        }
        chart.addSeries(name, x, positive).setMarker(SeriesMarkers.CIRCLE);
    }
}
