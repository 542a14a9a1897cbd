using Praxis.Layers;

namespace Praxis.IO;

/// <summary>
/// The state of one load from an untrusted source: where it comes from (for messages), how deep model nesting has
/// gone, and how many weight elements the config may still create. The budget stops a hostile config from asking for
/// gigabytes of weights: when loading a model file it is the number of elements the file actually holds (every weight
/// must be in the file anyway); when loading a config alone it is <see cref="DefaultMaxElements"/>.
/// </summary>
internal sealed class SerializationContext
{
    /// <summary>2²⁸ elements (1 GiB of float32): the default budget for a config loaded without weights.</summary>
    public const long DefaultMaxElements = 1L << 28;

    /// <summary>How deeply models may be nested inside models.</summary>
    public const int MaxDepth = 32;

    [ThreadStatic] private static SerializationContext? _current;

    public SerializationContext(string source, long maxElements)
    {
        Source = source;
        RemainingElements = maxElements;
        MaxElements = maxElements;
    }

    public string Source { get; }
    public long MaxElements { get; }

    /// <summary>True when every weight will be overwritten from the file: weights start as zeros and the initializers
    /// (and the global generator they draw from) are left alone.</summary>
    public bool WeightsFollow { get; init; }
    public long RemainingElements { get; private set; }
    public int Depth { get; set; }

    /// <summary>Makes this context current on this thread until the result is disposed.</summary>
    public Scope Enter()
    {
        var previous = _current;
        _current = this;
        return new Scope(previous);
    }

    internal readonly struct Scope(SerializationContext? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }

    /// <summary>
    /// Called by <see cref="Layer"/> before it allocates a weight; throws when a load would exceed its budget. Returns
    /// true when the initializer should be skipped (the value comes from the file).
    /// </summary>
    internal static bool ChargeWeight(Layer layer, string name, Shape shape)
    {
        var ctx = _current;
        if (ctx == null) return false;
        long n = 1;
        foreach (int d in shape.Dims)
        {
            if (d < 0) throw new InvalidDataException($"{ctx.Source}: layer '{layer.Name}' ({layer.GetType().Name}) would create weight '{name}' of unknown shape {shape}.");
            n = d == 0 ? 0 : n > long.MaxValue / d ? long.MaxValue : n * d;
        }
        if (n > ctx.RemainingElements)
            throw new InvalidDataException($"{ctx.Source}: layer '{layer.Name}' ({layer.GetType().Name}) would create weight '{name}' of shape {shape}, " +
                $"more than the {ctx.MaxElements} weight elements {(ctx.MaxElements == DefaultMaxElements ? "a config may create" : "the file holds")}.");
        ctx.RemainingElements -= n;
        return ctx.WeightsFollow;
    }

    /// <summary>Checks a per-sample input shape against the budget (layers dry-run on inputs to infer shapes).</summary>
    internal static void CheckInputShape(string source, string layer, int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < -1) throw new InvalidDataException($"{source}: input '{layer}' has shape [{string.Join(", ", shape)}]; dimensions must be >= 0 or unknown.");
            long v = d < 0 ? 1 : d;
            n = v == 0 ? 0 : n > long.MaxValue / v ? long.MaxValue : n * v;
        }
        long cap = _current?.MaxElements ?? DefaultMaxElements;
        if (n > Math.Max(cap, 1L << 24))
            throw new InvalidDataException($"{source}: input '{layer}' has shape [{string.Join(", ", shape)}] ({n} elements per sample), over the limit for a loaded model.");
    }
}
