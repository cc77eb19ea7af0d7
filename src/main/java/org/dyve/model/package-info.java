/**
 * The format-neutral network IR: a DAG of {@link org.dyve.model.Layer}s over named tensors, each tensor
 * described per sample as channels x height x width. Importers produce a {@link org.dyve.model.Network};
 * engines consume it. Everything here is immutable.
 */
package org.dyve.model;
