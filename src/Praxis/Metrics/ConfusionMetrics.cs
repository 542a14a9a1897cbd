namespace Praxis.Metrics;

/// <summary>
/// Shared input handling of the thresholded metrics: targets and predictions of the same size, read as flat spans,
/// with Keras' <c>top_k</c> (only the k largest predictions of each row may count as positive; ties go to the lower
/// index, as <c>top_k</c>) and <c>class_id</c> (only that column is measured).
/// </summary>
public abstract class ThresholdedMetric : Metric
{
    /// <summary>The key itself for one threshold, else <c>{key}_{threshold}</c> (invariant culture, e.g. <c>precision_0.3</c>).</summary>
    internal static string ThresholdKey(string key, float[] thresholds, int index) =>
        thresholds.Length == 1 ? key : $"{key}_{thresholds[index].ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)}";

    private bool[] _inTopK = [];

    /// <summary>Creates the metric.</summary>
    protected ThresholdedMetric(int? topK, int? classId, string name)
    {
        if (topK is <= 0) throw new ArgumentOutOfRangeException(nameof(topK), $"{GetType().Name}: top_k must be positive; got {topK}.");
        if (classId is < 0) throw new ArgumentOutOfRangeException(nameof(classId), $"{GetType().Name}: class_id must be >= 0; got {classId}.");
        TopK = topK;
        ClassId = classId;
        Name = name;
    }

    /// <summary>Keras' <c>top_k</c>: only each row's k largest predictions can be positive; null for all.</summary>
    public int? TopK { get; }

    /// <summary>Keras' <c>class_id</c>: the one column measured; null for every element.</summary>
    public int? ClassId { get; }

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) => Update(yTrue, yPred, null);

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (yTrue.Size != yPred.Size)
            throw new ShapeMismatchException($"{GetType().Name} '{Name}': targets shape {yTrue.Shape} does not match predictions shape {yPred.Shape}.");
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        int c = yPred.Rank == 0 ? 1 : yPred.Shape[-1];
        if (ClassId is int id && id >= c)
            throw new ArgumentException($"{GetType().Name} '{Name}': class_id {id} is out of range for predictions with {c} classes (shape {yPred.Shape}).");
        var w = new ValueWeights(sampleWeight, p.Length, this, yPred, "elements");
        if (TopK is int k)
        {
            // Marks each row's k largest (lower index first on ties); reused buffer, grown once.
            if (_inTopK.Length < p.Length) _inTopK = new bool[p.Length];
            var mark = _inTopK.AsSpan(0, p.Length);
            for (int r = 0; r < p.Length / c; r++)
            {
                var row = p.Slice(r * c, c);
                for (int j = 0; j < c; j++)
                {
                    int above = 0;
                    for (int m = 0; m < c && above < k; m++)
                        if (row[m] > row[j] || (row[m] == row[j] && m < j)) above++;
                    mark[r * c + j] = above < k;
                }
            }
        }
        for (int i = 0; i < p.Length; i++)
        {
            if (ClassId is int cls && i % c != cls) continue;
            // Outside the top k a prediction is Keras' −∞: negative at every threshold.
            bool eligible = TopK is null || _inTopK[i];
            Accumulate(t[i] != 0f, eligible ? p[i] : float.NegativeInfinity, w[i]);
        }
    }

    /// <summary>Folds in one element: whether its target is positive, its prediction, and its weight (1 unweighted).</summary>
    protected abstract void Accumulate(bool positive, float prediction, double weight);

    /// <summary>The common arguments of the config.</summary>
    protected Dictionary<string, object?> BaseConfig() => new() { ["name"] = Name, ["top_k"] = TopK, ["class_id"] = ClassId };
}

/// <summary>
/// Keras' <c>Precision</c>: TP / (TP + FP) where a prediction above the threshold (default 0.5) is positive; with
/// several <c>thresholds</c>, one value per threshold (<see cref="Results"/>). See <see cref="ThresholdedMetric"/> for
/// <c>top_k</c> and <c>class_id</c>. No positives predicted gives 0 (Keras' divide_no_nan).
/// </summary>
public sealed class Precision : ThresholdedMetric
{
    private readonly double[] _tp, _fp;

