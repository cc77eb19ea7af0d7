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
        description = "Classify image files and print the top-5 classes with their probabilities.")
final class ClassifyCommand implements Runnable {
    @Mixin
    ModelOptions model;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "Image files (JPEG, PNG, BMP, GIF).")
    List<Path> files;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        ModelDescriptor d = model.descriptor();
        Network net = d.load();
        Preprocessing pre = d.preprocessing(net);
        Engine engine = Engine.of(net, 1);
        PrintWriter out = spec.commandLine().getOut();
        for (Path f : files) {
            engine.setInput(net.input().name(), 0, pre.apply(Images.read(f)));
            engine.run(1);
            float[] scores = engine.output(net.output(), 0);
            float[] p = net.outputIsSoftmax() ? scores : TopK.softmax(scores);
            out.println(f);
            for (int k : TopK.of(p, 5)) {
                out.printf("  %6.2f%%  %4d  %s%n", 100 * p[k], k, d.label(k));
            }
        }
        out.flush();
    }
}
