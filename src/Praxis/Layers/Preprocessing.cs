using Praxis.Initializers;

namespace Praxis.Layers;

/// <summary>
/// Multiplies its input by <c>scale</c> and adds <c>offset</c> (Keras <c>Rescaling</c>), e.g. <c>Rescaling(1f / 255)</c>
/// maps [0, 255] pixels to [0, 1] and <c>Rescaling(1f / 127.5f, offset: -1)</c> to [−1, 1]. Runs in training and in
/// <c>Predict</c>, and is saved with the model.
/// </summary>
/// <param name="scale">The factor.</param>
/// <param name="offset">Added after scaling (default 0).</param>
/// <param name="name">Layer name; generated when null (<c>rescaling</c>, …).</param>
public sealed class Rescaling(float scale, float offset = 0f, string? name = null) : Layer(name)
{
    /// <summary>The factor.</summary>
    public float Scale { get; } = scale;

    /// <summary>The offset added after scaling.</summary>
    public float Offset { get; } = offset;

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        var y = input * Scale;
        return Offset == 0f ? y : y + Offset;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Rescaling FromConfig(LayerConfig c) => new Rescaling(c.GetFloat("scale"), c.GetFloat("offset", 0f), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["scale"] = Scale;
        c["offset"] = Offset;
        return c;
    }
}

/// <summary>
/// Feature-wise standardization (Keras <c>Normalization</c>): (x − mean) / max(√variance, 1e-7), with mean and
/// variance per entry of <c>axis</c> (default the last, features), either given or learned by <see cref="Adapt"/>
/// (population variance over every other axis, as Keras). <c>invert</c> maps standardized values back. The statistics
/// are non-trainable weights (<c>mean</c>, <c>variance</c>), so they are saved with the model.
/// </summary>
public sealed class Normalization : Layer
{
    private readonly float[]? _mean, _variance;

    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The axis that keeps its own statistics (default −1, the features).</param>
    /// <param name="mean">Fixed means (one per entry of <paramref name="axis"/>), or null to learn them with <see cref="Adapt"/>.</param>
    /// <param name="variance">Fixed variances, given together with <paramref name="mean"/>.</param>
    /// <param name="invert">Apply the inverse transform, x·std + mean (default false).</param>
    /// <param name="name">Layer name; generated when null (<c>normalization</c>, …).</param>
    public Normalization(int axis = -1, float[]? mean = null, float[]? variance = null, bool invert = false, string? name = null) : base(name)
    {
        if ((mean is null) != (variance is null))
            throw new ArgumentException($"Layer '{Name}' (Normalization): pass both mean and variance, or neither (and call Adapt).");
        if (mean is not null && mean.Length != variance!.Length)
            throw new ArgumentException($"Layer '{Name}' (Normalization): mean has {mean.Length} values but variance has {variance.Length}.");
        if (variance is not null)
            foreach (float v in variance)
                if (!(v >= 0f)) throw new ArgumentException($"Layer '{Name}' (Normalization): variances must be >= 0; got {v}.");
        Axis = axis;
        _mean = (float[]?)mean?.Clone();
        _variance = (float[]?)variance?.Clone();
        Invert = invert;
    }

    /// <summary>The axis with its own statistics.</summary>
    public int Axis { get; }

    /// <summary>Whether the inverse transform is applied.</summary>
    public bool Invert { get; }

    /// <summary>The per-feature means, once built.</summary>
    public Tensor Mean { get; private set; } = null!;

    /// <summary>The per-feature variances, once built.</summary>
    public Tensor Variance { get; private set; } = null!;

    private string Who => $"Layer '{Name}' (Normalization)";

