package org.dyve.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.dyve.DyveException;
import org.dyve.data.Dataset;
import org.dyve.data.Preprocessing;
import org.dyve.data.Sample;
import org.dyve.format.caffe.CaffeModelWriter;
import org.dyve.model.Shape;
import org.dyve.model.Tensor;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.TrainingConfig;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.MapSchedule;
import org.nd4j.linalg.schedule.ScheduleType;
import org.nd4j.weightinit.impl.XavierInitScheme;
import org.nd4j.weightinit.impl.ZeroInitScheme;

/**
 * Trains {@code fashion_cnn}, a small CNN in the spirit of Caffe's cifar10_full (conv, ReLU, max pooling,
 * LRN across channels, fully connected, softmax), on the Fashion-MNIST training split. The graph uses only
 * operations whose arithmetic equals Caffe's (pooling windows divide the input exactly; LRN is built from
 * a constant channel-band convolution), so the exported Caffe files reproduce the trained network exactly.
 */
public final class FashionCnnTrainer {
    /** Layer names in prototxt order; the prototxt resource holds the same architecture. */
    static final String PROTOTXT = "fashion_cnn.prototxt";
    static final float LRN_ALPHA = 1e-3f;
    static final float LRN_BETA = 0.75f;
    static final int LRN_SIZE = 3;
    /** Input normalisation: {@code (pixel / 255 - MEAN) / STD}, Fashion-MNIST's training statistics. */
    static final float PIXEL_SCALE = 1f / 255f;
    static final float MEAN = 0.2860f;
    static final float STD = 0.3530f;

    private final long seed;
    private final int epochs;
    private final int batch;
    private final double learningRate;

    public FashionCnnTrainer(long seed, int epochs, int batch, double learningRate) {
        this.seed = seed;
        this.epochs = epochs;
        this.batch = batch;
        this.learningRate = learningRate;
    }

    /** The preprocessing the model is trained with; {@code models/fashion_cnn.conf} states the same. */
    public static Preprocessing preprocessing() {
        return new Preprocessing(new Shape(1, 28, 28), false, 0, null, new float[] {MEAN}, new float[] {STD},
                PIXEL_SCALE, 1f);
    }

