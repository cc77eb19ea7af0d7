package org.dyve.runtime;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.dyve.descriptor.ModelCatalog;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfiles;
import org.dyve.model.Network;

/** The runtime's models, each loaded once: registered descriptors, else descriptors found in the model home. */
final class Models {
    private final Path home;
    private final Map<String, LoadedModel> loaded = new ConcurrentHashMap<>();

    Models(Path home) {
        this.home = home;
    }

    /** Loads {@code d} (its ladder from {@code profiles}, null: the model's own file) under its id. */
    LoadedModel register(ModelDescriptor d, Path profiles) {
        return loaded.computeIfAbsent(d.id(), id -> load(d, profiles));
    }

    /** The model {@code name}: registered, or resolved in the model home and loaded now. */
    LoadedModel get(String name) {
        LoadedModel m = loaded.get(name);
        return m != null ? m : loaded.computeIfAbsent(name, n -> load(ModelCatalog.resolve(n, home), null));
    }

    private static LoadedModel load(ModelDescriptor d, Path profiles) {
        Network net = d.load();
        return new LoadedModel(d, net, EffortProfiles.load(d.id(), profiles).withBuiltIns(net));
    }
}
