namespace Praxis.Losses;

/// <summary>
/// A training objective (Keras <c>keras.losses.Loss</c>): <see cref="Call"/> gives one loss per sample (the last axis
/// reduced, as Keras' loss functions do) and <see cref="Compute(Tensor, Tensor)"/> reduces it by <see cref="Reduction"/>:
/// <c>sum_over_batch_size</c> (the default, also spelled <c>mean</c>: the sum divided by the number of per-sample
/// values), <c>sum</c>, <c>mean_with_sample_weight</c> (the weighted sum divided by the sum of the weights) or
/// <c>none</c> (the per-sample values, weighted). Built from differentiable ops, so <c>loss.Backward()</c> works.
/// </summary>
public abstract class Loss
{
    /// <summary>The default reduction, Keras' <c>sum_over_batch_size</c>.</summary>
    public const string DefaultReduction = "sum_over_batch_size";

    /// <summary>Creates a loss with the default reduction.</summary>
    protected Loss() : this(DefaultReduction) { }

    /// <summary>Creates a loss with a Keras reduction name (null means <c>none</c>, as Python's <c>reduction=None</c>).</summary>
    protected Loss(string? reduction) => Reduction = CheckReduction(reduction, GetType().Name);

    /// <summary>The Keras name, e.g. <c>categorical_crossentropy</c>.</summary>
    public abstract string Name { get; }

    /// <summary>How per-sample losses become the result: <c>sum_over_batch_size</c>, <c>sum</c>, <c>mean_with_sample_weight</c> or <c>none</c>.</summary>
    public string Reduction { get; }

    /// <summary>Whether <see cref="Compute(Tensor, Tensor)"/> gives one value per sample rather than a scalar.</summary>
    public bool IsUnreduced => Reduction == "none";

    /// <summary>
    /// The loss of each sample, not reduced (Keras' <c>Loss.call</c>): the predictions' shape without the last axis.
    /// A loss that only overrides <see cref="Compute(Tensor, Tensor)"/> has no per-sample form, so it cannot take sample
    /// weights or another reduction.
    /// </summary>
    public virtual Tensor Call(Tensor yTrue, Tensor yPred) =>
        throw new NotSupportedException($"Loss '{Name}' defines only Compute, not the per-sample Call that sample weights and reductions other than {DefaultReduction} need.");

    /// <summary>The loss of <paramref name="yPred"/> against <paramref name="yTrue"/>, reduced by <see cref="Reduction"/>.</summary>
    public virtual Tensor Compute(Tensor yTrue, Tensor yPred) => Reduce(Call(yTrue, yPred), null);

    /// <summary>
    /// The loss with per-sample weights (Keras' <c>loss(y_true, y_pred, sample_weight)</c>): <paramref name="sampleWeight"/>
    /// has the per-sample shape, or the batch dimension alone (broadcast over the rest); null means unweighted.
    /// </summary>
    public Tensor Compute(Tensor yTrue, Tensor yPred, Tensor? sampleWeight) =>
        sampleWeight is null ? Compute(yTrue, yPred) : Reduce(Call(yTrue, yPred), sampleWeight);

    /// <summary>Applies <paramref name="sampleWeight"/> (if any) and <see cref="Reduction"/> to per-sample values.</summary>
    protected Tensor Reduce(Tensor values, Tensor? sampleWeight)
    {
        Tensor? w = null;
        if (sampleWeight is not null)
        {
            w = BroadcastWeight(sampleWeight, values);
            values = values * w;
        }
        return Reduction switch
        {
            "none" => values,
            "sum" => values.Sum(),
            "mean_with_sample_weight" when w is not null => values.Sum() / (w.Size == values.Size ? w : w.BroadcastTo(values.Shape.ToArray())).Sum(),
            _ => values.Mean(),
        };
    }

    // Keras squeezes or expands sample_weight to the values' rank; here (B) or (B, 1) weights broadcast over (B, …).
    private Tensor BroadcastWeight(Tensor sw, Tensor values)
    {
        if (sw.Shape == values.Shape) return sw;
        int batch = values.Rank == 0 ? 1 : values.Shape[0];
        if (sw.Size == batch && (sw.Rank == 1 || (sw.Rank == 2 && sw.Shape[1] == 1)))
        {
            if (values.Rank <= 1) return values.Rank == 0 ? sw.Reshape([]) : sw.Reshape(batch);
            var dims = new int[values.Rank];
            Array.Fill(dims, 1);
            dims[0] = batch;
            return sw.Reshape(dims);
        }
        throw new ShapeMismatchException($"{Name}: sample_weight shape {sw.Shape} fits neither the per-sample loss shape {values.Shape} nor its batch ({batch}).");
    }

    /// <summary>Parameters for serialization (Keras' <c>get_config</c>): the reduction and each constructor argument.</summary>
    public virtual Dictionary<string, object?> GetConfig() => new() { ["reduction"] = Reduction };

