using System.Text.Json;
using Praxis.Layers;
using Praxis.Metrics;
using Praxis.Models;
using Praxis.Tests.IO;
using static Praxis.Keras;

namespace Praxis.Tests.Metrics;

/// <summary>
/// The Keras metrics against scikit-learn (and Keras 3's own formulas where scikit-learn has none), from
/// <c>Fixtures/make_metric_reference.py</c>. Data are fed in two batches, so accumulation across updates is exercised.
/// </summary>
[Collection("Global state")]
public class MetricReferenceTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "metric_reference.json"))).RootElement;

    private static float[] Flat(string key) => Flat(Root.GetProperty(key));

    private static float[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(Flat).ToArray() : [(float)e.GetDouble()];

    private static double D(string key) => Root.GetProperty(key).GetDouble();

    /// <summary>Feeds rows [0, n/2) and [n/2, n) as two batches and returns the result.</summary>
    private static T Fed<T>(T metric, float[] yTrue, float[] yPred, int cols, int trueCols = -1) where T : Metric
    {
        if (trueCols < 0) trueCols = cols;
        int rows = yPred.Length / cols, half = rows / 2;
        metric.Update(Tensor.FromArray(yTrue[..(half * trueCols)], half, trueCols), Tensor.FromArray(yPred[..(half * cols)], half, cols));
        metric.Update(Tensor.FromArray(yTrue[(half * trueCols)..], rows - half, trueCols), Tensor.FromArray(yPred[(half * cols)..], rows - half, cols));
        return metric;
    }

    private static float[] OneHot(float[] labels, int c)
    {
        var r = new float[labels.Length * c];
        for (int i = 0; i < labels.Length; i++) r[i * c + (int)labels[i]] = 1f;
        return r;
    }

    [Fact]
    public void AucMatchesScikitLearnAndKerasFormulas()
    {
        float[] y = Flat("y_bin"), s = Flat("score");
        Assert.Equal(D("roc_auc_sklearn"), Fed(new AUC(), y, s, 1).Result(), 6);
        Assert.Equal(D("roc_auc_minoring"), Fed(new AUC(summationMethod: "minoring"), y, s, 1).Result(), 6);
        Assert.Equal(D("roc_auc_majoring"), Fed(new AUC(summationMethod: "majoring"), y, s, 1).Result(), 6);
        Assert.Equal(D("pr_auc_interpolation"), Fed(new AUC(curve: "PR"), y, s, 1).Result(), 6);
        Assert.Equal(D("pr_auc_minoring"), Fed(new AUC(curve: "PR", summationMethod: "minoring"), y, s, 1).Result(), 6);
        // From logits: the same ranking through a sigmoid.
        var logits = s.Select(p => MathF.Log(p / (1 - p))).ToArray();
        Assert.Equal(D("roc_auc_sklearn"), Fed(new AUC(fromLogits: true), y, logits, 1).Result(), 5);
        var auc = new AUC();
        var e = Assert.Throws<ArgumentException>(() => auc.Update(Tensor.FromArray([1f], 1, 1), Tensor.FromArray([1.5f], 1, 1)));
        Assert.Contains("outside [0, 1]", e.Message);
        auc.Reset();
        Assert.Equal(0, auc.Result());
    }

    [Fact]
    public void SeveralThresholdsAreLoggedOnePerThresholdInFitAndEvaluate()
    {
        // Keras 3's result() is then a vector; a log holds numbers, so Praxis logs precision_0.3, precision_0.7.
        SetRandomSeed(5);
        ClearSession();
        float[] y = Flat("y_bin"), s = Flat("score");
        int n = s.Length;
        var i = Input(shape: [1]);
        var model = new Model(i, new Activation("linear").Apply(i)); // predictions = the scores themselves
        var precision = new Precision([0.3f, 0.7f]);
        var recall = new Recall([0.3f, 0.7f], name: "rec");
        model.Compile(new Praxis.Optimizers.SGD(), "mse", [precision, recall]);
        var x = Tensor.FromArray(s, n, 1);
        var t = Tensor.FromArray(y, n, 1);
        var logs = model.Evaluate(x, t, batchSize: 7, verbose: 0);
        Assert.Equal(D("precision_03"), logs["precision_0.3"], 5);
        Assert.Equal(D("precision_07"), logs["precision_0.7"], 5);
        Assert.Equal(D("recall_03"), logs["rec_0.3"], 5);
        Assert.Equal(D("recall_07"), logs["rec_0.7"], 5);
        Assert.False(logs.ContainsKey("precision"));
        Assert.Equal(precision.Results()[1], precision.Result(1));
        Assert.Equal(2, precision.ResultCount);
    }

    [Fact]
    public void PrecisionAndRecallMatchScikitLearn()
    {
        float[] y = Flat("y_bin"), s = Flat("score");
        Assert.Equal(D("precision_05"), Fed(new Precision(), y, s, 1).Result(), 6);
        Assert.Equal(D("recall_05"), Fed(new Recall(), y, s, 1).Result(), 6);
        var p = Fed(new Precision([0.3f, 0.7f]), y, s, 1).Results();
        Assert.Equal(D("precision_03"), p[0], 6);
        Assert.Equal(D("precision_07"), p[1], 6);
        var r = Fed(new Recall([0.3f, 0.7f]), y, s, 1);
        Assert.Equal(D("recall_03"), r.Results()[0], 6);
        Assert.Equal(D("recall_07"), r.Results()[1], 6);
        Assert.Contains("Results()", Assert.Throws<InvalidOperationException>(() => r.Result()).Message);

        float[] labels = Flat("labels"), probs = Flat("probs");
        var onehot = OneHot(labels, 4);
        Assert.Equal(D("precision_top2_class1"), Fed(new Precision(topK: 2, classId: 1), onehot, probs, 4).Result(), 6);
        Assert.Equal(D("recall_top2_class1"), Fed(new Recall(topK: 2, classId: 1), onehot, probs, 4).Result(), 6);
        Assert.Equal(D("precision_class2"), Fed(new Precision(classId: 2), onehot, probs, 4).Result(), 6);
        Assert.Equal(D("recall_class2"), Fed(new Recall(classId: 2), onehot, probs, 4).Result(), 6);
        var bad = Assert.Throws<ArgumentException>(() => new Precision(classId: 7).Update(Tensor.FromArray(onehot[..4], 1, 4), Tensor.FromArray(probs[..4], 1, 4)));
        Assert.Contains("class_id 7", bad.Message);
    }

    [Fact]
    public void F1TopKMeanIoUAndRmseMatchScikitLearn()
    {
        float[] labels = Flat("labels"), probs = Flat("probs");
        var onehot = OneHot(labels, 4);
        var none = Fed(new F1Score(), onehot, probs, 4);
        var want = Flat("f1_none");
        for (int j = 0; j < 4; j++) Assert.Equal(want[j], none.Results()[j], 5);
        Assert.Contains("one value per class", Assert.Throws<InvalidOperationException>(() => none.Result()).Message);
        Assert.Equal(D("f1_micro"), Fed(new F1Score("micro"), onehot, probs, 4).Result(), 5);
        Assert.Equal(D("f1_macro"), Fed(new F1Score("macro"), onehot, probs, 4).Result(), 5);
        Assert.Equal(D("f1_weighted"), Fed(new F1Score("weighted"), onehot, probs, 4).Result(), 5);
        Assert.Equal(D("f1_threshold_macro"), Fed(new F1Score("macro", threshold: 0.3f), onehot, probs, 4).Result(), 5);

        Assert.Equal(D("top2"), Fed(new TopKCategoricalAccuracy(2), onehot, probs, 4).Result(), 6);
        Assert.Equal(D("top3"), Fed(new SparseTopKCategoricalAccuracy(3), labels, probs, 4, trueCols: 1).Result(), 6);
        var pred = new float[labels.Length];
        for (int i = 0; i < pred.Length; i++) pred[i] = CategoricalAccuracyArgMax(probs.AsSpan(i * 4, 4));
        Assert.Equal(D("mean_iou"), Fed(new MeanIoU(4), labels, pred, 1).Result(), 6);
        Assert.Equal(D("mean_iou"), Fed(new MeanIoU(4, sparseYTrue: false, sparseYPred: false), onehot, probs, 4).Result(), 6);
        Assert.Equal(D("rmse"), Fed(new RootMeanSquaredError(), Flat("reg_true"), Flat("reg_pred"), 3).Result(), 6);

        var sum = new Sum("total");
        sum.UpdateState(Tensor.FromArray([1f, 2f, 3f], 3));
        sum.UpdateState(4.0, sampleWeight: 0.5);
        Assert.Equal(8.0, sum.Result());
    }

    private static int CategoricalAccuracyArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    [Theory]
    [InlineData("auc", typeof(AUC))]
    [InlineData("precision", typeof(Precision))]
    [InlineData("recall", typeof(Recall))]
    [InlineData("top_k_categorical_accuracy", typeof(TopKCategoricalAccuracy))]
    [InlineData("sparse_top_k_categorical_accuracy", typeof(SparseTopKCategoricalAccuracy))]
    [InlineData("root_mean_squared_error", typeof(RootMeanSquaredError))]
    public void KerasNamesResolve(string name, Type type) => Assert.IsType(type, Metric.Get(name));

    [Fact]
    public void ConfiguredMetricsTrainAndSurviveSaveLoad()
    {
        ClearSession();
        SetRandomSeed(11);
        var model = new Sequential([new InputLayer([3]), new Dense(1, activation: "sigmoid")]);
        model.Compile("adam", "binary_crossentropy", [new AUC(numThresholds: 50, curve: "PR", name: "pr_auc"), new Precision([0.4f], name: "p40"), "recall", new F1Score("macro", threshold: 0.5f)]);
        var x = Tensor.RandomNormal(new Shape(16, 3), rng: new Rng(2));
        var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (float)(i % 2)).ToArray(), 16, 1);
        var h = model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        Assert.True(h.Metrics.ContainsKey("pr_auc") && h.Metrics.ContainsKey("p40") && h.Metrics.ContainsKey("f1_score"));
        using var dir = new TempDir();
        model.Save(dir.File("m.praxis"));
        var loaded = Model.Load(dir.File("m.praxis"));
        var auc = Assert.IsType<AUC>(loaded.Metrics[0]);
        Assert.Equal(("PR", 50, "pr_auc"), (auc.Curve, auc.NumThresholds, auc.Name));
        Assert.Equal([0.4f], Assert.IsType<Precision>(loaded.Metrics[1]).Thresholds);
        Assert.IsType<Recall>(loaded.Metrics[2]);
        Assert.Equal("macro", Assert.IsType<F1Score>(loaded.Metrics[3]).Average);
        var a = model.Evaluate(x, y);
        var b = loaded.Evaluate(x, y);
        foreach (var k in a.Keys) Assert.Equal(a[k], b[k], 6);
    }
}
