namespace Praxis.Losses;

/// <summary>
/// A training objective: maps (targets, predictions) to a scalar tensor, averaged over all samples (Keras'
/// <c>sum_over_batch_size</c> reduction). Built from differentiable ops, so <c>loss.Backward()</c> works.
/// </summary>
public abstract class Loss
{
    /// <summary>The Keras name, e.g. <c>categorical_crossentropy</c>.</summary>
    public abstract string Name { get; }

    /// <summary>The mean loss of <paramref name="yPred"/> against <paramref name="yTrue"/>.</summary>
    public abstract Tensor Compute(Tensor yTrue, Tensor yPred);

    /// <summary>Parameters for serialization.</summary>
    public virtual Dictionary<string, object?> GetConfig() => new();

    /// <summary>
    /// Resolves a Keras loss name: <c>categorical_crossentropy</c>, <c>sparse_categorical_crossentropy</c>,
    /// <c>binary_crossentropy</c>, <c>mse</c> / <c>mean_squared_error</c>, <c>mae</c> / <c>mean_absolute_error</c>.
    /// </summary>
    public static Loss Get(string name) => name.ToLowerInvariant() switch
    {
        "categorical_crossentropy" => new CategoricalCrossentropy(),
        "sparse_categorical_crossentropy" => new SparseCategoricalCrossentropy(),
        "binary_crossentropy" => new BinaryCrossentropy(),
        "mse" or "mean_squared_error" => new MeanSquaredError(),
        "mae" or "mean_absolute_error" => new MeanAbsoluteError(),
        _ => throw new ArgumentException($"Unknown loss '{name}'. Known: categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, mse, mae."),
    };

    /// <summary>A loss named by a Keras string.</summary>
    public static implicit operator Loss(string name) => Get(name);

    /// <summary>Keras' epsilon for clipping probabilities.</summary>
    protected const float Epsilon = 1e-7f;
}

/// <summary>
/// Cross-entropy against one-hot (or soft) targets. When the predictions come straight from a softmax (or
/// <paramref name="fromLogits"/> is true), it is computed from the logits by the fused, stable
/// <see cref="Tensor.SoftmaxCrossEntropy"/>, as Keras does; otherwise probabilities are clipped to [1e-7, 1 − 1e-7]
/// and renormalised.
/// </summary>
public sealed class CategoricalCrossentropy(bool fromLogits = false) : Loss
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc />
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (FromLogits) return Tensor.SoftmaxCrossEntropy(yPred, yTrue);
        if (yPred.Logits is { } logits && yPred.LogitsActivation == LogitsKind.Softmax) return Tensor.SoftmaxCrossEntropy(logits, yTrue);
        // −Σ y log(p / Σp) = softmax cross-entropy of log p.
        return Tensor.SoftmaxCrossEntropy(yPred.Clip(Epsilon, 1f - Epsilon).Log(), yTrue);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["from_logits"] = FromLogits };
}

/// <summary>Cross-entropy against integer class ids; from logits when the predictions come from a softmax.</summary>
public sealed class SparseCategoricalCrossentropy(bool fromLogits = false) : Loss
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc />
    public override string Name => "sparse_categorical_crossentropy";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        if (FromLogits) return Tensor.SparseSoftmaxCrossEntropy(yPred, yTrue);
        if (yPred.Logits is { } logits && yPred.LogitsActivation == LogitsKind.Softmax) return Tensor.SparseSoftmaxCrossEntropy(logits, yTrue);
        return Tensor.SparseSoftmaxCrossEntropy(yPred.Clip(Epsilon, 1f - Epsilon).Log(), yTrue);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["from_logits"] = FromLogits };
}

/// <summary>
/// Binary cross-entropy. From logits (given, or when predictions come from a sigmoid) it uses the stable form
/// max(z, 0) − z·y + log(1 + e^−|z|); otherwise probabilities are clipped to [1e-7, 1 − 1e-7].
/// </summary>
public sealed class BinaryCrossentropy(bool fromLogits = false) : Loss
{
    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; } = fromLogits;

    /// <inheritdoc />
    public override string Name => "binary_crossentropy";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred) => Elementwise(yTrue, yPred).Mean();

    /// <summary>
    /// The loss of every element, not reduced (same shape as the predictions): what a custom train step sums over the
    /// pixels of an image, as keras.io's VAE does with <c>ops.sum(binary_crossentropy(data, reconstruction), axis=(1, 2))</c>.
    /// </summary>
    public Tensor Elementwise(Tensor yTrue, Tensor yPred)
    {
        CheckSameShape(yTrue, yPred, Name);
        Tensor? z = FromLogits ? yPred : yPred.LogitsActivation == LogitsKind.Sigmoid ? yPred.Logits : null;
        if (z != null) return z.Relu() - z * yTrue + ((-z.Abs()).Exp() + 1f).Log();
        var p = yPred.Clip(Epsilon, 1f - Epsilon);
        return -(yTrue * p.Log() + (1f - yTrue) * (1f - p).Log());
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig() => new() { ["from_logits"] = FromLogits };

    internal static void CheckSameShape(Tensor yTrue, Tensor yPred, string name)
    {
        if (yTrue.Shape != yPred.Shape)
            throw new ShapeMismatchException($"{name}: targets shape {yTrue.Shape} does not match predictions shape {yPred.Shape}.");
    }
}

/// <summary>Mean of (y − ŷ)² over all elements.</summary>
public sealed class MeanSquaredError : Loss
{
    /// <inheritdoc />
    public override string Name => "mean_squared_error";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        BinaryCrossentropy.CheckSameShape(yTrue, yPred, Name);
        return (yPred - yTrue).Square().Mean();
    }
}

/// <summary>Mean of |y − ŷ| over all elements.</summary>
public sealed class MeanAbsoluteError : Loss
{
    /// <inheritdoc />
    public override string Name => "mean_absolute_error";

    /// <inheritdoc />
    public override Tensor Compute(Tensor yTrue, Tensor yPred)
    {
        BinaryCrossentropy.CheckSameShape(yTrue, yPred, Name);
        return (yPred - yTrue).Abs().Mean();
    }
}
