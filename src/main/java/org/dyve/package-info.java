/**
 * DyVE: dynamic variable-effort CNN inference. Packages: {@code model} (format-neutral network IR),
 * {@code format.caffe} (Caffe and Deep Compression import), {@code engine} (dense ND4J execution),
 * {@code data} (data sets and preprocessing), {@code descriptor} (model descriptors and model home),
 * {@code train} (training of the embedded default model), {@code cli} (the {@code dyve} command).
 */
package org.dyve;
