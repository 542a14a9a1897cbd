namespace Praxis.Layers;

/// <summary>
/// Dropout (Keras <c>Dropout</c>): in training, each input is zeroed with probability <c>rate</c> and the others are
/// scaled by 1/(1 − rate) ("inverted" dropout); in inference (Evaluate, Predict, or <c>training: false</c>) the input
/// passes through unchanged. A new mask is drawn at every training step. With a <c>seed</c> the layer has its own
/// generator; otherwise masks come from the global one (<c>Keras.SetRandomSeed</c>).
/// </summary>
public sealed class Dropout : Layer, Praxis.IO.IRandomStateful
{
    private readonly Rng? _rng;

    /// <summary>Creates the layer.</summary>
    /// <param name="rate">Fraction of inputs to drop, in [0, 1).</param>
    /// <param name="seed">Seed of the layer's own generator, or null for the global one.</param>
    /// <param name="name">Layer name; generated when null (<c>dropout</c>, …).</param>
    public Dropout(float rate, int? seed = null, string? name = null) : base(name)
    {
        if (!(rate >= 0f && rate < 1f)) throw new ArgumentOutOfRangeException(nameof(rate), $"Layer '{Name}' (Dropout): rate must be in [0, 1); got {rate}.");
        Rate = rate;
        Seed = seed;
        _rng = seed is int s ? new Rng(s) : null;
    }

    /// <summary>Fraction of inputs dropped in training.</summary>
    public float Rate { get; }

    /// <summary>The layer's seed, if any.</summary>
    public int? Seed { get; }

    /// <summary>The layer's own generator (with a seed), saved in checkpoints so a resumed Fit draws the same masks.</summary>
    Rng? Praxis.IO.IRandomStateful.OwnRandom => _rng;

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => training && Rate > 0f ? input.Dropout(Rate, _rng) : input;

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Dropout FromConfig(LayerConfig c) => new Dropout(c.GetFloat("rate"), c.GetOptionalInt("seed"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["rate"] = Rate;
        c["seed"] = Seed;
        c["noise_shape"] = null;
        return c;
    }
}
