using Praxis.Initializers;
using Praxis.Layers;
using Praxis.Metrics;
using Praxis.Models;
using Praxis.Optimizers;
using Praxis.Tests.IO;
using static Praxis.Keras;

namespace Praxis.Tests.Training;

/// <summary>
/// Compile(weightedMetrics:) (Keras weighted_metrics) and per-output sample weights, against hand-computed values; each
/// metric's weighted update against the same metric fed the weighted samples repeated.
/// </summary>
[Collection("Global state")]
public class WeightedMetricsTests
{
    private static readonly float[] X = [0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 1f, 1f];
    private static readonly float[] Y = [1f, -2f, 0.5f, 3f];
    private static readonly float[] W0 = [0.3f, -0.6f];
    private static readonly float[] S = [1f, 0f, 2f, 0.5f];

    private static double Residual(int n) => X[2 * n] * W0[0] + X[2 * n + 1] * W0[1] - Y[n];

    private static Model Linear(IEnumerable<Metric>? metrics, IEnumerable<Metric>? weighted)
    {
        ClearSession();
        var i = Input(shape: [2]);
        var model = new Model(i, new Dense(1, useBias: false, kernelInitializer: new Constant(0f)).Apply(i));
        model.SetWeights([W0]);
        model.Compile(new SGD(0f), "mse", metrics, weightedMetrics: weighted);
        return model;
    }

    [Fact]
    public void WeightedMetricsAreWeightedMeansUnderKerasNames()
    {
        // metrics mae; weighted mae (name taken: weighted_mae) and mse (free: mse). Weighted mean = Σ v·s / Σ s.
        var model = Linear(["mae"], ["mae", "mse"]);
        var x = Tensor.FromArray(X, 4, 2);
        var y = Tensor.FromArray(Y, 4, 1);
        double mae = 0, wmae = 0, wmse = 0, loss = 0, sw = 0;
        for (int n = 0; n < 4; n++)
        {
            double r = Residual(n);
            mae += Math.Abs(r) / 4;
            wmae += S[n] * Math.Abs(r);
            wmse += S[n] * r * r;
            loss += S[n] * r * r / 4; // sum_over_batch_size: divided by the count, not by Σs
            sw += S[n];
        }
        // Batches of 3 and 1: the metrics accumulate over batches, so batching must not change them.
        var logs = model.Evaluate(x, y, batchSize: 3, sampleWeight: Tensor.FromArray(S, 4));
        Assert.Equal(["loss", "mae", "mse", "weighted_mae"], logs.Keys.Order());
        Assert.Equal(mae, logs["mae"], 5);
        Assert.Equal(wmae / sw, logs["weighted_mae"], 5);
        Assert.Equal(wmse / sw, logs["mse"], 5);
        // The loss tracker weighs each batch's Σ s·r²/count by its count, so batching leaves the loss as one batch gives it.
        Assert.Equal(loss, logs["loss"], 5);

        // Without sample weights the weighted metrics are plain ones (Keras updates them with sample_weight=None).
        var plain = model.Evaluate(x, y, batchSize: 4);
        Assert.Equal(plain["mae"], plain["weighted_mae"], 6);

        // Fit logs the same names; with lr 0 the epoch's figures are the evaluation's.
        var hist = model.Fit(x, y, batchSize: 4, epochs: 1, shuffle: false, verbose: 0, sampleWeight: Tensor.FromArray(S, 4));
        Assert.Equal(wmae / sw, hist["weighted_mae"][0], 5);
        Assert.Equal(mae, hist["mae"][0], 5);
    }

