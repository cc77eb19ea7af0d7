package org.dyve.stream;

import org.dyve.metrics.Outcome;
import org.dyve.metrics.DropReason;
import org.dyve.metrics.StageCounters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.testkit.TestPublisher;
import org.apache.pekko.stream.testkit.TestSubscriber;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.testkit.javadsl.TestSink;
import org.apache.pekko.stream.testkit.javadsl.TestSource;
import org.dyve.Shared;
import org.dyve.data.Image;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.engine.EarlyExit;
import org.dyve.engine.ExitProbe;
import org.dyve.model.Shape;
import org.dyve.model.Network;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming pipeline with Pekko's TestKit and stream probes: no sleeps, deterministic outcomes. */
class StreamTest {
    static final ActorTestKit KIT = ActorTestKit.create("stream-test", ConfigFactory.load());
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    private static org.apache.pekko.actor.ActorSystem classic() {
        return Adapter.toClassic(KIT.system());
    }

    private static Frame frame(long seq) {
        return Frame.of(seq, "test", seq, new Image(1, 1, 1, new float[] {seq}), -1);
    }

    private static StreamSettings settings() {
        return StreamSettings.from(ConfigFactory.load());
    }

    @Test
    void liveBufferDropsTheOldestAndReportsEveryDrop() {
        Pair<TestPublisher.Probe<Frame>, TestSubscriber.Probe<Frame>> p = TestSource.<Frame>probe(classic())
                .via(new LiveBuffer(3, Overflow.DROP_OLDEST)).toMat(TestSink.probe(classic()), Keep.both())
                .run(KIT.system());
        for (int i = 0; i < 10; i++) {
            p.first().sendNext(frame(i));
        }
        p.second().request(10);
        Frame marker = p.second().expectNext();
        assertTrue(marker.isDropped());
        assertEquals(0, marker.seq());
        assertEquals(7, marker.droppedCount(), "frames 0..6 dropped, one marker");
        assertEquals(DropReason.OVERFLOW_DROP_OLDEST, marker.dropReason());
        for (int i = 7; i < 10; i++) {
            assertEquals(i, p.second().expectNext().seq());
        }
        p.first().sendComplete();
        p.second().expectComplete();
    }

    @Test
    void liveBufferReportsItsBacklogAsItFillsBeforeItDrops() {
        // nothing is pulled (a first frame stalled downstream): the backlog of 2 is reported while frames are
        // only waiting, before the buffer of 4 drops anything; the controller can move before the first drop
        TestProbe<Long> pressure = KIT.createTestProbe(Long.class);
        Pair<TestPublisher.Probe<Frame>, TestSubscriber.Probe<Frame>> p = TestSource.<Frame>probe(classic())
                .via(new LiveBuffer(4, Overflow.DROP_OLDEST, 2, (f, backlog) -> pressure.getRef()
                        .tell(f.seq() * 10 + backlog)))
                .toMat(TestSink.probe(classic()), Keep.both()).run(KIT.system());
        p.first().sendNext(frame(0));
        p.first().sendNext(frame(1));
        assertEquals(12L, pressure.receiveMessage(), "backlog 2 reported when frame 1 arrives to wait");
        for (int i = 2; i < 6; i++) {
            p.first().sendNext(frame(i));
        }
        p.second().request(5);
        Frame marker = p.second().expectNext();
        assertEquals(2, marker.droppedCount(), "frames 0 and 1 dropped, after the report");
        for (int i = 2; i < 6; i++) {
            assertEquals(i, p.second().expectNext().seq());
        }
        // drained, the backlog rises to 2 again: reported again
        p.first().sendNext(frame(6));
        p.first().sendNext(frame(7));
        assertEquals(72L, pressure.receiveMessage());
        p.first().sendComplete();
    }

