using Praxis.Layers;
using Praxis.IO;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>The 1-D and preprocessing layers save and load bit for bit, their configs in Keras' shape.</summary>
[Collection("Global state")]
public class Sequence1DIoTests
{
    /// <summary>One sample per class registered in <c>LayerRegistry.Sequence1D.cs</c> (checked by SaveLoadTests).</summary>
    internal static readonly Dictionary<string, Func<(Model Model, Tensor[] Data)>> Samples = new()
    {
        ["Conv1D"] = () => Seq(new Conv1D(4, 3, strides: 2, padding: "causal", dilationRate: 1, groups: 1, activation: "relu", biasInitializer: "ones")),
        ["SeparableConv1D"] = () => Seq(new SeparableConv1D(4, 2, padding: "same", depthMultiplier: 2, activation: "tanh")),
        ["MaxPooling1D"] = () => Seq(new MaxPooling1D(3, strides: 2, padding: "same")),
        ["AveragePooling1D"] = () => Seq(new AveragePooling1D(2)),
        ["GlobalMaxPooling1D"] = () => Seq(new GlobalMaxPooling1D(keepdims: true)),
        ["GlobalAveragePooling1D"] = () => Seq(new GlobalAveragePooling1D()),
        ["UpSampling1D"] = () => Seq(new UpSampling1D(3)),
        ["ZeroPadding1D"] = () => Seq(new ZeroPadding1D((2, 1))),
        ["Cropping1D"] = () => Seq(new Cropping1D((1, 2))),
        ["RepeatVector"] = () =>
        {
            var i = Input(shape: [3]);
            return (new Model(i, new RepeatVector(4).Apply(i)), [Tensor.RandomNormal(new Shape(2, 3), rng: new Rng(7))]);
        },
        ["Permute"] = () => Seq(new Permute([2, 1])),
        ["Masking"] = () =>
        {
            var i = Input(shape: [8, 4]);
            return (new Model(i, new LSTM(3).Apply(new Masking(maskValue: -1f).Apply(i))), [Padded(-1f, 2, 8, 4)]);
        },
        // Preprocessing
        ["Rescaling"] = () => Seq(new Rescaling(0.5f, offset: -1f)),
        ["Normalization"] = () =>
        {
            var n = new Normalization();
            n.Adapt(Tensor.RandomNormal(new Shape(5, 8, 4), 3f, 2f, new Rng(9)));
            return Seq(n);
        },
        ["CategoryEncoding"] = () => Ids(new CategoryEncoding(6, outputMode: "count")),
        ["IntegerLookup"] = () => Ids(new IntegerLookup(vocabulary: [3, 1, 4], outputMode: "int")),
    };

    /// <summary>Text layers: saved as a model's StringInput, compared on strings.</summary>
    internal static readonly Dictionary<string, Func<StringLayer>> StringSamples = new()
    {
        ["TextVectorization"] = () =>
        {
            var tv = new TextVectorization(maxTokens: 9, ngrams: 2, outputMode: "tf_idf", padToMaxTokens: true);
            tv.Adapt(["the cat sat", "the dog", "a cat, a dog!"]);
            return tv;
        },
        ["StringLookup"] = () => new StringLookup(maskToken: "", vocabulary: ["cat", "dog"], outputMode: "count"),
        ["Hashing"] = () => new Hashing(5, maskValue: "", salt: [7, 9]),
    };

    [Theory]
    [InlineData("TextVectorization")]
    [InlineData("StringLookup")]
    [InlineData("Hashing")]
    public void TextLayersRoundTripAsStringInput(string cls)
    {
        ClearSession();
        var layer = StringSamples[cls]();
        string[] texts = ["the cat", "dog dog", "", "a bird"];
        var probe = layer.Apply(texts);
        var i = Input(shape: [probe.Shape[1]]);
        var model = new Model(i, new Dense(2).Apply(i)) { StringInput = layer };
        using var dir = new TempDir();
        model.Save(dir.File("t.praxis"));
        var loaded = Model.Load(dir.File("t.praxis"));
        Assert.Equal(cls, loaded.StringInput!.GetType().Name);
        Assert.Equal(probe.ToArray(), loaded.StringInput.Apply(texts).ToArray());
        Assert.Equal(model.Predict((IReadOnlyList<string>)texts).ToArray(), loaded.Predict((IReadOnlyList<string>)texts).ToArray());
    }

