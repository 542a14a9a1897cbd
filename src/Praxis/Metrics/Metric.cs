namespace Praxis.Metrics;

/// <summary>
/// A stateful metric (Keras <c>keras.metrics.Metric</c>): <see cref="Update(Tensor, Tensor)"/> folds in one batch, <see cref="Result()"/>
/// gives the value over everything seen since <see cref="Reset"/>. Updates read spans and allocate nothing.
/// </summary>
public abstract class Metric
{
    /// <summary>The name shown in logs and history (e.g. <c>accuracy</c>).</summary>
    public string Name { get; protected set; } = "";

    /// <summary>Folds in a batch of targets and predictions.</summary>
    public abstract void Update(Tensor yTrue, Tensor yPred);

    /// <summary>
    /// Folds in a batch with per-sample weights (Keras <c>update_state(y_true, y_pred, sample_weight)</c>), as
    /// <c>Fit</c> and <c>Evaluate</c> do for the metrics given to Compile as <c>weightedMetrics</c>. The weights have one
    /// row per sample, shape (batch) or a prefix of the metric's per-value shape such as (batch, steps); each value the
    /// metric folds in (an element, or a row for the accuracies, top-k and F-scores) takes its sample's weight, so a mean
    /// becomes Σ v·w / Σ w and a confusion count a sum of weights. Null weights are <see cref="Update(Tensor, Tensor)"/>.
    /// A metric that does not override this refuses weights, naming itself.
    /// </summary>
    public virtual void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        if (sampleWeight is null) { Update(yTrue, yPred); return; }
        throw new NotSupportedException($"Metric '{Name}' ({GetType().Name}) does not take sample weights: override Update(yTrue, yPred, sampleWeight), or give it to Compile in metrics rather than weightedMetrics.");
    }

    /// <summary>The metric over all updates since the last reset.</summary>
    public abstract double Result();

    /// <summary>Clears the state.</summary>
    public abstract void Reset();

    /// <summary>
    /// How many values the metric reports: 1 for most; a <see cref="Precision"/> or <see cref="Recall"/> with several
    /// thresholds reports one per threshold (Keras' <c>result()</c> then returns a vector).
    /// </summary>
    public virtual int ResultCount => 1;

    /// <summary>Value <paramref name="index"/> of <see cref="ResultCount"/> (the default: <see cref="Result()"/>).</summary>
    public virtual double Result(int index) => index == 0 ? Result()
        : throw new ArgumentOutOfRangeException(nameof(index), $"Metric '{Name}' reports one value; got index {index}.");

    /// <summary>
    /// The log name of value <paramref name="index"/> under <paramref name="key"/> (the metric's log key): the key itself
    /// for a single value; <c>{key}_{threshold}</c> for a thresholded metric (e.g. <c>precision_0.3</c>), since a log
    /// holds numbers, not Keras' vector.
    /// </summary>
    public virtual string ResultKey(string key, int index) => key;

    /// <summary>
    /// The constructor arguments with Keras' names, for metrics that have any (saved in the compile config as
    /// <c>{"class_name", "config"}</c>); null for a metric rebuilt from its name alone.
    /// </summary>
    public virtual Dictionary<string, object?>? GetConfig() => null;

    /// <summary>
    /// Resolves a Keras metric name with Keras defaults: <c>accuracy</c>/<c>acc</c> (variant chosen from the loss at
    /// compile time), <c>categorical_accuracy</c>, <c>sparse_categorical_accuracy</c>, <c>binary_accuracy</c>,
    /// <c>mse</c>, <c>mae</c>, <c>root_mean_squared_error</c>, <c>auc</c>, <c>precision</c>, <c>recall</c>,
    /// <c>top_k_categorical_accuracy</c>, <c>sparse_top_k_categorical_accuracy</c>, <c>f1_score</c>, <c>fbeta_score</c>
    /// (Keras 3's <c>metrics.get</c> accepts the snake_case class names). <c>mean_iou</c> needs <c>numClasses</c>, as in
    /// Keras: construct <see cref="MeanIoU"/>.
    /// </summary>
    public static Metric Get(string name) => name.ToLowerInvariant() switch
    {
        "accuracy" or "acc" => new Accuracy(name),
        "categorical_accuracy" => new CategoricalAccuracy(),
        "sparse_categorical_accuracy" => new SparseCategoricalAccuracy(),
        "binary_accuracy" => new BinaryAccuracy(),
        "mse" or "mean_squared_error" => new MeanSquaredErrorMetric(name),
        "mae" or "mean_absolute_error" => new MeanAbsoluteErrorMetric(name),
        "root_mean_squared_error" => new RootMeanSquaredError(),
        "auc" => new AUC(),
        "precision" => new Precision(),
        "recall" => new Recall(),
        "top_k_categorical_accuracy" => new TopKCategoricalAccuracy(),
        "sparse_top_k_categorical_accuracy" => new SparseTopKCategoricalAccuracy(),
        "f1_score" => new F1Score(),
        "fbeta_score" => new FBetaScore(),
        "mean_iou" or "meaniou" => throw new ArgumentException("Metric 'mean_iou' needs numClasses (Keras' MeanIoU has no default): pass new MeanIoU(numClasses: N) instead of the string."),
        _ => throw new ArgumentException($"Unknown metric '{name}'. Known: accuracy, categorical_accuracy, sparse_categorical_accuracy, binary_accuracy, mse, mae, root_mean_squared_error, auc, precision, recall, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, f1_score, fbeta_score."),
    };

    /// <summary>A metric named by a Keras string.</summary>
    public static implicit operator Metric(string name) => Get(name);
}

