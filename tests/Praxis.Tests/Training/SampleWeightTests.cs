using Praxis.Initializers;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.Training;

/// <summary>Fit(sampleWeight:, classWeight:) and Evaluate(sampleWeight:) with Keras 3's semantics, against hand-computed values.</summary>
[Collection("Global state")]
public class SampleWeightTests
{
    private static readonly float[] X = [0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 1f, 1f];
    private static readonly float[] Y = [1f, -2f, 0.5f, 3f];
    private static readonly float[] W0 = [0.3f, -0.6f];

    private static (Model Model, Dense Dense) Linear(float lr = 0.1f)
    {
        ClearSession();
        var i = Input(shape: [2]);
        var dense = new Dense(1, useBias: false, kernelInitializer: new Constant(0f));
        var model = new Model(i, dense.Apply(i));
        model.SetWeights([W0]);
        model.Compile(new SGD(lr), "mse");
        return (model, dense);
    }

    /// <summary>Keras 3's sum_over_batch_size: Σ (x·w − y)²·s / N (divided by the count, not by Σs), and its gradient.</summary>
    private static (double Loss, double G0, double G1) Hand(float[] s)
    {
        double loss = 0, g0 = 0, g1 = 0;
        for (int n = 0; n < 4; n++)
        {
            double r = X[2 * n] * W0[0] + X[2 * n + 1] * W0[1] - Y[n];
            loss += s[n] * r * r / 4; g0 += s[n] * 2.0 / 4 * X[2 * n] * r; g1 += s[n] * 2.0 / 4 * X[2 * n + 1] * r;
        }
        return (loss, g0, g1);
    }

    [Fact]
    public void SampleWeightScalesEachSampleAndDividesByTheBatchSize()
    {
        float[] s = [1f, 0f, 2f, 0.5f];
        var (model, dense) = Linear();
        var x = Tensor.FromArray(X, 4, 2);
        var y = Tensor.FromArray(Y, 4, 1);
        var sw = Tensor.FromArray(s, 4);
        var (loss, g0, g1) = Hand(s);
        Assert.Equal(loss, model.Evaluate(x, y, batchSize: 4, sampleWeight: sw)["loss"], 5);
        // Unweighted evaluation afterwards is unaffected (another recorded step).
        Assert.Equal(Hand([1f, 1f, 1f, 1f]).Loss, model.Evaluate(x, y, batchSize: 4)["loss"], 5);
        var hist = model.Fit(x, y, batchSize: 4, epochs: 1, shuffle: false, verbose: 0, sampleWeight: sw);
        Assert.Equal(loss, hist["loss"][0], 5);
        var w = dense.Kernel.ToArray();
        Assert.Equal(W0[0] - 0.1 * g0, w[0], 4);
        Assert.Equal(W0[1] - 0.1 * g1, w[1], 4);
    }

    [Fact]
    public void ShuffledBatchesCarryTheirOwnWeights()
    {
        // Weight zero on every sample but one: training must then follow that sample alone, whatever the batch order.
        float[] s = [0f, 0f, 1f, 0f];
        var (model, dense) = Linear();
        model.Fit(Tensor.FromArray(X, 4, 2), Tensor.FromArray(Y, 4, 1), batchSize: 1, epochs: 1, shuffle: true, verbose: 0, sampleWeight: Tensor.FromArray(s, 4));
        double r = X[4] * W0[0] + X[5] * W0[1] - Y[2];
        var w = dense.Kernel.ToArray();
        Assert.Equal(W0[0] - 0.1 * 2 * X[4] * r, w[0], 5);
        Assert.Equal(W0[1] - 0.1 * 2 * X[5] * r, w[1], 5);
    }