    /// <summary>Creates the metric.</summary>
    public Precision(float[]? thresholds = null, int? topK = null, int? classId = null, string name = "precision") : base(topK, classId, name)
    {
        Thresholds = Recall.CheckThresholds(thresholds, topK, "Precision");
        _tp = new double[Thresholds.Length];
        _fp = new double[Thresholds.Length];
    }

    /// <summary>The decision thresholds.</summary>
    public float[] Thresholds { get; }

    /// <inheritdoc />
    protected override void Accumulate(bool positive, float prediction, double weight)
    {
        for (int i = 0; i < Thresholds.Length; i++)
            if (prediction > Thresholds[i]) { if (positive) _tp[i] += weight; else _fp[i] += weight; }
    }

    /// <summary>The precision at each threshold.</summary>
    public double[] Results()
    {
        var r = new double[_tp.Length];
        for (int i = 0; i < r.Length; i++) r[i] = _tp[i] + _fp[i] == 0 ? 0 : _tp[i] / (_tp[i] + _fp[i]);
        return r;
    }

    /// <inheritdoc />
    public override double Result() => Thresholds.Length == 1 ? Result(0)
        : throw new InvalidOperationException($"Precision '{Name}' has {Thresholds.Length} thresholds, so it has one value per threshold: read Results() or Result(i); Fit's logs name them {Name}_{{threshold}}.");

    /// <inheritdoc />
    public override int ResultCount => Thresholds.Length;

    /// <inheritdoc />
    public override double Result(int index) => _tp[index] + _fp[index] == 0 ? 0 : _tp[index] / (_tp[index] + _fp[index]);

    /// <inheritdoc />
    public override string ResultKey(string key, int index) => ThresholdKey(key, Thresholds, index);

    /// <inheritdoc />
    public override void Reset() { Array.Clear(_tp); Array.Clear(_fp); }

    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig()
    {
        var c = BaseConfig();
        c["thresholds"] = Thresholds;
        return c;
    }
}

/// <summary>
/// Keras' <c>Recall</c>: TP / (TP + FN) where a prediction above the threshold (default 0.5) is positive; with several
/// <c>thresholds</c>, one value per threshold (<see cref="Results"/>). See <see cref="ThresholdedMetric"/> for
/// <c>top_k</c> and <c>class_id</c>. No positive targets gives 0.
/// </summary>
public sealed class Recall : ThresholdedMetric
{
    private readonly double[] _tp, _fn;

    /// <summary>Creates the metric.</summary>
    public Recall(float[]? thresholds = null, int? topK = null, int? classId = null, string name = "recall") : base(topK, classId, name)
    {
        Thresholds = CheckThresholds(thresholds, topK, "Recall");
        _tp = new double[Thresholds.Length];
        _fn = new double[Thresholds.Length];
    }

    /// <summary>The decision thresholds.</summary>
    public float[] Thresholds { get; }

