namespace Praxis.Layers;

/// <summary>
/// Elementwise sum of several inputs of the same shape (Keras <c>Add</c>), e.g. a residual connection. Masks of the
/// inputs are combined with a logical AND.
/// </summary>
public sealed class Add : Layer
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static Add FromConfig(LayerConfig c) => new Add(c.Name);

    /// <summary>Creates the layer.</summary>
    public Add(string? name = null) : base(name) { }

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes)
    {
        if (inputShapes.Length < 2) throw new ArgumentException($"Layer '{Name}' (Add) needs at least 2 inputs; got {inputShapes.Length}.");
        Built = true;
    }

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes)
    {
        for (int i = 1; i < shapes.Length; i++)
        {
            bool ok = shapes[i].Rank == shapes[0].Rank;
            for (int d = 0; ok && d < shapes[0].Rank; d++)
                ok = shapes[i][d] == shapes[0][d] || shapes[i][d] < 0 || shapes[0][d] < 0;
            if (!ok) throw new ShapeMismatchException($"Layer '{Name}' (Add) needs inputs of the same shape; got {string.Join(", ", shapes.Select(s => s.ToString()))}.");
        }
    }

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        CheckInputShapes(inputs.Select(t => t.Shape).ToArray());
        var y = inputs[0];
        for (int i = 1; i < inputs.Length; i++) y = y + inputs[i];
        y.Mask = Merging.AndMasks(inputs);
        return [y];
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];
}

/// <summary>
/// Joins inputs along an axis (Keras <c>Concatenate</c>, default the last). Masks are combined with a logical AND
/// (the sequence axes agree when joining features).
/// </summary>
public sealed class Concatenate : Layer
{
    /// <summary>Creates the layer.</summary>
    public Concatenate(int axis = -1, string? name = null) : base(name) => Axis = axis;

    /// <summary>The joining axis.</summary>
    public int Axis { get; }

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes)
    {
        if (inputShapes.Length < 2) throw new ArgumentException($"Layer '{Name}' (Concatenate) needs at least 2 inputs; got {inputShapes.Length}.");
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        var y = Tensor.Concat(inputs, Axis);
        y.Mask = Merging.AndMasks(inputs);
        return [y];
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var first = inputShapes[0];
        int a = first.NormalizeAxis(Axis);
        int total = 0;
        foreach (var s in inputShapes)
        {
            if (s.Rank != first.Rank) throw new ShapeMismatchException($"Layer '{Name}' (Concatenate): inputs must have the same rank; got {string.Join(", ", inputShapes.Select(x => x.ToString()))}.");
            if (s[a] < 0) { total = -1; break; }
            total += s[a];
        }
        return [first.With(a, total)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Concatenate FromConfig(LayerConfig c) => new Concatenate(c.GetInt("axis", -1), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["axis"] = Axis;
        return c;
    }
}

internal static class Merging
{
    /// <summary>The product (logical AND) of the inputs' masks, or null when none has one.</summary>
    public static Tensor? AndMasks(Tensor[] inputs)
    {
        Tensor? m = null;
        foreach (var t in inputs)
            if (t.Mask is { } mi) m = m is null ? mi : m * mi;
        return m;
    }
}
