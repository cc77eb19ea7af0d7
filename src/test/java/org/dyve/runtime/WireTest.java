package org.dyve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.dyve.metrics.CountersSnapshot;
import org.dyve.metrics.DropReason;
import org.dyve.metrics.Outcome;
import org.dyve.metrics.StreamCounters;
import org.dyve.stream.FrameResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The messages at a stream's edge survive Pekko's serialisation (as between two nodes) unchanged. */
class WireTest {
    private static final ActorTestKit KIT = ActorTestKit.create("wire-test");
    private static final SerializationTestKit SERIAL = new SerializationTestKit(KIT.system());

    @AfterAll
    static void shutdown() {
        KIT.shutdownTestKit();
    }

    @Test
    void aStreamsDescriptionStopResultsAndCountersCrossNodesUnchanged() {
        SERIAL.verifySerialization(StreamDescription.of("squeezenet", "rtsp://cam/1").withLimit(9).withReuse(4),
                true);
        SERIAL.verifySerialization(new StreamSupervisor.Stop("stopped"), true);
        SERIAL.verifySerialization(new FrameResult("s1", 7, "video:a.mp4", 280, Outcome.EARLY_EXIT, "exit@pool2", 3,
                "cat", 0.93f, "fast-1", 123456, 4.25, -1, null, 1_765_000_000_000L), true);
        StreamCounters c = new StreamCounters("s1", "cifar10_full", "synthetic:32x32@100", 1000);
        c.stage("stage 0 [conv1 .. pool2]").record(1000, 2000);
        c.arrived(5, System.nanoTime());
        c.finished(Outcome.COMPUTED, 1, null, "exact", 1000, 2.5, 3, 3);
        c.finished(Outcome.EARLY_EXIT, 1, null, "fast-1", 400, 1.25, 4, 2);
        c.finished(Outcome.DROPPED, 2, DropReason.OVERFLOW_DROP_OLDEST, null, 0, 0, -1, -1);
        CountersSnapshot snap = c.snapshot();
        assertEquals(1, snap.inFlight());
        Object back = SERIAL.verifySerialization(snap, true);
        assertEquals(snap.latencyMs(50), ((CountersSnapshot) back).latencyMs(50));
        assertEquals(List.of("stage 0 [conv1 .. pool2]"),
                ((CountersSnapshot) back).stages().stream().map(s -> s.name()).toList());
    }

    @Test
    void aModelsOwnRequestSettingsOverrideTheCommonOnes() {
        com.typesafe.config.Config c = com.typesafe.config.ConfigFactory.parseString(
                "dyve.requests.models.\"cifar10_full\".max-batch = 1").withFallback(
                com.typesafe.config.ConfigFactory.load());
        assertEquals(1, RequestSettings.from(c).forModel(c, "cifar10_full").maxBatch());
        assertEquals(RequestSettings.from(c), RequestSettings.from(c).forModel(c, "squeezenet"));
        assertEquals(RequestSettings.from(c).queue(), RequestSettings.from(c).forModel(c, "cifar10_full").queue());
    }
}
