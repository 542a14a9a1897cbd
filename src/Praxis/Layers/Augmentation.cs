using System.Text.Json;
using Praxis.Autograd;
using Praxis.IO;

namespace Praxis.Layers;

/// <summary>
/// A Keras augmentation factor: one number or a (lower, upper) pair. Each layer says what a single number means
/// (±f for rotation, zoom and translation; [1 − f, 1 + f] for contrast). Converts implicitly from a number or a tuple,
/// so <c>new RandomRotation(0.1)</c> and <c>new RandomRotation((-0.2, 0.3))</c> both compile, as in Keras.
/// </summary>
/// <param name="Lower">The lower bound, or the single number.</param>
/// <param name="Upper">The upper bound (equal to <paramref name="Lower"/> for a single number).</param>
/// <param name="IsSingle">True when given as one number.</param>
public readonly record struct FactorRange(double Lower, double Upper, bool IsSingle)
{
    /// <summary>A single number.</summary>
    public static implicit operator FactorRange(double value) => new(value, value, true);

    /// <summary>A (lower, upper) pair.</summary>
    public static implicit operator FactorRange((double Lower, double Upper) range) => new(range.Lower, range.Upper, false);

    /// <summary>A (lower, upper) pair of floats.</summary>
    public static implicit operator FactorRange((float Lower, float Upper) range) => new(range.Lower, range.Upper, false);

    /// <summary>The symmetric range (−|f|, |f|) for a single number, else the pair.</summary>
    internal (double Lo, double Hi) Symmetric => IsSingle ? (-Math.Abs(Lower), Math.Abs(Lower)) : (Lower, Upper);

    /// <summary>As Keras writes it in a config: the number, or [lower, upper].</summary>
    internal object ToConfigValue() => IsSingle ? Lower : new[] { Lower, Upper };

    /// <summary>Reads a number or a two-number list from a saved config.</summary>
    internal static FactorRange Read(LayerConfig c, string key)
    {
        var v = c.Raw.GetProperty(key);
        if (v.ValueKind == JsonValueKind.Number) return c.GetDouble(key, 0);
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 2 && v[0].ValueKind == JsonValueKind.Number && v[1].ValueKind == JsonValueKind.Number
            && double.IsFinite(v[0].GetDouble()) && double.IsFinite(v[1].GetDouble()))
            return (v[0].GetDouble(), v[1].GetDouble());
        throw c.Error($"'{key}' must be a number or a list of two numbers.");
    }

    internal void Check(Layer layer, string option, double min, double max)
    {
        var (lo, hi) = (Lower, Upper);
        if (!double.IsFinite(lo) || !double.IsFinite(hi))
            throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}): {option} must be finite; got ({lo}, {hi}).");
        if (!IsSingle && lo > hi)
            throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}): {option} must be (lower, upper) with lower <= upper; got ({lo}, {hi}).");
        var (slo, shi) = IsSingle ? Symmetric : (lo, hi);
        if (slo < min || shi > max)
            throw new ArgumentException($"Layer '{layer.Name}' ({layer.GetType().Name}): {option} must lie in [{min}, {max}]; got {(IsSingle ? lo.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"({lo}, {hi})")}.");
    }
}

/// <summary>
/// Base of the image augmentation layers (Keras' <c>RandomFlip</c>, <c>RandomRotation</c>, …): active only in
/// training (<c>Fit</c>, or <c>Apply(x, training: true)</c>); in <c>Evaluate</c>, <c>Predict</c> and ONNX export they
/// pass their input through (RandomCrop: see there). Every random value is drawn inside an op's forward pass, so a
/// recorded training step draws new augmentations for every batch. With a <c>seed</c> the layer owns a generator,
/// saved in model files and checkpoints (same seed, same augmentations; a resumed Fit continues them); without one it
/// draws from the global generator (<c>Keras.SetRandomSeed</c>). Inputs are batches of channels-last images
/// (batch, height, width, channels).
/// </summary>
public abstract class ImageAugmentationLayer : Layer, IRandomStateful
{
    /// <summary>Creates the layer.</summary>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="name">Layer name; generated when null.</param>
    protected ImageAugmentationLayer(int? seed, string? name) : base(name)
    {
        Seed = seed;
        Random = seed is int s ? new Rng(s) : null;
    }

