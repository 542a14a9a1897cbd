using Praxis.Initializers;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>Save/load of the sequence layers, including call arguments and wrappers, bit for bit.</summary>
[Collection("Global state")]
public class SequenceIoTests
{
    private static Tensor Tokens(int batch, int time, int vocab, int seed)
    {
        var rng = new Rng(seed);
        var t = new Tensor(new Shape(batch, time));
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = rng.NextInt(vocab);
        return t;
    }

    /// <summary>One model per sequence class (the registry coverage test in SaveLoadTests counts these too).</summary>
    internal static readonly Dictionary<string, Func<(Model Model, Tensor[] Data)>> Samples = new()
    {
        ["Embedding"] = () =>
        {
            var i = Input(shape: [5]);
            var m = new Model(i, new Embedding(11, 4, embeddingsInitializer: new RandomNormal(0f, 0.5f), maskZero: true).Apply(i));
            return (m, [Tokens(3, 5, 11, 1)]);
        },
        ["ReversibleEmbedding"] = () =>
        {
            var i = Input(shape: [5]);
            var emb = new ReversibleEmbedding(11, 4, tieWeights: false);
            var m = new Model(i, emb.ApplyReverse(new LSTM(4, returnSequences: true).Apply(emb.Apply(i))));
            return (m, [Tokens(3, 5, 11, 2)]);
        },
        ["PositionEmbedding"] = () =>
        {
            var i = Input(shape: [6, 3]);
            return (new Model(i, new PositionEmbedding(6).Apply(i)), [Tensor.RandomNormal(new Shape(2, 6, 3), rng: new Rng(3))]);
        },
        ["SimpleRNN"] = () => Seq(new SimpleRNN(5, activation: "relu", returnSequences: true, goBackwards: true)),
        ["LSTM"] = () =>
        {
            var i = Input(shape: [6, 3]);
            var outs = new LSTM(4, returnState: true, unitForgetBias: false, recurrentInitializer: new Orthogonal(0.5f)).ApplyMany(i);
            return (new Model([i], outs), [Tensor.RandomNormal(new Shape(2, 6, 3), rng: new Rng(4))]);
        },
        ["GRU"] = () => Seq(new GRU(4, resetAfter: false, returnSequences: true)),
        ["Bidirectional"] = () => Seq(new Bidirectional(new LSTM(3, returnSequences: true), mergeMode: "sum")),
        ["TimeDistributed"] = () => Seq(new TimeDistributed(new Dense(2, activation: "relu"))),
        ["LayerNormalization"] = () => Seq(new LayerNormalization(epsilon: 1e-5f, betaInitializer: new RandomNormal(0f, 1f))),
        ["MultiHeadAttention"] = () =>
        {
            var q = Input(shape: [5, 4]);
            var mha = new MultiHeadAttention(2, 3, outputShape: 6);
            var y = mha.ApplyMany([q, q], new Dictionary<string, object?> { ["use_causal_mask"] = true })[0];
            return (new Model(q, y), [Tensor.RandomNormal(new Shape(2, 5, 4), rng: new Rng(5))]);
        },
        ["Attention"] = () => Pair(new Attention(useScale: true)),
        ["AdditiveAttention"] = () => Pair(new AdditiveAttention()),
        ["Add"] = () => Pair(new Add()),
        ["Concatenate"] = () => Pair(new Concatenate(axis: 1)),
        ["Multiply"] = () => Pair(new Multiply()),
        ["Subtract"] = () => Pair(new Subtract()),
        ["Average"] = () => Pair(new Average()),
        ["Maximum"] = () => Pair(new Maximum()),
        ["Minimum"] = () => Pair(new Minimum()),
        ["Dot"] = () => Pair(new Dot(axes: (2, 2), normalize: true)),
        ["Lambda"] = () =>
        {
            Lambda.Register("sample_sum_of_products", (Func<Tensor[], Tensor>)(xs => (xs[0] * xs[1]).Sum(-1)));
            return Pair(new Lambda("sample_sum_of_products", outputShape: [4], replaySafe: true));
        },
    };

