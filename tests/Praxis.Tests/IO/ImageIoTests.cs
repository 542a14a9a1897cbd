using Praxis.IO.Onnx;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>The image layers of the Keras-coverage work save and load bit for bit, and run in ONNX Runtime as in Predict.</summary>
[Collection("Global state")]
public class ImageIoTests
{
    /// <summary>One sample per class registered in <c>LayerRegistry.Images.cs</c> (checked by SaveLoadTests).</summary>
    internal static readonly Dictionary<string, Func<Layer>> Samples = new()
    {
        ["DepthwiseConv2D"] = () => new DepthwiseConv2D((3, 2), strides: (2, 1), padding: "same", depthMultiplier: 2, activation: "relu", biasInitializer: "ones"),
        ["SeparableConv2D"] = () => new SeparableConv2D(4, 3, padding: "same", dilationRate: 2, depthMultiplier: 2, activation: "tanh", pointwiseInitializer: "he_normal"),
        ["ZeroPadding2D"] = () => new ZeroPadding2D(((1, 2), (0, 3))),
        ["Cropping2D"] = () => new Cropping2D(((1, 0), (2, 1))),
        ["SpatialDropout1D"] = () => new SpatialDropout1D(0.3f, seed: 5),
        ["SpatialDropout2D"] = () => new SpatialDropout2D(0.4f, seed: 6),
        ["GroupNormalization"] = () => new GroupNormalization(groups: 2, epsilon: 1e-2f, center: false, gammaInitializer: new Praxis.Initializers.RandomUniform(0.5f, 1.5f)),
        ["Resizing"] = () => new Resizing(5, 4, "nearest", padToAspectRatio: true, fillValue: -1f),
        ["CenterCrop"] = () => new CenterCrop(4, 5),
    };

    public static TheoryData<string> Names => new(Samples.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void RoundTripsBitForBit(string cls)
    {
        SetRandomSeed(21);
        ClearSession();
        var layer = Samples[cls]();
        int[] shape = layer is SpatialDropout1D ? [7, 4] : [6, 8, 4];
        var i = Input(shape: shape);
        var model = new Model(i, layer.Apply(i));
        using var dir = new TempDir();
        model.Save(dir.File("m.praxis"));
        var loaded = Model.Load(dir.File("m.praxis"));
        Assert.Equal(model.ToJson(), loaded.ToJson());
        Assert.Contains($"\"class_name\":\"{cls}\"", loaded.ToJson());
        Assert.Equal(model.SummaryString(), loaded.SummaryString());
        var x = Tensor.RandomNormal(new Shape([2, .. shape]), rng: new Rng(22));
        Assert.True(model.Predict(x).ToArray().AsSpan().SequenceEqual(loaded.Predict(x).ToArray()));
    }

    [Fact]
    public void KerasShapedConfigsLoad()
    {
        ClearSession();
        var i = Input(shape: [6, 8, 4]);
        var model = new Model(i, new ZeroPadding2D(((1, 2), (0, 3))).Apply(i));
        string json = model.ToJson();
        Assert.Contains("\"padding\":[[1,2],[0,3]]", json);
        // Keras also accepts an int or a symmetric pair.
        var again = Model.FromJson(json.Replace("\"padding\":[[1,2],[0,3]]", "\"padding\":[2,1]"));
        Assert.Equal(((2, 2), (1, 1)), ((ZeroPadding2D)again.Layers[^1]).Padding);
        Assert.Contains("'padding' must be", Assert.Throws<InvalidDataException>(() => Model.FromJson(json.Replace("\"padding\":[[1,2],[0,3]]", "\"padding\":[[1,\"x\"],[0,3]]"))).Message);
    }

    [Theory]
    [InlineData(13)]
    [InlineData(18)]
    [InlineData(21)]
    public void ImageLayersRunInOnnxRuntime(int opset)
    {
        SetRandomSeed(23);
        ClearSession();
        var bias = new Praxis.Initializers.RandomNormal(0f, 0.5f);
        var i = Input(shape: [9, 11, 3]);
        var x = new DepthwiseConv2D(3, padding: "same", depthMultiplier: 2, activation: "relu", biasInitializer: bias).Apply(i);
        x = new SeparableConv2D(4, (2, 3), strides: 2, padding: "same", depthMultiplier: 2, biasInitializer: bias).Apply(x);
        x = new GroupNormalization(groups: 2, betaInitializer: bias, gammaInitializer: bias).Apply(x);
        x = new SpatialDropout2D(0.5f).Apply(x);
        x = new ZeroPadding2D(((1, 0), (2, 1))).Apply(x);
        x = new Cropping2D(((0, 1), (1, 0))).Apply(x);
        var a = new Resizing(7, 5).Apply(x);                                       // bilinear, up and down
        var b = new Resizing(3, 9, "nearest", cropToAspectRatio: true).Apply(x);
        var p = new Resizing(6, 6, padToAspectRatio: true, fillValue: 0.25f).Apply(x);
        var cc = new CenterCrop(3, 4).Apply(x);
        var up = new CenterCrop(8, 8).Apply(x);                                     // smaller input: aspect crop + resize
        var model = new Model([i], [a, b, p, cc, up]);
        using var dir = new TempDir();
        OnnxExportTests.AssertMatches(model, dir.File("img.onnx"), opset, Tensor.RandomNormal(new Shape(2, 9, 11, 3), rng: new Rng(24)));
        var proto = Praxis.IO.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("img.onnx")));
        Assert.Equal(opset >= 21, proto.Graph.Node.Any(n => n.OpType == "GroupNormalization"));
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Conv" && n.Attribute.Any(t => t.Name == "group" && t.I == 3));
    }

    [Fact]
    public void GroupNormalizationOnSequencesRunsInOnnxRuntime()
    {
        SetRandomSeed(25);
        ClearSession();
        var i = Input(shape: [7, 6]);
        var model = new Model(i, new SpatialDropout1D(0.3f).Apply(new GroupNormalization(groups: 3).Apply(i)));
        using var dir = new TempDir();
        OnnxExportTests.AssertMatches(model, dir.File("gn.onnx"), OnnxExporter.DefaultOpset, Tensor.RandomNormal(new Shape(3, 7, 6), 2f, 3f, new Rng(26)));
    }
}
