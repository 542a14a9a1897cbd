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

/// <summary>
/// The base of Keras' elementwise merge layers (<see cref="Multiply"/>, <see cref="Subtract"/>, <see cref="Average"/>,
/// <see cref="Maximum"/>, <see cref="Minimum"/>), with Keras 3's shape rules: every input has the same batch size; an
/// input of lower rank gets size-1 axes inserted after the batch axis until the ranks agree (Keras'
/// <c>expand_dims(x, axis=1)</c>); then sizes broadcast axis by axis (1 against n gives n, otherwise they must be equal).
/// The inputs' masks are combined with a logical AND.
/// </summary>
public abstract class Merge : Layer
{
    /// <summary>Creates the layer.</summary>
    protected Merge(string? name) : base(name) { }

    /// <summary>The Keras class name, for messages.</summary>
    private string Kind => GetType().Name;

    /// <summary>The exact number of inputs the layer takes, or null for "two or more".</summary>
    protected virtual int? ExactInputs => null;

    /// <summary>Combines two inputs already brought to the same rank (broadcasting the rest).</summary>
    protected abstract Tensor Combine(Tensor a, Tensor b);

    /// <summary>The result after every input has been combined (Average divides by the count here).</summary>
    protected virtual Tensor Finish(Tensor combined, int count) => combined;

    /// <inheritdoc />
    public override void Build(Shape inputShape) =>
        throw new ArgumentException($"Layer '{Name}' ({Kind}) must be called on a list of {ExactInputs?.ToString() ?? "at least 2"} inputs; got a single input of shape {inputShape}.");

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes)
    {
        CheckInputShapes(inputShapes);
        Built = true;
    }

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes) => OutputShape(shapes);

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        var shapes = new Shape[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) shapes[i] = inputs[i].Shape;
        OutputShape(shapes);
        int rank = 0;
        foreach (var s in shapes) rank = Math.Max(rank, s.Rank);
        var y = Expand(inputs[0], rank);
        for (int i = 1; i < inputs.Length; i++) y = Combine(y, Expand(inputs[i], rank));
        y = Finish(y, inputs.Length);
        y.Mask = Merging.AndMasks(inputs);
        return [y];
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [OutputShape(inputShapes)];

    // (B, d1, …) of lower rank becomes (B, 1, …, 1, d1, …), as Keras' Merge.call does.
    private static Tensor Expand(Tensor x, int rank) => x.Rank == rank ? x : x.Reshape(ExpandedDims(x.Shape, rank));

    private static int[] ExpandedDims(Shape s, int rank)
    {
        var d = new int[rank];
        Array.Fill(d, 1);
        d[0] = s[0];
        for (int j = 1; j < s.Rank; j++) d[rank - s.Rank + j] = s[j];
        return d;
    }

    /// <summary>The merged shape (−1 for unknown sizes); throws naming the layer and every input shape when they do not fit.</summary>
    private Shape OutputShape(Shape[] shapes)
    {
        string All() => string.Join(", ", shapes.Select(x => x.ToString()));
        if (ExactInputs is int n && shapes.Length != n)
            throw new ArgumentException($"Layer '{Name}' ({Kind}) must be called on exactly {n} inputs; got {shapes.Length} ({All()}).");
        if (shapes.Length < 2)
            throw new ArgumentException($"Layer '{Name}' ({Kind}) must be called on at least 2 inputs; got {shapes.Length}.");
        int rank = 0;
        foreach (var s in shapes)
        {
            if (s.Rank == 0) throw new ShapeMismatchException($"Layer '{Name}' ({Kind}) needs inputs with a batch axis; got {All()}.");
            rank = Math.Max(rank, s.Rank);
        }
        var outDims = ExpandedDims(shapes[0], rank);
        for (int i = 1; i < shapes.Length; i++)
        {
            var d = ExpandedDims(shapes[i], rank);
            for (int a = 0; a < rank; a++)
            {
                int x = outDims[a], y = d[a];
                if (a == 0)
                {
                    if (x >= 0 && y >= 0 && x != y)
                        throw new ShapeMismatchException($"Layer '{Name}' ({Kind}) cannot merge tensors with different batch sizes; got shapes {All()}.");
                    outDims[0] = x >= 0 ? x : y;
                }
                else if (x == 1) outDims[a] = y;
                else if (y == 1) { }
                else if (x < 0 || y < 0) outDims[a] = x < 0 ? y : x;
                else if (x != y)
                    throw new ShapeMismatchException($"Layer '{Name}' ({Kind}): inputs have incompatible shapes {All()} (axis {a}: {x} vs {y}).");
            }
        }
        return new Shape(outDims);
    }
}