    [Fact]
    public void ClassWeightReachesWeightedAccuracyAndValidationSplitsTheWeights()
    {
        // Fixed sigmoid outputs via a frozen Dense: p = sigmoid(x·w). Labels chosen so samples 0 and 2 are right, 1 wrong.
        ClearSession();
        var i = Input(shape: [2]);
        var model = new Model(i, new Dense(1, useBias: false, activation: "sigmoid", kernelInitializer: new Constant(0f)).Apply(i));
        model.SetWeights([W0]);
        model.Compile(new SGD(0f), "binary_crossentropy", ["accuracy"], weightedMetrics: ["accuracy", new Precision()]);
        var x = Tensor.FromArray(X, 4, 2);
        var labels = new float[4];
        var p = new double[4];
        for (int n = 0; n < 4; n++)
        {
            p[n] = 1 / (1 + Math.Exp(-(X[2 * n] * W0[0] + X[2 * n + 1] * W0[1])));
            labels[n] = n == 1 ? (p[n] > 0.5 ? 0f : 1f) : (p[n] > 0.5 ? 1f : 0f);
        }
        // Class 1 weighs 3, class 0 weighs 1.
        var classWeight = new Dictionary<int, float> { [1] = 3f };
        double right = 0, total = 0, tp = 0, predictedPositive = 0;
        for (int n = 0; n < 4; n++)
        {
            double w = labels[n] == 1f ? 3 : 1;
            total += w;
            if (n != 1) right += w;
            if (p[n] > 0.5) { predictedPositive += w; if (labels[n] == 1f) tp += w; }
        }
        var hist = model.Fit(x, Tensor.FromArray(labels, 4, 1), batchSize: 4, epochs: 1, shuffle: false, verbose: 0, classWeight: classWeight);
        Assert.Equal(0.75, hist["accuracy"][0], 6);
        Assert.Equal(right / total, hist["weighted_accuracy"][0], 6);
        Assert.Equal(predictedPositive == 0 ? 0 : tp / predictedPositive, hist["precision"][0], 6);
    }