    // Keras: 0.5 by default, but with top_k alone the threshold is −∞ so that exactly the top k count as positive.
    internal static float[] CheckThresholds(float[]? thresholds, int? topK, string who)
    {
        if (thresholds is null) return [topK is null ? 0.5f : float.MinValue];
        if (thresholds.Length == 0) throw new ArgumentException($"{who}: thresholds must not be empty.");
        foreach (var t in thresholds)
            if (!(t is >= 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(thresholds), $"{who}: thresholds must be in [0, 1]; got {t}.");
        return (float[])thresholds.Clone();
    }

    /// <inheritdoc />
    protected override void Accumulate(bool positive, float prediction, double weight)
    {
        if (!positive) return;
        for (int i = 0; i < Thresholds.Length; i++)
            if (prediction > Thresholds[i]) _tp[i] += weight; else _fn[i] += weight;
    }

    /// <summary>The recall at each threshold.</summary>
    public double[] Results()
    {
        var r = new double[_tp.Length];
        for (int i = 0; i < r.Length; i++) r[i] = _tp[i] + _fn[i] == 0 ? 0 : _tp[i] / (_tp[i] + _fn[i]);
        return r;
    }

    /// <inheritdoc />
    public override double Result() => Thresholds.Length == 1 ? Result(0)
        : throw new InvalidOperationException($"Recall '{Name}' has {Thresholds.Length} thresholds, so it has one value per threshold: read Results() or Result(i); Fit's logs name them {Name}_{{threshold}}.");

    /// <inheritdoc />
    public override int ResultCount => Thresholds.Length;

    /// <inheritdoc />
    public override double Result(int index) => _tp[index] + _fn[index] == 0 ? 0 : _tp[index] / (_tp[index] + _fn[index]);

    /// <inheritdoc />
    public override string ResultKey(string key, int index) => ThresholdKey(key, Thresholds, index);

    /// <inheritdoc />
    public override void Reset() { Array.Clear(_tp); Array.Clear(_fn); }

    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig()
    {
        var c = BaseConfig();
        c["thresholds"] = Thresholds;
        return c;
    }
}

/// <summary>
/// Keras' <c>AUC</c>: the area under the ROC or precision–recall curve, approximated from confusion counts at
/// <c>num_thresholds</c> (default 200) evenly spaced thresholds {−1e-7, 1/(n−1), …, (n−2)/(n−1), 1 + 1e-7} (a prediction
/// above a threshold is positive). Summation <c>interpolation</c> (default: trapezoids for ROC, Davis &amp; Goadrich's
/// interpolation for PR), <c>minoring</c> or <c>majoring</c>. Predictions must lie in [0, 1] unless
/// <c>fromLogits</c> (then a sigmoid is applied). Every element counts (Keras' <c>multi_label=False</c>).
/// </summary>
public sealed class AUC : Metric
{
    private readonly float[] _thresholds;
    // Per bucket b: the weight of positives/negatives whose prediction exceeds thresholds 0..b and no more.
    private readonly double[] _posHist, _negHist;

    /// <summary>Creates the metric with Keras' argument names and defaults.</summary>
    public AUC(int numThresholds = 200, string curve = "ROC", string summationMethod = "interpolation", string name = "auc", bool fromLogits = false)
    {
        if (numThresholds <= 1) throw new ArgumentOutOfRangeException(nameof(numThresholds), $"AUC: num_thresholds must be > 1; got {numThresholds}.");
        Curve = curve.ToUpperInvariant() is "ROC" or "PR" ? curve.ToUpperInvariant()
            : throw new ArgumentException($"AUC: curve must be 'ROC' or 'PR'; got '{curve}'.");
        SummationMethod = summationMethod.ToLowerInvariant() is "interpolation" or "minoring" or "majoring" ? summationMethod.ToLowerInvariant()
            : throw new ArgumentException($"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring'; got '{summationMethod}'.");
        NumThresholds = numThresholds;
        FromLogits = fromLogits;
        Name = name;
        _thresholds = new float[numThresholds];
        _thresholds[0] = -1e-7f;
        for (int i = 1; i < numThresholds - 1; i++) _thresholds[i] = (float)(i * (1.0 / (numThresholds - 1)));
        _thresholds[numThresholds - 1] = 1f + 1e-7f;
        _posHist = new double[numThresholds + 1];
        _negHist = new double[numThresholds + 1];
    }

    /// <summary>The number of thresholds.</summary>
    public int NumThresholds { get; }

    /// <summary><c>ROC</c> or <c>PR</c>.</summary>
    public string Curve { get; }

    /// <summary><c>interpolation</c>, <c>minoring</c> or <c>majoring</c>.</summary>
    public string SummationMethod { get; }

    /// <summary>Whether predictions are logits.</summary>
    public bool FromLogits { get; }

    /// <summary>The thresholds, ascending.</summary>
    public IReadOnlyList<float> Thresholds => _thresholds;

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred) => Update(yTrue, yPred, null);