/// <summary>A running mean of values weighted by sample counts (how Keras reports the loss during an epoch).</summary>
public sealed class MeanMetric : Metric
{
    private double _sum, _count;

    /// <summary>Creates the metric.</summary>
    public MeanMetric(string name) => Name = name;

    /// <summary>Adds a value with a weight.</summary>
    public void Add(double value, double weight = 1)
    {
        _sum += value * weight;
        _count += weight;
    }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) => throw new NotSupportedException("MeanMetric is fed with Add().");

    /// <inheritdoc />
    public override double Result() => _count == 0 ? 0 : _sum / _count;

    /// <inheritdoc />
    public override void Reset() => _sum = _count = 0;
}

/// <summary>
/// Keras' <c>keras.metrics.Mean</c>: a running mean of the values it is given, the tracker a custom
/// <c>Model.TrainStep</c> keeps for each of its losses (<c>_totalLoss.UpdateState(loss)</c>, then
/// <c>logs[_totalLoss.Name] = _totalLoss.Result()</c>). List it in the model's <c>Metrics</c> so each epoch resets it.
/// </summary>
public sealed class Mean : Metric
{
    private double _sum, _count;

    /// <summary>Creates the tracker; <paramref name="name"/> is its key in the logs.</summary>
    public Mean(string name = "mean") => Name = name;

    /// <summary>Adds every element of <paramref name="values"/> (a scalar loss adds one value), each with weight <paramref name="sampleWeight"/>.</summary>
    public void UpdateState(Tensor values, double sampleWeight = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        ReadOnlySpan<float> v = values.Span;
        for (int i = 0; i < v.Length; i++) _sum += v[i] * sampleWeight;
        _count += v.Length * sampleWeight;
    }

    /// <summary>Adds one value with a weight.</summary>
    public void UpdateState(double value, double sampleWeight = 1)
    {
        _sum += value * sampleWeight;
        _count += sampleWeight;
    }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) =>
        throw new NotSupportedException($"Mean '{Name}' tracks values given to UpdateState, not (targets, predictions); use it in a custom TrainStep.");

    /// <inheritdoc />
    public override double Result() => _count == 0 ? 0 : _sum / _count;

    /// <inheritdoc />
    public override void Reset() => _sum = _count = 0;
}

/// <summary>
/// The weight of each value a metric folds in: one per sample, spread over the values of that sample (the values of a
/// batch are laid out sample by sample, so value i belongs to weight i / (values per weight)). Unweighted: every value 1.
/// </summary>
internal readonly ref struct ValueWeights
{
    private readonly ReadOnlySpan<float> _w;
    private readonly int _per; // values per weight; 0 when unweighted

    /// <summary>Checks that <paramref name="sampleWeight"/> fits <paramref name="values"/> values of <paramref name="yPred"/>.</summary>
    public ValueWeights(Tensor? sampleWeight, int values, Metric metric, Tensor yPred, string valueName)
    {
        if (sampleWeight is null) { _w = default; _per = 0; return; }
        int size = sampleWeight.Size;
        int batch = yPred.Rank == 0 ? 1 : yPred.Shape[0];
        bool fits = sampleWeight.Rank >= 1 && sampleWeight.Shape[0] == batch && (size == 0 ? values == 0 : values % size == 0);
        if (!fits)
            throw new ShapeMismatchException($"Metric '{metric.Name}' ({metric.GetType().Name}): sampleWeight shape {sampleWeight.Shape} does not fit predictions shape {yPred.Shape} " +
                                             $"({values} {valueName}): expected one weight per sample, shape ({batch}), or one per {valueName[..^1]}.");
        _w = sampleWeight.Span;
        _per = size == 0 ? 1 : values / size;
    }

    /// <summary>The weight of value <paramref name="i"/>.</summary>
    public float this[int i] => _per == 0 ? 1f : _w[i / _per];
}

/// <summary>A metric that averages a per-sample value (Keras' <c>MeanMetricWrapper</c>: Σ v·w / Σ w with sample weights).</summary>
public abstract class SampleMeanMetric : Metric
{
    private double _sum, _count;

    /// <summary>Adds one sample's value with its weight.</summary>
    protected void AddSample(double value, double weight = 1)
    {
        _sum += value * weight;
        _count += weight;
    }

    /// <inheritdoc />
    public sealed override void Update(Tensor yTrue, Tensor yPred) => Update(yTrue, yPred, null);

