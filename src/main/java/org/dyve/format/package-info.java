/** Model file formats: {@code caffe} (Caffe and Deep Compression) and {@code onnx}, plus what they share. */
package org.dyve.format;