    [Fact]
    public void AHostileStringInputIsADataError()
    {
        ClearSession();
        var i = Input(shape: [2]);
        var model = new Model(i, new Dense(1).Apply(i)) { StringInput = new StringLookup(vocabulary: ["a"]) };
        using var dir = new TempDir();
        model.Save(dir.File("s.praxis"));
        var e = Assert.Throws<InvalidDataException>(() => Praxis.IO.ModelConfig.StringLayerFromJson("{\"class_name\":\"Dense\",\"config\":{\"units\":2}}", "f.praxis"));
        Assert.Contains("not a text layer", e.Message);
        e = Assert.Throws<InvalidDataException>(() => Praxis.IO.ModelConfig.StringLayerFromJson("{\"class_name\":\"StringLookup\",\"config\":{\"vocabulary\":[1]}}", "f.praxis"));
        Assert.Contains("f.praxis", e.Message);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(17)]
    public void OneDLayersRunInOnnxRuntime(int opset)
    {
        SetRandomSeed(13);
        ClearSession();
        var i = Input(shape: [12, 3]);
        var x = new Conv1D(4, 3, padding: "causal", dilationRate: 2, activation: "relu", biasInitializer: new Praxis.Initializers.RandomNormal(0f, 1f)).Apply(i);
        x = new SeparableConv1D(4, 2, padding: "same", depthMultiplier: 2, activation: "tanh").Apply(x);
        x = new MaxPooling1D(2, padding: "same").Apply(x);
        x = new Conv1D(4, 2, strides: 2, groups: 2, padding: "same").Apply(x);
        x = new AveragePooling1D(2, strides: 1, padding: "same").Apply(x);
        x = new ZeroPadding1D((1, 2)).Apply(x);
        x = new Cropping1D((2, 1)).Apply(x);
        x = new UpSampling1D(2).Apply(x);
        x = new Permute([2, 1]).Apply(x);
        x = new Permute([2, 1]).Apply(x);
        var pooled = new GlobalMaxPooling1D().Apply(x);
        var r = new RepeatVector(3).Apply(new Rescaling(0.5f, offset: 1f).Apply(pooled));
        var y = new Normalization(mean: [0.5f, 1f, -1f, 2f], variance: [4f, 1f, 0.25f, 9f]).Apply(r);
        var model = new Model(i, new GlobalMaxPooling1D(keepdims: true).Apply(y));
        using var dir = new TempDir();
        OnnxExportTests.AssertMatches(model, dir.File("oned.onnx"), opset, Tensor.RandomNormal(new Shape(3, 12, 3), rng: new Rng(14)));
        // GlobalAveragePooling1D: the plain mean, and under an Embedding(mask_zero) mask the mean of the real steps.
        var plain = new Model(i, new GlobalAveragePooling1D(keepdims: true).Apply(i));
        OnnxExportTests.AssertMatches(plain, dir.File("gap.onnx"), opset, Tensor.RandomNormal(new Shape(3, 12, 3), rng: new Rng(15)));
        var ids = Input(shape: [-1]);
        var masked = new Model(ids, new GlobalAveragePooling1D().Apply(new Embedding(7, 3, maskZero: true).Apply(ids)));
        OnnxExportTests.AssertMatches(masked, dir.File("gap_masked.onnx"), opset, Tensor.FromArray([1, 2, 0, 0, 3, 0, 4, 5, 6, 6, 2, 0], 3, 4));
        // Masking on features: the zeroed output, and its mask honoured by an LSTM and the masked mean, at two lengths.
        var feats = Input(shape: [-1, 3]);
        var kept = new Masking().Apply(feats);
        var states = new LSTM(4, returnSequences: true).Apply(kept);
        var fromFeatures = new Model([feats], [kept, new GlobalAveragePooling1D().Apply(states)]);
        foreach (int steps in new[] { 6, 4 })
            OnnxExportTests.AssertMatches(fromFeatures, dir.File($"masking_{steps}.onnx"), opset, Padded(0f, 3, steps, 3));
    }

    /// <summary>Random (n, steps, f) features; row r ≥ 1 is padded with <paramref name="pad"/> after steps − r steps (end padding).</summary>
    private static Tensor Padded(float pad, int n, int steps, int f)
    {
        var x = Tensor.RandomNormal(new Shape(n, steps, f), rng: new Rng(16));
        for (int r = 1; r < n; r++)
            for (int t = steps - r; t < steps; t++)
                for (int k = 0; k < f; k++) x[r, t, k] = pad;
        return x;
    }

    private static (Model, Tensor[]) Ids(Layer layer)
    {
        var i = Input(shape: [3]);
        return (new Model(i, layer.Apply(i)), [Tensor.FromArray([0, 1, 4, 3, 3, 5], 2, 3)]);
    }

    private static (Model, Tensor[]) Seq(Layer layer)
    {
        var i = Input(shape: [8, 4]);
        return (new Model(i, layer.Apply(i)), [Tensor.RandomNormal(new Shape(2, 8, 4), rng: new Rng(6))]);
    }

    public static TheoryData<string> Names => new(Samples.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void RoundTripsBitForBit(string cls)
    {
        SetRandomSeed(12);
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

    [Fact]
    public void Conv1DConfigIsKerasShaped()
    {
        ClearSession();
        var (model, _) = Samples["Conv1D"]();
        string json = model.ToJson();
        Assert.Contains("\"kernel_size\":[3]", json);
        Assert.Contains("\"strides\":[2]", json);
        Assert.Contains("\"padding\":\"causal\"", json);
        Assert.Contains("\"groups\":1", json);
        // A hand-written Keras config with a bare int loads too.
        var again = Model.FromJson(json.Replace("\"kernel_size\":[3]", "\"kernel_size\":3"));
        Assert.Equal(3, ((Conv1D)again.Layers[^1]).KernelSize);
    }
}
