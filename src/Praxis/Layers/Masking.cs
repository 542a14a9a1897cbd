namespace Praxis.Layers;

/// <summary>
/// Marks the steps to skip (Keras <c>Masking</c>): a step (a vector over the last axis) is masked when every one of
/// its features equals <see cref="MaskValue"/>. Input (batch, steps, features) → the same shape with the masked steps
/// set to exactly 0 (Keras multiplies by the mask) and a (batch, steps) mask, which recurrent and attention layers
/// honour as they honour <c>Embedding(mask_zero)</c>'s. Default mask value 0.
/// </summary>
/// <remarks>
/// The usual use is a sequence that arrives as features, not ids: padded time series, or an encoder's outputs fed to
/// a separate decoder graph (the Bidirectional encoder writes zeros at padded steps, so <c>Masking(0)</c> rebuilds
/// the padding mask the decoder's attention needs). The gradient is the mask: 1 at kept steps, 0 at masked ones.
/// </remarks>
public sealed class Masking : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="maskValue">A step whose features all equal this value is masked (default 0).</param>
    /// <param name="name">Layer name; generated when null (<c>masking</c>, …).</param>
    public Masking(float maskValue = 0f, string? name = null) : base(name)
    {
        if (float.IsNaN(maskValue)) throw new ArgumentException($"Layer '{Name}' (Masking): mask_value must be a number; NaN never equals a feature, so nothing would be masked.", nameof(maskValue));
        MaskValue = maskValue;
    }

    /// <summary>The value that marks a padded step (in every feature).</summary>
    public float MaskValue { get; }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank < 2)
            throw new ShapeMismatchException($"Layer '{Name}' (Masking): expected an input of rank ≥ 2 (batch, steps, features); got shape {inputShape}.");
        InputSpec = new InputSpec(minRank: 2);
        Built = true;
    }

    /// <summary>(…, features) → the same values with masked steps zeroed, carrying the mask (…) = any(x ≠ mask_value) over features.</summary>
    public override Tensor Call(Tensor input, bool training)
    {
        // Both are ops, so a replayed step recomputes the mask for each batch (the replay rule).
        var keep = input.NotEqual(MaskValue).Max(-1, keepDims: true); // (…, 1): 1 where any feature differs
        var y = input * keep;
        y.Mask = keep.Reshape(input.Shape.Dims[..^1].ToArray());
        return y;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0]];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Masking FromConfig(LayerConfig c) => new Masking(c.GetFloat("mask_value", 0f), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["mask_value"] = MaskValue;
        return c;
    }
}