    private int AxisOf(Shape s)
    {
        int a = Axis < 0 ? Axis + s.Rank : Axis;
        if (s.Rank < 1 || a < 1 || a >= s.Rank)
            throw new ShapeMismatchException($"{Who}: axis {Axis} is not a feature axis of input shape {s} (axis 0 is the batch).");
        if (s[a] <= 0) throw new ShapeMismatchException($"{Who}: axis {Axis} of input shape {s} must have a known size.");
        return a;
    }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        int a = AxisOf(inputShape);
        int n = inputShape[a];
        if (_mean is not null && _mean.Length != n)
            throw new ShapeMismatchException($"{Who}: {_mean.Length} means were given but axis {Axis} of input shape {inputShape} has {n} entries.");
        Mean = AddWeight("mean", new Shape(n), new Zeros(), trainable: false);
        Variance = AddWeight("variance", new Shape(n), new Ones(), trainable: false);
        if (_mean is not null)
        {
            _mean.CopyTo(Mean.Span);
            _variance!.CopyTo(Variance.Span);
        }
        var axes = new Dictionary<int, int> { [a] = n };
        InputSpec = new InputSpec(rank: inputShape.Rank, axes: axes);
        Built = true;
    }

    /// <summary>
    /// Learns mean and (population) variance per entry of the axis from <paramref name="data"/> (batch first), in
    /// double precision; builds the layer if needed. Nothing changes if the data is empty or has another shape.
    /// </summary>
    public void Adapt(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int a = AxisOf(data.Shape);
        if (data.Size == 0) throw new ArgumentException($"{Who}: Adapt needs at least one sample; got shape {data.Shape}.");
        if (Built && data.Shape[a] != Mean.Shape[0])
            throw new ShapeMismatchException($"{Who} was built for {Mean.Shape[0]} features on axis {Axis}; Adapt got shape {data.Shape}.");
        if (_mean is not null) throw new InvalidOperationException($"{Who} was given fixed mean and variance; it cannot Adapt.");
        int n = data.Shape[a], inner = data.Shape.SizeOf(a + 1, data.Rank), outer = data.Shape.SizeOf(0, a);
        var sum = new double[n];
        var sq = new double[n];
        ReadOnlySpan<float> x = data.Span;
        for (int o = 0; o < outer; o++)
            for (int f = 0; f < n; f++)
            {
                var block = x.Slice((o * n + f) * inner, inner);
                for (int i = 0; i < block.Length; i++) { double v = block[i]; sum[f] += v; }
            }
        double count = (double)outer * inner;
        var mean = new double[n];
        for (int f = 0; f < n; f++) mean[f] = sum[f] / count;
        // Two passes: the variance from deviations, not E[x²] − E[x]², which cancels badly for large means.
        for (int o = 0; o < outer; o++)
            for (int f = 0; f < n; f++)
            {
                var block = x.Slice((o * n + f) * inner, inner);
                for (int i = 0; i < block.Length; i++) { double d = block[i] - mean[f]; sq[f] += d * d; }
            }
        if (!Built) Build(data.Shape.With(0, -1));
        for (int f = 0; f < n; f++)
        {
            Mean.Span[f] = (float)mean[f];
            Variance.Span[f] = (float)(sq[f] / count);
        }
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        int a = AxisOf(input.Shape);
        var dims = new int[input.Rank - a];
        Array.Fill(dims, 1);
        dims[0] = input.Shape[a];
        // (features, 1, …, 1) broadcasts against the input's trailing axes.
        var mean = Mean.Reshape(dims);
        var std = Variance.Reshape(dims).Sqrt().Clip(1e-7f, float.MaxValue);
        return Invert ? input * std + mean : (input - mean) / std;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Normalization FromConfig(LayerConfig c) => new Normalization(c.GetInt("axis", -1), c.GetFloatArray("mean"), c.GetFloatArray("variance"), c.GetBool("invert", false), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["axis"] = Axis;
        c["mean"] = _mean;
        c["variance"] = _variance;
        c["invert"] = Invert;
        return c;
    }
}

/// <summary>
/// Encodes integer ids (Keras <c>CategoryEncoding</c>): <c>"one_hot"</c> for one id per sample ((batch) or (batch, 1) →
/// (batch, num_tokens)), <c>"multi_hot"</c> (the default) or <c>"count"</c> for several ((batch, k) → (batch, num_tokens)).
/// Ids must lie in [0, num_tokens). Unlike Keras, a 1-D input is not taken as one sample for multi_hot/count (it is
/// refused, naming the reshape to (batch, 1)), so batching never changes the meaning.
/// </summary>
public sealed class CategoryEncoding : Layer
{
    private readonly EncodingMode _mode;

    /// <summary>Creates the layer.</summary>
    /// <param name="numTokens">Number of categories; ids must be in [0, numTokens).</param>
    /// <param name="outputMode"><c>"multi_hot"</c> (default), <c>"one_hot"</c> or <c>"count"</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>category_encoding</c>, …).</param>
    public CategoryEncoding(int numTokens, string outputMode = "multi_hot", string? name = null) : base(name)
    {
        NumTokens = numTokens > 0 ? numTokens : throw new ArgumentOutOfRangeException(nameof(numTokens), $"Layer '{Name}' (CategoryEncoding): num_tokens must be positive; got {numTokens}.");
        _mode = EncodingModes.Parse(outputMode, $"Layer '{Name}' (CategoryEncoding)", allowInt: false);
    }

    /// <summary>Number of categories.</summary>
    public int NumTokens { get; }

    /// <summary><c>"one_hot"</c>, <c>"multi_hot"</c> or <c>"count"</c>.</summary>
    public string OutputMode => EncodingModes.Name(_mode);

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.Encode(NumTokens, _mode, null, -1, $"Layer '{Name}' (CategoryEncoding)");

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        string who = $"Layer '{Name}' (CategoryEncoding)";
        if (_mode == EncodingMode.OneHot && !(s.Rank == 1 || (s.Rank == 2 && s[1] is 1 or -1)))
            throw new ShapeMismatchException($"{who}: output_mode 'one_hot' takes one id per sample, shape (batch) or (batch, 1); got {s}.");
        if (_mode != EncodingMode.OneHot && s.Rank != 2)
            throw new ShapeMismatchException($"{who}: output_mode '{OutputMode}' takes (batch, ids) input; got {s}. Reshape a (batch) input to (batch, 1).");
        return [new Shape(s[0], NumTokens)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static CategoryEncoding FromConfig(LayerConfig c) => new CategoryEncoding(c.GetInt("num_tokens"), c.GetChoice("output_mode", "multi_hot", "one_hot", "multi_hot", "count"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["num_tokens"] = NumTokens;
        c["output_mode"] = OutputMode;
        c["sparse"] = false;
        return c;
    }
}
