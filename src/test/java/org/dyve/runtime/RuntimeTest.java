package org.dyve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.apache.pekko.stream.javadsl.Sink;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.metrics.CountersSnapshot;
import org.dyve.metrics.DropReason;
import org.dyve.metrics.Outcome;
import org.dyve.stream.FrameResult;
import org.dyve.stream.StreamSummary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several streams in one runtime: real Pekko streams and actors, the embedded model, no sleeps. A stream whose output
 * is held (a consumer waiting on a latch) is paused at a known point: a file source then waits with it and loses
 * nothing, a live one sheds.
 */
class RuntimeTest {
    private static final long WAIT_S = 120;

    @TempDir
    Path dir;

    private Dyve dyve;

    @BeforeEach
    void open() {
        dyve = Dyve.open(DyveSettings.from(ConfigFactory.load()).withModelHome(dir));
    }

    @AfterEach
    void close() {
        dyve.close();
    }

    /** Writes {@code n} 28x28 PNGs into a folder of their own and returns its source spec. */
    private String images(String name, int n) throws IOException {
        Path folder = Files.createDirectories(dir.resolve(name));
        for (int i = 0; i < n; i++) {
            BufferedImage bi = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int v = (x * 9 + y * i * 3) % 256;
                    bi.setRGB(x, y, v << 16 | v << 8 | v);
                }
            }
            ImageIO.write(bi, "png", folder.resolve(String.format("img%03d.png", i)).toFile());
        }
        return "images:" + folder;
    }

    /** An output that holds the stream at its {@code at}-th result until {@link #release}; records what it saw. */
    private static final class Gate implements Consumer<FrameResult> {
        final List<FrameResult> seen = new CopyOnWriteArrayList<>();
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch open = new CountDownLatch(1);
        final int at;

        Gate(int at) {
            this.at = at;
        }

        @Override
        public void accept(FrameResult r) {
            seen.add(r);
            if (seen.size() == at) {
                reached.countDown();
                try {
                    open.await(WAIT_S, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void awaitReached() throws InterruptedException {
            assertTrue(reached.await(WAIT_S, TimeUnit.SECONDS), "the stream reached its gate");
        }

        void release() {
            open.countDown();
        }
    }

    private StreamSummary done(StreamHandle h) throws Exception {
        return h.done().toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS);
    }

    /** Every frame accounted once, in order, nothing dropped: what a file stream must show. */
    private static void exact(StreamSummary s, List<FrameResult> seen, int frames) {
        CountersSnapshot c = s.counters();
        assertEquals(frames, c.framesIn());
        assertEquals(0, c.inFlight());
        assertEquals(frames, c.count(Outcome.COMPUTED) + c.count(Outcome.REUSED) + c.count(Outcome.EARLY_EXIT));
        assertEquals(0, c.count(Outcome.DROPPED));
        assertEquals(0, c.count(Outcome.ERROR));
        assertEquals(frames, seen.size());
        for (int i = 0; i < frames; i++) {
            assertEquals(i, seen.get(i).seq(), "results in frame order, none missing");
        }
        assertEquals(StreamSummary.END_OF_INPUT, s.endReason());
    }

    @Test
    void startingAndStoppingAStreamWhileTwoOthersRunLeavesTheirAccountingExact() throws Exception {
        String model = ModelCatalog.DEFAULT_MODEL;
        Gate a = new Gate(10);
        Gate b = new Gate(20);
        StreamHandle ha = dyve.streams().start(StreamDescription.of(model, images("a", 80)), a);
        StreamHandle hb = dyve.streams().start(StreamDescription.of(model, images("b", 60)), b);
        a.awaitReached();
        b.awaitReached();
        assertEquals(List.of(ha, hb), dyve.streams().list());

        // a third stream starts and is stopped while the two others wait, mid-stream
        Gate c = new Gate(5);
        StreamHandle hc = dyve.streams().start(StreamDescription.of(model, "synthetic:28x28@200"), c);
        assertEquals(3, dyve.streams().list().size());
        c.awaitReached();
        hc.stop(StreamSummary.STOPPED);
        c.release();
        StreamSummary sc = done(hc);
        assertEquals(StreamSummary.STOPPED, sc.endReason());
        assertEquals(0, sc.counters().inFlight(), "frames in flight finish before a stopped stream ends");
        long outcomes = 0;
        for (Outcome o : Outcome.values()) {
            outcomes += sc.count(o);
        }
        assertEquals(sc.framesIn(), outcomes);
        assertEquals(sc.framesIn(), c.seen.stream().count(), "one result per frame in");

        a.release();
        b.release();
        exact(done(ha), a.seen, 80);
        exact(done(hb), b.seen, 60);
        assertTrue(dyve.streams().list().isEmpty(), "ended streams leave the list");
        CountersSnapshot all = dyve.streams().countersByModel().get(model);
        assertEquals(80 + 60 + sc.framesIn(), all.framesIn(), "the model's totals keep its ended streams' frames");
        assertEquals(0, all.inFlight());
    }

    @Test
    void aSnapshotMidStreamIsConsistentAndTheLastOneIsTheSummary() throws Exception {
        Gate g = new Gate(15);
        StreamHandle h = dyve.streams().start(StreamDescription.of(ModelCatalog.DEFAULT_MODEL, images("x", 50)), g);
        g.awaitReached();
        CountersSnapshot mid = h.counters();
        long outcomes = 0;
        for (Outcome o : Outcome.values()) {
            outcomes += mid.count(o);
        }
        assertEquals(15, outcomes, "the output holds the stream at its 15th result");
        assertEquals(mid.framesIn(), outcomes + mid.inFlight());
        assertTrue(mid.inFlight() >= 0 && mid.framesIn() < 50, "some frames wait behind the held output: " + mid);
        g.release();
        StreamSummary s = done(h);
        exact(s, g.seen, 50);
        assertEquals(s.counters(), h.counters(), "the summary is the counters' last snapshot");
    }

    @Test
    void aHeldLiveStreamShedsWithReasonsWhileAFileStreamBesideItLosesNothing() throws Exception {
        String model = ModelCatalog.DEFAULT_MODEL;
        Gate live = new Gate(3);
        StreamHandle hl = dyve.streams().start(StreamDescription.of(model, "synthetic:28x28@500:1000"), live);
        live.awaitReached();
        Gate file = new Gate(1);
        file.release();
        StreamHandle hf = dyve.streams().start(StreamDescription.of(model, images("f", 40)), file);
        exact(done(hf), file.seen, 40);
        live.release();
        StreamSummary sl = done(hl);
        assertEquals(1000, sl.framesIn(), "a synthetic source's frames in are its rate x its time");
        assertTrue(sl.count(Outcome.DROPPED) > 0, "the held live stream shed frames");
        long byReason = sl.counters().drops().values().stream().mapToLong(Long::longValue).sum();
        assertEquals(sl.count(Outcome.DROPPED), byReason, "every dropped frame has its reason");
        assertTrue(sl.counters().drops().get(DropReason.OVERFLOW_DROP_OLDEST) > 0, sl.counters().drops().toString());
        assertTrue(live.seen.stream().filter(r -> r.status() == Outcome.DROPPED)
                .allMatch(r -> r.reason() != null && !r.reason().isEmpty()), "dropped lines say why");
    }

    @Test
    void aSlowSubscriberLosesResultsCountedWithoutSlowingTheStream() throws Exception {
        CompletableFuture<Void> go = new CompletableFuture<>();
        Gate g = new Gate(1);
        StreamHandle h = dyve.streams().start(StreamDescription.of(ModelCatalog.DEFAULT_MODEL, images("s", 60)), g);
        g.awaitReached();
        Subscription slow = h.subscribe(4);
        Subscription fast = h.subscribe(1000);
        var fastSeen = fast.results().runWith(Sink.seq(), dyve.system());
        // the slow subscriber takes nothing until the stream has ended
        var slowSeen = slow.results().mapAsync(1, r -> go.thenApply(x -> r)).runWith(Sink.seq(), dyve.system());
        g.release();
        StreamSummary s = done(h);
        go.complete(null);
        exact(s, g.seen, 60);
        // the output holds the first result while they subscribe; they see it and every one after it
        assertEquals(60, fastSeen.toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS).size(),
                "a subscriber with room sees every result after it subscribed");
        int slowGot = slowSeen.toCompletableFuture().get(WAIT_S, TimeUnit.SECONDS).size();
        assertEquals(60, slowGot + slow.dropped().getAsLong(), "what the slow one lost is counted");
        assertTrue(slow.dropped().getAsLong() > 0);
        assertEquals(0, fast.dropped().getAsLong());
    }

    @Test
    void aBadSourceIsAOneLineErrorAndLeavesNothingRunning() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.dyve.DyveException.class,
                () -> dyve.streams().start(StreamDescription.of(ModelCatalog.DEFAULT_MODEL,
                        "video:" + dir.resolve("none.mp4")), r -> { }));
        assertEquals(dir.resolve("none.mp4") + ": video file not found", e.getMessage());
        assertTrue(dyve.streams().list().isEmpty());
        assertEquals(0, dyve.cores().workers(), "its stages' claim on the cores is returned");
    }


    @Test
    void aClassifierAnswersManyThreadsAtOnceAsOneThreadDoesReusingItsEngines() throws Exception {
        Classifier c = dyve.classifier(ModelCatalog.DEFAULT_MODEL);
        List<org.dyve.data.Image> images = new java.util.ArrayList<>();
        for (int i = 0; i < 11; i++) {
            float[] px = new float[28 * 28];
            for (int j = 0; j < px.length; j++) {
                px[j] = (j * (i + 3)) % 256;
            }
            images.add(new org.dyve.data.Image(1, 28, 28, px));
        }
        List<Classification> alone = c.classify(images, "exact", 3);
        assertEquals(11, alone.size());
        for (Classification x : alone) {
            assertEquals(3, x.classes().size());
            assertEquals("exact", x.rung());
            assertEquals(x.denseMacs(), x.macs(), "exact runs the dense network");
            assertTrue(x.classes().get(0).probability() >= x.classes().get(1).probability());
        }
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<List<Classification>>> calls = new java.util.ArrayList<>();
            for (int t = 0; t < 16; t++) {
                calls.add(pool.submit(() -> c.classify(images, "exact", 3)));
            }
            for (var f : calls) {
                List<Classification> got = f.get(WAIT_S, TimeUnit.SECONDS);
                for (int i = 0; i < images.size(); i++) {
                    assertEquals(alone.get(i).classes(), got.get(i).classes(), "image " + i);
                }
            }
        } finally {
            pool.shutdown();
        }
        // a batch of 8 and a batch of 3 per call: at most one engine of each size per concurrent call
        assertTrue(c.enginesCompiled() <= 2 * 4, "engines are pooled, not compiled per call: " + c.enginesCompiled());
        assertEquals(0, dyve.cores().workers(), "calls return their claim on the cores");
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.dyve.DyveException.class,
                () -> c.classify(images, "no-such-rung", 1));
        assertTrue(e.getMessage().startsWith("unknown effort profile 'no-such-rung'"), e.getMessage());
    }

    @Test
    void requestsWithoutAnEffortMoveDownTheLadderWhileTheyQueueAndBackUpOnceItDrains() throws Exception {
        try (Dyve d = Dyve.open(DyveSettings.from(ConfigFactory.load()).withModelHome(dir).withRequests(
                new RequestSettings(8, java.time.Duration.ZERO, 256, 1, java.time.Duration.ofSeconds(30), 0.25,
                        java.time.Duration.ofMillis(1))))) {
            var ladder = d.model(ModelCatalog.DEFAULT_MODEL).profiles().ladder();
            org.junit.jupiter.api.Assumptions.assumeTrue(ladder.size() > 1, "this model's ladder has one rung here");
            RequestBatcher b = d.requests(ModelCatalog.DEFAULT_MODEL);
            List<float[]> eight = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                eight.add(new float[28 * 28]);
            }
            // 64 requests of 8 inputs at once: those behind the first batches wait longer than 1 ms
            List<CompletableFuture<List<Classifier.Inference>>> burst = new java.util.ArrayList<>();
            for (int i = 0; i < 64; i++) {
                burst.add(b.submit(eight, null, 0));
            }
            java.util.Set<String> rungs = new java.util.HashSet<>();
            for (var f : burst) {
                f.get(WAIT_S, TimeUnit.SECONDS).forEach(x -> rungs.add(x.rung()));
            }
            assertTrue(rungs.contains(ladder.get(1).name()), "a queue moves them down the ladder: " + rungs);
            // one at a time: nothing waits, and after eight quiet batches each step back up
            String last = null;
            for (int i = 0; i < 8 * ladder.size() + 1; i++) {
                last = b.submit(List.of(new float[28 * 28]), null, 0).get(WAIT_S, TimeUnit.SECONDS).get(0).rung();
            }
            assertEquals(ladder.get(0).name(), last, "an empty queue brings them back to the top rung");
        }
    }
}