    /// <summary>The layer's seed, if any.</summary>
    public int? Seed { get; }

    /// <summary>The layer's own generator (with a seed), or null for the global one.</summary>
    protected Rng? Random { get; }

    Rng? IRandomStateful.OwnRandom => Random;

    /// <summary>"Layer 'name' (Class)", the prefix of the layer's errors.</summary>
    protected string Who => $"Layer '{Name}' ({GetType().Name})";

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        RequireImages(inputShape);
        InputSpec = new InputSpec(rank: 4, axes: new Dictionary<int, int> { [-1] = inputShape[3] }, expectedShape: inputShape);
        Built = true;
    }

    /// <summary>Throws naming the layer unless the shape is a batch of channels-last images.</summary>
    protected void RequireImages(Shape shape)
    {
        if (shape.Rank != 4)
            throw new ShapeMismatchException($"{Who} expects a batch of channels-last images (batch, height, width, channels), but got shape {shape}. " +
                "Reshape a single image to (1, height, width, channels).");
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        RequireImages(input.Shape);
        return training ? Augment(input) : Infer(input);
    }

    /// <summary>The training-time transform (random values drawn inside ops).</summary>
    protected abstract Tensor Augment(Tensor input);

    /// <summary>The inference-time transform: the identity unless overridden.</summary>
    protected virtual Tensor Infer(Tensor input) => input;

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        RequireImages(inputShapes[0]);
        return [inputShapes[0]];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["seed"] = Seed;
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>
/// Randomly flips images left-right and/or top-bottom in training (Keras <c>RandomFlip</c>): each image and each
/// chosen axis independently with probability ½. The identity in inference.
/// </summary>
public sealed class RandomFlip : ImageAugmentationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="mode">"horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical" (default).</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="name">Layer name; generated when null (<c>random_flip</c>, …).</param>
    public RandomFlip(string mode = "horizontal_and_vertical", int? seed = null, string? name = null) : base(seed, name)
    {
        if (mode is not ("horizontal" or "vertical" or "horizontal_and_vertical"))
            throw new ArgumentException($"{Who}: mode must be \"horizontal\", \"vertical\" or \"horizontal_and_vertical\"; got \"{mode}\".");
        Mode = mode;
    }

    /// <summary>The flip mode.</summary>
    public string Mode { get; }

    /// <summary>Creates the layer from a saved config.</summary>
    public static RandomFlip FromConfig(LayerConfig c) =>
        new(c.GetChoice("mode", "horizontal_and_vertical", "horizontal", "vertical", "horizontal_and_vertical"), c.GetOptionalInt("seed"), c.ChannelsLastName());

    /// <inheritdoc />
    protected override Tensor Augment(Tensor input) => input.RandomFlip(Mode != "vertical", Mode != "horizontal", Random);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["mode"] = Mode;
        return c;
    }
}

/// <summary>
/// Base of the layers that resample through a random affine map per image (rotation, zoom, translation): one op draws
/// the (N, 8) maps in its forward pass and <see cref="Tensor.AffineTransform"/> resamples with them.
/// </summary>
public abstract class RandomAffineLayer : ImageAugmentationLayer
{
    private protected RandomAffineLayer(string fillMode, string interpolation, float fillValue, int? seed, string? name) : base(seed, name)
    {
        Fill = AffineTransformOp.ParseFillMode(fillMode, Who);
        Nearest = AffineTransformOp.ParseInterpolation(interpolation, Who);
        if (!float.IsFinite(fillValue)) throw new ArgumentException($"{Who}: fill_value must be finite; got {fillValue}.");
        FillValue = fillValue;
    }

    private protected Praxis.FillMode Fill { get; }

    private protected bool Nearest { get; }

    /// <summary>How points outside the image are filled: "reflect", "wrap", "constant" or "nearest".</summary>
    public string FillMode => AffineTransformOp.FillModeName(Fill);

    /// <summary>"bilinear" or "nearest".</summary>
    public string Interpolation => Nearest ? "nearest" : "bilinear";

    /// <summary>The value outside the image in "constant" mode.</summary>
    public float FillValue { get; }

    private protected abstract RandomImageTransformOp DrawOp(int n, int h, int w);

