package org.dyve.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.stream.javadsl.Sink;
import org.dyve.Shared;
import org.dyve.data.Image;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.model.Network;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** How frames come out of the sources: FFmpeg's crop and scale, the controller's thumbnail. */
class FrameSourcesTest {
    static final ActorTestKit KIT = ActorTestKit.create("frame-sources-test", ConfigFactory.load());

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    static final StreamSettings SETTINGS = StreamSettings.from(ConfigFactory.load());

    /** The first {@code n} frames of {@code spec} (all for 0), decoded as {@code decoding} says. */
    static List<Frame> frames(String spec, FrameSources.Decoding decoding, int n) {
        var blocking = KIT.system().dispatchers().lookup(DispatcherSelector.blocking());
        var src = FrameSources.open(SourceSpec.parse(spec), blocking, decoding, SETTINGS, new SourceHealth());
        return (n > 0 ? src.take(n) : src).runWith(Sink.seq(), KIT.system()).toCompletableFuture().join();
    }

    @Test
    void decodingCropsTheRegionThePreprocessingKeepsBeforeScaling() {
        // SqueezeNet's preprocessing: short side to 256, centre 227 x 227; on a 768 x 432 frame that keeps the
        // centre 383 x 383 of the source (227 * 432 / 256 = 383.06)
        FrameSources.Decoding squeeze = new FrameSources.Decoding(227, 227, 256, 1);
        assertEquals("crop=383:383,scale=227:227:flags=area,format=rgb24", squeeze.filter(768, 432));
        assertEquals("crop=227:227,scale=227:227:flags=area,format=rgb24", squeeze.filter(256, 300));
        // a frame smaller than the crop is cropped in proportion and scaled up
        assertEquals("crop=114:114,scale=227:227:flags=area,format=rgb24", squeeze.filter(200, 128));
        // no resize: scaled straight to the input, as the preprocessing does
        assertEquals("scale=32:32:flags=area,format=rgb24", new FrameSources.Decoding(32, 32, 0, 1).filter(640, 480));
        assertNull(FrameSources.Decoding.NATIVE.filter(640, 480));
    }

    @Test
    void ffmpegCroppedFramesMatchTheJavaPreprocessingOfFullFrames() {
        Path video = Shared.require("videos/car-detection.mp4");
        ModelDescriptor d = ModelCatalog.resolve("squeezenet_v1.0_deep_compression", Shared.models());
        Network net = d.load();
        Preprocessing pre = d.preprocessing(net);
        List<Frame> full = frames("video:" + video, FrameSources.Decoding.NATIVE, 3);
        List<Frame> cropped = frames("video:" + video, FrameSources.Decoding.of(pre, 1), 3);
        for (int i = 0; i < 3; i++) {
            Image c = cropped.get(i).image();
            assertEquals(List.of(3, 227, 227), List.of(c.channels(), c.height(), c.width()));
            assertEquals(List.of(432, 768), List.of(full.get(i).image().height(), full.get(i).image().width()));
            float[] java = pre.apply(full.get(i).image());
            float[] ffmpeg = pre.forInputSizedImages().apply(c);
            double diff = 0;
            for (int k = 0; k < java.length; k++) {
                diff += Math.abs(java[k] - ffmpeg[k]);
            }
            // two resamplers on the same region differ by about half a grey level on average (measured 0.5); the
            // chroma planes mishandled (JavaCV's raw mode) measured 13, and the wrong region or scale far more
            assertTrue(diff / java.length < 1.5, "frame " + i + ": mean difference " + diff / java.length);
        }
    }

    @Test
    void thumbnailIsTheBoxAverageOfTheGreyImage() {
        int h = 40;
        int w = 50;
        float[] d = new float[3 * h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = (i * 37 + i / 7) % 256;
        }
        float[] t = EffortPolicy.thumbnail(new Image(3, h, w, d));
        float[] expected = new float[256];
        for (int ty = 0; ty < 16; ty++) {
            for (int tx = 0; tx < 16; tx++) {
                int y0 = ty * h / 16;
                int y1 = Math.max(y0 + 1, (ty + 1) * h / 16);
                int x0 = tx * w / 16;
                int x1 = Math.max(x0 + 1, (tx + 1) * w / 16);
                double s = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        for (int c = 0; c < 3; c++) {
                            s += d[c * h * w + y * w + x];
                        }
                    }
                }
                expected[ty * 16 + tx] = (float) (s / 3 / ((y1 - y0) * (x1 - x0)));
            }
        }
        assertArrayEquals(expected, t, 1e-3f);
    }

    @Test
    void aFastSyntheticSourcePassesOnAFewMillisecondsOfFramesInsteadOfCallingThemLost() {
        // a source thread woken 3 ms late at 3,000 frames/s finds about 9 frames due, which must reach the live
        // buffer (where the controller sees the backlog) rather than count as lost at the source
        org.junit.jupiter.api.Assertions.assertTrue(FrameSources.burst(3000) >= 2 * 3000 * 0.003,
                "burst " + FrameSources.burst(3000));
        org.junit.jupiter.api.Assertions.assertEquals(8, FrameSources.burst(25), "slow sources keep a burst of 8");
    }
}
