using Praxis.Kernels;

namespace Praxis.Layers;

/// <summary>The shared configuration of <see cref="MaxPooling1D"/> and <see cref="AveragePooling1D"/>.</summary>
public abstract class Pooling1D : Layer
{
    private readonly Padding _padding;

    /// <summary>Stores the configuration; strides default to the pool size, as in Keras.</summary>
    protected Pooling1D(int poolSize, int? strides, string padding, string? name) : base(name)
    {
        if (poolSize <= 0 || strides is <= 0)
            throw new ArgumentOutOfRangeException(nameof(poolSize), $"Layer '{Name}' ({GetType().Name}): pool_size and strides must be positive; got {poolSize} and {strides}.");
        PoolSize = poolSize;
        Strides = strides ?? poolSize;
        _padding = ConvGeometry.ParsePadding(padding, $"Layer '{Name}' ({GetType().Name})");
    }

    /// <summary>Window width.</summary>
    public int PoolSize { get; }

    /// <summary>Stride (the pool size unless given).</summary>
    public int Strides { get; }

    /// <summary><c>"valid"</c> or <c>"same"</c>.</summary>
    public string Padding => ConvGeometry.Name(_padding);

    private protected string Who => $"Layer '{Name}' ({GetType().Name})";

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        SequenceInput.RequireRank3(this, inputShape);
        ComputeOutputShapes([inputShape]); // rejects a window longer than a known input
        InputSpec = new InputSpec(rank: 3);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        // A 1-D pool is the 2-D pool of a height-1 image: the same SIMD kernels, over (batch, 1, steps, channels).
        int n = input.Shape[0], t = input.Shape[1], c = input.Shape[2];
        ConvGeometry.OutputLength(Who, "length", t, PoolSize, Strides, 1, _padding, "pool");
        var x4 = input.Reshape(n, 1, t, c);
        var y = Pool(x4, (1, PoolSize), (1, Strides), _padding, Who);
        return y.Reshape(n, y.Shape[2], c);
    }

    private protected abstract Tensor Pool(Tensor x, Size2 pool, Size2 strides, Padding padding, string who);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        SequenceInput.RequireRank3(this, s);
        return [new Shape(s[0], ConvGeometry.OutputLengthOrUnknown(Who, "length", s[1], PoolSize, Strides, 1, _padding, "pool"), s[2])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["pool_size"] = new[] { PoolSize };
        c["strides"] = new[] { Strides };
        c["padding"] = Padding;
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>
/// Max pooling over channels-last sequences (Keras <c>MaxPooling1D</c>): (batch, steps, channels) → (batch, new_steps,
/// channels), the maximum of each window. Defaults: pool 2, strides = pool size, "valid".
/// </summary>
/// <param name="poolSize">Window width (default 2).</param>
/// <param name="strides">Stride (default: the pool size).</param>
/// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
/// <param name="name">Layer name; generated when null (<c>max_pooling1d</c>, …).</param>
public sealed class MaxPooling1D(int poolSize = 2, int? strides = null, string padding = "valid", string? name = null)
    : Pooling1D(poolSize, strides, padding, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static MaxPooling1D FromConfig(LayerConfig c) => new MaxPooling1D(c.GetInt1("pool_size", 2), c.Has("strides") ? c.GetInt1("strides", null) : null, c.GetPadding1D(causal: false), c.ChannelsLastName());

    private protected override Tensor Pool(Tensor x, Size2 pool, Size2 strides, Padding padding, string who) => x.MaxPool2D(pool, strides, padding, who);
}

/// <summary>
/// Average pooling over channels-last sequences (Keras <c>AveragePooling1D</c>); with "same" padding each window
/// averages only the steps inside the sequence, as TensorFlow does. Defaults: pool 2, strides = pool size, "valid".
/// </summary>
/// <param name="poolSize">Window width (default 2).</param>
/// <param name="strides">Stride (default: the pool size).</param>
/// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
/// <param name="name">Layer name; generated when null (<c>average_pooling1d</c>, …).</param>
public sealed class AveragePooling1D(int poolSize = 2, int? strides = null, string padding = "valid", string? name = null)
    : Pooling1D(poolSize, strides, padding, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static AveragePooling1D FromConfig(LayerConfig c) => new AveragePooling1D(c.GetInt1("pool_size", 2), c.Has("strides") ? c.GetInt1("strides", null) : null, c.GetPadding1D(causal: false), c.ChannelsLastName());

    private protected override Tensor Pool(Tensor x, Size2 pool, Size2 strides, Padding padding, string who) => x.AvgPool2D(pool, strides, padding, who);
}

/// <summary>The shared part of the 1-D global pooling layers.</summary>
public abstract class GlobalPooling1D : Layer
{
    /// <summary>Stores the configuration.</summary>
    protected GlobalPooling1D(bool keepdims, string? name) : base(name) => Keepdims = keepdims;

    /// <summary>Whether the output keeps the steps axis as size 1: (batch, 1, channels) instead of (batch, channels).</summary>
    public bool Keepdims { get; }

    private protected string Who => $"Layer '{Name}' ({GetType().Name})";

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        SequenceInput.RequireRank3(this, inputShape);
        InputSpec = new InputSpec(rank: 3);
        Built = true;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        SequenceInput.RequireRank3(this, s);
        return [Keepdims ? new Shape(s[0], 1, s[2]) : new Shape(s[0], s[2])];
    }

    /// <summary>The result of a global pool over (batch, steps, 1, channels), reshaped to this layer's output.</summary>
    private protected Tensor Finish(Tensor pooled, int n, int c) => Keepdims ? pooled.Reshape(n, 1, c) : pooled.Reshape(n, c);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["data_format"] = "channels_last";
        c["keepdims"] = Keepdims;
        return c;
    }
}

