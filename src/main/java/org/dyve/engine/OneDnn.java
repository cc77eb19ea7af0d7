package org.dyve.engine;

import org.slf4j.LoggerFactory;

/**
 * Whether the engine may use oneDNN here: not when {@code dyve.engine.onednn = false} says so, nor where its
 * native library does not load (a platform whose JavaCPP build ships no working oneDNN, such as linux-arm64 with
 * dnnl 2.5.2-1.5.7). Probed once, when the engine is first used; a failed load is told in one log line and the
 * plain path (libnd4j's ops and DyVE's own kernels) is taken instead of failing later inside a kernel.
 */
final class OneDnn {
    private OneDnn() {
    }

    /** Whether oneDNN is enabled by the settings and its native library loads. */
    static boolean usable() {
        if (!EngineSwitches.CURRENT.onednn()) {
            return false;
        }
        String failure = loadFailure();
        if (failure != null) {
            LoggerFactory.getLogger(OneDnn.class).warn("oneDNN does not load on {}-{} ({}): using the engine's plain"
                    + " path (libnd4j and DyVE's own kernels)", System.getProperty("os.name").toLowerCase(
                    java.util.Locale.ROOT), System.getProperty("os.arch"), failure);
            return false;
        }
        return true;
    }

    /** Null when oneDNN's classes initialise (its native library loads and a CPU engine is made), else why not. */
    static String loadFailure() {
        try {
            return Dnnl.ENGINE == null ? "no CPU engine" : null;
        } catch (LinkageError | RuntimeException e) {
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            return org.dyve.DyveException.reason(t);
        }
    }
}