    [Fact]
    public void ClassWeightMapsSparseAndOneHotTargets()
    {
        // Two classes; class 1 weighs 3, class 0 is not named and weighs 1 (Keras' default).
        var classWeight = new Dictionary<int, float> { [1] = 3f };
        float[] labels = [0f, 1f, 1f, 0f];
        float[] s = [1f, 3f, 3f, 1f];
        double Expected(bool sparse)
        {
            // softmax(x·W) with W = 0 is uniform: each sample's cross-entropy is ln 2, then the weights and / N.
            double sum = 0;
            foreach (var v in s) sum += v * Math.Log(2);
            return sum / 4;
        }
        foreach (bool sparse in new[] { true, false })
        {
            ClearSession();
            var i = Input(shape: [2]);
            var model = new Model(i, new Dense(2, activation: "softmax", kernelInitializer: new Constant(0f)).Apply(i));
            model.Compile(new SGD(0f), sparse ? "sparse_categorical_crossentropy" : "categorical_crossentropy");
            var y = sparse ? Tensor.FromArray(labels, 4, 1)
                : Tensor.FromArray([1f, 0f, 0f, 1f, 0f, 1f, 1f, 0f], 4, 2);
            var hist = model.Fit(Tensor.FromArray(X, 4, 2), y, batchSize: 4, epochs: 1, verbose: 0, classWeight: classWeight);
            Assert.Equal(Expected(sparse), hist["loss"][0], 5);
        }
    }

    [Fact]
    public void BadWeightsAreRefusedByName()
    {
        var (model, _) = Linear();
        var x = Tensor.FromArray(X, 4, 2);
        var y = Tensor.FromArray(Y, 4, 1);
        var e = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, sampleWeight: Tensor.FromArray([1f, 2f, 3f], 3)));
        Assert.Contains("expected 4 rows", e.Message);
        Assert.Contains("got 3", e.Message);
        Assert.Contains("sampleWeight", Assert.Throws<ArgumentException>(() => model.Evaluate(x, y, sampleWeight: Tensor.FromArray([1f, 2f], 2))).Message);
        Assert.Contains("both classWeight and sampleWeight", Assert.Throws<ArgumentException>(() =>
            model.Fit(x, y, verbose: 0, classWeight: new Dictionary<int, float> { [0] = 2f }, sampleWeight: Tensor.FromArray([1f, 1f, 1f, 1f], 4))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, verbose: 0, sampleWeight: Tensor.FromArray([1f, -1f, 1f, 1f], 4)));

        // classWeight with a multi-output model, and with per-step sparse targets.
        ClearSession();
        var i = Input(shape: [2]);
        var two = new Model([i], [new Dense(1).Apply(i), new Dense(1).Apply(i)]);
        two.Compile(new SGD(0.1f), "mse");
        Assert.Contains("single output", Assert.Throws<ArgumentException>(() =>
            two.Fit([x], [y, y], verbose: 0, classWeight: new Dictionary<int, float> { [0] = 2f })).Message);
        ClearSession();
        var s = Input(shape: [3, 2]);
        var seq = new Model(s, new Dense(4, activation: "softmax").Apply(s));
        seq.Compile(new SGD(0.1f), "sparse_categorical_crossentropy");
        var ids = Tensor.FromArray([0f, 1f, 2f, 3f, 0f, 1f], 2, 3);
        Assert.Contains("class ids per step", Assert.Throws<ShapeMismatchException>(() =>
            seq.Fit(Tensor.Zeros(2, 3, 2), ids, verbose: 0, classWeight: new Dictionary<int, float> { [1] = 2f })).Message);
    }

    [Fact]
    public void ValidationSplitSplitsTheSampleWeights()
    {
        // The last quarter (sample 3) is the validation set; its weight 0.5 scales val_loss.
        var (model, _) = Linear(lr: 0f);
        float[] s = [1f, 1f, 1f, 0.5f];
        var hist = model.Fit(Tensor.FromArray(X, 4, 2), Tensor.FromArray(Y, 4, 1), batchSize: 4, epochs: 1, shuffle: false, verbose: 0,
            validationSplit: 0.25, sampleWeight: Tensor.FromArray(s, 4));
        double r = X[6] * W0[0] + X[7] * W0[1] - Y[3];
        Assert.Equal(0.5 * r * r, hist["val_loss"][0], 5);
    }
}
