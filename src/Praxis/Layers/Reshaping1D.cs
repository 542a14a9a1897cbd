namespace Praxis.Layers;

/// <summary>
/// Repeats each step of a channels-last sequence (Keras <c>UpSampling1D</c>): (batch, steps, features) →
/// (batch, steps·size, features). Default size 2.
/// </summary>
public sealed class UpSampling1D : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="size">Repetitions of each step (default 2).</param>
    /// <param name="name">Layer name; generated when null (<c>up_sampling1d</c>, …).</param>
    public UpSampling1D(int size = 2, string? name = null) : base(name) =>
        Size = size > 0 ? size : throw new ArgumentOutOfRangeException(nameof(size), $"Layer '{Name}' (UpSampling1D): size must be positive; got {size}.");

    /// <summary>Repetitions of each step.</summary>
    public int Size { get; }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        SequenceInput.RequireRank3(this, inputShape);
        InputSpec = new InputSpec(rank: 3);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        // Nearest-neighbour upsampling of a (steps, 1) image: the same op as UpSampling2D.
        int n = input.Shape[0], t = input.Shape[1], c = input.Shape[2];
        return input.Reshape(n, t, 1, c).UpSampling2D((Size, 1), "nearest", $"Layer '{Name}' (UpSampling1D)").Reshape(n, t * Size, c);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        SequenceInput.RequireRank3(this, s);
        return [new Shape(s[0], s[1] < 0 ? -1 : s[1] * Size, s[2])];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static UpSampling1D FromConfig(LayerConfig c) => new UpSampling1D(c.GetInt("size", 2), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["size"] = Size;
        return c;
    }
}

/// <summary>
/// Adds zero steps at the start and end of a sequence (Keras <c>ZeroPadding1D</c>): (batch, steps, features) →
/// (batch, left + steps + right, features). Default padding 1 on each side.
/// </summary>
public sealed class ZeroPadding1D : Layer
{
    /// <summary>Creates the layer with the same padding on both sides.</summary>
    /// <param name="padding">Zero steps on each side (default 1).</param>
    /// <param name="name">Layer name; generated when null (<c>zero_padding1d</c>, …).</param>
    public ZeroPadding1D(int padding = 1, string? name = null) : this((padding, padding), name) { }

    /// <summary>Creates the layer with (left, right) padding.</summary>
    /// <param name="padding">Zero steps at the start and at the end.</param>
    /// <param name="name">Layer name; generated when null.</param>
    public ZeroPadding1D((int Left, int Right) padding, string? name = null) : base(name)
    {
        if (padding.Left < 0 || padding.Right < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), $"Layer '{Name}' (ZeroPadding1D): padding must be >= 0; got ({padding.Left}, {padding.Right}).");
        Padding = padding;
    }

    /// <summary>Zero steps at the start and at the end.</summary>
    public (int Left, int Right) Padding { get; }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        SequenceInput.RequireRank3(this, inputShape);
        InputSpec = new InputSpec(rank: 3);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.Pad(1, Padding.Left, Padding.Right);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        SequenceInput.RequireRank3(this, s);
        return [new Shape(s[0], s[1] < 0 ? -1 : s[1] + Padding.Left + Padding.Right, s[2])];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static ZeroPadding1D FromConfig(LayerConfig c)
    {
        var p = c.GetIntPair("padding", 1);
        return new ZeroPadding1D((p[0], p[1]), c.Name);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["padding"] = new[] { Padding.Left, Padding.Right };
        return c;
    }
}

/// <summary>
/// Removes steps from the start and end of a sequence (Keras <c>Cropping1D</c>): (batch, steps, features) →
/// (batch, steps − start − end, features). Default cropping (1, 1).
/// </summary>
public sealed class Cropping1D : Layer
{
    /// <summary>Creates the layer with the same cropping on both sides.</summary>
    /// <param name="cropping">Steps removed from each side (default 1).</param>
    /// <param name="name">Layer name; generated when null (<c>cropping1d</c>, …).</param>
    public Cropping1D(int cropping = 1, string? name = null) : this((cropping, cropping), name) { }

    /// <summary>Creates the layer with (start, end) cropping.</summary>
    /// <param name="cropping">Steps removed from the start and from the end.</param>
    /// <param name="name">Layer name; generated when null.</param>
    public Cropping1D((int Start, int End) cropping, string? name = null) : base(name)
    {
        if (cropping.Start < 0 || cropping.End < 0)
            throw new ArgumentOutOfRangeException(nameof(cropping), $"Layer '{Name}' (Cropping1D): cropping must be >= 0; got ({cropping.Start}, {cropping.End}).");
        Cropping = cropping;
    }

