using System.Text.Json;
using Praxis.Layers;
using Praxis.Models;

namespace Praxis.Tests.Layers;

/// <summary>
/// The 1-D layers: values and gradients against PyTorch (float64, <c>Fixtures/make_conv1d_reference.py</c>), finite
/// differences through every layer, Keras' output lengths, and errors that name the layer.
/// </summary>
[Collection("Global state")]
public class Sequence1DLayerTests
{
    private static readonly JsonElement Root =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "conv1d_reference.json"))).RootElement;

    private readonly Rng _rng = new(23);

    public static TheoryData<string> CaseNames()
    {
        var d = new TheoryData<string>();
        foreach (var c in Root.GetProperty("cases").EnumerateArray()) d.Add(c.GetProperty("name").GetString()!);
        return d;
    }

    private static float[] Get(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static void Close(float[] expected, Tensor actual, string what, double tol = 2e-5)
    {
        var a = actual.ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"{what} element {i}: expected {expected[i]}, got {a[i]}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        var c = Root.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        int f = c.GetProperty("filters").GetInt32(), k = c.GetProperty("kernel_size").GetInt32(), s = c.GetProperty("strides").GetInt32(),
            d = c.GetProperty("dilation").GetInt32();
        string padding = c.GetProperty("padding").GetString()!;
        var xShape = Ints(c, "x_shape");
        var x = Tensor.FromArray(Get(c, "x"), xShape);
        x.RequiresGrad = true;
        Layer layer = c.GetProperty("kind").GetString() == "conv1d"
            ? new Conv1D(f, k, strides: s, padding: padding, dilationRate: d, groups: c.GetProperty("groups").GetInt32())
            : new SeparableConv1D(f, k, strides: s, padding: padding, dilationRate: d, depthMultiplier: c.GetProperty("depth_multiplier").GetInt32());
        layer.Build(new Shape(-1, xShape[1], xShape[2]));
        string[] weights = layer is Conv1D ? ["kernel", "bias"] : ["depthwise", "pointwise", "bias"];
        for (int i = 0; i < weights.Length; i++) Get(c, weights[i]).CopyTo(layer.Weights[i].Span);
        var y = layer.Apply(x);
        Assert.Equal(new Shape(Ints(c, "y_shape")), y.Shape);
        Close(Get(c, "y"), y, "y");
        (y * Tensor.FromArray(Get(c, "r"), Ints(c, "y_shape"))).Sum().Backward();
        Close(Get(c, "dx"), x.Grad!, "dx");
        for (int i = 0; i < weights.Length; i++) Close(Get(c, "d" + weights[i]), layer.Weights[i].Grad!, "d" + weights[i]);
        // The symbolic shape agrees with the computed one.
        Assert.Equal(y.Shape[1], layer.ComputeOutputShapes([new Shape(-1, xShape[1], xShape[2])])[0][1]);
    }

    // Keras' conv_output_length: valid ⌊(T − k_eff)/s⌋ + 1, same ⌈T/s⌉, causal ⌊(T − 1)/s⌋ + 1.
    [Theory]
    [InlineData(10, 3, 1, 1, "valid", 8)]
    [InlineData(10, 3, 2, 1, "valid", 4)]
    [InlineData(10, 3, 3, 1, "same", 4)]
    [InlineData(10, 3, 1, 3, "causal", 10)]
    [InlineData(10, 4, 3, 1, "causal", 4)]
    [InlineData(7, 3, 1, 3, "valid", 1)]
    public void Conv1DOutputLengthMatchesKeras(int steps, int kernel, int stride, int dilation, string padding, int expected)
    {
        var layer = new Conv1D(2, kernel, strides: stride, padding: padding, dilationRate: dilation);
        Assert.Equal(new Shape(-1, expected, 2), layer.Apply(Keras.Input([steps, 3])).Shape);
        Assert.Equal(new Shape(2, expected, 2), layer.Apply(GradCheck.Rand(_rng, 2, steps, 3)).Shape);
    }

    [Fact]
    public void CausalConvolutionDoesNotSeeTheFuture()
    {
        var layer = new Conv1D(2, 3, padding: "causal", dilationRate: 2);
        var x = GradCheck.Rand(_rng, 1, 9, 2);
        var y0 = layer.Apply(x).ToArray();
        x.Span[(6 * 2)..].Fill(5f); // change steps 6.. only
        var y1 = layer.Apply(x).ToArray();
        for (int i = 0; i < 6 * 2; i++) Assert.Equal(y0[i], y1[i]);
        Assert.NotEqual(y0[6 * 2], y1[6 * 2]);
    }

    [Fact]
    public void LayerGradientsMatchFiniteDifferences()
    {
        var x = GradCheck.Rand(_rng, 2, 7, 4);
        GradCheck.Check(t => t[0].Pad(1, 2, 1), x);
        GradCheck.Check(t => Tensor.DepthwiseConv1D(t[0], t[1], stride: 2, padding: "same", dilation: 1), x, GradCheck.Rand(_rng, 3, 4, 2));
        GradCheck.Check(t => Tensor.DepthwiseConv1D(t[0], t[1], padding: "causal", dilation: 2), x, GradCheck.Rand(_rng, 2, 4, 1));
        Layer[] layers =
        [
            new Conv1D(3, 3, padding: "causal", dilationRate: 2, activation: "relu"),
            new Conv1D(4, 2, strides: 2, groups: 2, activation: "tanh"),
            new SeparableConv1D(3, 3, padding: "same", depthMultiplier: 2),
            new MaxPooling1D(3, strides: 2, padding: "same"),
            new AveragePooling1D(2, strides: 1),
            new AveragePooling1D(3, strides: 2, padding: "same"),
            new GlobalMaxPooling1D(),
            new GlobalAveragePooling1D(keepdims: true),
            new UpSampling1D(3),
            new ZeroPadding1D((1, 2)),
            new Cropping1D((2, 1)),
            new Permute([2, 1]),
        ];
        foreach (var layer in layers)
        {
            layer.Build(new Shape(-1, 7, 4));
            GradCheck.Check(t => layer.Apply(t[0]), GradCheck.Rand(_rng, 2, 7, 4));
            foreach (var w in layer.TrainableWeights) GradCheck.Check(_ => layer.Apply(x), w);
        }
        GradCheck.Check(t => new RepeatVector(3).Apply(t[0]), GradCheck.Rand(_rng, 2, 5));
    }

    [Fact]
    public void GlobalAveragePoolingHonoursTheMaskAndMaxIgnoresIt()
    {
        // Two samples of 4 steps; the second has its last two steps masked (padding), as Embedding(maskZero) makes.
        var x = Tensor.FromArray([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60, 70, 700, 80, 800], 2, 4, 2);
        x.Mask = Tensor.FromArray([1, 1, 1, 1, 1, 1, 0, 0], 2, 4);
        var avg = new GlobalAveragePooling1D().Apply(x).ToArray();
        Assert.Equal([2.5f, 25f, 5.5f, 55f], avg);
        var max = new GlobalMaxPooling1D().Apply(x).ToArray();
        Assert.Equal([4f, 40f, 80f, 800f], max);
        // The masked mean's gradient goes to the unmasked steps only.
        x.RequiresGrad = true;
        GradCheck.Check(t => { var v = t[0].Reshape(2, 4, 2); v.Mask = x.Mask; return new GlobalAveragePooling1D().Apply(v); }, x);
    }

    [Fact]
    public void EmbeddingMaskReachesGlobalAveragePooling()
    {
        Keras.ClearSession();
        var i = Keras.Input([4]);
        var model = new Model(i, new GlobalAveragePooling1D().Apply(new Embedding(5, 2, maskZero: true).Apply(i)));
        var emb = (Embedding)model.Layers[1];
        var ids = Tensor.FromArray([1, 2, 0, 0], 1, 4);
        var table = emb.Embeddings.ToArray();
        var y = model.Predict(ids).ToArray();
        Assert.Equal((table[2] + table[4]) / 2, y[0], 6);
        Assert.Equal((table[3] + table[5]) / 2, y[1], 6);
    }

    [Fact]
    public void ReshapingLayersComputeKerasValues()
    {
        var x = Tensor.FromArray([1, 2, 3, 4, 5, 6], 1, 3, 2);
        Assert.Equal([1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6], new UpSampling1D().Apply(x).ToArray());
        Assert.Equal([0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0], new ZeroPadding1D((1, 2)).Apply(x).ToArray());
        Assert.Equal([3, 4], new Cropping1D().Apply(x).ToArray());
        Assert.Equal([1, 3, 5, 2, 4, 6], new Permute([2, 1]).Apply(x).ToArray());
        Assert.Equal(new Shape(1, 2, 3), new Permute([2, 1]).Apply(x).Shape);
        Assert.Equal([1, 2, 1, 2], new RepeatVector(2).Apply(Tensor.FromArray([1, 2], 1, 2)).ToArray());
        Assert.Equal([5f, 6f], new MaxPooling1D(3, padding: "same").Apply(x).ToArray());
        // "same" pads one step at the end; the last window averages the one real step only, as TensorFlow.
        Assert.Equal([2f, 3f, 5f, 6f], new AveragePooling1D(2, strides: 2, padding: "same").Apply(Tensor.FromArray([1, 2, 3, 4, 5, 6], 1, 3, 2)).ToArray());
    }

    [Fact]
    public void BadShapesNameTheLayer()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => new Conv1D(2, 3, name: "c1").Apply(Keras.Input([10])));
        Assert.Contains("Layer 'c1' (Conv1D) expects a 3-D input (batch, steps, channels)", e.Message);
        Assert.Contains("Input(shape: [10, 1])", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new Conv1D(2, 5, name: "c2").Apply(Keras.Input([3, 2])));
        Assert.Contains("Layer 'c2' (Conv1D)", e.Message);
        Assert.Contains("smaller than the kernel length 5", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new Conv1D(4, 1, groups: 2, name: "c3").Apply(Keras.Input([3, 3])));
        Assert.Contains("3 channels", e.Message);
        Assert.Contains("groups = 2", e.Message);
        Assert.Throws<ArgumentException>(() => new Conv1D(3, 1, groups: 2));
        Assert.Throws<ArgumentException>(() => new MaxPooling1D(padding: "causal"));
        e = Assert.Throws<ShapeMismatchException>(() => new MaxPooling1D(4, name: "p").Apply(Keras.Input([3, 2])));
        Assert.Contains("Layer 'p' (MaxPooling1D)", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new Cropping1D(2, name: "cr").Apply(Keras.Input([4, 2])));
        Assert.Contains("Layer 'cr' (Cropping1D)", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new RepeatVector(2, name: "rv").Apply(Keras.Input([4, 2])));
        Assert.Contains("Layer 'rv' (RepeatVector) expects a 2-D input", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new Permute([2, 1], name: "pm").Apply(Keras.Input([4])));
        Assert.Contains("Layer 'pm' (Permute)", e.Message);
        Assert.Throws<ArgumentException>(() => new Permute([1, 1]));
        // A built layer refuses other channels, naming both shapes.
        var conv = new Conv1D(2, 3, name: "c4");
        conv.Apply(GradCheck.Rand(_rng, 1, 5, 3));
        e = Assert.Throws<ShapeMismatchException>(() => conv.Apply(GradCheck.Rand(_rng, 1, 5, 2)));
        Assert.Contains("'c4'", e.Message);
    }

    [Fact]
    public void KerasTextCnnSummary()
    {
        // keras.io "text classification from scratch": Embedding → Conv1D ×2 (stride 3) → GlobalMaxPooling1D → Dense → sigmoid.
        Keras.ClearSession();
        var i = Keras.Input([500]);
        var x = new Embedding(20000, 128).Apply(i);
        x = new Dropout(0.5f).Apply(x);
        x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
        x = new Conv1D(128, 7, padding: "valid", activation: "relu", strides: 3).Apply(x);
        x = new GlobalMaxPooling1D().Apply(x);
        x = new Dense(128, activation: "relu").Apply(x);
        x = new Dropout(0.5f).Apply(x);
        var model = new Model(i, new Dense(1, activation: "sigmoid").Apply(x));
        string s = model.SummaryString();
        Assert.Contains("conv1d (Conv1D)", s);
        Assert.Contains("(None, 165, 128)", s);
        Assert.Contains("(None, 53, 128)", s);
        Assert.Contains("global_max_pooling1d", s);
        Assert.Contains("(None, 128)", s);
        // 20000·128 + 2·(7·128·128 + 128) + (128·128 + 128) + (128 + 1).
        Assert.Equal(2_806_273, model.CountParams());
    }
}
