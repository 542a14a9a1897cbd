namespace Praxis.Layers;

/// <summary>
/// Flattens every axis after the batch axis (Keras <c>Flatten</c>): (batch, d1, …, dk) → (batch, d1·…·dk). In
/// channels-last order, so a Dense layer after it sees the same feature order as in Keras.
/// </summary>
/// <param name="name">Layer name; generated when null (<c>flatten</c>, …).</param>
public sealed class Flatten(string? name = null) : Layer(name)
{
    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) =>
        input.Rank == 0 ? throw new ShapeMismatchException($"Layer '{Name}' (Flatten) needs a batch axis; got a scalar.") : input.Reshape(input.Shape[0], -1);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        if (s.Rank == 0) throw new ShapeMismatchException($"Layer '{Name}' (Flatten) needs a batch axis; got a scalar.");
        long size = 1;
        for (int i = 1; i < s.Rank; i++) size = s[i] < 0 || size < 0 ? -1 : size * s[i];
        return [new Shape(s[0], (int)size)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Flatten FromConfig(LayerConfig c) => new Flatten(c.ChannelsLastName());

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>
/// Reshapes each sample to <c>target_shape</c> (Keras <c>Reshape</c>); the batch axis is kept, and one target dimension
/// may be −1 (inferred). Elements keep their row-major order.
/// </summary>
public sealed class Reshape : Layer
{
    private readonly int[] _target;

    /// <summary>Creates the layer.</summary>
    /// <param name="targetShape">The per-sample shape, without the batch axis; one entry may be −1.</param>
    /// <param name="name">Layer name; generated when null (<c>reshape</c>, …).</param>
    public Reshape(int[] targetShape, string? name = null) : base(name)
    {
        int unknown = 0;
        foreach (int d in targetShape)
        {
            if (d == -1) unknown++;
            else if (d <= 0) throw new ArgumentException($"Layer '{Name}' (Reshape): target_shape dimensions must be positive or -1; got {Shape.Format(targetShape)}.");
        }
        if (unknown > 1) throw new ArgumentException($"Layer '{Name}' (Reshape): at most one target_shape dimension can be -1; got {Shape.Format(targetShape)}.");
        _target = (int[])targetShape.Clone();
    }

    /// <summary>The per-sample target shape (a copy).</summary>
    public int[] TargetShape => (int[])_target.Clone();

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ComputeOutputShapes([inputShape]); // rejects a known size that does not fit
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        var dims = new int[_target.Length + 1];
        dims[0] = input.Shape[0];
        _target.CopyTo(dims, 1);
        return input.Reshape(dims);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        if (s.Rank == 0) throw new ShapeMismatchException($"Layer '{Name}' (Reshape) needs a batch axis; got a scalar.");
        long size = 1;
        for (int i = 1; i < s.Rank; i++) size = s[i] < 0 || size < 0 ? -1 : size * s[i];
        long known = 1;
        int inferAt = -1;
        for (int i = 0; i < _target.Length; i++)
        {
            if (_target[i] == -1) inferAt = i;
            else known *= _target[i];
        }
        var dims = new int[_target.Length + 1];
        dims[0] = s[0];
        _target.CopyTo(dims, 1);
        if (size >= 0)
        {
            bool fits = inferAt >= 0 ? size % known == 0 : size == known;
            if (!fits)
                throw new ShapeMismatchException($"Layer '{Name}' (Reshape): cannot reshape input {s} ({size} values per sample) to target_shape {Shape.Format(_target)}.");
            if (inferAt >= 0) dims[inferAt + 1] = (int)(size / known);
        }
        return [new Shape(dims)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Reshape FromConfig(LayerConfig c) => new Reshape(c.GetIntArray("target_shape"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["target_shape"] = TargetShape;
        return c;
    }
}

/// <summary>
/// Upsamples channels-last images by integer factors (Keras <c>UpSampling2D</c>): (batch, h, w, c) →
/// (batch, h·size_h, w·size_w, c), repeating pixels ("nearest", the default) or interpolating ("bilinear", half-pixel
/// centres as <c>tf.image.resize</c>).
/// </summary>
public sealed class UpSampling2D : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="size">Upsampling factors (default 2).</param>
    /// <param name="interpolation"><c>"nearest"</c> (default) or <c>"bilinear"</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>up_sampling2d</c>, …).</param>
    public UpSampling2D(Size2? size = null, string interpolation = "nearest", string? name = null) : base(name)
    {
        Size = (size ?? 2).RequirePositive("size");
        Interpolation = interpolation.ToLowerInvariant() is "nearest" or "bilinear"
            ? interpolation.ToLowerInvariant()
            : throw new ArgumentException($"Layer '{Name}' (UpSampling2D): interpolation must be 'nearest' or 'bilinear'; got '{interpolation}'.");
    }

    /// <summary>Upsampling factors.</summary>
    public Size2 Size { get; }

    /// <summary><c>"nearest"</c> or <c>"bilinear"</c>.</summary>
    public string Interpolation { get; }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ImageInput.RequireRank4(this, inputShape);
        InputSpec = new InputSpec(rank: 4);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.UpSampling2D(Size, Interpolation, $"Layer '{Name}' (UpSampling2D)");

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        return [new Shape(s[0], s[1] < 0 ? -1 : s[1] * Size.Height, s[2] < 0 ? -1 : s[2] * Size.Width, s[3])];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static UpSampling2D FromConfig(LayerConfig c) => new UpSampling2D(c.GetSize2("size", 2), c.GetChoice("interpolation", "nearest", "nearest", "bilinear"), c.ChannelsLastName());

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["size"] = Size.ToArray();
        c["data_format"] = "channels_last";
        c["interpolation"] = Interpolation;
        return c;
    }
}
