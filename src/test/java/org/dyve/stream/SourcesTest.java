package org.dyve.stream;

import org.dyve.metrics.Outcome;
import org.dyve.metrics.DropReason;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.dyve.DataException;
import org.dyve.Shared;
import org.dyve.data.Images;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.model.Network;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sources as people run them: cameras and FFmpeg test graphs, live sources that fail and come back, damaged files and
 * images, per-source parameters, appending sinks. Real FFmpeg, real Pekko streams, the embedded model.
 */
class SourcesTest {
    static final ActorTestKit KIT = ActorTestKit.create("sources-test", ConfigFactory.load());
    static final StreamSettings SETTINGS = StreamSettings.from(ConfigFactory.load());

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    private ModelDescriptor embedded() {
        return ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, dir);
    }

    private static StreamPipeline.Results build(ModelDescriptor d, Network net, String spec, long limit) {
        return StreamPipeline.build(KIT.system(), d, net, spec, SETTINGS, List.of(EffortProfile.EXACT), limit);
    }

    private static List<FrameResult> run(StreamPipeline.Results r) {
        return r.source().runWith(Sink.seq(), KIT.system()).toCompletableFuture().join();
    }

    @Test
    void specsKeepTheirParametersAndTellFilesFromLiveSources() {
        SourceSpec file = SourceSpec.parse("video:a.mp4?loop=3&realtime=1");
        assertEquals("a.mp4", file.target());
        assertEquals(3, file.loops());
        assertTrue(file.realtime() && file.live(), "a file read in real time is live: it never waits");
        assertFalse(SourceSpec.parse("video:a.mp4").live());
        assertEquals(0, SourceSpec.parse("video:a.mp4?loop=inf").loops());
        SourceSpec cam = SourceSpec.parse("camera:/dev/video2?size=640x480&fps=15");
        assertEquals(List.of("/dev/video2", 640, 480, 15.0),
                List.of(cam.target(), cam.width(), cam.height(), cam.fps()));
        assertEquals("/dev/video0", SourceSpec.parse("camera:").target());
        // an HTTP file is read at its own pace; RTSP, HLS and live=1 are live; the URL keeps its own query
        SourceSpec http = SourceSpec.parse("http://127.0.0.1:8000/clip.mp4?token=abc&loop=2");
        assertFalse(http.live());
        assertEquals("http://127.0.0.1:8000/clip.mp4?token=abc", http.target());
        assertEquals(2, http.loops());
        assertTrue(SourceSpec.parse("rtsp://127.0.0.1:8554/cam").live());
        assertTrue(SourceSpec.parse("https://cdn.example/live/index.m3u8").live());
        assertTrue(SourceSpec.parse("http://127.0.0.1:8090/live.ts?live=1").live());
        assertTrue(SourceSpec.parse("lavfi:testsrc=size=64x48:rate=10").live());
        for (String[] bad : new String[][] {
            {"video:a.mp4?loop=-1", "video:a.mp4?loop=-1: loop '-1' is not a positive whole number"},
            {"video:a.mp4?colour=red", "unknown source parameter 'colour'"},
            {"camera:/dev/video0?size=big", "size 'big' is not WIDTHxHEIGHT"},
            {"camera:/dev/video0?fps=-3", "fps '-3' is not a frame rate"},
            {"camera:/dev/video0?loop=2", "loop applies to files"},
            {"images:x?realtime=1", "realtime applies to files and lavfi: graphs"},
            {"rtsp://h/x?loop=2", "loop applies to files, not to a live stream"},
            {"tape:/dev/st0", "tape:/dev/st0: invalid source"}}) {
            SourceException e = assertThrows(SourceException.class, () -> SourceSpec.parse(bad[0]));
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
    }

    @Test
    void aCameraThatIsNotThereFailsWithOneLineNamingTheDevice() {
        ModelDescriptor d = embedded();
        Network net = d.load();
        String device = dir.resolve("video9").toString();
        CompletionException e = assertThrows(CompletionException.class, () -> run(build(d, net, "camera:" + device,
                0)));
        String m = e.getCause().getMessage();
        // the device is reached (FFmpeg's input devices are registered), then found missing
        assertTrue(m.startsWith(device + ": cannot open ("), m);
        assertFalse(m.contains("input format"), m);
        assertTrue(m.contains("No such file or directory"), m);
        assertEquals(1, m.lines().count(), m);
    }

    @Test
    void aLavfiGraphStreamsThroughTheDeviceInputsAndEveryFrameIsAccounted() {
        ModelDescriptor d = embedded();
        Network net = d.load();
        StreamPipeline.Results r = build(d, net, "lavfi:testsrc=size=64x48:rate=25:duration=1", 0);
        List<FrameResult> out = run(r);
        StreamSummary s = r.summary();
        assertEquals(25, s.framesIn());
        assertEquals(25, out.size());
        assertEquals(s.framesIn(), s.count(Outcome.COMPUTED) + s.count(Outcome.DROPPED)
                + s.count(Outcome.REUSED) + s.count(Outcome.EARLY_EXIT));
        assertEquals(StreamSummary.END_OF_INPUT, s.endReason());
        assertNull(s.damage());
    }

    @Test
    void aLiveSourceThatFailsReconnectsAndReportsTheGapAsDrops() {
        // a live camera-like source whose stream ends after 10 frames (the device unplugged), then fails to open
        // three times before it comes back: real FFmpeg on a lavfi graph, a known number of failures
        SourceSpec src = SourceSpec.parse("camera:/dev/video-test");
        AtomicInteger opens = new AtomicInteger();
        FfmpegSource.Opener flaky = () -> {
            int n = opens.getAndIncrement();
            if (n >= 1 && n <= 3) {
                throw new SourceException("/dev/video-test: cannot open (unplugged)");
            }
            return FfmpegSource.open(SourceSpec.parse("lavfi:testsrc=size=32x24:rate=50:duration=0.2"),
                    FrameSources.Decoding.NATIVE, org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET);
        };
        var policy = new StreamSettings.Reconnect(5, Duration.ofMillis(40), Duration.ofMillis(200));
        SourceHealth health = new SourceHealth();
        List<Frame> frames = FfmpegSource.of(src, flaky, policy, health).take(15).runWith(Sink.seq(), KIT.system())
                .toCompletableFuture().join();
        // opened, ended, three failed attempts, opened again (and maybe again, reading ahead of the take)
        assertTrue(opens.get() >= 5, "opens " + opens.get());
        assertTrue(health.reconnects() >= 1);
        // 10 frames, the frames that fell due during the 40 + 80 + 160 ms gap at 50 frames/s as one marker, more frames
        for (int i = 0; i < 10; i++) {
            assertEquals(i, frames.get(i).seq());
        }
        Frame gap = frames.get(10);
        assertEquals(DropReason.SOURCE_RECONNECT, gap.dropReason());
        assertTrue(gap.droppedCount() >= 12, "at least 280 ms at 50 frames/s: " + gap.droppedCount());
        Frame after = frames.get(11);
        assertEquals(10 + gap.droppedCount(), after.seq(), "the frames after the gap keep counting");
        assertTrue(after.image() != null);
    }

    @Test
    void aLiveSourceGivesUpAfterItsAttemptsWithOneLine() {
        AtomicInteger opens = new AtomicInteger();
        FfmpegSource.Opener once = () -> {
            if (opens.getAndIncrement() > 0) {
                throw new SourceException("/dev/video-test: cannot open (unplugged)");
            }
            return FfmpegSource.open(SourceSpec.parse("lavfi:testsrc=size=32x24:rate=50:duration=0.1"),
                    FrameSources.Decoding.NATIVE, org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET);
        };
        var policy = new StreamSettings.Reconnect(2, Duration.ofMillis(10), Duration.ofMillis(20));
        CompletionException e = assertThrows(CompletionException.class, () -> FfmpegSource.of(
                SourceSpec.parse("camera:/dev/video-test"), once, policy, new SourceHealth())
                .runWith(Sink.seq(), KIT.system()).toCompletableFuture().join());
        assertEquals("/dev/video-test: lost (the stream ended); 2 reconnect attempts failed (last: /dev/video-test:"
                + " cannot open (unplugged))", e.getCause().getMessage());
        assertEquals(3, opens.get());
    }

    @Test
    void aTruncatedVideoIsReportedDamaged() throws IOException {
        Path video = Shared.require("videos/car-detection.mp4");
        Path cut = dir.resolve("cut.mp4");
        byte[] all = Files.readAllBytes(video);
        Files.write(cut, java.util.Arrays.copyOf(all, 100_000));
        ModelDescriptor d = embedded();
        Network net = d.load();
        StreamPipeline.Results r = build(d, net, "video:" + cut, 0);
        run(r);
        StreamSummary s = r.summary();
        assertTrue(s.framesIn() > 0 && s.framesIn() < 377, "frames " + s.framesIn());
        assertEquals(StreamSummary.INPUT_DAMAGED, s.endReason());
        assertTrue(s.damage().startsWith(cut + ": ended at ") && s.damage().contains("of 30.2"), s.damage());
        assertEquals(StreamSummary.INPUT_DAMAGED, s.toMap().get("end"));
        // the whole file is not damaged
        StreamPipeline.Results whole = build(d, net, "video:" + video, 0);
        run(whole);
        assertEquals(377, whole.summary().framesIn());
        assertEquals(StreamSummary.END_OF_INPUT, whole.summary().endReason());
    }

    @Test
    void aLoopedFilePlaysNTimesWithRisingTimestampsAndRealtimeKeepsItsPace() {
        Path video = Shared.require("videos/car-detection.mp4");
        ModelDescriptor d = embedded();
        Network net = d.load();
        List<FrameResult> out = run(build(d, net, "video:" + video + "?loop=2", 0));
        assertEquals(2 * 377, out.size());
        for (int i = 1; i < out.size(); i++) {
            assertTrue(out.get(i).ptsMs() > out.get(i - 1).ptsMs(), "pts at " + i);
        }
        // 25 frames at 12.5 frames/s are 24 frame periods, 1.92 s, apart
        long t0 = System.nanoTime();
        List<FrameResult> paced = run(build(d, net, "video:" + video + "?realtime=1", 25));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(25, paced.size());
        assertTrue(seconds >= 1.9, "read in real time: " + seconds + " s");
    }

    @Test
    void aTruncatedImageIsAnErrorAndImageFramesCarryTheirFileName() throws IOException {
        BufferedImage bi = new BufferedImage(256, 256, BufferedImage.TYPE_INT_RGB);
        java.util.Random rnd = new java.util.Random(7);
        for (int y = 0; y < 256; y++) {
            for (int x = 0; x < 256; x++) {
                bi.setRGB(x, y, rnd.nextInt(1 << 24));
            }
        }
        Path folder = Files.createDirectories(dir.resolve("images"));
        Path good = folder.resolve("a-good.jpg");
        ImageIO.write(bi, "jpg", good.toFile());
        byte[] jpeg = Files.readAllBytes(good);
        Path cut = folder.resolve("b-cut.jpg");
        // cut inside the compressed data: ImageIO would decode it, grey where the data is missing, with only a warning
        Files.write(cut, java.util.Arrays.copyOf(jpeg, jpeg.length * 2 / 3));
        DataException e = assertThrows(DataException.class, () -> Images.read(cut));
        assertTrue(e.getMessage().startsWith(cut + ": damaged image ("), e.getMessage());
        ModelDescriptor d = embedded();
        Network net = d.load();
        StreamPipeline.Results r = build(d, net, "images:" + folder, 0);
        List<FrameResult> out = run(r);
        assertEquals(List.of("a-good.jpg", "b-cut.jpg"), out.stream().map(FrameResult::name).toList());
        assertEquals(Outcome.COMPUTED, out.get(0).status());
        assertEquals(Outcome.ERROR, out.get(1).status());
        assertEquals(StreamSummary.INPUT_DAMAGED, r.summary().endReason());
        assertTrue(out.get(0).wallMs() > 1_700_000_000_000L, "wall-clock time of the result");
    }

    @Test
    void theSummaryNamesModelSourceRungsAndWhyItEnded() {
        ModelDescriptor d = embedded();
        Network net = d.load();
        StreamPipeline.Results r = build(d, net, "synthetic:28x28@200:400", 30);
        run(r);
        var m = r.summary().toMap();
        assertEquals("fashion_cnn", m.get("model"));
        assertEquals("synthetic:28x28@200:400", m.get("source"));
        assertEquals(StreamSummary.LIMIT, m.get("end"));
        assertEquals(30L, m.get("frames_in"));
        @SuppressWarnings("unchecked")
        var rungs = (java.util.Map<String, Long>) m.get("frames_per_rung");
        assertEquals(r.summary().count(Outcome.COMPUTED), rungs.getOrDefault("exact", 0L));
        assertTrue((Double) m.get("duration_s") > 0);
    }

    @Test
    void aJsonLinesFileIsAppendedToAndRotatedBySize() throws IOException {
        Path f = dir.resolve("results.jsonl");
        try (JsonLinesSink s = JsonLinesSink.open("jsonl:" + f)) {
            s.println("{\"run\":1}");
        }
        try (JsonLinesSink s = JsonLinesSink.open("jsonl:" + f)) {
            s.println("{\"run\":2}");
        }
        assertEquals(List.of("{\"run\":1}", "{\"run\":2}"), Files.readAllLines(f), "a restart keeps what was written");
        try (JsonLinesSink s = JsonLinesSink.open("jsonl:" + f + "?max-size=1KB&keep=2")) {
            for (int i = 0; i < 100; i++) {
                s.println("{\"line\":" + i + ",\"pad\":\"" + "x".repeat(80) + "\"}");
            }
        }
        assertTrue(Files.size(f) < 1024 + 120, "rotated at the size: " + Files.size(f));
        assertTrue(Files.exists(dir.resolve("results.jsonl.1")) && Files.exists(dir.resolve("results.jsonl.2")));
        assertFalse(Files.exists(dir.resolve("results.jsonl.3")), "keep=2 keeps two old files");
        try (JsonLinesSink s = JsonLinesSink.open("jsonl:" + f + "?truncate=1")) {
            s.println("{}");
        }
        assertEquals(List.of("{}"), Files.readAllLines(f));
        DataException e = assertThrows(DataException.class, () -> JsonLinesSink.open("jsonl:" + f + "?max-size=lots"));
        assertTrue(e.getMessage().contains("max-size 'lots' is not a size"), e.getMessage());
    }

    @Test
    void aVideoOverHttpIsReadAtItsOwnPaceAndLosesNothing() throws Exception {
        Path video = Shared.require("videos/car-detection.mp4");
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/car.mp4", x -> {
            x.sendResponseHeaders(200, Files.size(video));
            try (var out = x.getResponseBody()) {
                Files.copy(video, out);
            }
        });
        server.start();
        try {
            ModelDescriptor d = embedded();
            Network net = d.load();
            StreamPipeline.Results r = build(d, net, "http://127.0.0.1:" + server.getAddress().getPort()
                    + "/car.mp4", 0);
            // a consumer slower than the decoder: a file waits for it, a live source would drop (once treated as
            // live: 82 of the 377 frames dropped behind SqueezeNet)
            r.source().throttle(400, Duration.ofSeconds(1)).runWith(Sink.ignore(), KIT.system()).toCompletableFuture()
                    .get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(377, r.summary().framesIn());
            assertEquals(377, r.summary().count(Outcome.COMPUTED));
            assertEquals(StreamSummary.END_OF_INPUT, r.summary().endReason());
        } finally {
            server.stop(0);
        }
    }

    /** An FFmpeg process serving {@code seconds} of a live test pattern over HTTP at {@code port}, or null. */
    private static Process liveServer(int port, int seconds) throws IOException {
        return new ProcessBuilder("ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
                "testsrc=size=64x48:rate=25", "-t", Integer.toString(seconds), "-c:v", "mpeg2video", "-f", "mpegts",
                "-listen", "1", "http://127.0.0.1:" + port + "/live.ts").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Whether a socket listens on loopback {@code port} within {@code wait} (Linux: /proc/net/tcp). */
    private static boolean listening(int port, Duration wait) throws Exception {
        String local = String.format(":%04X ", port);
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            for (String f : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
                Path p = Path.of(f);
                if (Files.exists(p) && Files.readAllLines(p).stream().map(l -> l.trim().split("\\s+"))
                        .anyMatch(c -> c.length > 3 && (c[1] + " ").endsWith(local) && c[3].equals("0A"))) {
                    return true;
                }
            }
            Thread.sleep(20);
        }
        return false;
    }

    @Test
    void aLiveHttpStreamWhoseServerRestartsIsReconnected() throws Exception {
        boolean ffmpeg = java.util.stream.Stream.of(System.getenv("PATH").split(java.io.File.pathSeparator))
                .anyMatch(p -> Files.isExecutable(Path.of(p, "ffmpeg")));
        org.junit.jupiter.api.Assumptions.assumeTrue(ffmpeg, "the ffmpeg command (Debian's ffmpeg) is not installed");
        int port;
        try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        // the first server sends 2 s and ends (as a camera server that restarts), the second one comes up after
        Process first = liveServer(port, 2);
        Thread restart = new Thread(() -> {
            try {
                first.waitFor();
                Thread.sleep(300);
                liveServer(port, 3).waitFor();
            } catch (InterruptedException | IOException e) {
                Thread.currentThread().interrupt();
            }
        });
        restart.setDaemon(true);
        restart.start();
        // a probe connection would take the server's one client: wait for its socket to listen instead
        assertTrue(listening(port, Duration.ofSeconds(20)), "ffmpeg listens on " + port);
        var policy = new StreamSettings.Reconnect(30, Duration.ofMillis(100), Duration.ofMillis(200));
        SourceHealth health = new SourceHealth();
        SourceSpec src = SourceSpec.parse("http://127.0.0.1:" + port + "/live.ts?live=1");
        List<Frame> frames = FfmpegSource.of(src, FrameSources.Decoding.NATIVE, policy, "quiet", health)
                .takeWhile(f -> f.seq() < 70, true).runWith(Sink.seq(), KIT.system()).toCompletableFuture().join();
        assertTrue(health.reconnects() >= 1, "reconnected");
        Frame gap = frames.stream().filter(Frame::isDropped).findFirst().orElseThrow();
        assertEquals(DropReason.SOURCE_RECONNECT, gap.dropReason());
        assertTrue(frames.stream().anyMatch(f -> f.seq() > gap.seq() && f.image() != null), "frames after the gap");
        for (int i = 1; i < frames.size(); i++) {
            Frame a = frames.get(i - 1);
            assertEquals(a.seq() + Math.max(1, a.droppedCount()), frames.get(i).seq(), "every frame numbered once");
        }
        first.destroy();
    }
}