    private static (Model, Tensor[]) Seq(Layer layer)
    {
        var i = Input(shape: [6, 3]);
        return (new Model(i, layer.Apply(i)), [Tensor.RandomNormal(new Shape(2, 6, 3), rng: new Rng(6))]);
    }

    private static (Model, Tensor[]) Pair(Layer layer)
    {
        var a = Input(shape: [4, 3]);
        var b = Input(shape: [4, 3]);
        return (new Model([a, b], layer.ApplyMany([a, b])), [Tensor.RandomNormal(new Shape(2, 4, 3), rng: new Rng(7)), Tensor.RandomNormal(new Shape(2, 4, 3), rng: new Rng(8))]);
    }

    public static TheoryData<string> Names => new(Samples.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void SequenceLayerRoundTripsBitForBit(string cls)
    {
        SetRandomSeed(10);
        ClearSession();
        var (model, data) = Samples[cls]();
        using var dir = new TempDir();
        model.Save(dir.File("m.praxis"));
        var loaded = Model.Load(dir.File("m.praxis"));
        Assert.Equal(model.ToJson(), loaded.ToJson());
        Assert.Contains($"\"class_name\":\"{cls}\"", loaded.ToJson());
        var p = model.PredictMany(data);
        var q = loaded.PredictMany(data);
        Assert.Equal(p.Length, q.Length);
        for (int o = 0; o < p.Length; o++) Assert.True(p[o].ToArray().AsSpan().SequenceEqual(q[o].ToArray()), $"output {o} differs");
    }

    [Theory]
    [InlineData(13)]
    [InlineData(17)]
    public void EmbeddingLayerNormAddAndConcatenateRunInOnnxRuntime(int opset)
    {
        SetRandomSeed(11);
        ClearSession();
        var i = Input(shape: [5]);
        var e = new Embedding(9, 4, embeddingsInitializer: new RandomNormal(0f, 1f)).Apply(i);
        var n = new LayerNormalization(betaInitializer: new RandomNormal(0f, 1f), gammaInitializer: new RandomNormal(1f, 0.3f)).Apply(e);
        var n2 = new LayerNormalization(axis: [1, 2], center: false).Apply(e);
        var y = new Concatenate().Apply(new Add().Apply(n, n2), new Dense(2, activation: "tanh").Apply(e));
        var model = new Model(i, y);
        using var dir = new TempDir();
        OnnxExportTests.AssertMatches(model, dir.File("seq.onnx"), opset, Tokens(3, 5, 9, 12));
        var lstm = new Model(i, new LSTM(3).Apply(e));
        OnnxExportTests.AssertMatches(lstm, dir.File("lstm.onnx"), opset, Tokens(3, 5, 9, 12));
    }

    [Fact]
    public void CallArgumentsAreSavedWithTheirNode()
    {
        ClearSession();
        var (model, _) = Samples["MultiHeadAttention"]();
        Assert.Contains("\"use_causal_mask\":true", model.ToJson());
        var hostile = model.ToJson().Replace("\"use_causal_mask\":true", "\"use_causal_mask\":[1]");
        var e = Assert.Throws<InvalidDataException>(() => Model.FromJson(hostile));
        Assert.Contains("call argument 'use_causal_mask' must be a bool, number, string or null", e.Message);
        // Arguments are data: an unknown one is rejected by the layer when it runs, naming it.
        var unknown = Model.FromJson(model.ToJson().Replace("\"use_causal_mask\":true", "\"format_disk\":true"));
        var a = Assert.ThrowsAny<ArgumentException>(() => unknown.Predict(Tensor.Zeros(1, 5, 4)));
        Assert.Contains("has no call argument 'format_disk'", a.Message);
    }
}
