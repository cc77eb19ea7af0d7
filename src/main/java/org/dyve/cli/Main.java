package org.dyve.cli;

import org.dyve.DyveException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point of the {@code dyve} command. */
@Command(name = "dyve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "DyVE: dynamic variable-effort CNN inference (DyVEDeep) on ND4J.",
        subcommands = {InfoCommand.class, ClassifyCommand.class, EvalCommand.class, BenchOrtCommand.class,
            ExportCommand.class, StreamCommand.class, DemoCommand.class, BenchStreamCommand.class, StatsCommand.class,
            CalibrateCommand.class, BenchCommand.class, TrainCommand.class, ServeCommand.class, LoadCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        // initialise logging before any library thread does, so SLF4J has nothing to replay
        org.slf4j.LoggerFactory.getILoggerFactory();
        System.exit(run(args));
    }

    /** Runs the CLI on the standard streams and returns the exit code: 0 ok, 1 error, 2 usage. */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with the given output and error writers; returns the exit code. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionStrategy(parsed -> {
            checkNumbers(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean debug = parsed.hasMatchedOption("--debug");
            Throwable t = ex;
            if (debug) {
                ex.printStackTrace();
            }
            if (t instanceof DyveException) {
                cmd.getErr().println("dyve: " + t.getMessage());
            } else if (t instanceof OutOfMemoryError) {
                cmd.getErr().println("dyve: out of memory (" + t.getMessage() + "); try a smaller --batch");
            } else {
                cmd.getErr().println("dyve: internal error: " + t + (debug ? "" : " (run with --debug for details)"));
            }
            return 1;
        });
        return cl.execute(args);
    }

    /**
     * The ranges of the numeric options the commands share, checked once here for every command: a negative limit, a
     * zero batch or an absurd one is a usage error naming the option, not a silent default or an allocation failure.
     */
    private static final java.util.Map<String, double[]> RANGES = java.util.Map.ofEntries(
            java.util.Map.entry("--limit", new double[] {0, Long.MAX_VALUE}),
            java.util.Map.entry("--batch", new double[] {1, 1024}),
            java.util.Map.entry("--reps", new double[] {1, 1_000_000}),
            java.util.Map.entry("--repeat", new double[] {1, 1000}),
            java.util.Map.entry("--warmup", new double[] {0, 1_000_000}),
            java.util.Map.entry("--threads", new double[] {1, 1024}),
            java.util.Map.entry("--epochs", new double[] {1, 10_000}),
            java.util.Map.entry("--timing-images", new double[] {1, 1_000_000}),
            java.util.Map.entry("--max-probes", new double[] {0, 1000}),
            java.util.Map.entry("--target-fps", new double[] {0, 100_000}),
            java.util.Map.entry("--latency-ms", new double[] {0, 3_600_000}),
            java.util.Map.entry("--reuse", new double[] {0, 255}),
            java.util.Map.entry("--port", new double[] {0, 65535}),
            java.util.Map.entry("--resize", new double[] {1, 16384}),
            java.util.Map.entry("--max-loss", new double[] {0, 100}),
            java.util.Map.entry("--lr", new double[] {0, 10}));

    private static void checkNumbers(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            for (CommandLine.Model.OptionSpec o : p.matchedOptions()) {
                double[] range = RANGES.get(o.longestName());
                Object v = o.getValue();
                if (range == null || !(v instanceof Number n)) {
                    continue;
                }
                double x = n.doubleValue();
                if (!(x >= range[0] && x <= range[1])) {
                    String lo = fmt(range[0]);
                    String hi = range[1] >= Long.MAX_VALUE ? null : fmt(range[1]);
                    throw new CommandLine.ParameterException(p.commandSpec().commandLine(), o.longestName() + " "
                            + fmt(x) + " is out of range (" + (hi == null ? "at least " + lo : lo + " to " + hi) + ")");
                }
            }
        }
    }

    private static String fmt(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    /** The version Maven wrote into {@code org/dyve/version.properties} at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        /** The build's version number alone ("0.9.0"), or "unknown". */
        static String number() {
            java.util.Properties p = new java.util.Properties();
            try (var in = Main.class.getResourceAsStream("/org/dyve/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (java.io.IOException e) {
                // no version to tell
            }
            return p.getProperty("version", "unknown");
        }

        @Override
        public String[] getVersion() {
            return new String[] {"dyve " + number() + " (Java "
                    + Runtime.version().feature() + ", " + System.getProperty("os.arch") + ")"};
        }
    }
}
