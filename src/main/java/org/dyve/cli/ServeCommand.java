package org.dyve.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.dyve.DyveException;
import org.dyve.runtime.Dyve;
import org.dyve.runtime.DyveSettings;
import org.dyve.server.DyveServer;
import org.dyve.server.ServeSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dyve serve}: DyVE as an HTTP service until SIGTERM or Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve models over HTTP (KServe v2 inference, image classify, managed streams with live events)"
                + " until SIGTERM or Ctrl-C, then drain and exit 0. Settings: dyve.serve in application.conf.")
final class ServeCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--models", split = ",", paramLabel = "M[,M...]",
            description = "Models to serve (default: dyve.serve.models, else the embedded default model).")
    List<String> models;

    @Option(names = "--model-home", paramLabel = "DIR", description = "Folder with model files (default:"
            + " DYVE_MODEL_HOME, else dyve.model-home).")
    Path modelHome;

    @Option(names = "--host", paramLabel = "ADDR", description = "Address to bind (default: dyve.serve.host,"
            + " 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "N", description = "Port (default: dyve.serve.port, 8080; 0: any free).")
    Integer port;

    @picocli.CommandLine.Mixin
    Tokens tokens;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        DyveSettings settings = DyveSettings.load(modelHome);
        ServeSettings serve = ServeSettings.from(settings.config());
        serve = serve.withAddress(host != null ? host : serve.host(), port != null ? port : serve.port());
        if (models != null && !models.isEmpty()) {
            serve = serve.withModels(models);
        }
        serve = serve.withToken(tokens.read(serve.token()));
        PrintWriter out = spec.commandLine().getOut();
        Dyve dyve = Dyve.open(settings);
        DyveServer server;
        try {
            server = DyveServer.start(dyve, serve, Main.Version.number());
        } catch (RuntimeException e) {
            dyve.close();
            throw e;
        }
        out.printf("dyve serve: listening on http://%s:%d%s%n", server.address().getHostString(),
                server.address().getPort(), serve.token().isEmpty() ? "" : " (bearer token required)");
        out.flush();
        // SIGTERM / Ctrl-C: stop accepting, drain requests and streams, exit 0 (the JVM would otherwise report the
        // signal in its exit status)
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            dyve.close();
            stopped.countDown();
            out.println("dyve serve: stopped");
            out.flush();
            Runtime.getRuntime().halt(0);
        }, "dyve-serve-stop"));
        stopped.await();
        return 0;
    }
}
