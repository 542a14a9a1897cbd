using Praxis.IO;

namespace Praxis.Layers;

/// <summary>
/// Channel dropout, the shared part of Keras' <c>SpatialDropout1D</c> and <c>SpatialDropout2D</c>: in training each
/// sample's feature map (channel) is dropped whole with probability <c>rate</c> and the others are scaled by
/// 1/(1 − rate), so that neighbouring, strongly correlated positions are not dropped independently; in inference the
/// input passes through. A new mask is drawn at every training step (inside the op, as <see cref="Dropout"/>).
/// </summary>
public abstract class SpatialDropout : Layer, IRandomStateful
{
    private readonly Rng? _rng;
    private readonly int _rank;

    /// <summary>Stores the rate, the seed and the input rank the subclass accepts.</summary>
    /// <param name="rate">Fraction of channels to drop, in [0, 1).</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="rank">3 for (batch, steps, channels), 4 for (batch, height, width, channels).</param>
    /// <param name="name">Layer name; generated when null.</param>
    private protected SpatialDropout(float rate, int? seed, int rank, string? name) : base(name)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), $"Layer '{Name}' ({GetType().Name}): rate must be in [0, 1); got {rate}.");
        (Rate, Seed, _rank) = (rate, seed, rank);
        _rng = seed is int s ? new Rng(s) : null;
    }

    /// <summary>Fraction of channels dropped in training.</summary>
    public float Rate { get; }

    /// <summary>The layer's seed, if any.</summary>
    public int? Seed { get; }

    Rng? IRandomStateful.OwnRandom => _rng;

    private void Check(Shape s)
    {
        if (s.Rank == _rank) return;
        string layout = _rank == 3 ? "(batch, steps, channels)" : "(batch, height, width, channels)";
        throw new ShapeMismatchException($"Layer '{Name}' ({GetType().Name}) expects a {_rank}-D input {layout}, channels last; got shape {s}.");
    }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        Check(inputShape);
        InputSpec = new InputSpec(rank: _rank);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        Check(input.Shape);
        return training && Rate > 0f ? input.SpatialDropout(Rate, _rng) : input;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        Check(inputShapes[0]);
        return inputShapes;
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["rate"] = Rate;
        c["seed"] = Seed;
        return c;
    }
}

/// <summary>Spatial dropout over sequences (Keras <c>SpatialDropout1D</c>): drops whole channels of (batch, steps, channels).</summary>
/// <param name="rate">Fraction of channels to drop, in [0, 1).</param>
/// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
/// <param name="name">Layer name; generated when null (<c>spatial_dropout1d</c>, …).</param>
public sealed class SpatialDropout1D(float rate, int? seed = null, string? name = null) : SpatialDropout(rate, seed, 3, name)
{
    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static SpatialDropout1D FromConfig(LayerConfig c) => new(c.GetFloat("rate"), c.GetOptionalInt("seed"), c.Name);
}

/// <summary>Spatial dropout over images (Keras <c>SpatialDropout2D</c>): drops whole channels of (batch, height, width, channels).</summary>
/// <param name="rate">Fraction of channels to drop, in [0, 1).</param>
/// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
/// <param name="name">Layer name; generated when null (<c>spatial_dropout2d</c>, …).</param>
public sealed class SpatialDropout2D(float rate, int? seed = null, string? name = null) : SpatialDropout(rate, seed, 4, name)
{
    /// <summary>Rebuilds the layer from its saved config.</summary>
    public static SpatialDropout2D FromConfig(LayerConfig c) => new(c.GetFloat("rate"), c.GetOptionalInt("seed"), c.ChannelsLastName());

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["data_format"] = "channels_last";
        return c;
    }
}