    /// <summary>Steps removed from the start and from the end.</summary>
    public (int Start, int End) Cropping { get; }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ComputeOutputShapes([inputShape]);
        InputSpec = new InputSpec(rank: 3);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        int kept = Kept(input.Shape);
        return input.Slice(1, Cropping.Start, kept);
    }

    private int Kept(Shape s)
    {
        SequenceInput.RequireRank3(this, s);
        if (s[1] < 0) return -1;
        int kept = s[1] - Cropping.Start - Cropping.End;
        if (kept <= 0)
            throw new ShapeMismatchException($"Layer '{Name}' (Cropping1D): cropping ({Cropping.Start}, {Cropping.End}) removes all {s[1]} steps of input {s}.");
        return kept;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [new Shape(inputShapes[0][0], Kept(inputShapes[0]), inputShapes[0][2])];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Cropping1D FromConfig(LayerConfig c)
    {
        var p = c.GetIntPair("cropping", 1);
        return new Cropping1D((p[0], p[1]), c.Name);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["cropping"] = new[] { Cropping.Start, Cropping.End };
        return c;
    }
}

/// <summary>Repeats a vector n times (Keras <c>RepeatVector</c>): (batch, features) → (batch, n, features).</summary>
public sealed class RepeatVector : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="n">Number of repetitions.</param>
    /// <param name="name">Layer name; generated when null (<c>repeat_vector</c>, …).</param>
    public RepeatVector(int n, string? name = null) : base(name) =>
        N = n > 0 ? n : throw new ArgumentOutOfRangeException(nameof(n), $"Layer '{Name}' (RepeatVector): n must be positive; got {n}.");

    /// <summary>Number of repetitions.</summary>
    public int N { get; }

    private void Check(Shape s)
    {
        if (s.Rank != 2) throw new ShapeMismatchException($"Layer '{Name}' (RepeatVector) expects a 2-D input (batch, features); got shape {s}.");
    }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        Check(inputShape);
        InputSpec = new InputSpec(rank: 2);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        Check(input.Shape);
        int b = input.Shape[0], f = input.Shape[1];
        return input.Reshape(b, 1, f).BroadcastTo(b, N, f);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        Check(inputShapes[0]);
        return [new Shape(inputShapes[0][0], N, inputShapes[0][1])];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static RepeatVector FromConfig(LayerConfig c) => new RepeatVector(c.GetInt("n"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["n"] = N;
        return c;
    }
}

/// <summary>
/// Reorders the non-batch axes (Keras <c>Permute</c>): <c>dims</c> is a permutation of 1…rank−1 (1-based, the batch
/// axis not counted), e.g. <c>Permute([2, 1])</c> turns (batch, steps, features) into (batch, features, steps).
/// </summary>
public sealed class Permute : Layer
{
    private readonly int[] _dims;

    /// <summary>Creates the layer.</summary>
    /// <param name="dims">A permutation of 1…k, Keras' 1-based numbering of the non-batch axes.</param>
    /// <param name="name">Layer name; generated when null (<c>permute</c>, …).</param>
    public Permute(int[] dims, string? name = null) : base(name)
    {
        ArgumentNullException.ThrowIfNull(dims);
        var seen = new bool[dims.Length + 1];
        foreach (int d in dims)
        {
            if (d < 1 || d > dims.Length || seen[d])
                throw new ArgumentException($"Layer '{Name}' (Permute): dims must be a permutation of 1..{dims.Length} (the batch axis is not counted); got {Shape.Format(dims)}.");
            seen[d] = true;
        }
        _dims = (int[])dims.Clone();
    }

    /// <summary>The permutation (a copy), 1-based.</summary>
    public int[] Dims => (int[])_dims.Clone();

    private void Check(Shape s)
    {
        if (s.Rank != _dims.Length + 1)
            throw new ShapeMismatchException($"Layer '{Name}' (Permute) with dims {Shape.Format(_dims)} expects an input of rank {_dims.Length + 1} (batch and {_dims.Length} axes); got shape {s}.");
    }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        Check(inputShape);
        InputSpec = new InputSpec(rank: _dims.Length + 1);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        Check(input.Shape);
        var axes = new int[_dims.Length + 1];
        for (int i = 0; i < _dims.Length; i++) axes[i + 1] = _dims[i];
        return input.Permute(axes);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        Check(s);
        var dims = new int[s.Rank];
        dims[0] = s[0];
        for (int i = 0; i < _dims.Length; i++) dims[i + 1] = s[_dims[i]];
        return [new Shape(dims)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Permute FromConfig(LayerConfig c) => new Permute(c.GetIntArray("dims"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["dims"] = Dims;
        return c;
    }
}