/// <summary>Elementwise product of two or more inputs (Keras <c>Multiply</c>), broadcasting by the <see cref="Merge"/> rules.</summary>
public sealed class Multiply : Merge
{
    /// <summary>Creates the layer.</summary>
    public Multiply(string? name = null) : base(name) { }

    /// <inheritdoc />
    protected override Tensor Combine(Tensor a, Tensor b) => a * b;

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static Multiply FromConfig(LayerConfig c) => new(c.Name);
}

/// <summary>The difference of exactly two inputs, first minus second (Keras <c>Subtract</c>).</summary>
public sealed class Subtract : Merge
{
    /// <summary>Creates the layer.</summary>
    public Subtract(string? name = null) : base(name) { }

    /// <inheritdoc />
    protected override int? ExactInputs => 2;

    /// <inheritdoc />
    protected override Tensor Combine(Tensor a, Tensor b) => a - b;

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static Subtract FromConfig(LayerConfig c) => new(c.Name);
}

/// <summary>The elementwise mean of two or more inputs (Keras <c>Average</c>): their sum divided by their count.</summary>
public sealed class Average : Merge
{
    /// <summary>Creates the layer.</summary>
    public Average(string? name = null) : base(name) { }

    /// <inheritdoc />
    protected override Tensor Combine(Tensor a, Tensor b) => a + b;

    /// <inheritdoc />
    protected override Tensor Finish(Tensor combined, int count) => combined / count;

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static Average FromConfig(LayerConfig c) => new(c.Name);
}

/// <summary>The elementwise maximum of two or more inputs (Keras <c>Maximum</c>); a tie sends the gradient to the earlier input.</summary>
public sealed class Maximum : Merge
{
    /// <summary>Creates the layer.</summary>
    public Maximum(string? name = null) : base(name) { }

    /// <inheritdoc />
    protected override Tensor Combine(Tensor a, Tensor b) => Tensor.Maximum(a, b);

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static Maximum FromConfig(LayerConfig c) => new(c.Name);
}

/// <summary>The elementwise minimum of two or more inputs (Keras <c>Minimum</c>); a tie sends the gradient to the earlier input.</summary>
public sealed class Minimum : Merge
{
    /// <summary>Creates the layer.</summary>
    public Minimum(string? name = null) : base(name) { }

    /// <inheritdoc />
    protected override Tensor Combine(Tensor a, Tensor b) => Tensor.Minimum(a, b);

    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static Minimum FromConfig(LayerConfig c) => new(c.Name);
}

/// <summary>
/// The dot product of two inputs along an axis of each, per sample (Keras <c>Dot</c>, i.e. <c>batch_dot</c>): for
/// (B, n) and (B, n) along axis 1 the result is (B, 1); for (B, n, d) and (B, m, d) along axis 2 it is (B, n, m). In
/// general the output is the first input's axes without its contracted one, followed by the second's without its batch
/// and contracted axes. <c>normalize</c> divides each input by its L2 norm along the contracted axis first (Keras'
/// <c>l2_normalize</c>, ε = 1e-12 on the squared norm), which gives the cosine similarity. The output has no mask.
/// </summary>
public sealed class Dot : Layer
{
    private readonly bool _axesIsInt;

    /// <summary>Contracts axis <paramref name="axes"/> of both inputs (negative counts from the end; not the batch axis).</summary>
    public Dot(int axes, bool normalize = false, string? name = null) : this([axes, axes], normalize, name) => _axesIsInt = true;

    /// <summary>Contracts axis <c>axes.Item1</c> of the first input with axis <c>axes.Item2</c> of the second.</summary>
    public Dot((int, int) axes, bool normalize = false, string? name = null) : this([axes.Item1, axes.Item2], normalize, name) { }

    private Dot(int[] axes, bool normalize, string? name) : base(name)
    {
        Axes = axes;
        Normalize = normalize;
    }

    /// <summary>The contracted axis of each input, as given (negative counts from the end).</summary>
    public IReadOnlyList<int> Axes { get; }

    /// <summary>Whether the inputs are L2-normalised along the contracted axes first.</summary>
    public bool Normalize { get; }

