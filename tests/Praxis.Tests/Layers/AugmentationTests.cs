using System.Text.Json;
using Praxis.Autograd;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Tests.IO;
using static Praxis.Keras;

namespace Praxis.Tests.Layers;

/// <summary>
/// The augmentation layers: the affine resampler against PyTorch's affine_grid/grid_sample (float64,
/// <c>Fixtures/make_augmentation_reference.py</c>), gradients against finite differences with the random draw fixed
/// by a seed, Keras' documented conventions on hand-made images, identity at inference, seeded reproducibility,
/// fresh draws on every replayed step, and keras.io's augmentation on MNIST-sized data.
/// </summary>
[Collection("Global state")]
public class AugmentationTests
{
    private static readonly JsonElement Root =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "augmentation_reference.json"))).RootElement;

    private static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static void Close(float[] expected, float[] actual, float tol = 2e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void AffineTransformMatchesPyTorchGridSample()
    {
        var shape = Ints(Root.GetProperty("shape"));
        var transforms = Root.GetProperty("transforms").EnumerateArray().SelectMany(Floats).ToArray();
        var g = Floats(Root.GetProperty("g"));
        int checkedCases = 0;
        foreach (var c in Root.GetProperty("cases").EnumerateArray())
        {
            var x = Tensor.FromArray(Floats(Root.GetProperty("x")), shape);
            x.RequiresGrad = true;
            var t = Tensor.FromArray(transforms, shape[0], 8);
            var y = x.AffineTransform(t, c.GetProperty("interpolation").GetString()!, c.GetProperty("fill_mode").GetString()!, (float)c.GetProperty("fill_value").GetDouble());
            Close(Floats(c.GetProperty("y")), y.ToArray());
            (y * Tensor.FromArray(g, shape)).Sum().Backward();
            Close(Floats(c.GetProperty("gx")), x.Grad!.ToArray());
            checkedCases++;
        }
        Assert.Equal(9, checkedCases);
    }

    [Fact]
    public void RandomCropAtInferenceResizesTheCentredWindowAsPyTorchInterpolates()
    {
        foreach (var c in Root.GetProperty("crops").EnumerateArray())
        {
            var target = Ints(c.GetProperty("target"));
            var y = new RandomCrop(target[0], target[1]).Apply(Tensor.FromArray(Floats(c.GetProperty("x")), Ints(c.GetProperty("shape"))), training: false);
            Assert.Equal(target[0], y.Shape[1]);
            Assert.Equal(target[1], y.Shape[2]);
            Close(Floats(c.GetProperty("y")), y.ToArray());
        }
        // Already the target size: passed through untouched.
        var same = Tensor.RandomNormal(new Shape(2, 4, 5, 1), rng: new Rng(1));
        Assert.Same(same, new RandomCrop(4, 5).Apply(same, training: false));
    }

    [Theory]
    [InlineData("bilinear", "reflect")]
    [InlineData("bilinear", "constant")]
    [InlineData("bilinear", "wrap")]
    [InlineData("nearest", "nearest")]
    public void AffineTransformGradientsMatchFiniteDifferences(string interpolation, string fillMode)
    {
        var rng = new Rng(3);
        var x = GradCheck.Rand(rng, 2, 5, 4, 3);
        // A fixed (seeded) draw; non-integer coordinates keep the finite differences away from kinks.
        var t = Tensor.FromArray([0.93f, 0.31f, -0.4f, -0.27f, 1.12f, 0.35f, 0, 0, 1.2f, -0.1f, 0.6f, 0.15f, 0.8f, -0.7f, 0, 0], 2, 8);
        GradCheck.Check(a => a[0].AffineTransform(t, interpolation, fillMode, 0.25f), x);
        // The layers' own draws, the same every call because each call gets a freshly seeded generator.
        GradCheck.Check(a => new RandomRotation(0.2, fillMode: fillMode, interpolation: interpolation, seed: 5).Apply(a[0], training: true), x);
    }

    [Fact]
    public void FlipContrastCropGradientsMatchFiniteDifferences()
    {
        var x = GradCheck.Rand(new Rng(4), 3, 4, 5, 2);
        GradCheck.Check(a => a[0].RandomFlip(rng: new Rng(2)), x);
        GradCheck.Check(a => a[0].RandomContrast(0.5f, 1.5f, (-10f, 10f), new Rng(2)), x);
        // Clipped entries pass no gradient.
        GradCheck.Check(a => a[0].RandomContrast(1.6f, 1.9f, (-0.9f, 0.9f), new Rng(2)), x);
        GradCheck.Check(a => a[0].RandomCrop(2, 3, new Rng(2)), x);
        GradCheck.Check(a => new RandomCrop(3, 3).Apply(a[0], training: false), x);
    }

    /// <summary>A 1-channel image with one lit pixel.</summary>
    private static Tensor Dot(int h, int w, int y, int x)
    {
        var t = Tensor.Zeros(1, h, w, 1);
        t.Span[y * w + x] = 1f;
        return t;
    }

    private static (int Y, int X) Brightest(Tensor t)
    {
        var s = t.Span;
        int best = 0;
        for (int i = 1; i < s.Length; i++) if (s[i] > s[best]) best = i;
        return (best / t.Shape[2], best % t.Shape[2]);
    }

    [Fact]
    public void TransformsFollowKerasConventions()
    {
        // Rotation by a quarter turn (factor 0.25 of 2π) is counter-clockwise on screen: right of centre goes to the top.
        var right = Dot(7, 7, 3, 5);
        Assert.Equal((1, 3), Brightest(new RandomRotation((0.25, 0.25), fillMode: "constant").Apply(right, training: true)));
        Assert.Equal((5, 3), Brightest(new RandomRotation((-0.25, -0.25), fillMode: "constant").Apply(right, training: true)));
        // A negative zoom factor zooms in: a point off centre moves away from it (1 px → 2 px at zoom 0.5).
        Assert.Equal((3, 7), Brightest(new RandomZoom((-0.5, -0.5), fillMode: "constant").Apply(Dot(7, 11, 3, 6), training: true)));
        Assert.Equal((3, 5), Brightest(new RandomZoom((-0.5, -0.5)).Apply(Dot(7, 11, 3, 5), training: true)));
        // A positive translation moves down and right, by the fraction of the size.
        Assert.Equal((4, 4), Brightest(new RandomTranslation((0.2, 0.2), (0.1, 0.1), fillMode: "constant").Apply(Dot(10, 20, 2, 2), training: true)));
        // Flips: each image once flipped or not; "horizontal" only ever mirrors columns.
        var x = Tensor.RandomNormal(new Shape(16, 3, 4, 2), rng: new Rng(9));
        var y = new RandomFlip("horizontal", seed: 1).Apply(x, training: true);
        var flipped = x.Flip(2).ToArray();
        int mirrored = 0, img = 3 * 4 * 2;
        for (int n = 0; n < 16; n++)
        {
            var yi = y.ToArray().AsSpan(n * img, img);
            bool m = yi.SequenceEqual(flipped.AsSpan(n * img, img));
            Assert.True(m || yi.SequenceEqual(x.ToArray().AsSpan(n * img, img)));
            mirrored += m ? 1 : 0;
        }
        Assert.InRange(mirrored, 2, 14);
        // Contrast: the per-channel mean is kept and the spread scales by the factor.
        var c = new RandomContrast((0.5, 0.5), valueRange: (-100f, 100f)).Apply(Tensor.FromArray([1f, 3f, 5f, 7f], 1, 2, 2, 1), training: true).ToArray();
        Assert.Equal(4f, c.Average(), 4);
        Assert.InRange(c[3] - c[0], 3f, 9f);
    }

    [Fact]
    public void InferenceIsTheIdentityAndSeedsReproduce()
    {
        var x = Tensor.RandomUniform(new Shape(4, 6, 6, 3), 0f, 255f, new Rng(2));
        Layer[] Make() =>
        [
            new RandomFlip(seed: 3), new RandomRotation(0.1, seed: 3), new RandomZoom(0.2, (-0.1, 0.3), seed: 3),
            new RandomTranslation(0.1, 0.2, fillMode: "wrap", seed: 3), new RandomContrast(0.4, seed: 3), new RandomCrop(6, 6, seed: 3),
            new GaussianNoise(0.5f, seed: 3), new GaussianDropout(0.3f, seed: 3),
        ];
        var a = Make();
        var b = Make();
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Same(x, a[i].Apply(x, training: false));
            var first = a[i].Apply(x, training: true).ToArray();
            Assert.Equal(first, b[i].Apply(x, training: true).ToArray());
            if (a[i] is not RandomCrop) Assert.NotEqual(x.ToArray(), first);
            if (a[i] is not RandomCrop) Assert.NotEqual(first, a[i].Apply(x, training: true).ToArray()); // the generator moved on
        }
    }

    [Fact]
    public void AReplayedStepDrawsAFreshAugmentation()
    {
        var x = Tensor.RandomUniform(new Shape(2, 8, 8, 1), 0f, 1f, new Rng(5));
        var rotate = new RandomRotation(0.2, seed: 7);
        var graph = new CapturedGraph(() => rotate.Apply(x, training: true).Sum());
        float first = graph.Forward().Item();
        float second = graph.Forward().Item();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void BadInputsNameTheLayerAndOption()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => new RandomRotation(0.1, name: "rot").Apply(Tensor.Zeros(2, 5, 5), training: true));
        Assert.Contains("'rot'", e.Message);
        Assert.Contains("5, 5)", e.Message);
        Assert.Contains("fill_mode", Assert.Throws<ArgumentException>(() => new RandomZoom(0.1, fillMode: "mirror")).Message);
        Assert.Contains("interpolation", Assert.Throws<ArgumentException>(() => new RandomTranslation(0.1, 0.1, interpolation: "bicubic")).Message);
        Assert.Contains("width_factor", Assert.Throws<ArgumentException>(() => new RandomTranslation(0.1, (-1.5, 0.2), name: "tr")).Message);
        Assert.Contains("lower <= upper", Assert.Throws<ArgumentException>(() => new RandomRotation((0.3, 0.1))).Message);
        Assert.Contains("mode", Assert.Throws<ArgumentException>(() => new RandomFlip("diagonal")).Message);
        Assert.Contains("factor", Assert.Throws<ArgumentException>(() => new RandomContrast(1.5)).Message);
        Assert.Contains("only affine", Assert.Throws<NotSupportedException>(() =>
            Tensor.Zeros(1, 3, 3, 1).AffineTransform(Tensor.FromArray([1, 0, 0, 0, 1, 0, 0.1f, 0], 8))).Message);
    }

    [Fact]
    public void KerasImageClassificationAugmentationTrainsAndLeavesPredictAlone()
    {
        // keras.io "image classification from scratch": data_augmentation = [RandomFlip("horizontal"), RandomRotation(0.1)].
        SetRandomSeed(11);
        ClearSession();
        var rng = new Rng(12);
        int n = 64;
        var x = Tensor.RandomUniform(new Shape(n, 28, 28, 1), 0f, 1f, rng);
        var labels = new float[n];
        for (int i = 0; i < n; i++) labels[i] = i % 2;
        var y = Tensor.FromArray(labels, n, 1);
        var core = new Sequential([
            new InputLayer([28, 28, 1]), new Rescaling(1f), new Conv2D(4, 3, strides: 2, activation: "relu"),
            new GlobalAveragePooling2D(), new Dense(1, activation: "sigmoid"),
        ]);
        var model = new Sequential([new InputLayer([28, 28, 1]), new RandomFlip("horizontal"), new RandomRotation(0.1), core]);
        model.Compile(optimizer: "adam", loss: "binary_crossentropy");
        var before = core.Predict(x).ToArray();
        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
        // Training moved the weights; prediction goes through no augmentation at all (bit for bit the core model's).
        Assert.NotEqual(before, core.Predict(x).ToArray());
        Assert.Equal(core.Predict(x).ToArray(), model.Predict(x).ToArray());
        Assert.Equal(model.Predict(x).ToArray(), model.Predict(x).ToArray());
        // ... while in training the model does see augmented images.
        Assert.NotEqual(core.Apply(x, training: true).ToArray(), model.Apply(x, training: true).ToArray());
        Assert.Contains("random_rotation", model.SummaryString());
    }
}
