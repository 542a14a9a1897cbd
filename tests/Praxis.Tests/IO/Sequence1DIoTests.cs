using Praxis.Layers;
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
    };

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