/// <summary>
/// Mean over the steps (Keras <c>GlobalAveragePooling1D</c>): (batch, steps, channels) → (batch, channels). With a mask
/// on the input (e.g. from <c>Embedding(maskZero: true)</c>) the mean is over the unmasked steps only, as Keras:
/// Σ x·mask / Σ mask (a sample with every step masked gives NaN, as in Keras).
/// </summary>
/// <param name="keepdims">Keep the steps axis as size 1 (default false).</param>
/// <param name="name">Layer name; generated when null (<c>global_average_pooling1d</c>).</param>
public sealed class GlobalAveragePooling1D(bool keepdims = false, string? name = null) : GlobalPooling1D(keepdims, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static GlobalAveragePooling1D FromConfig(LayerConfig c) => new GlobalAveragePooling1D(c.GetBool("keepdims", false), c.ChannelsLastName());

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        int n = input.Shape[0], t = input.Shape[1], c = input.Shape[2];
        if (input.Mask is { } mask)
        {
            if (mask.Rank != 2 || mask.Shape[0] != n || mask.Shape[1] != t)
                throw new ShapeMismatchException($"{Who}: the input mask has shape {mask.Shape}, expected (batch, steps) = ({n}, {t}) for input {input.Shape}.");
            var m = mask.Reshape(n, t, 1);
            var sum = (input * m).Sum(1, keepDims: Keepdims);
            var count = m.Sum(1, keepDims: Keepdims);
            return sum / count;
        }
        return Finish(input.Reshape(n, t, 1, c).GlobalPool2D(max: false, keepDims: false, Who), n, c);
    }
}

/// <summary>
/// Maximum over the steps (Keras <c>GlobalMaxPooling1D</c>): (batch, steps, channels) → (batch, channels). Like Keras it
/// ignores a mask on its input (masked steps take part in the maximum); zero the padded steps' features yourself, or
/// use <see cref="GlobalAveragePooling1D"/>, which honours the mask, when padding must not count.
/// </summary>
/// <param name="keepdims">Keep the steps axis as size 1 (default false).</param>
/// <param name="name">Layer name; generated when null (<c>global_max_pooling1d</c>).</param>
public sealed class GlobalMaxPooling1D(bool keepdims = false, string? name = null) : GlobalPooling1D(keepdims, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static GlobalMaxPooling1D FromConfig(LayerConfig c) => new GlobalMaxPooling1D(c.GetBool("keepdims", false), c.ChannelsLastName());

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        int n = input.Shape[0], t = input.Shape[1], c = input.Shape[2];
        return Finish(input.Reshape(n, t, 1, c).GlobalPool2D(max: true, keepDims: false, Who), n, c);
    }
}
