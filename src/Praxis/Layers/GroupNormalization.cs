using Praxis.Initializers;
using Praxis.IO;

namespace Praxis.Layers;

/// <summary>
/// Group normalization (Keras <c>GroupNormalization</c>, Wu &amp; He 2018): the channels (last axis) are split in
/// <c>groups</c> groups of consecutive channels, and each sample's group is normalised by its own mean and variance
/// over every other axis, then scaled by γ and shifted by β per channel. Unlike BatchNormalization it has no moving
/// statistics: training and inference compute the same thing. Defaults as Keras: 32 groups, axis −1, ε 1e-3, center
/// and scale on; groups −1 means one group per channel (instance normalization). Parameters: 2·channels.
/// </summary>
public sealed class GroupNormalization : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="groups">Number of groups (default 32); must divide the channels; −1 for one per channel.</param>
    /// <param name="axis">The channels axis: only the last (−1, the default) is supported.</param>
    /// <param name="epsilon">Added to the variance (default 1e-3).</param>
    /// <param name="center">Whether to add β (default true).</param>
    /// <param name="scale">Whether to multiply by γ (default true).</param>
    /// <param name="betaInitializer">Default <c>zeros</c>.</param>
    /// <param name="gammaInitializer">Default <c>ones</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>group_normalization</c>, …).</param>
    public GroupNormalization(int groups = 32, int axis = -1, float epsilon = 1e-3f, bool center = true, bool scale = true,
        Initializer? betaInitializer = null, Initializer? gammaInitializer = null, string? name = null) : base(name)
    {
        if (groups == 0 || groups < -1) throw new ArgumentOutOfRangeException(nameof(groups), $"{Who}: groups must be positive or -1; got {groups}.");
        if (!(epsilon >= 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"{Who}: epsilon must be >= 0; got {epsilon}.");
        (Groups, Axis, Epsilon, Center, Scale) = (groups, axis, epsilon, center, scale);
        BetaInitializer = betaInitializer ?? new Zeros();
        GammaInitializer = gammaInitializer ?? new Ones();
    }

    /// <summary>The configured number of groups (−1: one per channel).</summary>
    public int Groups { get; }

    /// <summary>The channels axis.</summary>
    public int Axis { get; }

    /// <summary>Added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Whether β is added.</summary>
    public bool Center { get; }

    /// <summary>Whether γ multiplies.</summary>
    public bool Scale { get; }

    /// <summary>The β initializer.</summary>
    public Initializer BetaInitializer { get; }

    /// <summary>The γ initializer.</summary>
    public Initializer GammaInitializer { get; }

    /// <summary>γ (channels), once built; null without scale.</summary>
    public Tensor? Gamma { get; private set; }

    /// <summary>β (channels), once built; null without center.</summary>
    public Tensor? Beta { get; private set; }

    private string Who => $"Layer '{Name}' (GroupNormalization)";

    /// <summary>Rebuilds the layer from its saved config (Keras' keys and defaults).</summary>
    public static GroupNormalization FromConfig(LayerConfig c) => new(c.GetInt("groups", 32), c.GetInt("axis", -1), c.GetFloat("epsilon", 1e-3f),
        c.GetBool("center", true), c.GetBool("scale", true), c.GetInitializer("beta_initializer", "zeros"), c.GetInitializer("gamma_initializer", "ones"), c.Name);

    /// <summary>The number of groups for <paramref name="channels"/> channels, checked as Keras does.</summary>
    private int GroupsFor(int channels)
    {
        int g = Groups == -1 ? channels : Groups;
        if (g > channels)
            throw new ShapeMismatchException($"{Who}: groups ({g}) cannot be more than the number of channels ({channels}).");
        if (channels % g != 0)
            throw new ShapeMismatchException($"{Who}: the number of channels ({channels}) must be a multiple of groups ({g}).");
        return g;
    }

    private void CheckShape(Shape s)
    {
        if (s.Rank < 2) throw new ShapeMismatchException($"{Who} expects an input with a batch and a channels axis; got shape {s}.");
        if (Axis != -1 && Axis != s.Rank - 1)
            throw new NotSupportedException($"{Who}: axis {Axis} is not supported; Praxis normalises groups of the last (channels) axis only, axis=-1.");
    }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        CheckShape(inputShape);
        int channels = inputShape[inputShape.Rank - 1];
        if (channels <= 0) throw new ShapeMismatchException($"{Who} needs a known number of channels (last axis); got input shape {inputShape}.");
        GroupsFor(channels);
        if (Scale) Gamma = AddWeight("gamma", new Shape(channels), GammaInitializer);
        if (Center) Beta = AddWeight("beta", new Shape(channels), BetaInitializer);
        InputSpec = new InputSpec(minRank: 2, axes: new Dictionary<int, int> { [-1] = channels });
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        CheckShape(input.Shape);
        return Tensor.GroupNorm(input, Gamma, Beta, GroupsFor(input.Shape[input.Rank - 1]), Epsilon, Who);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        CheckShape(inputShapes[0]);
        return [inputShapes[0]];
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["groups"] = Groups;
        c["axis"] = Axis;
        c["epsilon"] = Epsilon;
        c["center"] = Center;
        c["scale"] = Scale;
        c["beta_initializer"] = BetaInitializer.ToConfigValue();
        c["gamma_initializer"] = GammaInitializer.ToConfigValue();
        return c;
    }
}
