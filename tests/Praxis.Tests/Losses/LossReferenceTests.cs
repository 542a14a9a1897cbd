using System.Text.Json;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Models;
using Praxis.Tests.IO;
using static Praxis.Keras;

namespace Praxis.Tests.Losses;

/// <summary>
/// The Keras losses against values and gradients PyTorch computed once in float64 (<c>Fixtures/make_loss_reference.py</c>:
/// PyTorch's own huber, KL, cosine, Poisson, BCE and label-smoothed cross-entropy; Keras 3's formulas for the rest),
/// under each reduction and with sample weights; their ops against finite differences; string names and save/load.
/// </summary>
[Collection("Global state")]
public class LossReferenceTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "loss_reference.json"))).RootElement;

    private static float[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? e.EnumerateArray().SelectMany(Flat).ToArray()
        : [(float)e.GetDouble()];

    public static TheoryData<string, string> Cases()
    {
        var d = new TheoryData<string, string>();
        string[] names = ["huber", "log_cosh", "kl_divergence", "cosine_similarity", "poisson", "hinge", "hinge_binary", "squared_hinge",
            "binary_crossentropy", "binary_crossentropy_smoothed", "binary_crossentropy_logits", "categorical_crossentropy_smoothed",
            "sparse_categorical_crossentropy", "binary_focal", "binary_focal_balanced", "binary_focal_logits", "categorical_focal", "categorical_focal_logits"];
        foreach (var n in names)
            foreach (var r in new[] { "sum_over_batch_size", "sum", "none", "weighted" })
                d.Add(n, r);
        return d;
    }

    private static Loss Make(string name, string reduction) => name switch
    {
        "huber" => new Huber(reduction: reduction),
        "log_cosh" => new LogCosh(reduction),
        "kl_divergence" => new KLDivergence(reduction),
        "cosine_similarity" => new CosineSimilarity(reduction),
        "poisson" => new Poisson(reduction),
        "hinge" or "hinge_binary" => new Hinge(reduction),
        "squared_hinge" => new SquaredHinge(reduction),
        "binary_crossentropy" => new BinaryCrossentropy(reduction: reduction),
        "binary_crossentropy_smoothed" => new BinaryCrossentropy(labelSmoothing: 0.2f, reduction: reduction),
        "binary_crossentropy_logits" => new BinaryCrossentropy(fromLogits: true, reduction: reduction),
        "categorical_crossentropy_smoothed" => new CategoricalCrossentropy(fromLogits: true, labelSmoothing: 0.1f, reduction: reduction),
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(fromLogits: true, reduction: reduction),
        "binary_focal" => new BinaryFocalCrossentropy(reduction: reduction),
        "binary_focal_balanced" => new BinaryFocalCrossentropy(applyClassBalancing: true, reduction: reduction),
        "binary_focal_logits" => new BinaryFocalCrossentropy(fromLogits: true, reduction: reduction),
        "categorical_focal" => new CategoricalFocalCrossentropy(reduction: reduction),
        "categorical_focal_logits" => new CategoricalFocalCrossentropy(fromLogits: true, reduction: reduction),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValueAndGradientMatchPyTorch(string name, string reduction)
    {
        var c = Root.GetProperty(name);
        var yTrue = Tensor.FromArray(Flat(c.GetProperty("y_true")), 2, 3);
        if (name.StartsWith("sparse", StringComparison.Ordinal))
            yTrue = Tensor.FromArray([1f, 0f], 2); // the arg-max of the one-hot rows, as the script's targets
        var yPred = Tensor.FromArray(Flat(c.GetProperty("y_pred")), 2, 3);
        yPred.RequiresGrad = true;
        var loss = Make(name, reduction == "weighted" ? Loss.DefaultReduction : reduction);
        var sw = reduction == "weighted" ? Tensor.FromArray(Flat(Root.GetProperty("sample_weight")), 2) : null;
        var v = loss.Compute(yTrue, yPred, sw);
        var want = c.GetProperty(reduction);
        var expected = Flat(want.GetProperty("value"));
        var got = v.ToArray();
        Assert.Equal(reduction == "none" ? [2] : Array.Empty<int>(), v.Shape.ToArray());
        for (int i = 0; i < got.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= 2e-6 + 2e-5 * Math.Abs(expected[i]), $"{name}/{reduction} value {i}: {got[i]} vs PyTorch {expected[i]}");
        (v.Rank == 0 ? v : v.Sum()).Backward();
        var g = yPred.Grad!.ToArray();
        var eg = Flat(want.GetProperty("grad"));
        for (int i = 0; i < g.Length; i++)
            Assert.True(Math.Abs(g[i] - eg[i]) <= 2e-6 + 2e-4 * Math.Abs(eg[i]), $"{name}/{reduction} gradient {i}: {g[i]} vs PyTorch {eg[i]}");
    }

    [Fact]
    public void NewOpsMatchFiniteDifferences()
    {
        var rng = new Rng(7);
        GradCheck.Check(t => t[0].Pow(2.5f), GradCheck.RandPositive(rng, 3, 4));
        GradCheck.Check(t => t[0].Pow(2f), GradCheck.Rand(rng, 3, 4));
        // The labels are data (a nudged 0/1 label takes the other branch), so only the predictions are checked.
        var hingeLabels = Tensor.FromArray([0f, 1f, 1f, 0f, 0f, 1f], 2, 3);
        GradCheck.Check(t => (1f - hingeLabels.HingeLabels() * t[0]).Relu(), GradCheck.Rand(rng, 2, 3));
        GradCheck.Check(t => Tensor.SoftmaxCrossEntropy(t[0], t[1], perRow: true), GradCheck.Rand(rng, 4, 3), GradCheck.RandPositive(rng, 4, 3));
        var labels = Tensor.FromArray([0f, 2f, 1f, 2f], 4);
        GradCheck.Check(t => Tensor.SparseSoftmaxCrossEntropy(t[0], labels, perRow: true), GradCheck.Rand(rng, 4, 3));
        // Each loss through its composed ops, unreduced, so every per-sample path is exercised.
        var yb = Tensor.FromArray([1f, 0f, 1f, 0f, 0f, 1f], 2, 3);
        GradCheck.Check(t => new BinaryFocalCrossentropy(applyClassBalancing: true, reduction: "none").Compute(yb, t[0].Sigmoid()), GradCheck.Rand(rng, 2, 3));
        GradCheck.Check(t => new CategoricalFocalCrossentropy(fromLogits: true, reduction: "none").Compute(yb, t[0]), GradCheck.Rand(rng, 2, 3));
        GradCheck.Check(t => new Huber(0.5f, "none").Compute(yb, t[0]), GradCheck.Rand(rng, 2, 3));
        GradCheck.Check(t => new LogCosh("none").Compute(yb, t[0]), GradCheck.Rand(rng, 2, 3));
        GradCheck.Check(t => new CosineSimilarity("none").Compute(yb, t[0]), GradCheck.Rand(rng, 2, 3));
        GradCheck.Check(t => new KLDivergence("none").Compute(yb * 0.5f + 0.2f, t[0]), GradCheck.RandPositive(rng, 2, 3));
        GradCheck.Check(t => new Poisson("none").Compute(yb, t[0]), GradCheck.RandPositive(rng, 2, 3));
        GradCheck.Check(t => new SquaredHinge("none").Compute(yb, t[0]), GradCheck.Rand(rng, 2, 3));
    }

    [Fact]
    public void HingeMapsZeroOneTargetsPerBatchAndSampleWeightsBroadcast()
    {
        var pred = Tensor.FromArray([0.3f, -0.4f], 1, 2);
        float binary = new Hinge().Compute(Tensor.FromArray([1f, 0f], 1, 2), pred).Item();
        float signed = new Hinge().Compute(Tensor.FromArray([1f, -1f], 1, 2), pred).Item();
        Assert.Equal(signed, binary, 6);
        // (B) weights broadcast over a (B, T) per-sample loss (a sequence output).
        var y = Tensor.FromArray([1f, 2f, 3f, 4f], 2, 2, 1);
        var p = Tensor.Zeros(2, 2, 1);
        var l = new MeanSquaredError("sum").Compute(y, p, Tensor.FromArray([1f, 0f], 2));
        Assert.Equal(1f + 4f, l.Item(), 5);
        var e = Assert.Throws<ShapeMismatchException>(() => new MeanSquaredError().Compute(y, p, Tensor.FromArray([1f, 0f, 1f], 3)));
        Assert.Contains("sample_weight shape", e.Message);
        var r = Assert.Throws<ArgumentException>(() => new Huber(reduction: "average"));
        Assert.Contains("unknown reduction 'average'", r.Message);
        // (4·1 + 1·2) / (1 + 2)
        Assert.Equal(2.0, new MeanSquaredError("mean_with_sample_weight").Compute(Tensor.FromArray([2f, 1f], 2, 1), Tensor.Zeros(2, 1), Tensor.FromArray([1f, 2f], 2)).Item(), 5);
    }

    [Theory]
    [InlineData("huber", typeof(Huber))]
    [InlineData("logcosh", typeof(LogCosh))]
    [InlineData("kld", typeof(KLDivergence))]
    [InlineData("kullback_leibler_divergence", typeof(KLDivergence))]
    [InlineData("cosine_similarity", typeof(CosineSimilarity))]
    [InlineData("hinge", typeof(Hinge))]
    [InlineData("squared_hinge", typeof(SquaredHinge))]
    [InlineData("poisson", typeof(Poisson))]
    [InlineData("binary_focal_crossentropy", typeof(BinaryFocalCrossentropy))]
    [InlineData("categorical_focal_crossentropy", typeof(CategoricalFocalCrossentropy))]
    public void KerasNamesResolve(string name, Type type) => Assert.IsType(type, Loss.Get(name));

    [Fact]
    public void CompileRefusesUnreducedLossAndSavesEveryArgument()
    {
        ClearSession();
        SetRandomSeed(3);
        var model = new Sequential([new InputLayer([3]), new Dense(2, activation: "sigmoid")]);
        var e = Assert.Throws<ArgumentException>(() => model.Compile("adam", new Huber(reduction: "none")));
        Assert.Contains("reduction 'none'", e.Message);
        var x = Tensor.RandomNormal(new Shape(8, 3), rng: new Rng(5));
        var y = Tensor.FromArray([1f, 0f, 0f, 1f, 1f, 1f, 0f, 0f, 1f, 0f, 0f, 1f, 1f, 1f, 0f, 0f], 8, 2);
        Loss[] losses = [new Huber(2f, "sum"), new BinaryFocalCrossentropy(true, 0.4f, 1.5f, false, 0.1f, "sum"),
            new CategoricalFocalCrossentropy(0.3f, 3f, false, 0.05f), new BinaryCrossentropy(labelSmoothing: 0.2f), new CategoricalCrossentropy(labelSmoothing: 0.1f, reduction: "sum"),
            new SquaredHinge(), new Poisson(), new LogCosh("mean_with_sample_weight")];
        using var dir = new TempDir();
        foreach (var loss in losses)
        {
            model.Compile("adam", loss);
            model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
            model.Save(dir.File("m.praxis"));
            var loaded = Model.Load(dir.File("m.praxis"));
            Assert.Equal(loss.GetType(), loaded.Loss!.GetType());
            Assert.Equal(loss.GetConfig(), loaded.Loss.GetConfig());
            Assert.Equal(model.Evaluate(x, y)["loss"], loaded.Evaluate(x, y)["loss"], 6);
        }
    }
}