    /// <inheritdoc />
    public override void Build(Shape inputShape) =>
        throw new ArgumentException($"Layer '{Name}' (Dot) must be called on a list of 2 inputs; got a single input of shape {inputShape}.");

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes)
    {
        CheckInputShapes(inputShapes);
        Built = true;
    }

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes) => Resolve(shapes);

    /// <summary>The contracted axes as non-negative indices; throws naming the layer, the option and both shapes when they do not fit.</summary>
    private (int A1, int A2) Resolve(Shape[] shapes)
    {
        if (shapes.Length != 2)
            throw new ArgumentException($"Layer '{Name}' (Dot) must be called on exactly 2 inputs; got {shapes.Length}.");
        Shape s1 = shapes[0], s2 = shapes[1];
        if (s1.Rank < 2 || s2.Rank < 2)
            throw new ShapeMismatchException($"Layer '{Name}' (Dot) needs inputs of rank >= 2 (batch first); got {s1} and {s2}.");
        int a1 = Axes[0] < 0 ? Axes[0] + s1.Rank : Axes[0], a2 = Axes[1] < 0 ? Axes[1] + s2.Rank : Axes[1];
        if (a1 <= 0 || a1 >= s1.Rank || a2 <= 0 || a2 >= s2.Rank)
            throw new ArgumentException($"Layer '{Name}' (Dot): axes ({Axes[0]}, {Axes[1]}) must name a non-batch axis of each input; got shapes {s1} and {s2}.");
        if (s1[0] >= 0 && s2[0] >= 0 && s1[0] != s2[0])
            throw new ShapeMismatchException($"Layer '{Name}' (Dot) cannot merge tensors with different batch sizes; got shapes {s1} and {s2}.");
        if (s1[a1] >= 0 && s2[a2] >= 0 && s1[a1] != s2[a2])
            throw new ShapeMismatchException($"Layer '{Name}' (Dot): incompatible input shapes: axis {a1} of {s1} has size {s1[a1]}, axis {a2} of {s2} has size {s2[a2]}.");
        return (a1, a2);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var (a1, a2) = Resolve(inputShapes);
        return [OutputShape(inputShapes[0], inputShapes[1], a1, a2)];
    }

    private static Shape OutputShape(Shape s1, Shape s2, int a1, int a2)
    {
        var dims = new List<int>();
        for (int i = 0; i < s1.Rank; i++) if (i != a1) dims.Add(s1[i]);
        for (int i = 1; i < s2.Rank; i++) if (i != a2) dims.Add(s2[i]);
        if (dims.Count == 1) dims.Add(1);
        return new Shape(dims.ToArray());
    }

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        var (a1, a2) = Resolve([inputs[0].Shape, inputs[1].Shape]);
        Tensor x1 = inputs[0], x2 = inputs[1];
        if (Normalize) { x1 = L2Normalize(x1, a1); x2 = L2Normalize(x2, a2); }
        // x1 → (B, M, K) with the contracted axis last; x2 → (B, K, N) with it first; one batched GEMM.
        int batch = x1.Shape[0], k = x1.Shape[a1];
        var lhs = MoveAxis(x1, a1, toEnd: true).Reshape(batch, -1, k);
        var rhs = MoveAxis(x2, a2, toEnd: false).Reshape(batch, k, -1);
        var y = Tensor.MatMul(lhs, rhs);
        return [y.Reshape(OutputShape(x1.Shape, x2.Shape, a1, a2).ToArray())];
    }

    // Moves axis a to the end (toEnd) or to position 1, keeping the others in order; no copy when it is already there.
    private static Tensor MoveAxis(Tensor x, int a, bool toEnd)
    {
        int target = toEnd ? x.Rank - 1 : 1;
        if (a == target) return x;
        var order = new List<int>(x.Rank);
        for (int i = 0; i < x.Rank; i++) if (i != a) order.Add(i);
        order.Insert(target, a);
        return x.Permute(order.ToArray());
    }

    // Keras' l2_normalize: x · rsqrt(max(Σx², 1e-12)) along the axis.
    private static Tensor L2Normalize(Tensor x, int axis) => x / x.Square().Sum(axis, keepDims: true).Clip(1e-12f, float.MaxValue).Sqrt();

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["axes"] = _axesIsInt ? Axes[0] : new[] { Axes[0], Axes[1] };
        c["normalize"] = Normalize;
        return c;
    }

    /// <summary>Rebuilds the layer from its saved config (<c>axes</c> an int or a pair).</summary>
    public static Dot FromConfig(LayerConfig c)
    {
        bool normalize = c.GetBool("normalize", false);
        if (c.Has("axes") && c.Raw.GetProperty("axes").ValueKind == System.Text.Json.JsonValueKind.Number) return new Dot(c.GetInt("axes"), normalize, c.Name);
        var a = c.GetIntTuple("axes", 2);
        return new Dot((a[0], a[1]), normalize, c.Name);
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
