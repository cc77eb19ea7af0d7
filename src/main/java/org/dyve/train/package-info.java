/**
 * Training of DyVE's embedded default model ({@code fashion_cnn}) on Fashion-MNIST with ND4J SameDiff,
 * exported as a Caffe prototxt + caffemodel so it runs through the same importer and engine as any model.
 */
package org.dyve.train;
