namespace Praxis.Metrics;

/// <summary>
/// Keras' <c>FBetaScore</c>: per class, (1 + β²)·P·R / (β²·P + R) from true/false positives and false negatives summed
/// over the batch axis. Without a <c>threshold</c> each row's largest prediction is the positive one (Keras); with it,
/// predictions above it. <c>average</c>: null (one score per class, <see cref="Results"/>), <c>micro</c>, <c>macro</c> or
/// <c>weighted</c> (by each class's positive count). Keras' 1e-7 guards in the ratios are kept, so values agree with
/// scikit-learn's to about 1e-6.
/// </summary>
public class FBetaScore : Metric
{
    private double[] _tp = [], _fp = [], _fn = [], _support = [];

    /// <summary>Creates the metric with Keras' argument names and defaults.</summary>
    public FBetaScore(string? average = null, float beta = 1f, float? threshold = null, string name = "fbeta_score")
    {
        if (average is not (null or "micro" or "macro" or "weighted"))
            throw new ArgumentException($"{GetType().Name}: average must be null, 'micro', 'macro' or 'weighted'; got '{average}'.");
        if (!(beta > 0f)) throw new ArgumentOutOfRangeException(nameof(beta), $"{GetType().Name}: beta must be positive; got {beta}.");
        if (threshold is float t && !(t is > 0f and <= 1f))
            throw new ArgumentOutOfRangeException(nameof(threshold), $"{GetType().Name}: threshold must be in (0, 1]; got {t}.");
        Average = average;
        Beta = beta;
        Threshold = threshold;
        Name = name;
    }

    /// <summary>The averaging: null, <c>micro</c>, <c>macro</c> or <c>weighted</c>.</summary>
    public string? Average { get; }

    /// <summary>β.</summary>
    public float Beta { get; }

    /// <summary>The decision threshold, or null for each row's arg-max.</summary>
    public float? Threshold { get; }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) => Update(yTrue, yPred, null);

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (yTrue.Shape != yPred.Shape || yPred.Rank != 2)
            throw new ShapeMismatchException($"{GetType().Name} '{Name}': expects targets and predictions of the same shape (batch, classes); got {yTrue.Shape} and {yPred.Shape}.");
        int c = yPred.Shape[1];
        if (_tp.Length == 0) { _tp = new double[c]; _fp = new double[c]; _fn = new double[c]; _support = new double[c]; }
        else if (_tp.Length != c)
            throw new ShapeMismatchException($"{GetType().Name} '{Name}': predictions have {c} classes, but earlier batches had {_tp.Length}.");
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length / c, this, yPred, "rows");
        for (int r = 0; r < p.Length / c; r++)
        {
            var row = p.Slice(r * c, c);
            double wr = w[r];
            float max = float.NegativeInfinity;
            if (Threshold is null) for (int j = 0; j < c; j++) max = Math.Max(max, row[j]);
            for (int j = 0; j < c; j++)
            {
                // Keras: y ≥ row max (and non-zero, so an all-zero row predicts nothing), or y > threshold.
                bool predicted = Threshold is float th ? row[j] > th : row[j] >= max && Math.Abs(row[j]) > 1e-9f;
                // Keras weighs each row's counts by its sample weight.
                double y = t[r * c + j] * wr;
                double q = predicted ? 1 : 0;
                _tp[j] += q * y;
                _fp[j] += q * (wr - y);
                _fn[j] += (1 - q) * y;
                _support[j] += y;
            }
        }
    }

    /// <summary>The score of each class (or one value for micro averaging), before any other averaging.</summary>
    public double[] Results()
    {
        const double eps = 1e-7;
        double b2 = (double)Beta * Beta;
        double[] tp = _tp, fp = _fp, fn = _fn;
        if (Average == "micro") { tp = [_tp.Sum()]; fp = [_fp.Sum()]; fn = [_fn.Sum()]; }
        var f = new double[tp.Length];
        for (int j = 0; j < f.Length; j++)
        {
            double precision = tp[j] / (tp[j] + fp[j] + eps);
            double recall = tp[j] / (tp[j] + fn[j] + eps);
            f[j] = (1 + b2) * precision * recall / (b2 * precision + recall + eps);
        }
        return f;
    }

    /// <inheritdoc />
    public override double Result()
    {
        var f = Results();
        if (f.Length == 0) return 0;
        switch (Average)
        {
            case "micro": return f[0];
            case "macro": return f.Average();
            case "weighted":
                double total = _support.Sum(), s = 0;
                if (total == 0) return 0;
                for (int j = 0; j < f.Length; j++) s += f[j] * _support[j] / total;
                return s;
            default:
                return f.Length == 1 ? f[0]
                    : throw new InvalidOperationException($"{GetType().Name} '{Name}' has average: null, so it has one value per class ({f.Length}): read Results(), or pass average: \"macro\", \"micro\" or \"weighted\".");
        }
    }

    /// <inheritdoc />
    public override void Reset() { Array.Clear(_tp); Array.Clear(_fp); Array.Clear(_fn); Array.Clear(_support); }

    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig() => new()
    {
        ["name"] = Name, ["average"] = Average, ["beta"] = Beta, ["threshold"] = Threshold,
    };
}

