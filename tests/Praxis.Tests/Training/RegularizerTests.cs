using Praxis.Initializers;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using Praxis.Regularizers;
using Praxis.Tests.IO;
using static Praxis.Keras;

namespace Praxis.Tests.Training;

/// <summary>Weight and activity regularizers and AddLoss: in the training loss, in the logged loss, replayed, saved.</summary>
[Collection("Global state")]
public class RegularizerTests
{
    private static readonly float[] X = [0.5f, -1f, 2f, 0.25f, -0.75f, 1.5f, 1f, 1f];
    private static readonly float[] Y = [1f, -2f, 0.5f, 3f];
    private static readonly float[] W0 = [0.3f, -0.6f];

    [Fact]
    public void KerasDefaultsAndStrings()
    {
        Assert.Equal(0.01f, Assert.IsType<L1>(Regularizer.Get("l1")).L1Factor);
        Assert.Equal(0.01f, Assert.IsType<L2>(Regularizer.Get("l2")).L2Factor);
        var both = Assert.IsType<L1L2>(Regularizer.Get("l1_l2"));
        Assert.Equal((0f, 0f), (both.L1Factor, both.L2Factor));
        var t = Tensor.FromArray([1f, -2f, 3f], 3);
        Assert.Equal(0.01f * 6f, new L1().Penalty(t).Span[0], 6);
        Assert.Equal(0.01f * 14f, new L2().Penalty(t).Span[0], 6);
        Assert.Equal(0.1f * 6f + 0.2f * 14f, new L1L2(0.1f, 0.2f).Penalty(t).Span[0], 5);
        Assert.Contains("Unknown regularizer 'l3'", Assert.Throws<ArgumentException>(() => Regularizer.Get("l3")).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new L2(-1f));
    }

    [Fact]
    public void OneSgdStepWithL2MatchesHandComputedWeightDecay()
    {
        // loss = mean((x·w − y)²) + l2·Σw²; dL/dw = 2/N·Σ x(x·w − y) + 2·l2·w; SGD: w ← w − lr·dL/dw.
        ClearSession();
        const float l2 = 0.05f, lr = 0.1f;
        var i = Input(shape: [2]);
        var dense = new Dense(1, useBias: false, kernelInitializer: new Constant(0f), kernelRegularizer: new L2(l2));
        var model = new Model(i, dense.Apply(i));
        model.SetWeights([W0]);
        model.Compile(new SGD(lr), "mse");
        var hist = model.Fit(Tensor.FromArray(X, 4, 2), Tensor.FromArray(Y, 4, 1), batchSize: 4, epochs: 1, shuffle: false, verbose: 0);
        double mse = 0, g0 = 0, g1 = 0;
        for (int n = 0; n < 4; n++)
        {
            double r = X[2 * n] * W0[0] + X[2 * n + 1] * W0[1] - Y[n];
            mse += r * r / 4; g0 += 2.0 / 4 * X[2 * n] * r; g1 += 2.0 / 4 * X[2 * n + 1] * r;
        }
        double penalty = l2 * (W0[0] * W0[0] + W0[1] * W0[1]);
        g0 += 2 * l2 * W0[0]; g1 += 2 * l2 * W0[1];
        var w = dense.Kernel.ToArray();
        Assert.Equal(W0[0] - lr * g0, w[0], 5);
        Assert.Equal(W0[1] - lr * g1, w[1], 5);
        // The logged loss includes the penalty, as Keras' does.
        Assert.Equal(mse + penalty, hist["loss"][0], 4);
    }

    [Fact]
    public void ActivityPenaltyAndAddLossFollowTheReplayedStep()
    {
        ClearSession();
        var i = Input(shape: [2]);
        var dense = new Dense(1, useBias: false, kernelInitializer: new Constant(0f), activityRegularizer: new L1(0.1f));
        var model = new Model(i, new PenaltyLayer(0.5f).Apply(dense.Apply(i)));
        Assert.True(model.ReplaySafe);
        model.SetWeights([W0]);
        model.Compile(new SGD(0.01f), "mse");
        var x = Tensor.FromArray(X, 4, 2);
        var y = Tensor.FromArray(Y, 4, 1);
        double Expected()
        {
            var w = dense.Kernel.ToArray();
            double mse = 0, act = 0;
            for (int n = 0; n < 4; n++)
            {
                double o = X[2 * n] * w[0] + X[2 * n + 1] * w[1];
                mse += (o - Y[n]) * (o - Y[n]) / 4; act += Math.Abs(o);
            }
            return mse + 0.1 * act + 0.5 * act / 4; // L1 activity (a sum, not divided by the batch) + AddLoss(0.5·mean|o|)
        }
        Assert.Equal(Expected(), model.Evaluate(x, y, batchSize: 4)["loss"], 4);
        model.Fit(x, y, batchSize: 2, epochs: 3, shuffle: false, verbose: 0);
        // A second Evaluate replays the recorded step: the penalties are recomputed from the new weights and outputs.
        Assert.Equal(Expected(), model.Evaluate(x, y, batchSize: 4)["loss"], 4);
        // Losses are those of the last pass only (cleared each pass), plus the weight penalties.
        Assert.Equal(2, model.AddedLosses.Count);
    }

    [Fact]
    public void RegularizersAreSavedInTheConfig()
    {
        ClearSession();
        var i = Input(shape: [3]);
        var model = new Model(i, new Dense(2, kernelRegularizer: "l2", biasRegularizer: new L1L2(0.1f, 0.2f), activityRegularizer: new L1(0.3f)).Apply(i));
        using var dir = new TempDir();
        model.Save(dir.File("r.praxis"));
        var json = model.ToJson();
        Assert.Contains("\"kernel_regularizer\":{\"class_name\":\"L2\",\"config\":{\"l2\":0.01}}", json);
        var loaded = Model.Load(dir.File("r.praxis"));
        Assert.Equal(json, loaded.ToJson());
        var d = Assert.IsType<Dense>(loaded.Layers[^1]);
        Assert.Equal(0.2f, Assert.IsType<L1L2>(d.BiasRegularizer).L2Factor);
        Assert.Equal(0.3f, Assert.IsType<L1>(d.ActivityRegularizer).L1Factor);
        var bad = json.Replace("\"class_name\":\"L2\"", "\"class_name\":\"L3\"");
        Assert.Contains("unknown regularizer class 'L3'", Assert.Throws<InvalidDataException>(() => Model.FromJson(bad)).Message);
    }

    /// <summary>Keras' add_loss from a custom layer: 0.5·mean|x|, an op on the call's tensor, so replay-safe.</summary>
    private sealed class PenaltyLayer(float rate) : Layer
    {
        public override bool ReplaySafe => true;

        public override Tensor Call(Tensor input, bool training)
        {
            AddLoss(input.Abs().Mean() * rate);
            return input;
        }
    }
}