    [Fact]
    public void PerOutputSampleWeightsWeighEachOutputsLossAndMetrics()
    {
        // Two linear heads on the same input; each output's loss is Σ r²·s / N with its own weights.
        ClearSession();
        var i = Input(shape: [2]);
        var a = new Dense(1, useBias: false, kernelInitializer: new Constant(0f), name: "a").Apply(i);
        var b = new Dense(1, useBias: false, kernelInitializer: new Constant(0f), name: "b").Apply(i);
        var model = new Model([i], [a, b]);
        float[] wb = [-0.2f, 0.4f];
        model.SetWeights([W0, wb]);
        model.Compile(new SGD(0f), ["mse", "mse"], lossWeights: [1f, 0.5f], weightedMetrics: [["mae"], ["mae"]]);
        var x = Tensor.FromArray(X, 4, 2);
        var y = Tensor.FromArray(Y, 4, 1);
        float[] sb = [0.5f, 1f, 0f, 3f];
        double la = 0, lb = 0, ma = 0, mb = 0, sa = 0, sbs = 0;
        for (int n = 0; n < 4; n++)
        {
            double ra = Residual(n), rb = X[2 * n] * wb[0] + X[2 * n + 1] * wb[1] - Y[n];
            la += S[n] * ra * ra / 4; lb += sb[n] * rb * rb / 4;
            ma += S[n] * Math.Abs(ra); mb += sb[n] * Math.Abs(rb);
            sa += S[n]; sbs += sb[n];
        }
        var sw = new[] { Tensor.FromArray(S, 4), Tensor.FromArray(sb, 4) };
        var logs = model.Evaluate(x, [y, y], batchSize: 4, sampleWeight: sw);
        Assert.Equal(la + 0.5 * lb, logs["loss"], 5);
        Assert.Equal(la, logs["a_loss"], 5);
        Assert.Equal(0.5 * lb, logs["b_loss"], 5);
        Assert.Equal(ma / sa, logs["a_mae"], 5);
        Assert.Equal(mb / sbs, logs["b_mae"], 5);

        // The same by output name; an output the dictionary leaves out is unweighted.
        var byName = model.Evaluate(x, [y, y], batchSize: 4, sampleWeight: new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray(sb, 4), ["a"] = Tensor.FromArray(S, 4) });
        Assert.Equal(logs["loss"], byName["loss"], 6);
        double plainA = 0;
        for (int n = 0; n < 4; n++) plainA += Residual(n) * Residual(n) / 4;
        var onlyB = model.Evaluate(x, [y, y], batchSize: 4, sampleWeight: new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray(sb, 4) });
        Assert.Equal(plainA, onlyB["a_loss"], 5);
        Assert.Equal(0.5 * lb, onlyB["b_loss"], 5);
        // A null entry in the list leaves that output unweighted too.
        var nullA = model.Evaluate(x, [y, y], batchSize: 4, sampleWeight: new Tensor?[] { null, Tensor.FromArray(sb, 4) });
        Assert.Equal(plainA, nullA["a_loss"], 5);

        // Fit with per-output weights, shuffled batches of one: each batch gathers its own rows of each weight tensor.
        var hist = model.Fit(x, [y, y], batchSize: 4, epochs: 1, shuffle: false, verbose: 0, sampleWeight: sw);
        Assert.Equal(la + 0.5 * lb, hist["loss"][0], 5);
        var shuffled = model.Fit(x, [y, y], batchSize: 1, epochs: 1, shuffle: true, verbose: 0, sampleWeight: sw);
        Assert.Equal(la + 0.5 * lb, shuffled["loss"][0], 5);
        Assert.Equal(mb / sbs, shuffled["b_mae"][0], 5);
        // validationSplit splits every output's weights: the last sample alone.
        var split = model.Fit(x, [y, y], batchSize: 4, epochs: 1, shuffle: false, verbose: 0, validationSplit: 0.25, sampleWeight: sw);
        double ra3 = Residual(3), rb3 = X[6] * wb[0] + X[7] * wb[1] - Y[3];
        Assert.Equal(S[3] * ra3 * ra3 + 0.5 * sb[3] * rb3 * rb3, split["val_loss"][0], 5);
    }

    [Fact]
    public void PerOutputSampleWeightsChangeTheGradientOfTheirOutputOnly()
    {
        // One SGD step: head a's weights follow Σ s·2x·r / N; head b's (weight 0 everywhere) do not move.
        ClearSession();
        var i = Input(shape: [2]);
        var da = new Dense(1, useBias: false, kernelInitializer: new Constant(0f), name: "a");
        var db = new Dense(1, useBias: false, kernelInitializer: new Constant(0f), name: "b");
        var model = new Model([i], [da.Apply(i), db.Apply(i)]);
        model.SetWeights([W0, W0]);
        model.Compile(new SGD(0.1f), ["mse", "mse"]);
        model.Fit(Tensor.FromArray(X, 4, 2), [Tensor.FromArray(Y, 4, 1), Tensor.FromArray(Y, 4, 1)], batchSize: 4, epochs: 1, shuffle: false, verbose: 0,
            sampleWeight: new[] { Tensor.FromArray(S, 4), Tensor.Zeros(4) });
        double g0 = 0, g1 = 0;
        for (int n = 0; n < 4; n++) { g0 += S[n] * 2.0 / 4 * X[2 * n] * Residual(n); g1 += S[n] * 2.0 / 4 * X[2 * n + 1] * Residual(n); }
        var wa = da.Kernel.ToArray();
        Assert.Equal(W0[0] - 0.1 * g0, wa[0], 4);
        Assert.Equal(W0[1] - 0.1 * g1, wa[1], 4);
        Assert.Equal(W0, db.Kernel.ToArray());
    }

    [Fact]
    public void BadWeightsAndMetricsAreRefusedByName()
    {
        ClearSession();
        var i = Input(shape: [2]);
        var model = new Model([i], [new Dense(1, name: "a").Apply(i), new Dense(1, name: "b").Apply(i)]);
        model.Compile(new SGD(0.1f), ["mse", "mse"], weightedMetrics: [["mae"], []]);
        var x = Tensor.FromArray(X, 4, 2);
        var y = Tensor.FromArray(Y, 4, 1);
        var before = model.GetWeights().Select(w => w.ToArray()).ToArray();
        var e = Assert.Throws<ArgumentException>(() => model.Fit(x, [y, y], verbose: 0, sampleWeight: new[] { Tensor.Ones(4) }));
        Assert.Contains("2 output(s)", e.Message);
        Assert.Contains("sampleWeight has 1 entries", e.Message);
        Assert.Contains("names output 'c'", Assert.Throws<ArgumentException>(() =>
            model.Evaluate(x, [y, y], sampleWeight: new Dictionary<string, Tensor> { ["c"] = Tensor.Ones(4) })).Message);
        var rows = Assert.Throws<ArgumentException>(() => model.Fit(x, [y, y], verbose: 0, sampleWeight: new[] { Tensor.Ones(4), Tensor.Ones(3) }));
        Assert.Contains("output 'b'", rows.Message);
        Assert.Contains("expected 4 rows", rows.Message);
        Assert.Equal(before, model.GetWeights().Select(w => w.ToArray()).ToArray());

        // A flat weightedMetrics list cannot say which of two outputs it measures; one object cannot be in both lists.
        Assert.Contains("flat weightedMetrics list", Assert.Throws<ArgumentException>(() => model.Compile(new SGD(0.1f), "mse", weightedMetrics: ["mae"])).Message);
        ClearSession();
        var j = Input(shape: [2]);
        var single = new Model(j, new Dense(1).Apply(j));
        Metric shared = "mae";
        Assert.Contains("given twice", Assert.Throws<ArgumentException>(() => single.Compile(new SGD(0.1f), "mse", [shared], weightedMetrics: [shared])).Message);

        // A metric that does not take weights says so, naming itself.
        single.Compile(new SGD(0.1f), "mse", weightedMetrics: [new Unweighted()]);
        var ns = Assert.Throws<NotSupportedException>(() => single.Evaluate(x, y, sampleWeight: Tensor.Ones(4)));
        Assert.Contains("Metric 'unweighted' (Unweighted) does not take sample weights", ns.Message);
        // …and a weight tensor that does not fit the metric's values is a shape error naming the metric.
        var mae = new MeanAbsoluteErrorMetric();
        var shape = Assert.Throws<ShapeMismatchException>(() => mae.Update(Tensor.Zeros(4, 3), Tensor.Zeros(4, 3), Tensor.Ones(4, 2)));
        Assert.Contains("Metric 'mae'", shape.Message);
        Assert.Contains("(4, 2)", shape.Message);
    }

    private sealed class Unweighted : Metric
    {
        public Unweighted() => Name = "unweighted";
        public override void Update(Tensor yTrue, Tensor yPred) { }
        public override double Result() => 0;
        public override void Reset() { }
    }

    [Fact]
    public void WeightedMetricsAreSavedAndRestored()
    {
        // BinaryAccuracy with a threshold other than 0.5 is saved with its config (it was saved by name and reloaded at 0.5).
        var model = Linear(["mae", new BinaryAccuracy(threshold: 0.1f)], ["mae", new Precision(thresholds: [0.2f, 0.6f])]);
        var x = Tensor.FromArray(X, 4, 2);
        var y = Tensor.FromArray([1f, 0f, 1f, 1f], 4, 1);
        var sw = Tensor.FromArray(S, 4);
        var expected = model.Evaluate(x, y, batchSize: 4, sampleWeight: sw);
        Assert.Contains("precision_0.2", expected.Keys);
        using var dir = new TempDir();
        model.Save(dir.File("w.praxis"));
        var loaded = Model.Load(dir.File("w.praxis"));
        var got = loaded.Evaluate(x, y, batchSize: 4, sampleWeight: sw);
        Assert.Equal(expected.Keys.Order(), got.Keys.Order());
        foreach (var (k, v) in expected) Assert.Equal(v, got[k], 6);
        Assert.Equal(0.1f, loaded.Metrics.OfType<BinaryAccuracy>().Single().Threshold);
    }

    /// <summary>
    /// Integer weights are repeats: each metric updated with weights (2, 0, 1, 3) equals the same metric updated with
    /// sample 0 twice, sample 1 left out, sample 3 three times (exactly Keras' meaning of a weight).
    /// </summary>
    [Theory]
    [InlineData("binary_accuracy")]
    [InlineData("categorical_accuracy")]
    [InlineData("sparse_categorical_accuracy")]
    [InlineData("mse")]
    [InlineData("mae")]
    [InlineData("root_mean_squared_error")]
    [InlineData("auc")]
    [InlineData("auc_pr")]
    [InlineData("precision")]
    [InlineData("recall_top_k")]
    [InlineData("precision_class_id")]
    [InlineData("top_k")]
    [InlineData("sparse_top_k")]
    [InlineData("f1")]
    [InlineData("mean_iou")]
    public void IntegerWeightsEqualRepeatedSamples(string kind)
    {
        int[] weights = [2, 0, 1, 3];
        var rng = new Random(7);
        const int c = 4;
        var probs = new float[4 * c];
        for (int k = 0; k < probs.Length; k++) probs[k] = (float)rng.NextDouble();
        var ids = new float[] { 1, 3, 0, 1 };
        var oneHot = new float[4 * c];
        for (int r = 0; r < 4; r++) oneHot[r * c + (int)ids[r]] = 1f;
        var binary = new float[4 * c];
        for (int k = 0; k < binary.Length; k++) binary[k] = rng.Next(2);
        var predIds = new float[] { 1, 2, 0, 3 };

        (Func<Metric> Make, float[] T, int TCols, float[] P, int PCols) spec = kind switch
        {
            "binary_accuracy" => (() => new BinaryAccuracy(), binary, c, probs, c),
            "categorical_accuracy" => (() => new CategoricalAccuracy(), oneHot, c, probs, c),
            "sparse_categorical_accuracy" => (() => new SparseCategoricalAccuracy(), ids, 1, probs, c),
            "mse" => (() => new MeanSquaredErrorMetric(), binary, c, probs, c),
            "mae" => (() => new MeanAbsoluteErrorMetric(), binary, c, probs, c),
            "root_mean_squared_error" => (() => new RootMeanSquaredError(), binary, c, probs, c),
            "auc" => (() => new AUC(numThresholds: 50), binary, c, probs, c),
            "auc_pr" => (() => new AUC(numThresholds: 50, curve: "PR"), binary, c, probs, c),
            "precision" => (() => new Precision(thresholds: [0.3f, 0.7f]), binary, c, probs, c),
            "recall_top_k" => (() => new Recall(topK: 2), binary, c, probs, c),
            "precision_class_id" => (() => new Precision(classId: 1), binary, c, probs, c),
            "top_k" => (() => new TopKCategoricalAccuracy(k: 2), oneHot, c, probs, c),
            "sparse_top_k" => (() => new SparseTopKCategoricalAccuracy(k: 2), ids, 1, probs, c),
            "f1" => (() => new F1Score(average: "weighted", threshold: 0.5f), binary, c, probs, c),
            "mean_iou" => (() => new MeanIoU(c), ids, 1, predIds, 1),
            _ => throw new ArgumentException(kind),
        };
        var (make, t, tc, p, pc) = spec;
        Tensor Rows(float[] data, int cols, IEnumerable<int> rows)
        {
            var list = rows.ToArray();
            var a = new float[list.Length * cols];
            for (int k = 0; k < list.Length; k++) Array.Copy(data, list[k] * cols, a, k * cols, cols);
            return cols == 1 ? Tensor.FromArray(a, list.Length) : Tensor.FromArray(a, list.Length, cols);
        }
        var weighted = make();
        weighted.Update(Rows(t, tc, [0, 1, 2, 3]), Rows(p, pc, [0, 1, 2, 3]), Tensor.FromArray(weights.Select(w => (float)w).ToArray(), 4));
        var repeated = make();
        var rows = Enumerable.Range(0, 4).SelectMany(r => Enumerable.Repeat(r, weights[r])).ToArray();
        repeated.Update(Rows(t, tc, rows), Rows(p, pc, rows));
        Assert.Equal(repeated.ResultCount, weighted.ResultCount);
        for (int r = 0; r < weighted.ResultCount; r++) Assert.Equal(repeated.Result(r), weighted.Result(r), 9);
        // And weights that are not all equal do change the result (the test would pass trivially otherwise).
        var plain = make();
        plain.Update(Rows(t, tc, [0, 1, 2, 3]), Rows(p, pc, [0, 1, 2, 3]));
        bool differs = false;
        for (int r = 0; r < plain.ResultCount; r++) differs |= Math.Abs(plain.Result(r) - weighted.Result(r)) > 1e-9;
        Assert.True(differs, $"{kind}: the weighted result equals the unweighted one; pick data where the weights matter.");
    }
}
