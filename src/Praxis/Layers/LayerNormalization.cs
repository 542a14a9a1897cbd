using Praxis.Initializers;

namespace Praxis.Layers;

/// <summary>
/// Layer normalization (Keras <c>LayerNormalization</c>, Ba et al. 2016): each sample is normalized over the given
/// trailing axes to zero mean and unit variance, y = (x − mean)/√(var + ε)·γ + β. Defaults as Keras: axis −1,
/// ε = 1e-3 (PyTorch and nanoGPT use 1e-5), γ ones and β zeros, both on. The axes must be the last ones of the input
/// (e.g. −1, or [−2, −1]); γ and β have their shape. Runs as one fused op (<see cref="Tensor.LayerNorm"/>).
/// </summary>
public sealed class LayerNormalization : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The axes to normalize over (default the last); they must be trailing and contiguous.</param>
    /// <param name="epsilon">Added to the variance (default 1e-3).</param>
    /// <param name="center">Add the learned offset β.</param>
    /// <param name="scale">Multiply by the learned gain γ.</param>
    /// <param name="betaInitializer">Default zeros.</param>
    /// <param name="gammaInitializer">Default ones.</param>
    /// <param name="name">Layer name; generated when null.</param>
    public LayerNormalization(int[]? axis = null, float epsilon = 1e-3f, bool center = true, bool scale = true,
        Initializer? betaInitializer = null, Initializer? gammaInitializer = null, string? name = null) : base(name)
    {
        Axis = axis is { Length: > 0 } ? (int[])axis.Clone() : [-1];
        if (epsilon < 0) throw new ArgumentOutOfRangeException(nameof(epsilon), $"LayerNormalization epsilon must be >= 0; got {epsilon}.");
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
        BetaInitializer = betaInitializer ?? new Zeros();
        GammaInitializer = gammaInitializer ?? new Ones();
        SupportsMasking = true;
    }

    /// <summary>The normalized axes as given.</summary>
    public int[] Axis { get; }

    /// <summary>ε, added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Whether β is used.</summary>
    public bool Center { get; }

    /// <summary>Whether γ is used.</summary>
    public bool Scale { get; }

    /// <summary>The β initializer.</summary>
    public Initializer BetaInitializer { get; }

    /// <summary>The γ initializer.</summary>
    public Initializer GammaInitializer { get; }

    /// <summary>γ, once built (null when <see cref="Scale"/> is false).</summary>
    public Tensor? Gamma { get; private set; }

    /// <summary>β, once built (null when <see cref="Center"/> is false).</summary>
    public Tensor? Beta { get; private set; }

    private int _normalizedRank;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        int r = inputShape.Rank;
        var axes = Axis.Select(a => a < 0 ? a + r : a).Order().ToArray();
        bool trailing = axes.Length > 0 && axes[0] >= 1 && axes[^1] == r - 1;
        for (int i = 1; trailing && i < axes.Length; i++) trailing = axes[i] == axes[i - 1] + 1;
        if (!trailing)
            throw new ArgumentException($"Layer '{Name}' (LayerNormalization): axis {Shape.Format(Axis)} must be the last axes of the input, excluding the batch axis; got input shape {inputShape}.");
        var paramShape = new Shape(inputShape.Dims[axes[0]..]);
        if (!paramShape.IsFullyDefined)
            throw new ShapeMismatchException($"Layer '{Name}' (LayerNormalization) needs known sizes on the normalized axes; got input shape {inputShape}.");
        _normalizedRank = axes.Length;
        if (Scale) Gamma = AddWeight("gamma", paramShape, GammaInitializer);
        if (Center) Beta = AddWeight("beta", paramShape, BetaInitializer);
        var fixedAxes = new Dictionary<int, int>();
        for (int i = 0; i < axes.Length; i++) fixedAxes[axes[i] - r] = paramShape[i];
        InputSpec = new InputSpec(rank: r, axes: fixedAxes);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => input.LayerNorm(Gamma, Beta, Epsilon, _normalizedRank);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static LayerNormalization FromConfig(LayerConfig c) => new LayerNormalization(c.GetIntOrInts("axis", -1), c.GetFloat("epsilon", 1e-3f), c.GetBool("center", true), c.GetBool("scale", true),
        c.GetInitializer("beta_initializer", "zeros"), c.GetInitializer("gamma_initializer", "ones"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["axis"] = Axis.ToArray();
        c["epsilon"] = Epsilon;
        c["center"] = Center;
        c["scale"] = Scale;
        c["beta_initializer"] = BetaInitializer.ToConfigValue();
        c["gamma_initializer"] = GammaInitializer.ToConfigValue();
        return c;
    }
}