    /// <inheritdoc />
    protected override Tensor Augment(Tensor input)
    {
        var transform = Engine.Record(DrawOp(input.Shape[0], input.Shape[1], input.Shape[2]));
        return Engine.Record(new AffineTransformOp(input, transform, -1, -1, Nearest, Fill, FillValue, Who));
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["fill_mode"] = FillMode;
        c["interpolation"] = Interpolation;
        c["fill_value"] = FillValue;
        return c;
    }

    private protected static string ReadFill(LayerConfig c) => c.GetChoice("fill_mode", "reflect", "reflect", "wrap", "constant", "nearest");

    private protected static string ReadInterpolation(LayerConfig c) => c.GetChoice("interpolation", "bilinear", "bilinear", "nearest");
}

/// <summary>
/// Randomly rotates images in training (Keras <c>RandomRotation</c>) about their centre, by an angle uniform in
/// [lower·2π, upper·2π]; positive angles turn the picture counter-clockwise. The identity in inference.
/// </summary>
public sealed class RandomRotation : RandomAffineLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="factor">A fraction of 2π: a number f for [−f, f], or a (lower, upper) pair.</param>
    /// <param name="fillMode">"reflect" (default), "wrap", "constant" or "nearest".</param>
    /// <param name="interpolation">"bilinear" (default) or "nearest".</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="fillValue">The value outside the image in "constant" mode (default 0).</param>
    /// <param name="name">Layer name; generated when null (<c>random_rotation</c>, …).</param>
    public RandomRotation(FactorRange factor, string fillMode = "reflect", string interpolation = "bilinear", int? seed = null, float fillValue = 0f, string? name = null)
        : base(fillMode, interpolation, fillValue, seed, name)
    {
        factor.Check(this, "factor", double.NegativeInfinity, double.PositiveInfinity);
        Factor = factor;
    }

    /// <summary>The rotation range, as a fraction of 2π.</summary>
    public FactorRange Factor { get; }

    /// <summary>Creates the layer from a saved config.</summary>
    public static RandomRotation FromConfig(LayerConfig c) =>
        new(FactorRange.Read(c, "factor"), ReadFill(c), ReadInterpolation(c), c.GetOptionalInt("seed"), c.GetFloat("fill_value", 0f), c.ChannelsLastName());

    private protected override RandomImageTransformOp DrawOp(int n, int h, int w)
    {
        var (lo, hi) = Factor.Symmetric;
        return new RandomImageTransformOp(RandomTransformKind.Rotation, n, h, w, (lo * 2 * Math.PI, hi * 2 * Math.PI), null, Random);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["factor"] = Factor.ToConfigValue();
        return c;
    }
}

/// <summary>
/// Randomly zooms images in training (Keras <c>RandomZoom</c>) about their centre: a factor z in [lower, upper] shows
/// (1 + z) times the height (and width), so a positive factor zooms out and a negative one zooms in. Without
/// <c>widthFactor</c> the aspect ratio is kept (one draw for both axes). The identity in inference.
/// </summary>
public sealed class RandomZoom : RandomAffineLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="heightFactor">A number f for [−f, f], or a (lower, upper) pair; each at least −1.</param>
    /// <param name="widthFactor">The same for the width, or null to zoom both axes by the height's draw.</param>
    /// <param name="fillMode">"reflect" (default), "wrap", "constant" or "nearest".</param>
    /// <param name="interpolation">"bilinear" (default) or "nearest".</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="fillValue">The value outside the image in "constant" mode (default 0).</param>
    /// <param name="name">Layer name; generated when null (<c>random_zoom</c>, …).</param>
    public RandomZoom(FactorRange heightFactor, FactorRange? widthFactor = null, string fillMode = "reflect", string interpolation = "bilinear",
        int? seed = null, float fillValue = 0f, string? name = null) : base(fillMode, interpolation, fillValue, seed, name)
    {
        heightFactor.Check(this, "height_factor", -1, double.PositiveInfinity);
        widthFactor?.Check(this, "width_factor", -1, double.PositiveInfinity);
        HeightFactor = heightFactor;
        WidthFactor = widthFactor;
    }

    /// <summary>The vertical zoom range.</summary>
    public FactorRange HeightFactor { get; }

    /// <summary>The horizontal zoom range, or null to keep the aspect ratio.</summary>
    public FactorRange? WidthFactor { get; }

    /// <summary>Creates the layer from a saved config.</summary>
    public static RandomZoom FromConfig(LayerConfig c) =>
        new(FactorRange.Read(c, "height_factor"), c.Has("width_factor") ? FactorRange.Read(c, "width_factor") : null, ReadFill(c), ReadInterpolation(c),
            c.GetOptionalInt("seed"), c.GetFloat("fill_value", 0f), c.ChannelsLastName());

    private protected override RandomImageTransformOp DrawOp(int n, int h, int w)
    {
        var (lo, hi) = HeightFactor.Symmetric;
        (double, double)? width = WidthFactor is { } wf ? (1 + wf.Symmetric.Lo, 1 + wf.Symmetric.Hi) : null;
        return new RandomImageTransformOp(RandomTransformKind.Zoom, n, h, w, (1 + lo, 1 + hi), width, Random);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["height_factor"] = HeightFactor.ToConfigValue();
        c["width_factor"] = WidthFactor?.ToConfigValue();
        return c;
    }
}