    private static readonly string[] Reductions = ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"];

    private static string CheckReduction(string? reduction, string who)
    {
        string r = reduction?.ToLowerInvariant() ?? "none";
        if (r == "mean") r = DefaultReduction; // Keras 3 spells sum_over_batch_size "mean" too
        if (Array.IndexOf(Reductions, r) < 0)
            throw new ArgumentException($"{who}: unknown reduction '{reduction}'. Known: sum_over_batch_size (or mean), sum, mean_with_sample_weight, none.");
        return r;
    }

    /// <summary>Whether the reduction is the default, where fused whole-batch kernels apply.</summary>
    protected bool DefaultReduce => Reduction == DefaultReduction;

    /// <summary>
    /// Resolves a Keras loss name with Keras defaults: <c>categorical_crossentropy</c>,
    /// <c>sparse_categorical_crossentropy</c>, <c>binary_crossentropy</c>, <c>mse</c>/<c>mean_squared_error</c>,
    /// <c>mae</c>/<c>mean_absolute_error</c>, <c>huber</c>, <c>log_cosh</c>/<c>logcosh</c>,
    /// <c>kl_divergence</c>/<c>kld</c>/<c>kullback_leibler_divergence</c>, <c>cosine_similarity</c>, <c>hinge</c>,
    /// <c>squared_hinge</c>, <c>poisson</c>, <c>categorical_focal_crossentropy</c>, <c>binary_focal_crossentropy</c>.
    /// </summary>
    public static Loss Get(string name) => name.ToLowerInvariant() switch
    {
        "categorical_crossentropy" => new CategoricalCrossentropy(),
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        "binary_crossentropy" => new BinaryCrossentropy(),
        "mse" or "mean_squared_error" => new MeanSquaredError(),
        "mae" or "mean_absolute_error" => new MeanAbsoluteError(),
        "huber" or "huber_loss" => new Huber(),
        "log_cosh" or "logcosh" => new LogCosh(),
        "kl_divergence" or "kld" or "kullback_leibler_divergence" => new KLDivergence(),
        "cosine_similarity" => new CosineSimilarity(),
        "hinge" => new Hinge(),
        "squared_hinge" => new SquaredHinge(),
        "poisson" => new Poisson(),
        "categorical_focal_crossentropy" => new CategoricalFocalCrossentropy(),
        "binary_focal_crossentropy" => new BinaryFocalCrossentropy(),
        _ => throw new ArgumentException($"Unknown loss '{name}'. Known: categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae, huber, log_cosh, kl_divergence, cosine_similarity, hinge, squared_hinge, poisson, categorical_focal_crossentropy, binary_focal_crossentropy."),
    };

    /// <summary>A loss named by a Keras string.</summary>
    public static implicit operator Loss(string name) => Get(name);

    /// <summary>Keras' epsilon for clipping probabilities.</summary>
    protected const float Epsilon = 1e-7f;

    /// <summary>The mean over the last axis (Keras' <c>ops.mean(x, axis=-1)</c>); a scalar stays as it is.</summary>
    protected static Tensor MeanLast(Tensor x) => x.Rank == 0 ? x : x.Mean(-1);

    /// <summary>The sum over the last axis; a scalar stays as it is.</summary>
    protected static Tensor SumLast(Tensor x) => x.Rank == 0 ? x : x.Sum(-1);

    /// <summary>Checks a label-smoothing factor.</summary>
    protected static float CheckSmoothing(float labelSmoothing, string who) =>
        labelSmoothing is >= 0f and <= 1f ? labelSmoothing
            : throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"{who}: label_smoothing must be in [0, 1]; got {labelSmoothing}.");

    internal static void CheckSameShape(Tensor yTrue, Tensor yPred, string name)
    {
        if (yTrue.Shape != yPred.Shape)
            throw new ShapeMismatchException($"{name}: targets shape {yTrue.Shape} does not match predictions shape {yPred.Shape}.");
    }
}

