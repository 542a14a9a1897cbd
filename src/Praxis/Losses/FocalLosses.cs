namespace Praxis.Losses;

/// <summary>
/// Keras' <c>BinaryFocalCrossentropy</c>: the binary cross-entropy of each element scaled by (1 − pₜ)^γ, with
/// pₜ = y·p + (1 − y)·(1 − p), and with <c>applyClassBalancing</c> by α for positives and 1 − α for negatives; averaged
/// over the last axis. Defaults α 0.25, γ 2, label smoothing 0 (targets y·(1 − ε) + ε/2).
/// </summary>
public sealed class BinaryFocalCrossentropy : Loss
{
    /// <summary>Creates the loss with Keras' argument names and defaults.</summary>
    public BinaryFocalCrossentropy(bool applyClassBalancing = false, float alpha = 0.25f, float gamma = 2f, bool fromLogits = false,
        float labelSmoothing = 0f, string? reduction = DefaultReduction) : base(reduction)
    {
        if (!(gamma >= 0f) || !float.IsFinite(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), $"BinaryFocalCrossentropy: gamma must be >= 0; got {gamma}.");
        if (!(alpha is >= 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(alpha), $"BinaryFocalCrossentropy: alpha must be in [0, 1]; got {alpha}.");
        ApplyClassBalancing = applyClassBalancing;
        Alpha = alpha;
        Gamma = gamma;
        FromLogits = fromLogits;
        LabelSmoothing = CheckSmoothing(labelSmoothing, "BinaryFocalCrossentropy");
    }

    /// <summary>Whether positives are weighted by α and negatives by 1 − α.</summary>
    public bool ApplyClassBalancing { get; }

    /// <summary>α, the positive-class weight when balancing.</summary>
    public float Alpha { get; }

    /// <summary>γ, the focusing exponent.</summary>
    public float Gamma { get; }

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; }

    /// <summary>The label-smoothing factor ε.</summary>
    public float LabelSmoothing { get; }

    /// <inheritdoc />
    public override string Name => "binary_focal_crossentropy";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "BinaryFocalCrossentropy");
        var y = LabelSmoothing > 0f ? yTrue * (1f - LabelSmoothing) + 0.5f * LabelSmoothing : yTrue;
        Tensor? z = FromLogits ? yPred : yPred.LogitsActivation == LogitsKind.Sigmoid ? yPred.Logits : null;
        Tensor bce, p;
        if (z != null)
        {
            bce = z.Relu() - z * y + ((-z.Abs()).Exp() + 1f).Log();
            p = FromLogits ? z.Sigmoid() : yPred;
        }
        else
        {
            p = yPred;
            var pc = yPred.Clip(Epsilon, 1f - Epsilon);
            bce = -(y * pc.Log() + (1f - y) * (1f - pc).Log());
        }
        // 1 − pₜ = 1 − (y·p + (1 − y)(1 − p)) = y + p − 2yp
        var focal = (y + p - 2f * y * p).Pow(Gamma) * bce;
        if (ApplyClassBalancing) focal = (y * Alpha + (1f - y) * (1f - Alpha)) * focal;
        return MeanLast(focal);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["apply_class_balancing"] = ApplyClassBalancing;
        c["alpha"] = Alpha;
        c["gamma"] = Gamma;
        c["from_logits"] = FromLogits;
        c["label_smoothing"] = LabelSmoothing;
        return c;
    }
}

/// <summary>
/// Keras' <c>CategoricalFocalCrossentropy</c>: Σ over classes of α·(1 − p)^γ·(−y·log p), with p the predictions
/// renormalised to sum to 1 and clipped to [1e-7, 1 − 1e-7] (a softmax of logits with <c>fromLogits</c>). Defaults
/// α 0.25, γ 2, label smoothing 0 (targets y·(1 − ε) + ε/C).
/// </summary>
public sealed class CategoricalFocalCrossentropy : Loss
{
    /// <summary>Creates the loss with Keras' argument names and defaults.</summary>
    public CategoricalFocalCrossentropy(float alpha = 0.25f, float gamma = 2f, bool fromLogits = false, float labelSmoothing = 0f,
        string? reduction = DefaultReduction) : base(reduction)
    {
        if (!(gamma >= 0f) || !float.IsFinite(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), $"CategoricalFocalCrossentropy: gamma must be >= 0; got {gamma}.");
        if (!float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), $"CategoricalFocalCrossentropy: alpha must be finite; got {alpha}.");
        Alpha = alpha;
        Gamma = gamma;
        FromLogits = fromLogits;
        LabelSmoothing = CheckSmoothing(labelSmoothing, "CategoricalFocalCrossentropy");
    }

    /// <summary>α, the weighting factor.</summary>
    public float Alpha { get; }

    /// <summary>γ, the focusing exponent.</summary>
    public float Gamma { get; }

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; }

    /// <summary>The label-smoothing factor ε.</summary>
    public float LabelSmoothing { get; }

    /// <inheritdoc />
    public override string Name => "categorical_focal_crossentropy";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "CategoricalFocalCrossentropy");
        if (yPred.Rank < 1) throw new ShapeMismatchException($"CategoricalFocalCrossentropy: predictions need a class axis; got shape {yPred.Shape}.");
        var y = LabelSmoothing > 0f ? yTrue * (1f - LabelSmoothing) + LabelSmoothing / yPred.Shape[-1] : yTrue;
        var p = FromLogits ? yPred.Softmax() : yPred / yPred.Sum(-1, keepDims: true);
        p = p.Clip(Epsilon, 1f - Epsilon);
        return (Alpha * (1f - p).Pow(Gamma) * (-y * p.Log())).Sum(-1);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["alpha"] = Alpha;
        c["gamma"] = Gamma;
        c["from_logits"] = FromLogits;
        c["label_smoothing"] = LabelSmoothing;
        return c;
    }
}
