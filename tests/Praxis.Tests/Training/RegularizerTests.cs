using System.Text.Json;
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

    [Fact]
    public void RegularizedConv2DStepMatchesPyTorch()
    {
        // Fixtures/make_regularizer_reference.py: kernel L2(0.05), bias L1(0.1), activity L1(0.01), mse, one SGD(0.1) step.
        ClearSession();
        var r = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "regularizer_reference.json"))).RootElement;
        float[] F(string key) => r.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        int[] S(string key) => r.GetProperty(key).EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var xs = S("x_shape");
        var i = Input(shape: xs[1..]);
        var conv = new Conv2D(3, 3, kernelRegularizer: new L2(0.05f), biasRegularizer: new L1(0.1f), activityRegularizer: new L1(0.01f));
        var model = new Model(i, conv.Apply(i));
        model.SetWeights([F("kernel"), F("bias")]);
        model.Compile(new SGD(0.1f), "mse");
        var x = Tensor.FromArray(F("x"), xs);
        var t = Tensor.FromArray(F("t"), S("t_shape"));
        Assert.Equal(r.GetProperty("loss").GetDouble(), model.Evaluate(x, t, batchSize: xs[0])["loss"], 4);
        var hist = model.Fit(x, t, batchSize: xs[0], epochs: 1, shuffle: false, verbose: 0);
        Assert.Equal(r.GetProperty("loss").GetDouble(), hist["loss"][0], 4);
        var k = conv.Kernel.ToArray();
        var kAfter = F("kernel_after");
        for (int j = 0; j < k.Length; j++) Assert.Equal(kAfter[j], k[j], 4);
        var b = conv.Bias!.ToArray();
        var bAfter = F("bias_after");
        for (int j = 0; j < b.Length; j++) Assert.Equal(bAfter[j], b[j], 4);
    }

    public static TheoryData<string> RegularizedLayers => new()
    {
        "conv1d", "separable_conv1d", "conv2d", "conv2d_transpose", "separable_conv2d", "depthwise_conv2d", "embedding",
        "simple_rnn", "lstm", "gru", "bidirectional", "reversible_embedding",
    };

    /// <summary>
    /// Every layer that takes regularizers: each regularized weight adds l2·Σw² (L2's Keras default 0.01) to the model's
    /// losses, the config names each regularizer under Keras' key, and a save/load round trip keeps them.
    /// </summary>
    [Theory]
    [MemberData(nameof(RegularizedLayers))]
    public void EveryLayerAddsAndSavesItsRegularizers(string kind)
    {
        ClearSession();
        L2 l2 = new();
        L1 act = new(0.02f);
        (int[] InShape, Layer Layer, string[] Keys) spec = kind switch
        {
            "conv1d" => ((int[])[6, 2], new Conv1D(3, 2, kernelRegularizer: l2, biasRegularizer: l2, activityRegularizer: act),
                ["kernel_regularizer", "bias_regularizer"]),
            "separable_conv1d" => ((int[])[6, 2], new SeparableConv1D(3, 2, biasInitializer: new Constant(0.5f), depthwiseRegularizer: l2, pointwiseRegularizer: l2,
                biasRegularizer: l2, activityRegularizer: act), ["depthwise_regularizer", "pointwise_regularizer", "bias_regularizer"]),
            "conv2d" => ((int[])[4, 4, 2], new Conv2D(3, 2, biasInitializer: new Constant(0.5f), kernelRegularizer: l2, biasRegularizer: l2, activityRegularizer: act),
                ["kernel_regularizer", "bias_regularizer"]),
            "conv2d_transpose" => ((int[])[3, 3, 2], new Conv2DTranspose(3, 2, biasInitializer: new Constant(0.5f), kernelRegularizer: l2, biasRegularizer: l2,
                activityRegularizer: act), ["kernel_regularizer", "bias_regularizer"]),
            "separable_conv2d" => ((int[])[4, 4, 2], new SeparableConv2D(3, 2, biasInitializer: new Constant(0.5f), depthwiseRegularizer: l2, pointwiseRegularizer: l2,
                biasRegularizer: l2, activityRegularizer: act), ["depthwise_regularizer", "pointwise_regularizer", "bias_regularizer"]),
            "depthwise_conv2d" => ((int[])[4, 4, 2], new DepthwiseConv2D(2, biasInitializer: new Constant(0.5f), depthwiseRegularizer: l2, biasRegularizer: l2,
                activityRegularizer: act), ["depthwise_regularizer", "bias_regularizer"]),
            "embedding" => ((int[])[5], new Embedding(7, 3, embeddingsRegularizer: l2, activityRegularizer: act), ["embeddings_regularizer"]),
            "reversible_embedding" => ((int[])[5], new ReversibleEmbedding(7, 3, embeddingsRegularizer: l2, activityRegularizer: act), ["embeddings_regularizer"]),
            "simple_rnn" => ((int[])[4, 2], new SimpleRNN(3, biasInitializer: new Constant(0.5f), kernelRegularizer: l2, recurrentRegularizer: l2, biasRegularizer: l2,
                activityRegularizer: act), ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer"]),
            "lstm" => ((int[])[4, 2], new LSTM(3, kernelRegularizer: l2, recurrentRegularizer: l2, biasRegularizer: l2, activityRegularizer: act),
                ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer"]),
            "gru" => ((int[])[4, 2], new GRU(3, biasInitializer: new Constant(0.5f), kernelRegularizer: l2, recurrentRegularizer: l2, biasRegularizer: l2,
                activityRegularizer: act), ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer"]),
            // Bidirectional clones its layer: both directions carry the regularizers.
            "bidirectional" => ((int[])[4, 2], new Bidirectional(new LSTM(3, kernelRegularizer: l2, recurrentRegularizer: l2, biasRegularizer: l2)),
                ["kernel_regularizer", "recurrent_regularizer", "bias_regularizer"]),
            _ => throw new ArgumentException(kind),
        };
        var (inShape, layer, keys) = spec;
        var i = Input(shape: inShape);
        var model = new Model(i, layer.Apply(i));
        double expected = 0;
        foreach (var w in model.TrainableWeights)
            foreach (var v in w.ToArray()) expected += 0.01 * v * v;
        var losses = model.AddedLosses;
        Assert.Equal(model.TrainableWeights.Count, losses.Count);
        double got = 0;
        foreach (var l in losses) got += l.Span[0];
        Assert.Equal(expected, got, 4);

        var json = model.ToJson();
        foreach (var key in keys) Assert.Contains($"\"{key}\":{{\"class_name\":\"L2\",\"config\":{{\"l2\":0.01}}}}", json);
        if (kind != "bidirectional") Assert.Contains("\"activity_regularizer\":{\"class_name\":\"L1\",\"config\":{\"l1\":0.02}}", json);
        using var dir = new TempDir();
        model.Save(dir.File("r.praxis"));
        var loaded = Model.Load(dir.File("r.praxis"));
        Assert.Equal(json, loaded.ToJson());
        Assert.Equal(losses.Count, loaded.AddedLosses.Count);
        if (kind != "bidirectional") Assert.IsType<L1>(loaded.Layers[^1].ActivityRegularizer);
    }

    [Fact]
    public void ActivityRegularizerOnAConvIsInTheEvaluatedLoss()
    {
        // Conv1D with a constant kernel: y = bias + Σ x over the window; the activity penalty is l1·Σ|y| over the whole batch.
        ClearSession();
        var i = Input(shape: [3, 1]);
        var model = new Model(i, new Conv1D(1, 2, kernelInitializer: new Constant(1f), biasInitializer: new Constant(0.5f), activityRegularizer: new L1(0.1f)).Apply(i));
        model.Compile(new SGD(0.1f), "mse");
        var x = Tensor.FromArray([1f, -2f, 3f, 0f, 1f, -1f], 2, 3, 1);
        // y = [-0.5, 1.5] and [1.5, 0.5]; targets zero: mse = (0.25 + 2.25 + 2.25 + 0.25)/4 = 1.25; penalty 0.1·4 = 0.4.
        Assert.Equal(1.25 + 0.4, model.Evaluate(x, Tensor.Zeros(2, 2, 1), batchSize: 2)["loss"], 5);
    }

    [Fact]
    public void TimeDistributedActivityRegularizerPenalisesTheWholeOutput()
    {
        // TimeDistributed(Dense(1, kernel 1, bias 0.5)): y[b, t] = 0.5 + Σ x[b, t, :]; the wrapper's L1(0.1) adds 0.1·Σ|y| over
        // batch and time (not divided by the batch, as Keras 3); the inner Dense's L2 on its kernel counts too.
        ClearSession();
        var i = Input(shape: [2, 2]);
        var td = new TimeDistributed(new Dense(1, kernelInitializer: new Constant(1f), biasInitializer: new Constant(0.5f), kernelRegularizer: new L2(0.05f)),
            activityRegularizer: new L1(0.1f));
        var model = new Model(i, td.Apply(i));
        model.Compile(new SGD(0.1f), "mse");
        var x = Tensor.FromArray([1f, -2f, 3f, 0f, 1f, -1f, -2f, -2f], 2, 2, 2);
        // y = [-0.5, 3.5], [0.5, -3.5]: mse vs 0 = (0.25 + 12.25 + 0.25 + 12.25)/4 = 6.25; activity 0.1·8 = 0.8; kernel 0.05·2 = 0.1.
        Assert.Equal(6.25 + 0.8 + 0.1, model.Evaluate(x, Tensor.Zeros(2, 2, 1), batchSize: 2)["loss"], 5);
        var json = model.ToJson();
        Assert.Contains("\"activity_regularizer\":{\"class_name\":\"L1\",\"config\":{\"l1\":0.1}}", json);
        using var dir = new TempDir();
        model.Save(dir.File("td.praxis"));
        var loaded = Model.Load(dir.File("td.praxis"));
        Assert.Equal(json, loaded.ToJson());
        Assert.Equal(0.1f, Assert.IsType<L1>(loaded.Layers[^1].ActivityRegularizer).L1Factor);
        loaded.Compile(new SGD(0.1f), "mse");
        Assert.Equal(6.25 + 0.8 + 0.1, loaded.Evaluate(x, Tensor.Zeros(2, 2, 1), batchSize: 2)["loss"], 5);
        // Without the wrapper's regularizer the loss drops by exactly the activity term.
        ClearSession();
        var j = Input(shape: [2, 2]);
        var plain = new Model(j, new TimeDistributed(new Dense(1, kernelInitializer: new Constant(1f), biasInitializer: new Constant(0.5f), kernelRegularizer: new L2(0.05f))).Apply(j));
        plain.Compile(new SGD(0.1f), "mse");
        Assert.Equal(6.25 + 0.1, plain.Evaluate(x, Tensor.Zeros(2, 2, 1), batchSize: 2)["loss"], 5);
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
