/**
 * Model descriptors ({@code models/<name>.conf}, HOCON): which files make a model, how inputs are
 * preprocessed, class labels, effort profiles; and the model home where the files are found
 * ({@code --model-home}, else {@code DYVE_MODEL_HOME}, else {@code ~/.dyve/models}).
 */
package org.dyve.descriptor;
