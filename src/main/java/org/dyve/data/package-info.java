/**
 * Inputs: decoded images ({@link org.dyve.data.Image}), labelled data sets (CIFAR-10 binary batches, image
 * folders with {@code labels.txt}, MNIST / Fashion-MNIST IDX files) and the model's preprocessing
 * ({@link org.dyve.data.Preprocessing}: resize, centre crop, channel order, mean, scale).
 */
package org.dyve.data;