/// <summary>
/// Cross-entropy against one-hot (or soft) targets. When the predictions come straight from a softmax (or
/// <c>fromLogits</c> is true), it is computed from the logits by the fused, stable
/// <see cref="Tensor.SoftmaxCrossEntropy(Tensor, Tensor)"/>, as Keras does; otherwise probabilities are clipped to
/// [1e-7, 1 − 1e-7] and renormalised. <c>labelSmoothing</c> ε replaces the targets by y·(1 − ε) + ε/C (Keras).
/// </summary>
public sealed class CategoricalCrossentropy(bool fromLogits = false, float labelSmoothing = 0f, string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <summary>The label-smoothing factor ε.</summary>
    public float LabelSmoothing { get; } = CheckSmoothing(labelSmoothing, "CategoricalCrossentropy");

    /// <inheritdoc />
    public override string Name => "categorical_crossentropy";

    private (Tensor Logits, Tensor Targets) Prepare(Tensor yTrue, Tensor yPred)
    {
        if (LabelSmoothing > 0f) yTrue = yTrue * (1f - LabelSmoothing) + LabelSmoothing / yPred.Shape[-1];
        if (FromLogits) return (yPred, yTrue);
        if (yPred.Logits is { } logits && yPred.LogitsActivation == LogitsKind.Softmax) return (logits, yTrue);
        // −Σ y log(p / Σp) = softmax cross-entropy of log p.
        return (yPred.Clip(Epsilon, 1f - Epsilon).Log(), yTrue);
    }

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (!DefaultReduce) return base.Compute(yTrue, yPred);
        var (z, y) = Prepare(yTrue, yPred);
        return Tensor.SoftmaxCrossEntropy(z, y);
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        var (z, y) = Prepare(yTrue, yPred);
        return Tensor.SoftmaxCrossEntropy(z, y, perRow: true);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["from_logits"] = FromLogits;
        c["label_smoothing"] = LabelSmoothing;
        return c;
    }
}

/// <summary>Cross-entropy against integer class ids; from logits when the predictions come from a softmax.</summary>
public sealed class SparseCategoricalCrossentropy(bool fromLogits = false, string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc />
    public override string Name => "sparse_categorical_crossentropy";

    private Tensor LogitsOf(Tensor yPred) =>
        FromLogits ? yPred
        : yPred.Logits is { } logits && yPred.LogitsActivation == LogitsKind.Softmax ? logits
        : yPred.Clip(Epsilon, 1f - Epsilon).Log();

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred) =>
        DefaultReduce ? Tensor.SparseSoftmaxCrossEntropy(LogitsOf(yPred), yTrue) : base.Compute(yTrue, yPred);

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred) => Tensor.SparseSoftmaxCrossEntropy(LogitsOf(yPred), yTrue, perRow: true);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["from_logits"] = FromLogits;
        return c;
    }
}

/// <summary>
/// Binary cross-entropy, averaged over the last axis per sample. From logits (given, or when predictions come from a
/// sigmoid) it uses the stable form max(z, 0) − z·y + log(1 + e^−|z|); otherwise probabilities are clipped to
/// [1e-7, 1 − 1e-7]. <c>labelSmoothing</c> ε replaces the targets by y·(1 − ε) + ε/2 (Keras).
/// </summary>
public sealed class BinaryCrossentropy(bool fromLogits = false, float labelSmoothing = 0f, string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <summary>The label-smoothing factor ε.</summary>
    public float LabelSmoothing { get; } = CheckSmoothing(labelSmoothing, "BinaryCrossentropy");

    /// <inheritdoc />
    public override string Name => "binary_crossentropy";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred) => DefaultReduce ? Elementwise(yTrue, yPred).Mean() : base.Compute(yTrue, yPred);

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred) => MeanLast(Elementwise(yTrue, yPred));

    /// <summary>
    /// The loss of every element, not reduced (same shape as the predictions): what a custom train step sums over the
    /// pixels of an image, as keras.io's VAE does with <c>ops.sum(binary_crossentropy(data, reconstruction), axis=(1, 2))</c>.
    /// </summary>
    public Tensor Elementwise(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, Name);
        if (LabelSmoothing > 0f) yTrue = yTrue * (1f - LabelSmoothing) + 0.5f * LabelSmoothing;
        Tensor? z = FromLogits ? yPred : yPred.LogitsActivation == LogitsKind.Sigmoid ? yPred.Logits : null;
        if (z != null) return z.Relu() - z * yTrue + ((-z.Abs()).Exp() + 1f).Log();
        var p = yPred.Clip(Epsilon, 1f - Epsilon);
        return -(yTrue * p.Log() + (1f - yTrue) * (1f - p).Log());
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["from_logits"] = FromLogits;
        c["label_smoothing"] = LabelSmoothing;
        return c;
    }
}

/// <summary>Mean of (y − ŷ)² over the last axis per sample.</summary>
public sealed class MeanSquaredError(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "mean_squared_error";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (!DefaultReduce) return base.Compute(yTrue, yPred);
        CheckSameShape(yTrue, yPred, Name);
        return (yPred - yTrue).Square().Mean();
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, Name);
        return MeanLast((yPred - yTrue).Square());
    }
}

/// <summary>Mean of |y − ŷ| over the last axis per sample.</summary>
public sealed class MeanAbsoluteError(string? reduction = Loss.DefaultReduction) : Loss(reduction)
{
    /// <inheritdoc />
    public override string Name => "mean_absolute_error";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (!DefaultReduce) return base.Compute(yTrue, yPred);
        CheckSameShape(yTrue, yPred, Name);
        return (yPred - yTrue).Abs().Mean();
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, Name);
        return MeanLast((yPred - yTrue).Abs());
    }
}