/// <summary>
/// Randomly shifts images in training (Keras <c>RandomTranslation</c>) by fractions of their height and width drawn
/// in [lower, upper] (positive: down and right). The identity in inference.
/// </summary>
public sealed class RandomTranslation : RandomAffineLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="heightFactor">A fraction of the height: a number f for [−f, f], or a (lower, upper) pair, within [−1, 1].</param>
    /// <param name="widthFactor">The same for the width.</param>
    /// <param name="fillMode">"reflect" (default), "wrap", "constant" or "nearest".</param>
    /// <param name="interpolation">"bilinear" (default) or "nearest".</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="fillValue">The value outside the image in "constant" mode (default 0).</param>
    /// <param name="name">Layer name; generated when null (<c>random_translation</c>, …).</param>
    public RandomTranslation(FactorRange heightFactor, FactorRange widthFactor, string fillMode = "reflect", string interpolation = "bilinear",
        int? seed = null, float fillValue = 0f, string? name = null) : base(fillMode, interpolation, fillValue, seed, name)
    {
        heightFactor.Check(this, "height_factor", -1, 1);
        widthFactor.Check(this, "width_factor", -1, 1);
        HeightFactor = heightFactor;
        WidthFactor = widthFactor;
    }

    /// <summary>The vertical shift range, as a fraction of the height.</summary>
    public FactorRange HeightFactor { get; }

    /// <summary>The horizontal shift range, as a fraction of the width.</summary>
    public FactorRange WidthFactor { get; }

    /// <summary>Creates the layer from a saved config.</summary>
    public static RandomTranslation FromConfig(LayerConfig c) =>
        new(FactorRange.Read(c, "height_factor"), FactorRange.Read(c, "width_factor"), ReadFill(c), ReadInterpolation(c),
            c.GetOptionalInt("seed"), c.GetFloat("fill_value", 0f), c.ChannelsLastName());

    private protected override RandomImageTransformOp DrawOp(int n, int h, int w) =>
        new(RandomTransformKind.Translation, n, h, w, HeightFactor.Symmetric, WidthFactor.Symmetric, Random);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["height_factor"] = HeightFactor.ToConfigValue();
        c["width_factor"] = WidthFactor.ToConfigValue();
        return c;
    }
}

