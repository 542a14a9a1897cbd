namespace Praxis.Losses;

/// <summary>
/// Keras' <c>Huber</c>: per element, ½e² where |e| ≤ δ and δ·|e| − ½δ² beyond (e = ŷ − y), averaged over the last axis.
/// Default δ 1. Written as ½·m² + δ·(|e| − m) with m = min(|e|, δ), which is the same piecewise function.
/// </summary>
public sealed class Huber : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="delta">δ, where the loss turns from quadratic to linear; must be positive.</param>
    /// <param name="reduction">The reduction (see <see cref="Loss"/>).</param>
    public Huber(float delta = 1f, string? reduction = DefaultReduction) : base(reduction)
    {
        if (!(delta > 0f) || !float.IsFinite(delta)) throw new ArgumentOutOfRangeException(nameof(delta), $"Huber: delta must be positive and finite; got {delta}.");
        Delta = delta;
    }

    /// <summary>δ.</summary>
    public float Delta { get; }

    /// <inheritdoc />
    public override string Name => "huber";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "Huber");
        var a = (yPred - yTrue).Abs();
        var m = a - (a - Delta).Relu(); // min(|e|, δ)
        return MeanLast(0.5f * m.Square() + Delta * (a - m));
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["delta"] = Delta;
        return c;
    }
}

/// <summary>
/// Keras' <c>LogCosh</c>: log(cosh(ŷ − y)) averaged over the last axis, computed stably as x + softplus(−2x) − log 2.
/// </summary>
public sealed class LogCosh(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "log_cosh";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "LogCosh");
        var x = yPred - yTrue;
        return MeanLast(x + (-2f * x).Softplus() - MathF.Log(2f));
    }
}

/// <summary>
/// Keras' <c>CosineSimilarity</c>: −Σ ŷ̂·ŷ over the last axis of the L2-normalised targets and predictions (so −1 is a
/// perfect match). Each vector is divided by √max(Σx², 1e-7), Keras' guard for a zero vector.
/// </summary>
public sealed class CosineSimilarity(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "cosine_similarity";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "CosineSimilarity");
        if (yPred.Rank < 1) throw new ShapeMismatchException($"CosineSimilarity: predictions need an axis to compare along; got shape {yPred.Shape}.");
        return -(Normalize(yTrue) * Normalize(yPred)).Sum(-1);
    }

    private static Tensor Normalize(Tensor x) => x / x.Square().Sum(-1, keepDims: true).Clip(Epsilon, float.MaxValue).Sqrt();
}

/// <summary>Keras' <c>Poisson</c>: ŷ − y·log(ŷ + 1e-7), averaged over the last axis.</summary>
public sealed class Poisson(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "poisson";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "Poisson");
        return MeanLast(yPred - yTrue * (yPred + Epsilon).Log());
    }
}

/// <summary>
/// Keras' <c>KLDivergence</c>: Σ y·log(y/ŷ) over the last axis, with both clipped to [1e-7, 1] first (so zero targets
/// add nothing and a zero prediction stays finite).
/// </summary>
public sealed class KLDivergence(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "kl_divergence";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "KLDivergence");
        var y = yTrue.Clip(Epsilon, 1f);
        var p = yPred.Clip(Epsilon, 1f);
        return SumLast(y * (y.Log() - p.Log()));
    }
}

/// <summary>
/// Keras' <c>Hinge</c>: max(1 − y·ŷ, 0) averaged over the last axis. Targets are −1/1; targets that are all 0/1 are
/// mapped to −1/1 first, as Keras does (<see cref="Tensor.HingeLabels"/>, decided per batch).
/// </summary>
public sealed class Hinge(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "hinge";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "Hinge");
        return MeanLast((1f - yTrue.HingeLabels() * yPred).Relu());
    }
}

/// <summary>Keras' <c>SquaredHinge</c>: max(1 − y·ŷ, 0)² averaged over the last axis; 0/1 targets mapped to −1/1 as <see cref="Hinge"/>.</summary>
public sealed class SquaredHinge(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "squared_hinge";

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, "SquaredHinge");
        return MeanLast((1f - yTrue.HingeLabels() * yPred).Relu().Square());
    }
}
