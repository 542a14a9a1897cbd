using Praxis.IO;

namespace Praxis.Layers;

/// <summary>
/// Adds rows and columns of zeros around channels-last images (Keras <c>ZeroPadding2D</c>): (batch, h, w, c) →
/// (batch, top + h + bottom, left + w + right, c). Default 1 on every side.
/// </summary>
public sealed class ZeroPadding2D : Layer
{
    /// <summary>Creates the layer with symmetric padding: an int for all sides or (height, width) for both sides of each.</summary>
    /// <param name="padding">Default 1.</param>
    /// <param name="name">Layer name; generated when null (<c>zero_padding2d</c>, …).</param>
    public ZeroPadding2D(Size2? padding = null, string? name = null)
        : this(((padding ?? 1).Height, (padding ?? 1).Height), ((padding ?? 1).Width, (padding ?? 1).Width), name) { }

    /// <summary>Creates the layer with ((top, bottom), (left, right)) padding.</summary>
    /// <param name="padding">Rows above and below, columns left and right.</param>
    /// <param name="name">Layer name; generated when null.</param>
    public ZeroPadding2D(((int Top, int Bottom) Height, (int Left, int Right) Width) padding, string? name = null) : this(padding.Height, padding.Width, name) { }

    private ZeroPadding2D((int Top, int Bottom) height, (int Left, int Right) width, string? name) : base(name)
    {
        if (height.Top < 0 || height.Bottom < 0 || width.Left < 0 || width.Right < 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Layer '{Name}' (ZeroPadding2D): padding must be >= 0; got (({height.Top}, {height.Bottom}), ({width.Left}, {width.Right})).");
        Padding = (height, width);
    }

    /// <summary>((top, bottom), (left, right)).</summary>
    public ((int Top, int Bottom) Height, (int Left, int Right) Width) Padding { get; }

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static ZeroPadding2D FromConfig(LayerConfig c) => new(c.GetSides2D("padding", 1), c.ChannelsLastName());

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ImageInput.RequireRank4(this, inputShape);
        InputSpec = new InputSpec(rank: 4);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        ImageInput.RequireRank4(this, input.Shape);
        var (h, w) = Padding;
        var y = h.Top + h.Bottom > 0 ? input.Pad(1, h.Top, h.Bottom) : input;
        return w.Left + w.Right > 0 ? y.Pad(2, w.Left, w.Right) : y;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        var (h, w) = Padding;
        return [new Shape(s[0], s[1] < 0 ? -1 : s[1] + h.Top + h.Bottom, s[2] < 0 ? -1 : s[2] + w.Left + w.Right, s[3])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["padding"] = new[] { new[] { Padding.Height.Top, Padding.Height.Bottom }, new[] { Padding.Width.Left, Padding.Width.Right } };
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>
/// Removes rows and columns at the edges of channels-last images (Keras <c>Cropping2D</c>): (batch, h, w, c) →
/// (batch, h − top − bottom, w − left − right, c). Default no cropping.
/// </summary>
public sealed class Cropping2D : Layer
{
    /// <summary>Creates the layer with symmetric cropping: an int for all sides or (height, width) for both sides of each.</summary>
    /// <param name="cropping">Default 0.</param>
    /// <param name="name">Layer name; generated when null (<c>cropping2d</c>, …).</param>
    public Cropping2D(Size2? cropping = null, string? name = null)
        : this(((cropping ?? 0).Height, (cropping ?? 0).Height), ((cropping ?? 0).Width, (cropping ?? 0).Width), name) { }

    /// <summary>Creates the layer with ((top, bottom), (left, right)) cropping.</summary>
    /// <param name="cropping">Rows removed above and below, columns left and right.</param>
    /// <param name="name">Layer name; generated when null.</param>
    public Cropping2D(((int Top, int Bottom) Height, (int Left, int Right) Width) cropping, string? name = null) : this(cropping.Height, cropping.Width, name) { }

    private Cropping2D((int Top, int Bottom) height, (int Left, int Right) width, string? name) : base(name)
    {
        if (height.Top < 0 || height.Bottom < 0 || width.Left < 0 || width.Right < 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Layer '{Name}' (Cropping2D): cropping must be >= 0; got (({height.Top}, {height.Bottom}), ({width.Left}, {width.Right})).");
        Cropping = (height, width);
    }

    /// <summary>((top, bottom), (left, right)).</summary>
    public ((int Top, int Bottom) Height, (int Left, int Right) Width) Cropping { get; }

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static Cropping2D FromConfig(LayerConfig c) => new(c.GetSides2D("cropping", 0), c.ChannelsLastName());

    private (int Height, int Width) Kept(Shape s)
    {
        ImageInput.RequireRank4(this, s);
        var (h, w) = Cropping;
        int kh = s[1] < 0 ? -1 : s[1] - h.Top - h.Bottom, kw = s[2] < 0 ? -1 : s[2] - w.Left - w.Right;
        if ((s[1] >= 0 && kh <= 0) || (s[2] >= 0 && kw <= 0))
            throw new ShapeMismatchException($"Layer '{Name}' (Cropping2D): cropping (({h.Top}, {h.Bottom}), ({w.Left}, {w.Right})) leaves nothing of input {s}.");
        return (kh, kw);
    }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        Kept(inputShape);
        InputSpec = new InputSpec(rank: 4);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        var (kh, kw) = Kept(input.Shape);
        var y = kh < input.Shape[1] ? input.Slice(1, Cropping.Height.Top, kh) : input;
        return kw < input.Shape[2] ? y.Slice(2, Cropping.Width.Left, kw) : y;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        var (kh, kw) = Kept(s);
        return [new Shape(s[0], kh, kw, s[3])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["cropping"] = new[] { new[] { Cropping.Height.Top, Cropping.Height.Bottom }, new[] { Cropping.Width.Left, Cropping.Width.Right } };
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>
/// Resizes channels-last images to (height, width) (Keras 3 <c>Resizing</c>, TensorFlow's <c>tf.image.resize</c> with
/// <c>antialias=False</c>): "bilinear" (default) or "nearest", half-pixel centres (<see cref="Tensor.Resize(int, int, string)"/>).
/// <c>crop_to_aspect_ratio</c> first takes the largest centred window with the target's aspect ratio;
/// <c>pad_to_aspect_ratio</c> first pads the shorter side symmetrically with <c>fill_value</c> (Keras' arithmetic,
/// including its rounding). Runs in training and inference, like every preprocessing layer, and is differentiable.
/// </summary>
/// <remarks>Refused by name, rather than computed differently: "bicubic", "lanczos3", "lanczos5", "area", <c>antialias=true</c>, and a <c>fill_mode</c> other than "constant".</remarks>
public sealed class Resizing : Layer
{
    private readonly bool _nearest;

    /// <summary>Creates the layer.</summary>
    /// <param name="height">Output height.</param>
    /// <param name="width">Output width.</param>
    /// <param name="interpolation"><c>"bilinear"</c> (default) or <c>"nearest"</c>.</param>
    /// <param name="cropToAspectRatio">Crop to the target aspect ratio before resizing (default false).</param>
    /// <param name="padToAspectRatio">Pad to the target aspect ratio before resizing (default false).</param>
    /// <param name="fillMode">Only <c>"constant"</c>, as in Keras.</param>
    /// <param name="fillValue">The padding value (default 0).</param>
    /// <param name="antialias">Only false (the default): Praxis has no antialiasing filter.</param>
    /// <param name="name">Layer name; generated when null (<c>resizing</c>, …).</param>
    public Resizing(int height, int width, string interpolation = "bilinear", bool cropToAspectRatio = false, bool padToAspectRatio = false,
        string fillMode = "constant", float fillValue = 0f, bool antialias = false, string? name = null) : base(name)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"{Who}: height and width must be positive; got ({height}, {width}).");
        string mode = interpolation.ToLowerInvariant();
        _nearest = mode switch
        {
            "nearest" => true,
            "bilinear" => false,
            "bicubic" or "lanczos3" or "lanczos5" or "area" => throw new NotSupportedException($"{Who}: interpolation '{interpolation}' is not supported; use 'bilinear' or 'nearest'."),
            _ => throw new ArgumentException($"{Who}: interpolation must be 'bilinear' or 'nearest'; got '{interpolation}'."),
        };
        if (cropToAspectRatio && padToAspectRatio)
            throw new ArgumentException($"{Who}: crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be true.");
        if (fillMode != "constant") throw new NotSupportedException($"{Who}: fill_mode '{fillMode}' is not supported; Keras supports only 'constant'.");
        if (antialias) throw new NotSupportedException($"{Who}: antialias=true is not supported (Praxis resizes without an antialiasing filter, Keras' default antialias=false).");
        if (!float.IsFinite(fillValue)) throw new ArgumentOutOfRangeException(nameof(fillValue), $"{Who}: fill_value must be finite; got {fillValue}.");
        (Height, Width, Interpolation) = (height, width, mode);
        (CropToAspectRatio, PadToAspectRatio, FillValue) = (cropToAspectRatio, padToAspectRatio, fillValue);
    }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary><c>"bilinear"</c> or <c>"nearest"</c>.</summary>
    public string Interpolation { get; }

    /// <summary>Whether the input is cropped to the target aspect ratio first.</summary>
    public bool CropToAspectRatio { get; }

    /// <summary>Whether the input is padded to the target aspect ratio first.</summary>
    public bool PadToAspectRatio { get; }

    /// <summary>The padding value of <see cref="PadToAspectRatio"/>.</summary>
    public float FillValue { get; }

    private string Who => $"Layer '{Name}' (Resizing)";

    /// <summary>Rebuilds the layer from its saved config (Keras' keys and defaults).</summary>
    public static Resizing FromConfig(LayerConfig c) => new(c.GetInt("height"), c.GetInt("width"), c.GetString("interpolation", "bilinear"),
        c.GetBool("crop_to_aspect_ratio", false), c.GetBool("pad_to_aspect_ratio", false), c.GetString("fill_mode", "constant"),
        c.GetFloat("fill_value", 0f), c.GetBool("antialias", false), c.ChannelsLastName());

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ImageInput.RequireRank4(this, inputShape);
        InputSpec = new InputSpec(rank: 4);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        ImageInput.RequireRank4(this, input.Shape);
        var x = input;
        if (CropToAspectRatio) x = AspectRatio.Crop(x, Height, Width);
        else if (PadToAspectRatio) x = AspectRatio.Pad(x, Height, Width, FillValue);
        return x.Resize(Height, Width, _nearest, Who);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        return [new Shape(s[0], Height, Width, s[3])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["height"] = Height;
        c["width"] = Width;
        c["interpolation"] = Interpolation;
        c["crop_to_aspect_ratio"] = CropToAspectRatio;
        c["pad_to_aspect_ratio"] = PadToAspectRatio;
        c["fill_mode"] = "constant";
        c["fill_value"] = FillValue;
        c["antialias"] = false;
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>
/// Crops the centre of channels-last images to (height, width) (Keras 3 <c>CenterCrop</c>): the window starts at
/// ⌊(h − height)/2⌋, ⌊(w − width)/2⌋. An input smaller than the target on either side is instead cropped to the target
/// aspect ratio and resized bilinearly, as Keras' <c>smart_resize</c> does.
/// </summary>
public sealed class CenterCrop : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="height">Output height.</param>
    /// <param name="width">Output width.</param>
    /// <param name="name">Layer name; generated when null (<c>center_crop</c>, …).</param>
    public CenterCrop(int height, int width, string? name = null) : base(name)
    {
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), $"Layer '{Name}' (CenterCrop): height and width must be positive; got ({height}, {width}).");
        (Height, Width) = (height, width);
    }

    /// <summary>Output height.</summary>
    public int Height { get; }

    /// <summary>Output width.</summary>
    public int Width { get; }

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static CenterCrop FromConfig(LayerConfig c) => new(c.GetInt("height"), c.GetInt("width"), c.ChannelsLastName());

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ImageInput.RequireRank4(this, inputShape);
        InputSpec = new InputSpec(rank: 4);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        ImageInput.RequireRank4(this, input.Shape);
        int h = input.Shape[1], w = input.Shape[2];
        if (h < Height || w < Width)
            return AspectRatio.Crop(input, Height, Width).Resize(Height, Width, nearest: false, $"Layer '{Name}' (CenterCrop)");
        var y = h > Height ? input.Slice(1, (h - Height) / 2, Height) : input;
        return w > Width ? y.Slice(2, (w - Width) / 2, Width) : y;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        return [new Shape(s[0], Height, Width, s[3])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["height"] = Height;
        c["width"] = Width;
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>Keras' aspect-ratio crop and pad (its <c>resize</c> and <c>smart_resize</c>), with its integer rounding.</summary>
internal static class AspectRatio
{
    /// <summary>
    /// The largest centred window of (h, w) with the aspect ratio of (th, tw): height min(h, ⌊w·th/tw⌋) (at least 1),
    /// width min(w, ⌊h·tw/th⌋) (at least 1), starting at ⌊(h − height)/2⌋ and ⌊(w − width)/2⌋.
    /// </summary>
    public static (int Top, int Left, int Height, int Width) CropBox(int h, int w, int th, int tw)
    {
        int ch = Math.Max(Math.Min(h, (int)((long)w * th / tw)), 1);
        int cw = Math.Max(Math.Min(w, (int)((long)h * tw / th)), 1);
        return ((h - ch) / 2, (w - cw) / 2, ch, cw);
    }

    /// <summary>Rows (or columns) added on each side: ⌊(max(h, ⌊w·th/tw⌋) − h)/2⌋ on both sides, as Keras pads.</summary>
    public static (int Rows, int Columns) PadSides(int h, int w, int th, int tw)
    {
        int ph = Math.Max(h, (int)((long)w * th / tw)), pw = Math.Max(w, (int)((long)h * tw / th));
        return ((ph - h) / 2, (pw - w) / 2);
    }

    public static Tensor Crop(Tensor x, int th, int tw)
    {
        var (top, left, ch, cw) = CropBox(x.Shape[1], x.Shape[2], th, tw);
        var y = ch < x.Shape[1] ? x.Slice(1, top, ch) : x;
        return cw < x.Shape[2] ? y.Slice(2, left, cw) : y;
    }

    public static Tensor Pad(Tensor x, int th, int tw, float value)
    {
        var (rows, cols) = PadSides(x.Shape[1], x.Shape[2], th, tw);
        var y = rows > 0 ? x.Pad(1, rows, rows, value) : x;
        return cols > 0 ? y.Pad(2, cols, cols, value) : y;
    }
}