    /**
     * Trains on {@code train} and writes {@code deploy.prototxt}, {@code fashion_cnn.caffemodel} and the
     * {@code FILES} listing into {@code outDir}.
     */
    public void train(Dataset train, Path outDir, Consumer<String> log) throws IOException {
        // SameDiff prints every differentiated op to System.out; keep the CLI's output readable.
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            trainQuietly(train, outDir, log);
        } finally {
            System.setOut(stdout);
        }
    }

    private void trainQuietly(Dataset train, Path outDir, Consumer<String> log) throws IOException {
        Nd4j.getRandom().setSeed(seed);
        SameDiff sd = SameDiff.create();
        SDVariable in = sd.placeHolder("input", DataType.FLOAT, -1, 1, 28, 28);
        SDVariable label = sd.placeHolder("label", DataType.FLOAT, -1, 10);
        SDVariable x = conv(sd, "conv1", in, 1, 32, 5, 2);
        x = sd.nn().relu(x, 0);
        x = sd.cnn().maxPooling2d(x, pool(2, 2));
        x = lrn(sd, x, 32);
        x = conv(sd, "conv2", x, 32, 32, 5, 2);
        x = sd.nn().relu(x, 0);
        x = sd.cnn().maxPooling2d(x, pool(2, 2));
        x = lrn(sd, x, 32);
        x = conv(sd, "conv3", x, 32, 64, 3, 1);
        x = sd.nn().relu(x, 0);
        x = sd.cnn().maxPooling2d(x, pool(3, 2));
        SDVariable flat = sd.reshape(x, -1, 64 * 3 * 3);
        SDVariable w = sd.var("ip1_w", new XavierInitScheme('c', 576, 10), DataType.FLOAT, 576, 10);
        SDVariable b = sd.var("ip1_b", new ZeroInitScheme('c'), DataType.FLOAT, 1, 10);
        SDVariable logits = flat.mmul(w).add(b);
        sd.loss().softmaxCrossEntropy("loss", label, logits, null);
        // Step schedule: full rate for the first 60% of the epochs, then 1/3, then 1/10 for the last 20%.
        int perEpoch = train.size() / batch;
        Map<Integer, Double> lr = new java.util.HashMap<>();
        lr.put(0, learningRate);
        lr.put(perEpoch * (epochs * 6 / 10), learningRate / 3);
        lr.put(perEpoch * (epochs * 8 / 10), learningRate / 10);
        sd.setTrainingConfig(TrainingConfig.builder()
                .updater(new Adam(new MapSchedule(ScheduleType.ITERATION, lr)))
                .dataSetFeatureMapping("input").dataSetLabelMapping("label").build());

        int n = train.size();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Random rnd = new Random(seed);
        Preprocessing pre = preprocessing();
        float[] feat = new float[batch * 784];
        float[] lab = new float[batch * 10];
        for (int epoch = 0; epoch < epochs; epoch++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            long t0 = System.nanoTime();
            for (int start = 0; start + batch <= n; start += batch) {
                java.util.Arrays.fill(lab, 0f);
                for (int k = 0; k < batch; k++) {
                    Sample s = train.get(order[start + k]);
                    System.arraycopy(pre.apply(s.image()), 0, feat, k * 784, 784);
                    lab[k * 10 + s.label()] = 1f;
                }
                sd.fit(new DataSet(Nd4j.create(feat, new long[] {batch, 1, 28, 28}, 'c'),
                        Nd4j.create(lab, new long[] {batch, 10}, 'c')));
                if ((start / batch) % 100 == 0) {
                    log.accept(String.format("epoch %d/%d: %d/%d samples, %.0fs", epoch + 1, epochs, start, n,
                            (System.nanoTime() - t0) / 1e9));
                }
            }
        }
        Files.createDirectories(outDir);
        Map<String, List<Tensor>> blobs = new LinkedHashMap<>();
        for (String c : new String[] {"conv1", "conv2", "conv3"}) {
            INDArray yxio = sd.getVariable(c + "_w").getArr();
            blobs.put(c, List.of(tensor(yxio.permute(3, 2, 0, 1)), flat(sd.getVariable(c + "_b").getArr())));
        }
        INDArray ipw = sd.getVariable("ip1_w").getArr().transpose().dup('c');
        blobs.put("ip1", List.of(tensor(ipw), flat(sd.getVariable("ip1_b").getArr())));
        CaffeModelWriter.write(outDir.resolve("fashion_cnn.caffemodel"), "fashion_cnn", blobs);
        try (InputStream p = FashionCnnTrainer.class.getResourceAsStream(PROTOTXT)) {
            if (p == null) {
                throw new DyveException(PROTOTXT + ": resource missing");
            }
            Files.write(outDir.resolve("deploy.prototxt"), p.readAllBytes());
        }
        Files.writeString(outDir.resolve("FILES"), "deploy.prototxt\nfashion_cnn.caffemodel\n",
                StandardCharsets.UTF_8);
    }

    private static SDVariable conv(SameDiff sd, String name, SDVariable x, int cin, int cout, int k, int pad) {
        // libnd4j's conv2d_bp ignores the weights-format argument, so train in its default [kH, kW, iC, oC]
        // layout and permute to Caffe's [oC, iC, kH, kW] on export.
        SDVariable w = sd.var(name + "_w", new XavierInitScheme('c', cin * k * k, cout * k * k), DataType.FLOAT,
                k, k, cin, cout);
        SDVariable b = sd.var(name + "_b", new ZeroInitScheme('c'), DataType.FLOAT, cout);
        return sd.cnn().conv2d(x, w, b, Conv2DConfig.builder().kH(k).kW(k).sH(1).sW(1).pH(pad).pW(pad).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).dataFormat("NCHW").build());
    }

    private static Pooling2DConfig pool(int k, int s) {
        return Pooling2DConfig.builder().kH(k).kW(k).sH(s).sW(s).pH(0).pW(0).dH(1).dW(1)
                .paddingMode(PaddingMode.VALID).isNHWC(false).build();
    }

    /** Caffe LRN across channels: {@code x * (1 + alpha/n * sum_{n channels} x^2)^-beta}. */
    private static SDVariable lrn(SameDiff sd, SDVariable x, int channels) {
        float[] band = new float[channels * channels];
        int half = LRN_SIZE / 2;
        for (int o = 0; o < channels; o++) {
            for (int i = Math.max(0, o - half); i <= Math.min(channels - 1, o + half); i++) {
                band[o * channels + i] = LRN_ALPHA / LRN_SIZE;
            }
        }
        SDVariable bandW = sd.constant(Nd4j.create(band, new long[] {1, 1, channels, channels}, 'c'));
        SDVariable sum = sd.cnn().conv2d(x.mul(x), bandW, Conv2DConfig.builder().kH(1).kW(1).sH(1).sW(1).pH(0).pW(0)
                .dH(1).dW(1).paddingMode(PaddingMode.VALID).dataFormat("NCHW").build());
        return x.mul(sd.math().pow(sum.add(1.0), -LRN_BETA));
    }

    private static Tensor tensor(INDArray a) {
        long[] s = a.shape();
        int[] shape = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            shape[i] = (int) s[i];
        }
        return new Tensor(shape, a.dup('c').data().asFloat());
    }

    private static Tensor flat(INDArray a) {
        float[] d = a.dup('c').data().asFloat();
        return new Tensor(new int[] {d.length}, d);
    }
}
