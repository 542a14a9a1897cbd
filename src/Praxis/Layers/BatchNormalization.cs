using Praxis.Initializers;

namespace Praxis.Layers;

/// <summary>
/// Batch normalization (Keras <c>BatchNormalization</c>) over the channel <c>axis</c> (default −1, channels last):
/// y = γ·(x − μ)/√(σ² + ε) + β. In training, μ and σ² are the statistics of the batch (over every other axis) and the
/// moving averages are updated: moving = moving·momentum + batch·(1 − momentum). In inference the moving averages are
/// used. Defaults match Keras: momentum 0.99, ε 1e-3, γ ones, β zeros, moving mean zeros, moving variance ones.
/// As in Keras, a frozen layer (<c>Trainable = false</c>) always runs in inference mode.
/// </summary>
public sealed class BatchNormalization : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The channel axis (default −1).</param>
    /// <param name="momentum">Moving-average momentum (default 0.99).</param>
    /// <param name="epsilon">Added to the variance (default 1e-3).</param>
    /// <param name="center">Whether to add the offset β (default true).</param>
    /// <param name="scale">Whether to multiply by γ (default true).</param>
    /// <param name="betaInitializer">Default <c>zeros</c>.</param>
    /// <param name="gammaInitializer">Default <c>ones</c>.</param>
    /// <param name="movingMeanInitializer">Default <c>zeros</c>.</param>
    /// <param name="movingVarianceInitializer">Default <c>ones</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>batch_normalization</c>, …).</param>
    public BatchNormalization(int axis = -1, float momentum = 0.99f, float epsilon = 1e-3f, bool center = true, bool scale = true,
        Initializer? betaInitializer = null, Initializer? gammaInitializer = null, Initializer? movingMeanInitializer = null,
        Initializer? movingVarianceInitializer = null, string? name = null) : base(name)
    {
        if (!(momentum >= 0f && momentum <= 1f)) throw new ArgumentOutOfRangeException(nameof(momentum), $"Layer '{Name}' (BatchNormalization): momentum must be in [0, 1]; got {momentum}.");
        if (!(epsilon > 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"Layer '{Name}' (BatchNormalization): epsilon must be positive; got {epsilon}.");
        Axis = axis;
        Momentum = momentum;
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
        BetaInitializer = betaInitializer ?? new Zeros();
        GammaInitializer = gammaInitializer ?? new Ones();
        MovingMeanInitializer = movingMeanInitializer ?? new Zeros();
        MovingVarianceInitializer = movingVarianceInitializer ?? new Ones();
    }

    /// <summary>The channel axis.</summary>
    public int Axis { get; }

    /// <summary>Moving-average momentum.</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Whether β is used.</summary>
    public bool Center { get; }

    /// <summary>Whether γ is used.</summary>
    public bool Scale { get; }

    /// <summary>Initializer of β.</summary>
    public Initializer BetaInitializer { get; }

    /// <summary>Initializer of γ.</summary>
    public Initializer GammaInitializer { get; }

    /// <summary>Initializer of the moving mean.</summary>
    public Initializer MovingMeanInitializer { get; }

    /// <summary>Initializer of the moving variance.</summary>
    public Initializer MovingVarianceInitializer { get; }

    /// <summary>γ (channels), once built, or null without scale.</summary>
    public Tensor? Gamma { get; private set; }

    /// <summary>β (channels), once built, or null without center.</summary>
    public Tensor? Beta { get; private set; }

    /// <summary>The moving mean (channels), a non-trainable weight.</summary>
    public Tensor MovingMean { get; private set; } = null!;

    /// <summary>The moving variance (channels), a non-trainable weight.</summary>
    public Tensor MovingVariance { get; private set; } = null!;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank == 0 || Axis >= inputShape.Rank || Axis < -inputShape.Rank)
            throw new ShapeMismatchException($"Layer '{Name}' (BatchNormalization): axis {Axis} is out of range for input shape {inputShape}.");
        int ax = inputShape.NormalizeAxis(Axis);
        int channels = inputShape[ax];
        if (ax == 0 || channels <= 0)
            throw new ShapeMismatchException($"Layer '{Name}' (BatchNormalization) needs a known, non-batch channel axis; axis {Axis} of input shape {inputShape} is {(ax == 0 ? "the batch axis" : "unknown")}.");
        var c = new Shape(channels);
        if (Scale) Gamma = AddWeight("gamma", c, GammaInitializer);
        if (Center) Beta = AddWeight("beta", c, BetaInitializer);
        MovingMean = AddWeight("moving_mean", c, MovingMeanInitializer, trainable: false);
        MovingVariance = AddWeight("moving_variance", c, MovingVarianceInitializer, trainable: false);
        var expected = new int[inputShape.Rank];
        Array.Fill(expected, -1);
        expected[ax] = channels;
        InputSpec = new InputSpec(rank: inputShape.Rank, axes: new Dictionary<int, int> { [ax] = channels }, expectedShape: new Shape(expected));
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) =>
        Tensor.BatchNorm(input, Gamma, Beta, MovingMean, MovingVariance, training && Trainable, Axis, Momentum, Epsilon);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static BatchNormalization FromConfig(LayerConfig c) => new BatchNormalization(c.GetInt("axis", -1), c.GetFloat("momentum", 0.99f), c.GetFloat("epsilon", 1e-3f),
        c.GetBool("center", true), c.GetBool("scale", true), c.GetInitializer("beta_initializer", "zeros"), c.GetInitializer("gamma_initializer", "ones"),
        c.GetInitializer("moving_mean_initializer", "zeros"), c.GetInitializer("moving_variance_initializer", "ones"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["axis"] = Axis;
        c["momentum"] = Momentum;
        c["epsilon"] = Epsilon;
        c["center"] = Center;
        c["scale"] = Scale;
        c["beta_initializer"] = BetaInitializer.ToConfigValue();
        c["gamma_initializer"] = GammaInitializer.ToConfigValue();
        c["moving_mean_initializer"] = MovingMeanInitializer.ToConfigValue();
        c["moving_variance_initializer"] = MovingVarianceInitializer.ToConfigValue();
        return c;
    }
}