/// <summary>
/// Randomly changes each image's contrast in training (Keras <c>RandomContrast</c>): per image a factor f in
/// [1 − lower, 1 + upper], and per channel y = (x − mean) · f + mean, clipped to <c>valueRange</c>. The identity in
/// inference.
/// </summary>
public sealed class RandomContrast : ImageAugmentationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="factor">A number f for [1 − f, 1 + f], or a (lower, upper) pair for [1 − lower, 1 + upper]; lower in [0, 1], upper >= 0.</param>
    /// <param name="valueRange">The range of the pixel values, and of the output (default (0, 255)).</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="name">Layer name; generated when null (<c>random_contrast</c>, …).</param>
    public RandomContrast(FactorRange factor, (float Low, float High)? valueRange = null, int? seed = null, string? name = null) : base(seed, name)
    {
        if (!(factor.Lower >= 0 && factor.Upper >= 0 && factor.Lower <= 1 && double.IsFinite(factor.Upper)))
            throw new ArgumentException($"{Who}: factor must be a number or (lower, upper) with 0 <= lower <= 1 and upper >= 0; got ({factor.Lower}, {factor.Upper}).");
        var range = valueRange ?? (0f, 255f);
        if (!(float.IsFinite(range.Low) && float.IsFinite(range.High) && range.Low < range.High))
            throw new ArgumentException($"{Who}: value_range must be (low, high) with low < high; got ({range.Low}, {range.High}).");
        Factor = factor;
        ValueRange = range;
    }

    /// <summary>The contrast range.</summary>
    public FactorRange Factor { get; }

    /// <summary>The range of the pixel values.</summary>
    public (float Low, float High) ValueRange { get; }

    /// <summary>Creates the layer from a saved config.</summary>
    public static RandomContrast FromConfig(LayerConfig c)
    {
        (float, float)? range = null;
        if (c.Has("value_range"))
        {
            var v = c.Raw.GetProperty("value_range");
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2 || v[0].ValueKind != JsonValueKind.Number || v[1].ValueKind != JsonValueKind.Number)
                throw c.Error("'value_range' must be a list of two numbers.");
            range = (v[0].GetSingle(), v[1].GetSingle());
        }
        return new(FactorRange.Read(c, "factor"), range, c.GetOptionalInt("seed"), c.ChannelsLastName());
    }

    /// <inheritdoc />
    protected override Tensor Augment(Tensor input) =>
        input.RandomContrast((float)(1 - Factor.Lower), (float)(1 + Factor.Upper), ValueRange, Random);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["factor"] = Factor.ToConfigValue();
        c["value_range"] = new[] { ValueRange.Low, ValueRange.High };
        return c;
    }
}

/// <summary>
/// Crops images to (height, width) (Keras <c>RandomCrop</c>). In training, at one random location for the whole
/// batch. In inference, and in training when an image is smaller than the target, as Keras documents: the largest
/// centred window with the target's aspect ratio, resized to (height, width) bilinearly (half-pixel centres, no
/// antialiasing); an image already of the target size passes through unchanged.
/// </summary>
public sealed class RandomCrop : ImageAugmentationLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="height">Output height.</param>
    /// <param name="width">Output width.</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="name">Layer name; generated when null (<c>random_crop</c>, …).</param>
    public RandomCrop(int height, int width, int? seed = null, string? name = null) : base(seed, name)
    {
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(height), $"{Who}: height and width must be positive; got {height}×{width}.");
        Height = height;
        Width = width;
    }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Creates the layer from a saved config.</summary>
    public static RandomCrop FromConfig(LayerConfig c) => new(c.GetInt("height"), c.GetInt("width"), c.GetOptionalInt("seed"), c.ChannelsLastName());

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        RequireImages(inputShape);
        InputSpec = new InputSpec(rank: 4, axes: new Dictionary<int, int> { [-1] = inputShape[3] }, expectedShape: inputShape);
        Built = true;
    }

    /// <inheritdoc />
    protected override Tensor Augment(Tensor input) =>
        input.Shape[1] >= Height && input.Shape[2] >= Width ? input.RandomCrop(Height, Width, Random) : Infer(input);

    /// <inheritdoc />
    protected override Tensor Infer(Tensor input)
    {
        var (top, left, ch, cw) = CenterWindow(input.Shape[1], input.Shape[2]);
        if (ch == Height && cw == Width && ch == input.Shape[1] && cw == input.Shape[2]) return input;
        var x = input;
        if (ch != input.Shape[1]) x = x.Slice(1, top, ch);
        if (cw != input.Shape[2]) x = x.Slice(2, left, cw);
        if (ch == Height && cw == Width) return x;
        // Bilinear resize with half-pixel centres: output (ox, oy) reads ((ox + ½)·cw/W − ½, (oy + ½)·ch/H − ½),
        // edges clamped ("nearest"), which is TensorFlow's resize without antialiasing.
        double sx = (double)cw / Width, sy = (double)ch / Height;
        var t = Tensor.FromArray([(float)sx, 0f, (float)(0.5 * sx - 0.5), 0f, (float)sy, (float)(0.5 * sy - 0.5), 0f, 0f], 8);
        return Engine.Record(new AffineTransformOp(x, t, Height, Width, nearest: false, Praxis.FillMode.Nearest, 0f, Who));
    }

    /// <summary>
    /// The largest centred window of an h×w image with the target's aspect ratio (Keras' <c>smart_resize</c>):
    /// (top, left, height, width).
    /// </summary>
    internal (int Top, int Left, int Height, int Width) CenterWindow(int h, int w)
    {
        int ch = Math.Max(1, Math.Min(h, (int)((double)w * Height / Width)));
        int cw = Math.Max(1, Math.Min(w, (int)((double)h * Width / Height)));
        return ((h - ch) / 2, (w - cw) / 2, ch, cw);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        RequireImages(s);
        return [new Shape(s[0], Height, Width, s[3])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["height"] = Height;
        c["width"] = Width;
        return c;
    }
}

