/** Accuracy evaluation of a model on a labelled data set: top-1 / top-5, MACs and time per image. */
package org.dyve.eval;