/// <summary>Keras' <c>F1Score</c>: <see cref="FBetaScore"/> with β = 1.</summary>
public sealed class F1Score(string? average = null, float? threshold = null, string name = "f1_score") : FBetaScore(average, 1f, threshold, name)
{
    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig()
    {
        var c = base.GetConfig()!;
        c.Remove("beta");
        return c;
    }
}

/// <summary>
/// Keras' <c>TopKCategoricalAccuracy</c> (default k 5): a row counts when the target class (the arg-max of the one-hot
/// target) is among the k largest predictions. As TensorFlow's <c>in_top_k</c>, classes tied with the target's score
/// do not push it out (it is in the top k when fewer than k classes score strictly higher).
/// </summary>
public sealed class TopKCategoricalAccuracy : SampleMeanMetric
{
    /// <summary>Creates the metric.</summary>
    public TopKCategoricalAccuracy(int k = 5, string name = "top_k_categorical_accuracy")
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"TopKCategoricalAccuracy: k must be positive; got {k}.");
        K = k;
        Name = name;
    }

    /// <summary>k.</summary>
    public int K { get; }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        if (yTrue.Shape != yPred.Shape)
            throw new ShapeMismatchException($"TopKCategoricalAccuracy '{Name}': one-hot targets shape {yTrue.Shape} does not match predictions shape {yPred.Shape} (use sparse_top_k_categorical_accuracy for integer labels).");
        int c = yPred.Shape[-1];
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length / c, this, yPred, "rows");
        for (int r = 0; r < p.Length / c; r++)
            AddSample(InTopK(p.Slice(r * c, c), CategoricalAccuracy.ArgMax(t.Slice(r * c, c)), K) ? 1 : 0, w[r]);
    }

    internal static bool InTopK(ReadOnlySpan<float> row, int target, int k)
    {
        float v = row[target];
        if (float.IsNaN(v)) return false;
        int higher = 0;
        for (int j = 0; j < row.Length; j++) if (row[j] > v) higher++;
        return higher < k;
    }

    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig() => new() { ["name"] = Name, ["k"] = K };
}

