package org.dyve.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.dyve.data.Images;
import org.dyve.data.Preprocessing;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.engine.Engine;
import org.dyve.eval.TopK;
import org.dyve.model.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dyve classify}: top-5 classes of image files. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = "Classify image files and print the top-5 classes with their probabilities. A file that cannot"
                + " be read (missing, truncated, damaged) gets a one-line error and the others go on; exit 1 then.")
final class ClassifyCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Image files (JPEG, PNG, BMP, GIF).")
    List<Path> files;

    @Spec
    CommandSpec spec;

    /** Classifies every file; one that cannot be read gets its one-line error and the others go on (exit 1). */
    @Override
    public Integer call() {
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        Preprocessing pre = d.preprocessing(net);
        Engine engine = Engine.builder(net).build();
        PrintWriter out = spec.commandLine().getOut();
        int failed = 0;
        for (Path f : files) {
            float[] input;
            try {
                input = pre.apply(Images.read(f));
            } catch (org.dyve.DyveException e) {
                out.flush();
                spec.commandLine().getErr().println("dyve: " + e.getMessage());
                failed++;
                continue;
            }
            engine.setInput(net.input().name(), 0, input);
            engine.run(1);
            float[] scores = engine.output(net.output(), 0);
            float[] p = net.outputIsSoftmax() ? scores : TopK.softmax(scores);
            out.println(f);
            for (int k : TopK.of(p, 5)) {
                out.printf("  %6.2f%%  %4d  %s%n", 100 * p[k], k, d.label(k));
            }
        }
        out.flush();
        return failed == 0 ? 0 : 1;
    }
}
