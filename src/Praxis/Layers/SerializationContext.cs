namespace Praxis.Layers;

/// <summary>
/// The state of one load from an untrusted source: where it comes from (for messages), how deep model nesting has
/// gone, how nested layers are built, and how many weight elements the config may still create. The budget stops a
/// hostile config from asking for gigabytes of weights: when loading a model file it is the number of elements the
/// file actually holds (every weight must be in the file anyway); when loading a config alone it is
/// <see cref="DefaultMaxElements"/>.
/// </summary>
/// <remarks>
/// The loader passes it explicitly: every <see cref="LayerConfig"/> carries it, and the loader attaches it to each layer
/// it creates (<see cref="Layer.AttachLoad"/>, which also reaches a model's and a wrapper's own layers), so
/// <c>Layer.AddWeight</c> charges the layer's own context. Nothing is thread-static, so a load may cross an
/// <c>await</c> or run beside another load on the same thread.
/// </remarks>
internal sealed class SerializationContext
{
    /// <summary>2²⁸ elements (1 GiB of float32): the default budget for a config loaded without weights.</summary>
    public const long DefaultMaxElements = 1L << 28;

    /// <summary>How deeply models may be nested inside models.</summary>
    public const int MaxDepth = 32;

    private long _remaining;

    /// <param name="source">The file or other source, named in every message.</param>
    /// <param name="maxElements">How many weight elements the layers built from this source may create.</param>
    /// <param name="createLayer">Builds a nested layer from its class name and config (the loader's registry); null
    /// where the configs read are not layers (compile configs).</param>
    public SerializationContext(string source, long maxElements, Func<string, LayerConfig, Layer>? createLayer = null)
    {
        Source = source;
        _remaining = maxElements;
        MaxElements = maxElements;
        _createLayer = createLayer;
    }

    private readonly Func<string, LayerConfig, Layer>? _createLayer;

    public string Source { get; }
    public long MaxElements { get; }

    /// <summary>True when every weight will be overwritten from the file: weights start as zeros and the initializers
    /// (and the global generator they draw from) are left alone.</summary>
    public bool WeightsFollow { get; init; }
    public long RemainingElements => Interlocked.Read(ref _remaining);
    public int Depth { get; set; }

    /// <summary>Builds a nested layer (wrappers' <c>layer</c>) through the loader's registry.</summary>
    public Layer CreateLayer(string className, LayerConfig config) =>
        _createLayer is { } f ? f(className, config) : throw config.Error("a layer cannot be nested here.");

    /// <summary>
    /// Called by <see cref="Layer"/> before it allocates a weight; throws when a load would exceed its budget. Returns
    /// true when the initializer should be skipped (the value comes from the file).
    /// </summary>
    internal bool ChargeWeight(Layer layer, string name, Shape shape)
    {
        long n = 1;
        foreach (int d in shape.Dims)
        {
            if (d < 0) throw new InvalidDataException($"{Source}: layer '{layer.Name}' ({layer.GetType().Name}) would create weight '{name}' of unknown shape {shape}.");
            n = d == 0 ? 0 : n > long.MaxValue / d ? long.MaxValue : n * d;
        }
        // Interlocked: a model's layers may be built from several threads (a subclassed model's own code).
        long left;
        do
        {
            left = Interlocked.Read(ref _remaining);
            if (n > left)
                throw new InvalidDataException($"{Source}: layer '{layer.Name}' ({layer.GetType().Name}) would create weight '{name}' of shape {shape}, " +
                    $"more than the {MaxElements} weight elements {(MaxElements == DefaultMaxElements ? "a config may create" : "the file holds")}.");
        }
        while (Interlocked.CompareExchange(ref _remaining, left - n, left) != left);
        return WeightsFollow;
    }

    /// <summary>Checks a per-sample input shape against the budget (layers dry-run on inputs to infer shapes).</summary>
    internal void CheckInputShape(string layer, int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < -1) throw new InvalidDataException($"{Source}: input '{layer}' has shape [{string.Join(", ", shape)}]; dimensions must be >= 0 or unknown.");
            long v = d < 0 ? 1 : d;
            n = v == 0 ? 0 : n > long.MaxValue / v ? long.MaxValue : n * v;
        }
        if (n > Math.Max(MaxElements, 1L << 24))
            throw new InvalidDataException($"{Source}: input '{layer}' has shape [{string.Join(", ", shape)}] ({n} elements per sample), over the limit for a loaded model.");
    }
}