    /// <inheritdoc />
    public override void Update(Tensor yTrue, Tensor yPred, Tensor? sampleWeight)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(yPred);
        if (yTrue.Size != yPred.Size)
            throw new ShapeMismatchException($"AUC '{Name}': targets shape {yTrue.Shape} does not match predictions shape {yPred.Shape}.");
        ReadOnlySpan<float> t = yTrue.Span, p = yPred.Span;
        int n = NumThresholds;
        var w = new ValueWeights(sampleWeight, p.Length, this, yPred, "elements");
        for (int i = 0; i < p.Length; i++)
        {
            float v = FromLogits ? 1f / (1f + MathF.Exp(-p[i])) : p[i];
            if (!(v is >= 0f and <= 1f))
                throw new ArgumentException($"AUC '{Name}': prediction {p[i]} at position {i} is outside [0, 1]; pass probabilities, or fromLogits: true for logits.");
            // Count of thresholds strictly below v, found from the even spacing and then corrected exactly.
            int k = Math.Clamp((int)Math.Ceiling(v * (n - 1.0)), 1, n);
            while (k < n && _thresholds[k] < v) k++;
            while (k > 0 && _thresholds[k - 1] >= v) k--;
            if (t[i] != 0f) _posHist[k] += w[i]; else _negHist[k] += w[i];
        }
    }

    /// <summary>The confusion counts (TP, FP, TN, FN) at each threshold.</summary>
    public (double[] Tp, double[] Fp, double[] Tn, double[] Fn) ConfusionCounts()
    {
        int n = NumThresholds;
        double[] tp = new double[n], fp = new double[n], tn = new double[n], fn = new double[n];
        double pos = 0, neg = 0;
        for (int b = 0; b <= n; b++) { pos += _posHist[b]; neg += _negHist[b]; }
        // Above threshold i: every element with more than i thresholds below it (bucket > i).
        double sp = 0, sn = 0;
        for (int i = n - 1; i >= 0; i--)
        {
            sp += _posHist[i + 1];
            sn += _negHist[i + 1];
            tp[i] = sp; fp[i] = sn; fn[i] = pos - sp; tn[i] = neg - sn;
        }
        return (tp, fp, tn, fn);
    }

    private static double DivNoNan(double a, double b) => b == 0 ? 0 : a / b;

    /// <inheritdoc />
    public override double Result()
    {
        var (tp, fp, tn, fn) = ConfusionCounts();
        int n = NumThresholds;
        if (Curve == "PR" && SummationMethod == "interpolation") return InterpolatePrAuc(tp, fp, fn);
        double area = 0;
        for (int i = 0; i < n - 1; i++)
        {
            double x0, x1, y0, y1;
            if (Curve == "ROC")
            {
                x0 = DivNoNan(fp[i], fp[i] + tn[i]); x1 = DivNoNan(fp[i + 1], fp[i + 1] + tn[i + 1]);
                y0 = DivNoNan(tp[i], tp[i] + fn[i]); y1 = DivNoNan(tp[i + 1], tp[i + 1] + fn[i + 1]);
            }
            else
            {
                x0 = DivNoNan(tp[i], tp[i] + fn[i]); x1 = DivNoNan(tp[i + 1], tp[i + 1] + fn[i + 1]);
                y0 = DivNoNan(tp[i], tp[i] + fp[i]); y1 = DivNoNan(tp[i + 1], tp[i + 1] + fp[i + 1]);
            }
            double h = SummationMethod switch { "interpolation" => (y0 + y1) / 2, "minoring" => Math.Min(y0, y1), _ => Math.Max(y0, y1) };
            area += (x0 - x1) * h;
        }
        return area;
    }

    // Keras' interpolate_pr_auc (Davis & Goadrich 2006): precision interpolated linearly in TP between thresholds.
    private double InterpolatePrAuc(double[] tp, double[] fp, double[] fn)
    {
        double sum = 0;
        for (int i = 0; i < NumThresholds - 1; i++)
        {
            double dtp = tp[i] - tp[i + 1];
            double p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
            double dp = p0 - p1;
            double slope = DivNoNan(dtp, Math.Max(dp, 0));
            double intercept = tp[i + 1] - slope * p1;
            double ratio = p0 > 0 && p1 > 0 ? DivNoNan(p0, Math.Max(p1, 0)) : 1;
            sum += DivNoNan(slope * (dtp + intercept * Math.Log(ratio)), Math.Max(tp[i + 1] + fn[i + 1], 0));
        }
        return sum;
    }

    /// <inheritdoc />
    public override void Reset() { Array.Clear(_posHist); Array.Clear(_negHist); }

    /// <inheritdoc />
    public override Dictionary<string, object?>? GetConfig() => new()
    {
        ["name"] = Name, ["num_thresholds"] = NumThresholds, ["curve"] = Curve, ["summation_method"] = SummationMethod, ["from_logits"] = FromLogits,
    };
}