    /// <inheritdoc />
    public abstract override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight);

    /// <inheritdoc />
    public override double Result() => _count == 0 ? 0 : _sum / _count;

    /// <inheritdoc />
    public override void Reset() { _sum = 0; _count = 0; }
}

/// <summary>Fraction of rows whose arg-max prediction equals the arg-max target (one-hot targets).</summary>
public sealed class CategoricalAccuracy : SampleMeanMetric
{
    /// <summary>Creates the metric.</summary>
    public CategoricalAccuracy(string name = "categorical_accuracy") => Name = name;

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        int c = yPred.Shape[-1];
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length / c, this, yPred, "rows");
        for (int r = 0; r < p.Length / c; r++)
            AddSample(ArgMax(p.Slice(r * c, c)) == ArgMax(t.Slice(r * c, c)) ? 1 : 0, w[r]);
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}

/// <summary>Fraction of rows whose arg-max prediction equals the integer label.</summary>
public sealed class SparseCategoricalAccuracy : SampleMeanMetric
{
    /// <summary>Creates the metric.</summary>
    public SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") => Name = name;

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        int c = yPred.Shape[-1];
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length / c, this, yPred, "rows");
        for (int r = 0; r < p.Length / c; r++)
            AddSample(CategoricalAccuracy.ArgMax(p.Slice(r * c, c)) == (int)t[r] ? 1 : 0, w[r]);
    }
}

/// <summary>Fraction of elements where (prediction &gt; threshold) equals the target.</summary>
public sealed class BinaryAccuracy : SampleMeanMetric
{
    /// <summary>Creates the metric.</summary>
    public BinaryAccuracy(string name = "binary_accuracy", float threshold = 0.5f)
    {
        Name = name;
        Threshold = threshold;
    }

    /// <summary>The decision threshold.</summary>
    public float Threshold { get; }

    /// <inheritdoc />
    /// <remarks>Null (saved by name) for Keras' defaults; otherwise the name and threshold, so a saved model keeps a
    /// threshold other than 0.5 instead of reloading as the default.</remarks>
    public override Dictionary<string, object?>? GetConfig() =>
        Name == "binary_accuracy" && Threshold == 0.5f ? null : new() { ["name"] = Name, ["threshold"] = Threshold };

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length, this, yPred, "elements");
        for (int i = 0; i < p.Length; i++) AddSample((p[i] > Threshold ? 1f : 0f) == t[i] ? 1 : 0, w[i]);
    }
}

/// <summary>
/// Keras' <c>"accuracy"</c>: resolved at compile time to categorical, sparse categorical or binary accuracy from the
/// loss (or, for other losses, from the prediction shape at the first update).
/// </summary>
public sealed class Accuracy : Metric
{
    private Metric? _inner;

    /// <summary>Creates the metric; the variant is chosen by <see cref="Resolve"/>.</summary>
    public Accuracy(string name = "accuracy") => Name = name;

    /// <summary>The concrete accuracy in use, once resolved.</summary>
    public Metric? Variant => _inner;

    /// <summary>Picks the variant for a loss name, as Keras does.</summary>
    public void Resolve(string? lossName)
    {
        _inner = lossName switch
        {
            "categorical_crossentropy" or "categorical_focal_crossentropy" => new CategoricalAccuracy(Name),
            "sparse_categorical_crossentropy" => new SparseCategoricalAccuracy(Name),
            "binary_crossentropy" or "binary_focal_crossentropy" => new BinaryAccuracy(Name),
            _ => null,
        };
    }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) => Update(yTrue, yPred, null);

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        if (_inner == null)
        {
            if (yPred.Shape[-1] == 1) _inner = new BinaryAccuracy(Name);
            else if (yTrue.Shape == yPred.Shape) _inner = new CategoricalAccuracy(Name);
            else _inner = new SparseCategoricalAccuracy(Name);
        }
        _inner.Update(yTrue, yPred, sampleWeight);
    }

    /// <inheritdoc />
    public override double Result() => _inner?.Result() ?? 0;

    /// <inheritdoc />
    public override void Reset() => _inner?.Reset();
}

/// <summary>Mean squared error as a metric.</summary>
public sealed class MeanSquaredErrorMetric : SampleMeanMetric
{
    /// <summary>Creates the metric.</summary>
    public MeanSquaredErrorMetric(string name = "mse") => Name = name;

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length, this, yPred, "elements");
        for (int i = 0; i < p.Length; i++) AddSample((p[i] - t[i]) * (double)(p[i] - t[i]), w[i]);
    }
}

/// <summary>Mean absolute error as a metric.</summary>
public sealed class MeanAbsoluteErrorMetric : SampleMeanMetric
{
    /// <summary>Creates the metric.</summary>
    public MeanAbsoluteErrorMetric(string name = "mae") => Name = name;

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length, this, yPred, "elements");
        for (int i = 0; i < p.Length; i++) AddSample(Math.Abs(p[i] - t[i]), w[i]);
    }
}
