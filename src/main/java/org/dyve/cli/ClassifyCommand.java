package org.dyve.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.dyve.data.Images;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.runtime.Classification;
import org.dyve.runtime.Classifier;
import org.dyve.runtime.Dyve;
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
        PrintWriter out = spec.commandLine().getOut();
        int failed = 0;
        try (Dyve dyve = Dyve.open(model.settings())) {
            dyve.register(d, null);
            Classifier classifier = dyve.classifier(d.id());
            for (Path f : files) {
                Classification c;
                try {
                    c = classifier.classify(List.of(Images.read(f)), "exact", 5).get(0);
                } catch (org.dyve.DyveException e) {
                    out.flush();
                    spec.commandLine().getErr().println("dyve: " + e.getMessage());
                    failed++;
                    continue;
                }
                out.println(f);
                for (Classification.Scored s : c.classes()) {
                    out.printf("  %6.2f%%  %4d  %s%n", 100 * s.probability(), s.index(), s.label());
                }
            }
        }
        out.flush();
        return failed == 0 ? 0 : 1;
    }
}