    @Test
    void liveBufferWithBackpressureHoldsItsProducerWhenFullAndLosesNothing() {
        java.util.concurrent.atomic.AtomicInteger produced = new java.util.concurrent.atomic.AtomicInteger();
        TestSubscriber.Probe<Frame> sink = org.apache.pekko.stream.javadsl.Source.range(0, 49)
                .map(i -> frame(produced.getAndIncrement()))
                .via(new LiveBuffer(2, Overflow.BACKPRESSURE)).runWith(TestSink.probe(classic()), KIT.system());
        // a frame that goes straight through asks upstream for the next one once (asking twice failed the stage)
        sink.request(1);
        assertEquals(0, sink.expectNext().seq());
        sink.expectNoMessage(Duration.ofMillis(200));
        assertTrue(produced.get() <= 3, "with nothing asked downstream, one frame out and two waiting hold the"
                + " producer; produced " + produced.get());
        sink.request(49);
        for (int i = 1; i < 50; i++) {
            Frame f = sink.expectNext();
            assertEquals(i, f.seq());
            assertTrue(!f.isDropped());
        }
        sink.expectComplete();
    }

    @Test
    void liveBufferCanDropTheNewestInstead() {
        Pair<TestPublisher.Probe<Frame>, TestSubscriber.Probe<Frame>> p = TestSource.<Frame>probe(classic())
                .via(new LiveBuffer(3, Overflow.DROP_NEWEST)).toMat(TestSink.probe(classic()), Keep.both())
                .run(KIT.system());
        for (int i = 0; i < 10; i++) {
            p.first().sendNext(frame(i));
        }
        p.second().request(10);
        for (int i = 0; i < 3; i++) {
            assertEquals(i, p.second().expectNext().seq());
        }
        Frame marker = p.second().expectNext();
        assertEquals(3, marker.seq());
        assertEquals(7, marker.droppedCount());
        assertEquals(DropReason.OVERFLOW_DROP_NEWEST, marker.dropReason());
    }