/// <summary>Keras' <c>SparseTopKCategoricalAccuracy</c> (default k 5): <see cref="TopKCategoricalAccuracy"/> with integer labels.</summary>
public sealed class SparseTopKCategoricalAccuracy : SampleMeanMetric
{
    /// <summary>Creates the metric.</summary>
    public SparseTopKCategoricalAccuracy(int k = 5, string name = "sparse_top_k_categorical_accuracy")
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"SparseTopKCategoricalAccuracy: k must be positive; got {k}.");
        K = k;
        Name = name;
    }

    /// <summary>k.</summary>
    public int K { get; }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        int c = yPred.Shape[-1];
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        if (t.Length != p.Length / c)
            throw new ShapeMismatchException($"SparseTopKCategoricalAccuracy '{Name}': labels shape {yTrue.Shape} does not match predictions shape {yPred.Shape} (one integer label per row).");
        var w = new ValueWeights(sampleWeight, t.Length, this, yPred, "rows");
        for (int r = 0; r < t.Length; r++)
        {
            int label = (int)t[r];
            if (label != t[r] || label < 0 || label >= c)
                throw new ArgumentException($"SparseTopKCategoricalAccuracy '{Name}': label {t[r]} at position {r} is not a class id in [0, {c}).");
            AddSample(TopKCategoricalAccuracy.InTopK(p.Slice(r * c, c), label, K) ? 1 : 0, w[r]);
        }
    }

    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig() => new() { ["name"] = Name, ["k"] = K };
}

/// <summary>
/// Keras' <c>MeanIoU</c>: a confusion matrix over <c>numClasses</c> accumulated across batches; per class
/// IoU = TP / (TP + FP + FN), averaged over the classes that occur in targets or predictions. Targets are class ids
/// (<c>sparseYTrue</c>, default) or one-hot; predictions are class ids (<c>sparseYPred</c>, default, as Keras) or scores
/// whose arg-max is taken. <c>ignoreClass</c> leaves out pixels whose target is that class.
/// </summary>
public sealed class MeanIoU : Metric
{
    private readonly double[] _cm;

    /// <summary>Creates the metric with Keras' argument names and defaults.</summary>
    public MeanIoU(int numClasses, string name = "mean_io_u", int? ignoreClass = null, bool sparseYTrue = true, bool sparseYPred = true)
    {
        if (numClasses < 2 || numClasses > 4096) throw new ArgumentOutOfRangeException(nameof(numClasses), $"MeanIoU: num_classes must be in [2, 4096]; got {numClasses}.");
        NumClasses = numClasses;
        IgnoreClass = ignoreClass;
        SparseYTrue = sparseYTrue;
        SparseYPred = sparseYPred;
        Name = name;
        _cm = new double[numClasses * numClasses];
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>A target class left out, or null.</summary>
    public int? IgnoreClass { get; }

    /// <summary>Whether targets are class ids (else one-hot along the last axis).</summary>
    public bool SparseYTrue { get; }

    /// <summary>Whether predictions are class ids (else scores along the last axis).</summary>
    public bool SparseYPred { get; }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) => Update(yTrue, yPred, null);

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        int n = SparseYTrue ? t.Length : t.Length / NumClasses;
        int np = SparseYPred ? p.Length : p.Length / NumClasses;
        if (n != np || (!SparseYTrue && yTrue.Shape[-1] != NumClasses) || (!SparseYPred && yPred.Shape[-1] != NumClasses))
            throw new ShapeMismatchException($"MeanIoU '{Name}': targets shape {yTrue.Shape} and predictions shape {yPred.Shape} do not give one class each for the same elements (num_classes {NumClasses}, sparse_y_true {SparseYTrue}, sparse_y_pred {SparseYPred}).");
        var w = new ValueWeights(sampleWeight, n, this, yPred, "elements");
        for (int i = 0; i < n; i++)
        {
            int a = SparseYTrue ? ClassOf(t[i], i, "target") : CategoricalAccuracy.ArgMax(t.Slice(i * NumClasses, NumClasses));
            if (IgnoreClass == a) continue;
            int b = SparseYPred ? ClassOf(p[i], i, "prediction") : CategoricalAccuracy.ArgMax(p.Slice(i * NumClasses, NumClasses));
            _cm[a * NumClasses + b] += w[i];
        }
    }

    private int ClassOf(float v, int i, string what)
    {
        int c = (int)v;
        if (c != v || c < 0 || c >= NumClasses)
            throw new ArgumentException($"MeanIoU '{Name}': {what} {v} at position {i} is not a class id in [0, {NumClasses}).");
        return c;
    }

    /// <summary>The accumulated confusion matrix, rows = targets, columns = predictions.</summary>
    public double[,] ConfusionMatrix()
    {
        var m = new double[NumClasses, NumClasses];
        for (int i = 0; i < NumClasses; i++) for (int j = 0; j < NumClasses; j++) m[i, j] = _cm[i * NumClasses + j];
        return m;
    }

    /// <inheritdoc />
    public override double Result()
    {
        int c = NumClasses;
        double sum = 0;
        int valid = 0;
        for (int k = 0; k < c; k++)
        {
            double rowSum = 0, colSum = 0;
            for (int j = 0; j < c; j++) { rowSum += _cm[k * c + j]; colSum += _cm[j * c + k]; }
            double tp = _cm[k * c + k];
            double denom = rowSum + colSum - tp;
            if (denom == 0) continue;
            sum += tp / denom;
            valid++;
        }
        return valid == 0 ? 0 : sum / valid;
    }

    /// <inheritdoc />
    public override void Reset() => Array.Clear(_cm);

    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig() => new()
    {
        ["name"] = Name, ["num_classes"] = NumClasses, ["ignore_class"] = IgnoreClass, ["sparse_y_true"] = SparseYTrue, ["sparse_y_pred"] = SparseYPred,
    };
}

