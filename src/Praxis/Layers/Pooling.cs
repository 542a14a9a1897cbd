using Praxis.Kernels;

namespace Praxis.Layers;

/// <summary>The shared configuration of <see cref="MaxPooling2D"/> and <see cref="AveragePooling2D"/>.</summary>
public abstract class Pooling2D : Layer
{
    private readonly Padding _padding;

    /// <summary>Stores the configuration; strides default to the pool size, as in Keras.</summary>
    protected Pooling2D(Size2 poolSize, Size2? strides, string padding, string? name) : base(name)
    {
        PoolSize = poolSize.RequirePositive("pool_size");
        Strides = (strides ?? poolSize).RequirePositive("strides");
        _padding = ConvGeometry.ParsePadding(padding, $"Layer '{Name}' ({GetType().Name})");
    }

    /// <summary>Window height and width.</summary>
    public Size2 PoolSize { get; }

    /// <summary>Strides (the pool size unless given).</summary>
    public Size2 Strides { get; }

    /// <summary><c>"valid"</c> or <c>"same"</c>.</summary>
    public string Padding => ConvGeometry.Name(_padding);

    /// <summary>The parsed padding, for the ops.</summary>
    private protected Padding PaddingMode => _padding;

    private protected string Who => $"Layer '{Name}' ({GetType().Name})";

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ImageInput.RequireRank4(this, inputShape);
        ComputeOutputShapes([inputShape]); // rejects a window larger than a known input
        InputSpec = new InputSpec(rank: 4);
        Built = true;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        return [new Shape(s[0],
            ConvGeometry.OutputLengthOrUnknown(Who, "height", s[1], PoolSize.Height, Strides.Height, 1, _padding, "pool"),
            ConvGeometry.OutputLengthOrUnknown(Who, "width", s[2], PoolSize.Width, Strides.Width, 1, _padding, "pool"),
            s[3])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["pool_size"] = PoolSize.ToArray();
        c["strides"] = Strides.ToArray();
        c["padding"] = Padding;
        c["data_format"] = "channels_last";
        return c;
    }
}

/// <summary>
/// Max pooling over channels-last images (Keras <c>MaxPooling2D</c>): the maximum of each pool_size window, moved by
/// strides (default: the pool size). Defaults: pool (2, 2), "valid".
/// </summary>
/// <param name="poolSize">Window size (default 2).</param>
/// <param name="strides">Strides (default: the pool size).</param>
/// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
/// <param name="name">Layer name; generated when null (<c>max_pooling2d</c>, …).</param>
public sealed class MaxPooling2D(Size2? poolSize = null, Size2? strides = null, string padding = "valid", string? name = null)
    : Pooling2D(poolSize ?? 2, strides, padding, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static MaxPooling2D FromConfig(LayerConfig c) => new MaxPooling2D(c.GetSize2("pool_size", 2), c.Has("strides") ? c.GetSize2("strides", null) : null, c.GetPadding(), c.ChannelsLastName());

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.MaxPool2D(PoolSize, Strides, PaddingMode, Who);
}

/// <summary>
/// Average pooling over channels-last images (Keras <c>AveragePooling2D</c>); with "same" padding each window averages
/// only the positions inside the image, as TensorFlow does. Defaults: pool (2, 2), "valid".
/// </summary>
/// <param name="poolSize">Window size (default 2).</param>
/// <param name="strides">Strides (default: the pool size).</param>
/// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
/// <param name="name">Layer name; generated when null (<c>average_pooling2d</c>, …).</param>
public sealed class AveragePooling2D(Size2? poolSize = null, Size2? strides = null, string padding = "valid", string? name = null)
    : Pooling2D(poolSize ?? 2, strides, padding, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static AveragePooling2D FromConfig(LayerConfig c) => new AveragePooling2D(c.GetSize2("pool_size", 2), c.Has("strides") ? c.GetSize2("strides", null) : null, c.GetPadding(), c.ChannelsLastName());

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.AvgPool2D(PoolSize, Strides, PaddingMode, Who);
}

/// <summary>The shared part of the global pooling layers.</summary>
public abstract class GlobalPooling2D : Layer
{
    /// <summary>Stores the configuration.</summary>
    protected GlobalPooling2D(bool keepdims, string? name) : base(name) => Keepdims = keepdims;

    /// <summary>Whether the output keeps the spatial axes as size 1: (batch, 1, 1, channels) instead of (batch, channels).</summary>
    public bool Keepdims { get; }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ImageInput.RequireRank4(this, inputShape);
        InputSpec = new InputSpec(rank: 4);
        Built = true;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        return [Keepdims ? new Shape(s[0], 1, 1, s[3]) : new Shape(s[0], s[3])];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["data_format"] = "channels_last";
        c["keepdims"] = Keepdims;
        return c;
    }
}

/// <summary>Mean over height and width (Keras <c>GlobalAveragePooling2D</c>): (batch, h, w, c) → (batch, c).</summary>
/// <param name="keepdims">Keep the spatial axes as size 1 (default false).</param>
/// <param name="name">Layer name; generated when null.</param>
public sealed class GlobalAveragePooling2D(bool keepdims = false, string? name = null) : GlobalPooling2D(keepdims, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static GlobalAveragePooling2D FromConfig(LayerConfig c) => new GlobalAveragePooling2D(c.GetBool("keepdims", false), c.ChannelsLastName());

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.GlobalPool2D(max: false, Keepdims, $"Layer '{Name}' (GlobalAveragePooling2D)");
}

/// <summary>Maximum over height and width (Keras <c>GlobalMaxPooling2D</c>): (batch, h, w, c) → (batch, c).</summary>
/// <param name="keepdims">Keep the spatial axes as size 1 (default false).</param>
/// <param name="name">Layer name; generated when null.</param>
public sealed class GlobalMaxPooling2D(bool keepdims = false, string? name = null) : GlobalPooling2D(keepdims, name)
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static GlobalMaxPooling2D FromConfig(LayerConfig c) => new GlobalMaxPooling2D(c.GetBool("keepdims", false), c.ChannelsLastName());

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.GlobalPool2D(max: true, Keepdims, $"Layer '{Name}' (GlobalMaxPooling2D)");
}
