package org.dyve.data;

/**
 * One labelled input.
 *
 * @param id record index or file name
 * @param label class index, or -1 when unknown
 */
public record Sample(String id, int label, Image image) {
}
