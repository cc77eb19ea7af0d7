/**
 * Caffe import: the prototxt text format, {@code .caffemodel} binary weights (new {@code layer} and old V1
 * {@code layers}), {@code .caffemodel.h5} HDF5 weights, {@code mean.binaryproto}, and the Deep Compression
 * {@code .net} format (pruned, weight-shared). Entry point: {@link org.dyve.format.caffe.CaffeImporter}.
 */
package org.dyve.format.caffe;
