package org.dyve.eval;

/** Ranking helpers for class scores. */
public final class TopK {
    private TopK() {
    }

    /** Indices of the {@code k} largest scores, best first (ties: lower index first). */
    public static int[] of(float[] scores, int k) {
        int n = Math.min(k, scores.length);
        int[] idx = new int[n];
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int i = 0; i < scores.length; i++) {
                if (best >= 0 && scores[i] <= scores[best]) {
                    continue;
                }
                boolean taken = false;
                for (int t = 0; t < j; t++) {
                    if (idx[t] == i) {
                        taken = true;
                        break;
                    }
                }
                if (!taken) {
                    best = i;
                }
            }
            idx[j] = best;
        }
        return idx;
    }

    /** Softmax of {@code scores} into a new array. */
    public static float[] softmax(float[] scores) {
        float max = Float.NEGATIVE_INFINITY;
        for (float s : scores) {
            max = Math.max(max, s);
        }
        double sum = 0;
        float[] p = new float[scores.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.exp(scores[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= (float) sum;
        }
        return p;
    }
}