    /** Writes {@code n} 28x28 PNGs (one of them corrupt) and labels.txt. */
    private Path imageFolder(int n, int corrupt) throws IOException {
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String name = String.format("img%02d.png", i);
            if (i == corrupt) {
                Files.write(dir.resolve(name), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
            } else {
                BufferedImage bi = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 28; y++) {
                    for (int x = 0; x < 28; x++) {
                        int v = (x * 9 + y * i * 3) % 256;
                        bi.setRGB(x, y, v << 16 | v << 8 | v);
                    }
                }
                ImageIO.write(bi, "png", dir.resolve(name).toFile());
            }
            labels.append(name).append(' ').append(i % 10).append('\n');
        }
        Files.writeString(dir.resolve("labels.txt"), labels);
        return dir;
    }

    @Test
    void aSlowSinkPacesAFileSourceNothingIsLostOrderIsKeptAndACorruptFrameIsAnErrorLine() throws IOException {
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, dir);
        Network net = d.load();
        Path images = imageFolder(12, 5);
        StreamPipeline.Results r = StreamPipeline.build(KIT.system(), d, net, "images:" + images, settings(),
                List.of(EffortProfile.EXACT), 0);
        TestSubscriber.Probe<FrameResult> sink = r.source().toMat(TestSink.probe(classic()), Keep.right())
                .run(KIT.system());
        for (int i = 0; i < 12; i++) {
            sink.request(1);
            FrameResult res = sink.expectNext(WAIT);
            assertEquals(i, res.seq(), "results in frame order");
            if (i == 5) {
                assertEquals(Outcome.ERROR, res.status());
                assertTrue(res.reason().contains("img05.png: unreadable image"), res.reason());
            } else {
                assertEquals(Outcome.COMPUTED, res.status());
                assertEquals(i % 10, res.truth());
                assertNotNull(res.label());
                assertEquals(net.totalMacs(), res.macs());
            }
        }
        sink.request(1);
        sink.expectComplete();
        assertEquals(12, r.summary().framesIn());
        assertEquals(11, r.summary().count(Outcome.COMPUTED));
        assertEquals(1, r.summary().count(Outcome.ERROR));
        assertEquals(0, r.summary().count(Outcome.DROPPED));
    }

    @Test
    void theStageCountComesFromTheSplitPointsThenStagesThenTheCores() {
        StreamSettings split = StreamSettings.from(ConfigFactory.parseString(
                "dyve.stream { stages = 5, split = [a, b], replicas = 0 }").withFallback(ConfigFactory.load()));
        assertEquals(3, split.stageCount(8));
        assertEquals(1, split.actorsPerStage());
        StreamSettings three = StreamSettings.from(ConfigFactory.parseString(
                "dyve.stream.stages = 3").withFallback(ConfigFactory.load()));
        assertEquals(3, three.stageCount(8));
        assertEquals(8, settings().stageCount(8), "stages = 0: one per core");
        assertEquals(2, settings().actorsPerStage(), "two actors per stage by default");
    }

    /**
     * Two stages of two replicas each: frames go to the replicas in turn, two at a time per stage, and still leave in
     * order with the answers one actor per stage gives.
     */
    @Test
    void replicatedStagesKeepTheOrderAndTheAnswers() throws IOException {
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, dir);
        Network net = d.load();
        Path images = imageFolder(16, -1);
        StreamSettings replicated = StreamSettings.from(ConfigFactory.parseString(
                "dyve.stream { stages = 2, replicas = 2 }").withFallback(ConfigFactory.load()));
        assertEquals(2, replicated.replicas());
        StreamSettings single = StreamSettings.from(ConfigFactory.parseString(
                "dyve.stream { stages = 2, replicas = 1 }").withFallback(ConfigFactory.load()));
        List<FrameResult> one = StreamPipeline.build(KIT.system(), d, net, "images:" + images, single,
                List.of(EffortProfile.EXACT), 0).source().runWith(Sink.seq(), KIT.system()).toCompletableFuture()
                .join();
        StreamPipeline.Results r = StreamPipeline.build(KIT.system(), d, net, "images:" + images, replicated,
                List.of(EffortProfile.EXACT), 0);
        List<FrameResult> two = r.source().runWith(Sink.seq(), KIT.system()).toCompletableFuture().join();
        assertEquals(16, two.size());
        assertEquals(2, r.summary().stages().size());
        for (int i = 0; i < 16; i++) {
            assertEquals(i, two.get(i).seq(), "results in frame order");
            assertEquals(Outcome.COMPUTED, two.get(i).status());
            assertEquals(one.get(i).top1(), two.get(i).top1(), "frame " + i);
            assertEquals(one.get(i).prob(), two.get(i).prob(), 0f, "frame " + i);
        }
        assertEquals(16, r.summary().stages().get(1).frames());
    }

    @Test
    void framesThatExitEarlyLeaveAtTheirStageWithTheProbesAnswer() throws IOException {
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, dir);
        Network net = d.load();
        Shape s = net.shape("norm1");
        int classes = net.shape(net.output()).size();
        float[] bias = new float[classes];
        bias[3] = 8f;
        ExitProbe probe = new ExitProbe("norm1", s, 1, new float[classes * s.c()], bias);
        EffortProfile rung = new EffortProfile("exit", 1, Map.of(), List.of(new EarlyExit(probe, 0.99)), 1, 0, 100);
        Path images = imageFolder(6, -1);
        StreamPipeline.Results r = StreamPipeline.build(KIT.system(), d, net, "images:" + images, settings(),
                List.of(rung), 0);
        TestSubscriber.Probe<FrameResult> sink = r.source().toMat(TestSink.probe(classic()), Keep.right())
                .run(KIT.system());
        long conv1 = net.macs(net.indexOf("conv1"));
        for (int i = 0; i < 6; i++) {
            sink.request(1);
            FrameResult res = sink.expectNext(WAIT);
            assertEquals(i, res.seq());
            assertEquals(Outcome.EARLY_EXIT, res.status());
            assertEquals("exit@norm1", res.reason());
            assertEquals(3, res.top1());
            assertEquals(conv1 + probe.macs(), res.macs(), "conv1 and the probe, nothing after");
        }
        sink.request(1);
        sink.expectComplete();
        assertEquals(6, r.summary().count(Outcome.EARLY_EXIT));
        assertEquals(0, r.summary().count(Outcome.COMPUTED));
    }

    @Test
    void shutdownDrainsFramesInFlightAndEveryFrameHasAResult() {
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, dir);
        Network net = d.load();
        StreamPipeline.Results r = StreamPipeline.build(KIT.system(), d, net, "synthetic:28x28@500", settings(),
                List.of(EffortProfile.EXACT), 0);
        Pair<UniqueKillSwitch, TestSubscriber.Probe<FrameResult>> m = r.source()
                .toMat(TestSink.probe(classic()), Keep.both()).run(KIT.system());
        TestSubscriber.Probe<FrameResult> sink = m.second();
        sink.request(Long.MAX_VALUE);
        List<FrameResult> got = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            got.add(sink.expectNext(WAIT));
        }
        m.first().shutdown();
        while (true) {
            var e = sink.expectNextOrComplete();
            if (e.isLeft()) {
                break;
            }
            got.add(e.right().get());
        }
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i, got.get(i).seq(), "no frame lost between the source and the results");
        }
        assertEquals(got.size(), r.summary().framesIn());
    }

    @Test
    void controllerReusesSimilarFramesAndMovesAlongTheLadder() {
        EffortPolicy policy = new EffortPolicy(List.of("exact", "fast", "fastest"), 5.0, 2, 10.0, false, 2, 0);
        ActorRef<EffortController.Command> c = KIT.spawn(EffortController.create(policy));
        float[] a = new float[256];
        float[] a1 = new float[256];
        float[] b = new float[256];
        java.util.Arrays.fill(a, 100f);
        java.util.Arrays.fill(a1, 101f);
        java.util.Arrays.fill(b, 150f);
        assertEquals(false, decide(c, 0, a, 0).reuse(), "the first frame is computed");
        assertEquals(true, decide(c, 1, a1, 0).reuse(), "difference 1 < 5: reuse");
        assertEquals(true, decide(c, 2, a, 0).reuse());
        assertEquals(false, decide(c, 3, a, 0).reuse(), "at most 2 reuses in a row");
        EffortController.Decided d4 = decide(c, 4, b, 0);
        assertEquals(false, d4.reuse(), "difference 50: compute");
        assertEquals("exact", d4.effort());
        // service time 20 ms over a 10 ms budget for a whole window: one step cheaper
        EffortController.Decided d6 = windowThenDecide(c, 4, "exact", 20, 30, a);
        assertEquals("fast", d6.effort());
        assertEquals("service 20.00 ms > 10.00 ms: exact -> fast", d6.reason(), "the frame after a move says why");
        // drops in a window push further even when the time is within budget
        c.tell(new EffortController.Dropped(3));
        EffortController.Decided d8 = windowThenDecide(c, 6, "fast", 5, 8, b);
        assertEquals("fastest", d8.effort());
        assertEquals("3 dropped: fast -> fastest", d8.reason());
        // comfortably within budget, no drops: one step back towards exact
        EffortController.Decided d10 = windowThenDecide(c, 8, "fastest", 1, 2, a);
        assertEquals("fast", d10.effort());
        assertEquals("service 1.00 ms < 0.7 x 10.00 ms: fastest -> fast", d10.reason());
    }

    /** The controller's decision on frame {@code seq} (its answer completes the future the message carries). */
    private static EffortController.Decided decide(ActorRef<EffortController.Command> c, long seq, float[] thumb,
            int backlog) {
        CompletableFuture<EffortController.Decided> answer = new CompletableFuture<>();
        c.tell(new EffortController.Decide(seq, thumb, backlog, answer));
        return answer.orTimeout(10, TimeUnit.SECONDS).join();
    }

    /**
     * Completes frames {@code seq} and {@code seq + 1} (a window of two) at {@code rung} with the given service
     * time and latency, then asks for the decision on frame {@code seq + 2} (thumbnail {@code thumb}).
     */
    private static EffortController.Decided windowThenDecide(ActorRef<EffortController.Command> c, long seq,
            String rung, double serviceMs, double latencyMs, float[] thumb) {
        c.tell(new EffortController.Completed(seq, rung, serviceMs, latencyMs));
        c.tell(new EffortController.Completed(seq + 1, rung, serviceMs, latencyMs));
        return decide(c, seq + 2, thumb, 0);
    }

    @Test
    void controllerLowersEffortOnALiveBacklogBeforeAnythingIsDropped() {
        // no target, window 4, a backlog of 2 waiting frames is pressure
        EffortPolicy policy = new EffortPolicy(List.of("exact", "fast", "fastest"), 0, 0, 0, false, 4, 2);
        ActorRef<EffortController.Command> c = KIT.spawn(EffortController.create(policy));
        float[] t = new float[256];
        int[] backlogs = {0, 1, 2, 3, 3, 3};
        String[] efforts = {"exact", "exact", "fast", "fast", "fast", "fastest"};
        for (int i = 0; i < backlogs.length; i++) {
            EffortController.Decided d = decide(c, i, t, backlogs[i]);
            assertEquals(efforts[i], d.effort(), "frame " + i + " with backlog " + backlogs[i]);
            assertEquals(i == 2 ? "backlog 2: exact -> fast" : i == 5 ? "backlog 3: fast -> fastest" : "", d.reason(),
                    "frame " + i + ": a move says why; one move per half window");
        }
        // a window with backlog, then two quiet ones (nothing waiting, nothing dropped): one rung back
        long seq = backlogs.length;
        for (int w = 0; w < 3; w++) {
            for (int i = 0; i < 4; i++, seq++) {
                decide(c, seq, t, 0);
                c.tell(new EffortController.Completed(seq, "fastest", 5, 5));
            }
            assertEquals(w < 2 ? "fastest" : "fast", decide(c, seq, t, 0).effort(), "after window " + w);
            seq++;
        }
    }

    @Test
    void aBacklogReportedBeforeAnyDecisionMovesTheRungAtOnce() {
        // the first frame is still in the pipeline (no decision since) when the live buffer reports 3 waiting
        EffortPolicy policy = new EffortPolicy(List.of("exact", "fast"), 0, 0, 0, false, 16, 2);
        policy.pressure(1, 4);
        assertEquals("exact", policy.effort(), "below the pressure backlog nothing moves");
        policy.pressure(3, 5);
        assertEquals("fast", policy.effort());
        EffortPolicy.Decision d = policy.decide(new float[256], 0);
        assertEquals("backlog 3 at frame 5: exact -> fast", d.reason(), "the next computed frame says why");
    }

    @Test
    void controllerTrustsMeasuredCostNotTheLadderOrder() {
        // "fewer-macs" is cheaper on paper but measured slower than exact: the policy skips it both ways
        EffortPolicy p = new EffortPolicy(List.of("exact", "fewer-macs", "fast"), 0, 0, 10.0, false, 1, 0);
        p.completed("exact", 20, 20);
        assertEquals("fewer-macs", p.effort(), "untried rungs are tried");
        p.completed("fewer-macs", 30, 30);
        assertEquals("fast", p.effort(), "over budget again: the next rung, untried");
        p.completed("fast", 12, 12);
        assertEquals("fast", p.effort(), "over budget, but all rungs tried and none faster");
        p.completed("fast", 5, 5);
        assertEquals("fast", p.effort(), "within 0.7 x budget, yet exact (20) and fewer-macs (30) would miss it");
        p.completed(null, 0, 0);
        assertEquals("fast", p.effort(), "a reused frame counts towards the window but measures no rung");
        // all rungs tried and the last one slowest: back to the fastest measured
        EffortPolicy q = new EffortPolicy(List.of("exact", "fewer-macs"), 0, 0, 10.0, false, 1, 0);
        q.completed("exact", 20, 20);
        q.completed("fewer-macs", 30, 30);
        assertEquals("exact", q.effort());
        // without a target only drops move, towards cheaper rungs
        EffortPolicy live = new EffortPolicy(List.of("exact", "fast"), 0, 0, 0, false, 1, 0);
        live.completed("exact", 50, 50);
        assertEquals("exact", live.effort());
        live.dropped(2);
        live.completed("exact", 50, 50);
        assertEquals("fast", live.effort());
    }

    @Test
    void carDetectionVideoEndToEnd() {
        Path video = Shared.require("videos/car-detection.mp4");
        ModelDescriptor d = ModelCatalog.resolve("squeezenet_v1.0_deep_compression", Shared.models());
        Network net = d.load();
        List<FrameResult> all = new ArrayList<>();
        StreamPipeline.Results r = StreamPipeline.build(KIT.system(), d, net, "video:" + video,
                settings().withReuse(4.0), List.of(EffortProfile.EXACT), 0);
        r.source().runWith(Sink.foreach(all::add), KIT.system()).toCompletableFuture().join();
        StreamSummary s = r.summary();
        assertEquals(377, s.framesIn(), "every frame of the file");
        assertEquals(0, s.count(Outcome.DROPPED), "a file source is never dropped from");
        assertEquals(s.framesIn(), s.count(Outcome.COMPUTED) + s.count(Outcome.REUSED)
                + s.count(Outcome.EARLY_EXIT) + s.count(Outcome.DROPPED)
                + s.count(Outcome.ERROR));
        assertEquals(0, s.count(Outcome.ERROR));
        for (int i = 0; i < all.size(); i++) {
            assertEquals(i, all.get(i).seq());
        }
        assertTrue(all.get(all.size() - 1).ptsMs() > 29_000, "timestamps run to the end of the 30 s clip");
    }

    @Test
    void badSourcesAreOneLineErrors() {
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, dir);
        Network net = d.load();
        SourceException e = org.junit.jupiter.api.Assertions.assertThrows(SourceException.class,
                () -> StreamPipeline.build(KIT.system(), d, net, "video:" + dir.resolve("none.mp4"), settings(),
                        List.of(EffortProfile.EXACT), 0));
        assertEquals(dir.resolve("none.mp4") + ": video file not found", e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(SourceException.class,
                () -> StreamPipeline.build(KIT.system(), d, net, "synthetic:abc", settings(),
                        List.of(EffortProfile.EXACT), 0));
    }

    @Test
    void aStageThatFailsCompletesItsReplyWithTheErrorAndStops() throws Exception {
        ModelDescriptor d = ModelCatalog.resolve(ModelCatalog.DEFAULT_MODEL, dir);
        Network net = d.load();
        int n = net.layers().size();
        ActorRef<LayerStage.Command> stage = KIT.spawn(LayerStage.create(net, 0, n,
                LayerStage.compile(net, 0, n, 1, List.of(EffortProfile.EXACT), 1, () -> 1), new StageCounters("stage"),
                null));
        Shape in = net.shape(net.input().name());
        LayerStage.Work w = new LayerStage.Work(Frame.of(0, "test", 0, new Image(in.c(), in.h(), in.w(),
                new float[in.size()]), -1), new EffortController.Decided(0, false, "loss-9", ""),
                Map.of(net.input().name(), new float[in.size()]), System.nanoTime(), 0, 0, 0, null);
        CompletableFuture<List<LayerStage.Work>> reply = new CompletableFuture<>();
        stage.tell(new LayerStage.Process(List.of(w), reply));
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> reply.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertEquals("effort rung loss-9 is not on the ladder", e.getCause().getMessage());
        TestProbe<Object> watcher = KIT.createTestProbe();
        watcher.expectTerminated(stage, WAIT);
    }
}
