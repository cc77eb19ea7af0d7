package org.dyve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dyve stream} and friends as a user meets them: exit codes, checked numbers, the version, a bad file among
 * good ones, and (in a real child JVM) one-line errors without a logged stack trace and a pipe reader that goes away.
 */
class StreamCliTest {
    @TempDir
    Path dir;

    private static CliTest.Run dyve(String... args) {
        return CliTest.dyve(args);
    }

    @Test
    void numbersOutOfRangeAreUsageErrorsNamingTheOption() {
        for (String[] c : new String[][] {
            {"--limit", "-5", "--limit -5 is out of range (at least 0)"},
            {"--target-fps", "-3", "--target-fps -3 is out of range (0 to 100000)"},
            {"--latency-ms", "-1", "--latency-ms -1 is out of range"}}) {
            CliTest.Run r = dyve("stream", "--source", "synthetic:28x28@10:5", c[0], c[1]);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith(c[2]), r.err());
        }
        for (String b : new String[] {"0", "-1", "100000000"}) {
            CliTest.Run r = dyve("eval", "--batch", b, "--limit", "5");
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("--batch " + b + " is out of range (1 to 1024)"), r.err());
        }
        assertEquals(2, dyve("demo", "--limit", "-5").code());
    }

    @Test
    void versionIsTheBuildsVersion() {
        CliTest.Run r = dyve("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("dyve \\d+\\.\\d+\\.\\d+\\S* \\(Java \\d+, \\S+\\)\\s*"), r.out());
    }

    private Path png(String name, int seed) throws IOException {
        BufferedImage bi = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                int v = (x * seed + y * 7) % 256;
                bi.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        Path p = dir.resolve(name);
        ImageIO.write(bi, "png", p.toFile());
        return p;
    }

    @Test
    void classifyGoesOnPastABadFileAndExitsOne() throws IOException {
        Path bad = dir.resolve("bad.png");
        Files.write(bad, new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
        Path good = png("good.png", 9);
        CliTest.Run r = dyve("classify", bad.toString(), good.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("dyve: " + bad + ": unreadable image"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.out().startsWith(good.toString()), "the good file after the bad one: " + r.out());
        assertEquals(6, r.out().strip().lines().count(), r.out());
    }

    @Test
    void aStreamWithADamagedImageExitsThreeAndAppendsToItsSink() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("imgs"));
        png("imgs/a.png", 3);
        Files.write(folder.resolve("b.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
        Path out = dir.resolve("out.jsonl");
        Files.writeString(out, "{\"earlier\":true}\n");
        CliTest.Run r = dyve("stream", "--source", "images:" + folder, "--sink", "jsonl:" + out, "-q");
        assertEquals(StreamCommand.EXIT_INPUT_DAMAGED, r.code(), r.err());
        assertTrue(r.err().contains("input-damaged"), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals("{\"earlier\":true}", lines.get(0), "appended, not truncated");
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).contains("\"file\":\"a.png\"") && lines.get(1).contains("\"time\":\""), lines.get(1));
        assertTrue(lines.get(2).contains("\"file\":\"b.png\"") && lines.get(2).contains("\"status\":\"error\""),
                lines.get(2));
        assertTrue(lines.get(3).contains("\"end\":\"input-damaged\""), lines.get(3));
    }

    /** A child JVM running {@code dyve ARGS} with this test's class path. */
    static Process child(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    @Test
    void aLiveSourceThatDoesNotOpenPrintsOneLineAndNoStackTrace() throws Exception {
        // port 9 (discard) on loopback: nothing listens, the connection is refused at once
        Process p = child("stream", "--source", "rtsp://127.0.0.1:9/nothing", "-q");
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "exits at once");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.exitValue(), err);
        assertEquals(1, err.strip().lines().count(), "one line: " + err);
        assertTrue(err.startsWith("dyve: rtsp://127.0.0.1:9/nothing: cannot open ("), err);
        assertFalse(err.contains("ERROR") || err.contains("\tat "), err);
    }

    @Test
    void aStreamStopsWhenTheReaderOfItsOutputGoesAway() throws Exception {
        // a live source with no end, read by something like `| head -2`
        Process p = child("stream", "--source", "synthetic:28x28@200", "-q");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            assertTrue(r.readLine().startsWith("{\"stream\":\"s1\",\"seq\":0,"));
            assertTrue(r.readLine().startsWith("{\"stream\":\"s1\",\"seq\":1,"));
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the stream ended once its output was closed");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertTrue(err.contains("output-closed"), err);
    }

    @Test
    void severalSourcesRunSideBySideEachLineTaggedWithItsStreamThenASummaryEachAndATotal() throws Exception {
        Path a = Files.createDirectories(dir.resolve("a"));
        Path b = Files.createDirectories(dir.resolve("b"));
        for (int i = 0; i < 12; i++) {
            Files.move(png("a" + i + ".png", i + 1), a.resolve(String.format("a%02d.png", i)));
        }
        for (int i = 0; i < 7; i++) {
            Files.move(png("b" + i + ".png", i + 3), b.resolve(String.format("b%02d.png", i)));
        }
        Path out = dir.resolve("out.jsonl");
        CliTest.Run r = dyve("stream", "--source", "images:" + a, "--source", "images:" + b, "-q", "--sink",
                "jsonl:" + out);
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out);
        assertEquals(12 + 7 + 3, lines.size(), String.join("\n", lines));
        for (String[] st : new String[][] {{"s1", "12"}, {"s2", "7"}}) {
            List<String> mine = lines.stream().filter(l -> l.startsWith("{\"stream\":\"" + st[0] + "\",\"seq\":"))
                    .toList();
            assertEquals(Integer.parseInt(st[1]), mine.size(), st[0]);
            for (int i = 0; i < mine.size(); i++) {
                assertTrue(mine.get(i).contains("\"seq\":" + i + ","), "in order: " + mine.get(i));
            }
        }
        String total = lines.get(lines.size() - 1);
        assertTrue(total.startsWith("{\"total\":true,\"streams\":2,"), total);
        assertTrue(total.contains("\"frames_in\":19,") && total.contains("\"computed\":19,"), total);
        assertEquals(2, lines.stream().filter(l -> l.startsWith("{\"summary\":true")).count());
        assertTrue(r.err().contains("2 streams side by side"), r.err());
    }
}
