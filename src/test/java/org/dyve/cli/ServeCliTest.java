package org.dyve.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code dyve serve} as a process: it says where it listens, and SIGTERM drains it to exit 0. */
class ServeCliTest {
    @Test
    void sigtermStopsAcceptingDrainsTheStreamsAndExitsZero() throws Exception {
        Process p = StreamCliTest.child("serve", "--port", "0");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String first = out.readLine();
            Matcher m = Pattern.compile("dyve serve: listening on (http://127\\.0\\.0\\.1:\\d+)").matcher(
                    first == null ? "" : first);
            assertTrue(m.matches(), "one line with its address: " + first);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(m.group(1) + "/v1/streams"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"source\": \"synthetic:28x28@50\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body());
            // SIGTERM by kill: Process.destroy would close the child's output before it is read
            new ProcessBuilder("kill", "-TERM", String.valueOf(p.pid())).start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "drained within the deadline");
            assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("dyve serve: stopped", out.readLine());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aPortInUseIsAOneLineError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            CliTest.Run r = CliTest.dyve("serve", "--port", String.valueOf(taken.getLocalPort()));
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().startsWith("dyve: 127.0.0.1:" + taken.getLocalPort() + ": cannot listen ("), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void theContainersAndTheUnitsCommandLinesParse() throws Exception {
        java.nio.file.Path root = java.nio.file.Path.of("").toAbsolutePath();
        String container = java.nio.file.Files.readString(root.resolve("deploy/Containerfile"));
        Matcher cmd = Pattern.compile("(?m)^CMD (\\[.*\\])$").matcher(container);
        assertTrue(cmd.find(), "a CMD line");
        String[] args = new com.fasterxml.jackson.databind.ObjectMapper().readValue(cmd.group(1), String[].class);
        assertEquals("serve", args[0]);
        assertTrue(container.contains("EXPOSE 8080"));
        CliTest.Run r = CliTest.dyve(concat(args, "--help"));
        assertEquals(0, r.code(), r.err());
        String unit = java.nio.file.Files.readString(root.resolve("deploy/dyve-serve.service"));
        Matcher exec = Pattern.compile("ExecStart=/opt/dyve/dyve ((?:.*\\\\\\n)*.*)").matcher(unit);
        assertTrue(exec.find(), unit);
        String[] unitArgs = exec.group(1).replace("\\\n", " ").trim().split("\\s+");
        assertEquals("serve", unitArgs[0]);
        r = CliTest.dyve(concat(unitArgs, "--help"));
        assertEquals(0, r.code(), r.err());
    }

    private static String[] concat(String[] a, String b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }
}
