package org.dyve.runtime;

import java.util.List;
import org.dyve.descriptor.ModelDescriptor;
import org.dyve.effort.EffortProfile;
import org.dyve.effort.EffortProfiles;
import org.dyve.model.Network;

/**
 * A model loaded once for the whole runtime: its descriptor, its network and its effort profiles (the ladder with the
 * built-in rungs, the same for every command).
 */
public record LoadedModel(ModelDescriptor descriptor, Network network, EffortProfiles profiles) {
    /** The rungs a stream at {@code effort} uses: the whole ladder for {@code auto}, else that one profile. */
    public List<EffortProfile> ladder(String effort) {
        if (effort.equals("auto")) {
            return profiles.ladder();
        }
        return List.of(profiles.get(effort));
    }
}
