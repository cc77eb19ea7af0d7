package org.dyve.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.dyve.bench.Stats;
import org.junit.jupiter.api.Test;

/** The stream summary's bounded latency record gives the exact nearest-rank percentiles within 0.5%. */
class LatencyHistogramTest {

    @Test
    void percentilesAreWithinHalfAPercentOfTheExactOnes() {
        Random r = new Random(5);
        double[] v = new double[100_000];
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.exp(r.nextGaussian() * 2) * 3; // log-normal around 3 ms, spanning 0.01 ms .. 3 s
            h.add(v[i]);
        }
        assertEquals(v.length, h.count());
        for (double p : new double[] {0.1, 1, 50, 95, 99, 99.9, 100}) {
            double exact = Stats.percentile(v, p);
            assertEquals(exact, h.percentile(p), 0.005 * exact, "p" + p);
        }
    }

    @Test
    void extremesLandInTheEndBucketsAndNothingRecordedIsNaN() {
        LatencyHistogram h = new LatencyHistogram();
        assertTrue(Double.isNaN(h.percentile(50)));
        h.add(0);
        h.add(1e9);
        assertEquals(1e-3, h.percentile(50), 1e-5);
        assertTrue(h.percentile(100) > 3.6e6, "top bucket " + h.percentile(100));
        double[] one = {42};
        LatencyHistogram single = new LatencyHistogram();
        single.add(42);
        assertEquals(Stats.percentile(one, 99), single.percentile(99), 0.21);
    }
}
