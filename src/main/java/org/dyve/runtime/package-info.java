/**
 * DyVE as one runtime in one process: {@link org.dyve.runtime.Dyve} opens it from {@link
 * org.dyve.runtime.DyveSettings} (one actor system, the loaded models, the machine's cores as a
 * {@link org.dyve.engine.CoreBudget}); its {@link org.dyve.runtime.StreamManager} starts, lists and stops streams at
 * run time, each owned by one {@link org.dyve.runtime.StreamSupervisor} actor (its effort controller and layer stages
 * are its children), read live through {@link org.dyve.runtime.StreamHandle}, with results fanned out to any number
 * of bounded subscribers. Every command, and the coming server, goes through it.
 */
package org.dyve.runtime;