/// <summary>
/// Adds zero-centred Gaussian noise of standard deviation <c>stddev</c> in training (Keras <c>GaussianNoise</c>);
/// the identity in inference. The noise is drawn inside an op, afresh at every step.
/// </summary>
public sealed class GaussianNoise : Layer, IRandomStateful
{
    private readonly Rng? _rng;

    /// <summary>Creates the layer.</summary>
    /// <param name="stddev">Standard deviation of the noise (>= 0).</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="name">Layer name; generated when null (<c>gaussian_noise</c>, …).</param>
    public GaussianNoise(float stddev, int? seed = null, string? name = null) : base(name)
    {
        if (!(stddev >= 0f && float.IsFinite(stddev))) throw new ArgumentOutOfRangeException(nameof(stddev), $"Layer '{Name}' (GaussianNoise): stddev must be >= 0; got {stddev}.");
        Stddev = stddev;
        Seed = seed;
        _rng = seed is int s ? new Rng(s) : null;
    }

    /// <summary>Standard deviation of the noise.</summary>
    public float Stddev { get; }

    /// <summary>The layer's seed, if any.</summary>
    public int? Seed { get; }

    Rng? IRandomStateful.OwnRandom => _rng;

    /// <summary>Creates the layer from a saved config.</summary>
    public static GaussianNoise FromConfig(LayerConfig c) => new(c.GetFloat("stddev"), c.GetOptionalInt("seed"), c.Name);

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) =>
        training && Stddev > 0f ? input + Tensor.RandomNormal(input.Shape, 0f, Stddev, _rng) : input;

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["stddev"] = Stddev;
        c["seed"] = Seed;
        return c;
    }
}

/// <summary>
/// Multiplies by Gaussian noise of mean 1 and standard deviation √(rate / (1 − rate)) in training (Keras
/// <c>GaussianDropout</c>); the identity in inference.
/// </summary>
public sealed class GaussianDropout : Layer, IRandomStateful
{
    private readonly Rng? _rng;

    /// <summary>Creates the layer.</summary>
    /// <param name="rate">Drop probability of the equivalent dropout, in [0, 1).</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="name">Layer name; generated when null (<c>gaussian_dropout</c>, …).</param>
    public GaussianDropout(float rate, int? seed = null, string? name = null) : base(name)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), $"Layer '{Name}' (GaussianDropout): rate must be in [0, 1); got {rate}.");
        Rate = rate;
        Seed = seed;
        _rng = seed is int s ? new Rng(s) : null;
    }

    /// <summary>The equivalent dropout rate.</summary>
    public float Rate { get; }

    /// <summary>The layer's seed, if any.</summary>
    public int? Seed { get; }

    Rng? IRandomStateful.OwnRandom => _rng;

    /// <summary>Creates the layer from a saved config.</summary>
    public static GaussianDropout FromConfig(LayerConfig c) => new(c.GetFloat("rate"), c.GetOptionalInt("seed"), c.Name);

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) =>
        training && Rate > 0f ? input * Tensor.RandomNormal(input.Shape, 1f, MathF.Sqrt(Rate / (1f - Rate)), _rng) : input;

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["rate"] = Rate;
        c["seed"] = Seed;
        return c;
    }
}