/// <summary>Keras' <c>RootMeanSquaredError</c>: √(mean of (ŷ − y)² over every element seen).</summary>
public sealed class RootMeanSquaredError : Metric
{
    private double _sum, _count;

    /// <summary>Creates the metric.</summary>
    public RootMeanSquaredError(string name = "root_mean_squared_error") => Name = name;

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) => Update(yTrue, yPred, null);

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        if (yTrue.Size != yPred.Size)
            throw new ShapeMismatchException($"RootMeanSquaredError '{Name}': targets shape {yTrue.Shape} does not match predictions shape {yPred.Shape}.");
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        var w = new ValueWeights(sampleWeight, p.Length, this, yPred, "elements");
        for (int i = 0; i < p.Length; i++) { double e = p[i] - t[i]; _sum += w[i] * e * e; _count += w[i]; }
    }

    /// <inheritdoc />
    public override double Result() => _count == 0 ? 0 : Math.Sqrt(_sum / _count);

    /// <inheritdoc />
    public override void Reset() => _sum = _count = 0;
}

/// <summary>
/// Keras' <c>keras.metrics.Sum</c>: a running (weighted) sum of the values it is given, a tracker for a custom
/// <c>TrainStep</c> as <see cref="Mean"/> is.
/// </summary>
public sealed class Sum : Metric
{
    private double _sum;

    /// <summary>Creates the tracker; <paramref name="name"/> is its key in the logs.</summary>
    public Sum(string name = "sum") => Name = name;

    /// <summary>Adds every element of <paramref name="values"/>, each times <paramref name="sampleWeight"/>.</summary>
    public void UpdateState(Tensor values, double sampleWeight = 1)
    {
        ArgumentNullException.ThrowIfNull(values);
        ReadOnlySpan<float> v = values.Span;
        for (int i = 0; i < v.Length; i++) _sum += v[i] * sampleWeight;
    }

    /// <summary>Adds one value times a weight.</summary>
    public void UpdateState(double value, double sampleWeight = 1) => _sum += value * sampleWeight;

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) =>
        throw new NotSupportedException($"Sum '{Name}' tracks values given to UpdateState, not (targets, predictions); use it in a custom TrainStep.");

    /// <inheritdoc />
    public override double Result() => _sum;

    /// <inheritdoc />
    public override void Reset() => _sum = 0;
}
