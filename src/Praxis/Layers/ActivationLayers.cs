using Praxis.Initializers;

namespace Praxis.Layers;

/// <summary>
/// Rectified linear unit as a layer (Keras <c>ReLU</c>): x for threshold ≤ x &lt; max_value, max_value above,
/// negative_slope·(x − threshold) below the threshold. With the defaults it is max(x, 0).
/// </summary>
public sealed class ReLU : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="maxValue">Upper saturation (null: none).</param>
    /// <param name="negativeSlope">Slope below the threshold (default 0).</param>
    /// <param name="threshold">Where the unit turns on (default 0).</param>
    /// <param name="name">Layer name; generated when null (<c>re_lu</c>, …).</param>
    public ReLU(float? maxValue = null, float negativeSlope = 0f, float threshold = 0f, string? name = null) : base(name)
    {
        if (maxValue is float m && m < 0f) throw new ArgumentOutOfRangeException(nameof(maxValue), $"Layer '{Name}' (ReLU): max_value must be >= 0; got {m}.");
        if (negativeSlope < 0f) throw new ArgumentOutOfRangeException(nameof(negativeSlope), $"Layer '{Name}' (ReLU): negative_slope must be >= 0; got {negativeSlope}.");
        MaxValue = maxValue;
        NegativeSlope = negativeSlope;
        Threshold = threshold;
    }

    /// <summary>Upper saturation, or null.</summary>
    public float? MaxValue { get; }

    /// <summary>Slope below the threshold.</summary>
    public float NegativeSlope { get; }

    /// <summary>Where the unit turns on.</summary>
    public float Threshold { get; }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.Relu(NegativeSlope, MaxValue, Threshold);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static ReLU FromConfig(LayerConfig c) => new ReLU(c.Has("max_value") ? c.GetFloat("max_value") : null, c.GetFloat("negative_slope", 0f), c.GetFloat("threshold", 0f), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["max_value"] = MaxValue;
        c["negative_slope"] = NegativeSlope;
        c["threshold"] = Threshold;
        return c;
    }
}

/// <summary>Leaky ReLU as a layer (Keras <c>LeakyReLU</c>): x for x &gt; 0, negative_slope·x otherwise; Keras' layer default slope is 0.3.</summary>
public sealed class LeakyReLU : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="negativeSlope">Slope for x &lt; 0 (default 0.3, the Keras layer's default).</param>
    /// <param name="name">Layer name; generated when null (<c>leaky_re_lu</c>, …).</param>
    public LeakyReLU(float negativeSlope = 0.3f, string? name = null) : base(name)
    {
        if (negativeSlope < 0f) throw new ArgumentOutOfRangeException(nameof(negativeSlope), $"Layer '{Name}' (LeakyReLU): negative_slope must be >= 0; got {negativeSlope}.");
        NegativeSlope = negativeSlope;
    }

    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope { get; }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.LeakyRelu(NegativeSlope);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static LeakyReLU FromConfig(LayerConfig c) => new LeakyReLU(c.GetFloat("negative_slope", 0.3f), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["negative_slope"] = NegativeSlope;
        return c;
    }
}

/// <summary>Exponential linear unit as a layer (Keras <c>ELU</c>): x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
/// <param name="alpha">Scale of the negative part (default 1).</param>
/// <param name="name">Layer name; generated when null (<c>elu</c>, …).</param>
public sealed class ELU(float alpha = 1f, string? name = null) : Layer(name)
{
    /// <summary>Scale of the negative part.</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.Elu(Alpha);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static ELU FromConfig(LayerConfig c) => new ELU(c.GetFloat("alpha", 1f), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["alpha"] = Alpha;
        return c;
    }
}

/// <summary>Softmax as a layer (Keras <c>Softmax</c>) along <c>axis</c> (default −1).</summary>
/// <param name="axis">The axis normalized to sum to one (default −1).</param>
/// <param name="name">Layer name; generated when null (<c>softmax</c>, …).</param>
public sealed class Softmax(int axis = -1, string? name = null) : Layer(name)
{
    /// <summary>The normalized axis.</summary>
    public int Axis { get; } = axis;

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.Softmax(Axis);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Softmax FromConfig(LayerConfig c) => new Softmax(c.GetInt("axis", -1), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["axis"] = Axis;
        return c;
    }
}

/// <summary>
/// Parametric ReLU (Keras <c>PReLU</c>): max(x, 0) + α·min(x, 0) with a learned α per input element (batch axis
/// excluded), shared along <c>shared_axes</c> (1-based, as in Keras: for images, <c>sharedAxes: [1, 2]</c> gives one α
/// per channel).
/// </summary>
public sealed class PReLU : Layer
{
    private readonly int[] _sharedAxes;

    /// <summary>Creates the layer.</summary>
    /// <param name="alphaInitializer">Default <c>zeros</c> (the layer starts as a ReLU).</param>
    /// <param name="sharedAxes">Axes (1-based, excluding the batch axis 0) along which α is shared, or null.</param>
    /// <param name="name">Layer name; generated when null (<c>p_re_lu</c>, …).</param>
    public PReLU(Initializer? alphaInitializer = null, int[]? sharedAxes = null, string? name = null) : base(name)
    {
        AlphaInitializer = alphaInitializer ?? new Zeros();
        _sharedAxes = sharedAxes is null ? [] : (int[])sharedAxes.Clone();
    }

    /// <summary>Initializer of α.</summary>
    public Initializer AlphaInitializer { get; }

    /// <summary>Axes along which α is shared (a copy).</summary>
    public int[] SharedAxes => (int[])_sharedAxes.Clone();

    /// <summary>α, once built.</summary>
    public Tensor Alpha { get; private set; } = null!;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        var dims = inputShape.Dims[1..].ToArray();
        foreach (int a in _sharedAxes)
        {
            if (a < 1 || a > dims.Length)
                throw new ArgumentException($"Layer '{Name}' (PReLU): shared axis {a} is out of range for input shape {inputShape} (axes 1 to {dims.Length}).");
            dims[a - 1] = 1;
        }
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] < 0) throw new ShapeMismatchException($"Layer '{Name}' (PReLU) needs known sizes on axes that are not shared; got input shape {inputShape}.");
        Alpha = AddWeight("alpha", new Shape(dims), AlphaInitializer);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.Relu() - Alpha * (-input).Relu();

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static PReLU FromConfig(LayerConfig c) => new PReLU(c.GetInitializer("alpha_initializer", "zeros"), c.Has("shared_axes") ? c.GetIntArray("shared_axes") : null, c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["alpha_initializer"] = AlphaInitializer.ToConfigValue();
        c["shared_axes"] = _sharedAxes.Length == 0 ? null : SharedAxes;
        return c;
    }
}
