using System.Text.Json;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.Layers;

/// <summary>
/// The image layers of the Keras-coverage work: values and gradients against PyTorch (float64,
/// <c>Fixtures/make_image_reference.py</c>), finite differences through every new op, Keras' parameter counts and
/// output shapes, and errors that name the layer.
/// </summary>
[Collection("Global state")]
public class ImageLayerTests
{
    private static readonly JsonElement Root =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "image_reference.json"))).RootElement;

    private readonly Rng _rng = new(31);

    public static TheoryData<string> CaseNames()
    {
        var d = new TheoryData<string>();
        foreach (var c in Root.GetProperty("cases").EnumerateArray()) d.Add(c.GetProperty("name").GetString()!);
        return d;
    }

    private static float[] Get(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static int[] Ints(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static Size2 Pair(JsonElement e, string name) => (Ints(e, name)[0], Ints(e, name)[1]);

    private static void Close(float[] expected, Tensor actual, string what, double tol = 3e-5)
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
        ClearSession();
        var c = Root.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        var xShape = Ints(c, "x_shape");
        var x = Tensor.FromArray(Get(c, "x"), xShape);
        x.RequiresGrad = true;
        string kind = c.GetProperty("kind").GetString()!;
        Layer layer = kind switch
        {
            "depthwise" => new DepthwiseConv2D(Pair(c, "kernel_size"), Pair(c, "strides"), c.GetProperty("padding").GetString()!,
                c.GetProperty("depth_multiplier").GetInt32(), Pair(c, "dilation")),
            "separable" => new SeparableConv2D(c.GetProperty("filters").GetInt32(), Pair(c, "kernel_size"), Pair(c, "strides"), c.GetProperty("padding").GetString()!,
                Pair(c, "dilation"), c.GetProperty("depth_multiplier").GetInt32()),
            "group_norm" => new GroupNormalization(c.GetProperty("groups").GetInt32(), epsilon: (float)c.GetProperty("epsilon").GetDouble()),
            _ => new Resizing(c.GetProperty("height").GetInt32(), c.GetProperty("width").GetInt32(), c.GetProperty("interpolation").GetString()!,
                cropToAspectRatio: c.GetProperty("crop_to_aspect_ratio").GetBoolean(), padToAspectRatio: c.GetProperty("pad_to_aspect_ratio").GetBoolean(),
                fillValue: (float)c.GetProperty("fill_value").GetDouble()),
        };
        var symbolic = new Shape([-1, .. xShape[1..]]);
        layer.Build(symbolic);
        string[] weights = kind switch
        {
            "depthwise" => ["kernel", "bias"],
            "separable" => ["depthwise_kernel", "pointwise_kernel", "bias"],
            "group_norm" => ["gamma", "beta"],
            _ => [],
        };
        Assert.Equal(weights.Length, layer.Weights.Count);
        for (int i = 0; i < weights.Length; i++) Get(c, weights[i]).CopyTo(layer.Weights[i].Span);
        var y = layer.Apply(x);
        Assert.Equal(new Shape(Ints(c, "y_shape")), y.Shape);
        Close(Get(c, "y"), y, "y");
        (y * Tensor.FromArray(Get(c, "r"), Ints(c, "y_shape"))).Sum().Backward();
        Close(Get(c, "dx"), x.Grad!, "dx");
        for (int i = 0; i < weights.Length; i++) Close(Get(c, "d" + weights[i]), layer.Weights[i].Grad!, "d" + weights[i]);
        var predicted = layer.ComputeOutputShapes([symbolic])[0];
        Assert.Equal(y.Shape.ToArray()[1..], predicted.ToArray()[1..]);
    }

    [Fact]
    public void DepthwiseConvMatchesFiniteDifferences()
    {
        GradCheck.Check(t => Tensor.DepthwiseConv2D(t[0], t[1], t[2], strides: (2, 1), padding: "same"),
            GradCheck.Rand(_rng, 2, 5, 4, 3), GradCheck.Rand(_rng, 3, 2, 3, 1), GradCheck.Rand(_rng, 3));
        GradCheck.Check(t => Tensor.DepthwiseConv2D(t[0], t[1], dilation: 2),
            GradCheck.Rand(_rng, 1, 6, 5, 2), GradCheck.Rand(_rng, 2, 2, 2, 3));
    }

    [Fact]
    public void GroupNormMatchesFiniteDifferences()
    {
        GradCheck.Check(t => Tensor.GroupNorm(t[0], t[1], t[2], groups: 2), GradCheck.Rand(_rng, 2, 3, 2, 4), GradCheck.Rand(_rng, 4), GradCheck.Rand(_rng, 4));
        GradCheck.Check(t => Tensor.GroupNorm(t[0], null, null, groups: 3, epsilon: 1e-2f), GradCheck.Rand(_rng, 2, 4, 6));
    }

    [Fact]
    public void ResizeSpatialDropoutAndPadMatchFiniteDifferences()
    {
        GradCheck.Check(t => t[0].Resize(5, 3), GradCheck.Rand(_rng, 2, 3, 4, 2));
        GradCheck.Check(t => t[0].Resize(2, 7, "nearest"), GradCheck.Rand(_rng, 1, 5, 3, 2));
        GradCheck.Check(t => t[0].Pad(2, 1, 2, value: 0.5f), GradCheck.Rand(_rng, 2, 3, 2, 2));
        // The mask is redrawn at every forward pass, so the check fixes it with a seeded generator created per call.
        GradCheck.Check(t => t[0].SpatialDropout(0.5f, new Rng(4)), GradCheck.Rand(_rng, 2, 3, 3, 4));
    }

    [Fact]
    public void SpatialDropoutDropsWholeChannelsOnlyInTraining()
    {
        ClearSession();
        var layer = new SpatialDropout2D(0.5f, seed: 3);
        var x = Tensor.RandomUniform(new Shape(4, 3, 5, 8), 1f, 2f, new Rng(1));
        Assert.Equal(x.ToArray(), layer.Apply(x, training: false).ToArray());
        var y = layer.Apply(x, training: true).ToArray();
        var xs = x.ToArray();
        int dropped = 0;
        for (int n = 0; n < 4; n++)
            for (int c = 0; c < 8; c++)
            {
                bool first = y[n * 120 + c] == 0f;
                if (first) dropped++;
                for (int s = 0; s < 15; s++)
                {
                    int i = n * 120 + s * 8 + c;
                    Assert.Equal(first, y[i] == 0f);
                    if (!first) Assert.Equal(xs[i] * 2f, y[i], 5);
                }
            }
        Assert.InRange(dropped, 4, 28); // 32 channels at rate 0.5
        Assert.Throws<ShapeMismatchException>(() => new SpatialDropout1D(0.2f, name: "sd").Apply(x, training: true));
    }

    [Fact]
    public void PaddingCroppingAndCenterCropFollowKeras()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 2 * 5 * 6).Select(i => (float)i).ToArray(), 1, 5, 6, 2);
        var p = new ZeroPadding2D(((1, 2), (0, 3))).Apply(x);
        Assert.Equal(new Shape(1, 8, 9, 2), p.Shape);
        Assert.Equal(0f, p.ToArray()[0]);
        Assert.Equal(x.ToArray()[0], p.ToArray()[9 * 2]); // row 1, column 0
        Assert.Equal(new Shape(1, 7, 8, 2), new ZeroPadding2D().Apply(x).Shape);
        var cr = new Cropping2D(((1, 2), (2, 1))).Apply(x);
        Assert.Equal(new Shape(1, 2, 3, 2), cr.Shape);
        Assert.Equal(x.ToArray()[(1 * 6 + 2) * 2], cr.ToArray()[0]);
        // CenterCrop: start ⌊(h − height)/2⌋; a smaller input is aspect-cropped and resized (Keras' smart_resize).
        var cc = new CenterCrop(2, 3).Apply(x);
        Assert.Equal(new Shape(1, 2, 3, 2), cc.Shape);
        Assert.Equal(x.ToArray()[(1 * 6 + 1) * 2], cc.ToArray()[0]);
        var up = new CenterCrop(10, 6).Apply(x);
        var expected = x.Slice(2, 1, 3).Resize(10, 6); // crop width min(6, 5·6/10 = 3), starting at ⌊(6 − 3)/2⌋ = 1
        Assert.Equal(expected.ToArray(), up.ToArray());
    }

    [Fact]
    public void SummaryParamCountsEqualKeras()
    {
        ClearSession();
        var i = Input(shape: [32, 32, 3]);
        var x = new DepthwiseConv2D(3, depthMultiplier: 2).Apply(i);            // 3·3·3·2 + 6 = 60
        x = new SeparableConv2D(16, 3, padding: "same").Apply(x);               // 3·3·6 + 6·16 + 16 = 166
        x = new GroupNormalization(groups: 4).Apply(x);                         // 2·16 = 32
        x = new SpatialDropout2D(0.1f).Apply(x);
        x = new ZeroPadding2D(1).Apply(x);
        x = new Cropping2D(((1, 0), (0, 1))).Apply(x);
        x = new Resizing(20, 24).Apply(x);
        x = new CenterCrop(16, 16).Apply(x);
        var model = new Model(i, x);
        Assert.Equal(new[] { 60L, 166L, 32L }, model.Layers.Skip(1).Take(3).Select(l => l.CountParams()));
        Assert.Equal(258, model.CountParams());
        string s = model.SummaryString();
        // The name column is 31 characters wide, as in Keras' summary.
        Assert.Contains("depthwise_conv2d (DepthwiseConv (None, 30, 30, 6)                   60", s);
        Assert.Contains("separable_conv2d (SeparableConv (None, 30, 30, 16)                 166", s);
        Assert.Contains("group_normalization (GroupNorma (None, 30, 30, 16)                  32", s);
        Assert.Contains("(None, 31, 31, 16)", s);
        Assert.Contains("(None, 20, 24, 16)", s);
        Assert.Contains("center_crop (CenterCrop)", s);
        Assert.Equal(new Shape(-1, 16, 16, 16), x.Shape);
    }

    [Fact]
    public void BadInputsAndUnsupportedOptionsNameTheLayer()
    {
        ClearSession();
        var e = Assert.Throws<ShapeMismatchException>(() => new DepthwiseConv2D(3, name: "dw").Apply(Input(shape: [28, 28])));
        Assert.Contains("Layer 'dw' (DepthwiseConv2D) expects a 4-D input", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new SeparableConv2D(4, 5, name: "sep").Apply(Input(shape: [3, 8, 2])));
        Assert.Contains("Layer 'sep' (SeparableConv2D)", e.Message);
        Assert.Contains("smaller than the kernel height 5", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new GroupNormalization(groups: 4, name: "gn").Apply(Input(shape: [4, 4, 6])));
        Assert.Contains("Layer 'gn' (GroupNormalization)", e.Message);
        Assert.Contains("multiple of groups (4)", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new GroupNormalization(groups: 8, name: "gn2").Apply(Input(shape: [4, 4, 6])));
        Assert.Contains("cannot be more than the number of channels (6)", e.Message);
        var n = Assert.Throws<NotSupportedException>(() => new GroupNormalization(axis: 1, name: "gn3").Apply(Input(shape: [4, 4, 6])));
        Assert.Contains("Layer 'gn3' (GroupNormalization): axis 1", n.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new Cropping2D(((2, 2), (0, 0)), name: "crop").Apply(Input(shape: [4, 4, 1])));
        Assert.Contains("Layer 'crop' (Cropping2D)", e.Message);
        n = Assert.Throws<NotSupportedException>(() => new Resizing(4, 4, "bicubic", name: "rs"));
        Assert.Contains("Layer 'rs' (Resizing): interpolation 'bicubic'", n.Message);
        n = Assert.Throws<NotSupportedException>(() => new Resizing(4, 4, antialias: true, name: "rs2"));
        Assert.Contains("Layer 'rs2' (Resizing): antialias", n.Message);
        n = Assert.Throws<NotSupportedException>(() => new Resizing(4, 4, fillMode: "reflect", name: "rs3"));
        Assert.Contains("fill_mode 'reflect'", n.Message);
        Assert.Contains("(Resizing)", Assert.Throws<ArgumentException>(() => new Resizing(4, 4, cropToAspectRatio: true, padToAspectRatio: true)).Message);
        e = Assert.Throws<ShapeMismatchException>(() => new SpatialDropout1D(0.1f, name: "sd1").Apply(Input(shape: [4, 4, 1])));
        Assert.Contains("Layer 'sd1' (SpatialDropout1D) expects a 3-D input", e.Message);
        // channels_first is refused by name when loading a config.
        var inp = Input(shape: [4, 4, 2]);
        var json = new Model(inp, new DepthwiseConv2D(2).Apply(inp)).ToJson();
        Assert.Contains("data_format", Assert.Throws<InvalidDataException>(() => Model.FromJson(json.Replace("\"channels_last\"", "\"channels_first\""))).Message);
    }
}
