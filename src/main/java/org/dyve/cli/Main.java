package org.dyve.cli;

import org.dyve.DyveException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Entry point of the {@code dyve} command. */
@Command(name = "dyve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "DyVE: dynamic variable-effort CNN inference (DyVEDeep) on ND4J.",
        subcommands = {InfoCommand.class, ClassifyCommand.class, EvalCommand.class, BenchOrtCommand.class,
            ExportCommand.class, StreamCommand.class, DemoCommand.class, BenchStreamCommand.class, StatsCommand.class, CalibrateCommand.class, BenchCommand.class,
            TrainCommand.class, CommandLine.HelpCommand.class})
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

    /** Version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"dyve " + (v == null ? "dev" : v)};
        }
    }
}
