using Praxis.Losses;
using Praxis.Metrics;
using Praxis.Optimizers;

namespace Praxis.Models;

public partial class Model
{
    // What Compile was given, resolved against the outputs once they are known (a subclassed model learns them at its first call).
    private Loss? _lossSpec;
    private IReadOnlyList<Loss?>? _lossListSpec;
    private IReadOnlyDictionary<string, Loss>? _lossDictSpec;
    private IReadOnlyList<float>? _weightListSpec;
    private IReadOnlyDictionary<string, float>? _weightDictSpec;
    private Metric[] _flatMetricSpec = [];
    private IReadOnlyList<IReadOnlyList<Metric>>? _metricListSpec;
    private IReadOnlyDictionary<string, IReadOnlyList<Metric>>? _metricDictSpec;
    private Metric[] _flatWeightedSpec = [];
    private IReadOnlyList<IReadOnlyList<Metric>>? _weightedListSpec;
    private IReadOnlyDictionary<string, IReadOnlyList<Metric>>? _weightedDictSpec;

    // Resolved per output.
    private int _resolvedOutputs = -1;
    private Loss?[] _losses = [];
    private float[] _lossWeights = [];
    private Metric[][] _outputMetrics = [];
    private Metric[][] _outputWeightedMetrics = [];
    private string[][][] _weightedResultKeys = []; // per output, per weighted metric, per value
    private string[][] _flatResultKeys = []; // per entry of _metrics, per value
    private string[] _lossKeys = [];
    private string[][] _metricKeys = [];
    private string[][][] _metricResultKeys = []; // per output, per metric, per value (several for a multi-threshold metric)
    private Metric[] _metrics = [];
    private readonly MeanMetric _lossTracker = new("loss");
    private MeanMetric[] _outputLossTrackers = [];
    private readonly Dictionary<string, double> _stepLogs = new();

    /// <summary>The optimizer set by <see cref="Compile(Optimizer, Loss?, IEnumerable{Metric}?, IReadOnlyList{float}?, IEnumerable{Metric}?)"/>.</summary>
    public Optimizer? Optimizer { get; private set; }

    /// <summary>The loss given to Compile when one loss serves every output; null when losses were given per output (see <see cref="Losses"/>) or none.</summary>
    public Loss? Loss { get; private set; }

    /// <summary>The loss of each output once resolved (null for an output that is not trained); empty before the outputs are known.</summary>
    public IReadOnlyList<Loss?> Losses => _losses;

    /// <summary>The weight of each output's loss in the total, once resolved.</summary>
    public IReadOnlyList<float> LossWeights => _lossWeights;

    /// <summary>
    /// The metrics <see cref="ResetMetrics"/> resets at the start of every epoch and of <c>Evaluate</c>: by default the
    /// compiled metrics, every output's in output order. A model with its own <see cref="TrainStep"/> overrides it to
    /// list its trackers (Keras' <c>metrics</c> property), e.g. <c>[_totalLoss, _reconstructionLoss, _klLoss]</c>.
    /// </summary>
    public virtual IReadOnlyList<Metric> Metrics => CompiledMetrics;

    /// <summary>The metrics given to Compile, every output's in output order, then the weighted metrics likewise.</summary>
    internal IReadOnlyList<Metric> CompiledMetrics => _resolvedOutputs < 0 ? [.. _flatMetricSpec, .. _flatWeightedSpec] : _metrics;

    /// <summary>The log key of value <paramref name="r"/> of <see cref="CompiledMetrics"/>[<paramref name="i"/>] (Keras' names, <c>weighted_</c> where a weighted metric's name is taken).</summary>
    internal string CompiledResultKey(int i, int r)
    {
        if (_resolvedOutputs >= 0) return _flatResultKeys[i][r];
        var m = CompiledMetrics[i];
        return m.ResultKey(m.Name, r);
    }

    /// <summary>Each output's compiled metrics (for saving).</summary>
    internal IEnumerable<IEnumerable<Metric>> OutputMetrics => _outputMetrics;

    /// <summary>Each output's weighted metrics (for saving).</summary>
    internal IReadOnlyList<IReadOnlyList<Metric>> OutputWeightedMetrics => _outputWeightedMetrics;

    /// <summary>The single-output metrics as given (not the weighted ones; for saving).</summary>
    internal IReadOnlyList<Metric> FlatMetrics => _resolvedOutputs == 1 ? _outputMetrics[0] : _flatMetricSpec;

    /// <summary>The single-output weighted metrics as given (for saving a model whose outputs are not resolved yet).</summary>
    internal IReadOnlyList<Metric> FlatWeightedMetrics => _resolvedOutputs == 1 ? _outputWeightedMetrics[0] : _flatWeightedSpec;

    /// <summary>True when the model computes a loss itself (Compile was given one).</summary>
    internal bool HasCompiledLoss => _lossSpec != null || _lossListSpec != null || _lossDictSpec != null;

    /// <summary>
    /// Configures training (Keras <c>compile</c>). Each argument takes a Keras string or an object:
    /// <c>Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])</c>.
    /// <c>"accuracy"</c> becomes categorical, sparse categorical or binary accuracy to fit the loss. On a model with
    /// several outputs one loss applies to every output; <paramref name="lossWeights"/> (one per output) weight them in
    /// the total, and metrics must then be given per output (the other overloads). A model with its own
    /// <see cref="TrainStep"/> may be compiled with an optimizer alone. <paramref name="weightedMetrics"/> (Keras
    /// <c>weighted_metrics</c>) are metrics that <c>Fit</c> and <c>Evaluate</c> update with the sample weights
    /// (<c>sampleWeight</c>, or <c>classWeight</c> turned into sample weights; unweighted when none are given); they log
    /// under their own names, or <c>weighted_{name}</c> when a metric in <paramref name="metrics"/> has that name, as Keras.
    /// </summary>
    public void Compile(Optimizer optimizer, Loss? loss = null, IEnumerable<Metric>? metrics = null, IReadOnlyList<float>? lossWeights = null,
        IEnumerable<Metric>? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var flat = (metrics ?? []).ToArray();
        var weighted = (weightedMetrics ?? []).ToArray();
        SetCompileSpec(optimizer, loss, null, null, lossWeights, null, flat, null, null, weighted, null, null);
    }

    /// <summary>
    /// Compiles a model with several outputs, one loss per output in output order (null leaves an output untrained),
    /// optional loss weights and metrics per output: <c>Compile("adam", ["mse", "categorical_crossentropy"],
    /// lossWeights: [1f, 0.2f], metrics: [["mae"], ["accuracy"]])</c>. Logs then carry Keras' names: <c>loss</c> (the
    /// weighted total), <c>{output}_loss</c> (each output's weighted loss) and <c>{output}_{metric}</c>.
    /// <paramref name="weightedMetrics"/> (one list per output) are updated with each output's sample weights.
    /// </summary>
    public void Compile(Optimizer optimizer, IReadOnlyList<Loss?> loss, IReadOnlyList<float>? lossWeights = null, IReadOnlyList<IReadOnlyList<Metric>>? metrics = null,
        IReadOnlyList<IReadOnlyList<Metric>>? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        SetCompileSpec(optimizer, null, loss, null, lossWeights, null, [], metrics, null, [], weightedMetrics, null);
    }

    /// <summary>Compiles a model with several outputs, losses, weights, metrics and weighted metrics keyed by output name (outputs not named get no loss).</summary>
    public void Compile(Optimizer optimizer, IReadOnlyDictionary<string, Loss> loss, IReadOnlyDictionary<string, float>? lossWeights = null,
        IReadOnlyDictionary<string, IReadOnlyList<Metric>>? metrics = null, IReadOnlyDictionary<string, IReadOnlyList<Metric>>? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        SetCompileSpec(optimizer, null, null, loss, null, lossWeights, [], null, metrics, [], null, weightedMetrics);
    }

    private void SetCompileSpec(Optimizer optimizer, Loss? loss, IReadOnlyList<Loss?>? lossList, IReadOnlyDictionary<string, Loss>? lossDict,
        IReadOnlyList<float>? weightList, IReadOnlyDictionary<string, float>? weightDict, Metric[] flat,
        IReadOnlyList<IReadOnlyList<Metric>>? metricList, IReadOnlyDictionary<string, IReadOnlyList<Metric>>? metricDict,
        Metric[] flatWeighted, IReadOnlyList<IReadOnlyList<Metric>>? weightedList, IReadOnlyDictionary<string, IReadOnlyList<Metric>>? weightedDict)
    {
        // Validate against the outputs before changing anything, so a rejected Compile leaves the model as it was.
        var old = (Optimizer, Loss, _lossSpec, _lossListSpec, _lossDictSpec, _weightListSpec, _weightDictSpec, _flatMetricSpec, _metricListSpec, _metricDictSpec);
        var oldWeighted = (_flatWeightedSpec, _weightedListSpec, _weightedDictSpec);
        (Optimizer, Loss, _lossSpec, _lossListSpec, _lossDictSpec) = (optimizer, loss, loss, lossList, lossDict);
        (_weightListSpec, _weightDictSpec, _flatMetricSpec, _metricListSpec, _metricDictSpec) = (weightList, weightDict, flat, metricList, metricDict);
        (_flatWeightedSpec, _weightedListSpec, _weightedDictSpec) = (flatWeighted, weightedList, weightedDict);
        _resolvedOutputs = -1;
        try
        {
            if (HasGraph) ResolveCompile(_outputs.Length);
            else if (lossList != null || lossDict != null || weightList is { Count: > 1 } || metricList != null || metricDict != null || weightedList != null || weightedDict != null)
                ResolveCompile(lossList?.Count ?? metricList?.Count ?? weightedList?.Count ?? weightList?.Count ?? 1);
        }
        catch
        {
            (Optimizer, Loss, _lossSpec, _lossListSpec, _lossDictSpec, _weightListSpec, _weightDictSpec, _flatMetricSpec, _metricListSpec, _metricDictSpec) = old;
            (_flatWeightedSpec, _weightedListSpec, _weightedDictSpec) = oldWeighted;
            _resolvedOutputs = -1;
            if (HasGraph) ResolveCompile(_outputs.Length);
            throw;
        }
        InvalidateSteps();
    }

    /// <summary>The name of output <paramref name="i"/> in logs and error messages (the producing layer's name, as Keras).</summary>
    internal string OutputName(int i, int count) =>
        HasGraph && i < _outputs.Length ? _outputs[i].Name : count == 1 ? "output" : $"output_{i + 1}";

    private string OutputList(int count) => string.Join(", ", Enumerable.Range(0, count).Select(i => $"'{OutputName(i, count)}'"));

    /// <summary>Resolves the compile arguments for <paramref name="count"/> outputs; throws naming the outputs when they do not fit.</summary>
    internal void ResolveCompile(int count)
    {
        if (_resolvedOutputs == count) return;
        var losses = new Loss?[count];
        var weights = new float[count];
        var metrics = new Metric[count][];
        string Outputs() => $"Model '{Name}' has {count} output(s) ({OutputList(count)})";
        if (_lossListSpec is { } ll)
        {
            if (ll.Count != count) throw new ArgumentException($"Compile: {Outputs()}; loss has {ll.Count} entries. Give one loss per output, in output order, or a dictionary by output name.");
            for (int i = 0; i < count; i++) losses[i] = ll[i];
        }
        else if (_lossDictSpec is { } ld)
        {
            foreach (var k in ld.Keys)
                if (IndexOfOutput(k, count) < 0) throw new ArgumentException($"Compile: loss names output '{k}', but {Outputs()}.");
            for (int i = 0; i < count; i++) losses[i] = ld.GetValueOrDefault(OutputName(i, count));
        }
        else for (int i = 0; i < count; i++) losses[i] = _lossSpec;

        for (int i = 0; i < count; i++) weights[i] = 1f;
        if (_weightListSpec is { } wl)
        {
            if (wl.Count != count) throw new ArgumentException($"Compile: {Outputs()}; lossWeights has {wl.Count} entries.");
            for (int i = 0; i < count; i++) weights[i] = wl[i];
        }
        else if (_weightDictSpec is { } wd)
        {
            foreach (var (k, v) in wd)
            {
                int i = IndexOfOutput(k, count);
                if (i < 0) throw new ArgumentException($"Compile: lossWeights names output '{k}', but {Outputs()}.");
                weights[i] = v;
            }
        }
        foreach (var w in weights)
            if (!float.IsFinite(w) || w < 0) throw new ArgumentOutOfRangeException(nameof(LossWeights), $"Compile: loss weights must be finite and >= 0; got {w}.");

        Metric[][] PerOutput(string what, Metric[] flat, IReadOnlyList<IReadOnlyList<Metric>>? list, IReadOnlyDictionary<string, IReadOnlyList<Metric>>? dict)
        {
            var result = new Metric[count][];
            if (list is { } ml)
            {
                if (ml.Count != count) throw new ArgumentException($"Compile: {Outputs()}; {what} has {ml.Count} lists. Give one list per output.");
                for (int i = 0; i < count; i++) result[i] = [.. ml[i]];
            }
            else if (dict is { } md)
            {
                foreach (var k in md.Keys)
                    if (IndexOfOutput(k, count) < 0) throw new ArgumentException($"Compile: {what} names output '{k}', but {Outputs()}.");
                for (int i = 0; i < count; i++) result[i] = md.TryGetValue(OutputName(i, count), out var l) ? [.. l] : [];
            }
            else
            {
                if (count > 1 && flat.Length > 0)
                    throw new ArgumentException($"Compile: {Outputs()}; a flat {what} list does not say which output it measures. Give {what} per output: a list of lists in output order, or a dictionary by output name.");
                for (int i = 0; i < count; i++) result[i] = i == 0 ? flat : [];
            }
            return result;
        }
        metrics = PerOutput("metrics", _flatMetricSpec, _metricListSpec, _metricDictSpec);
        var weighted = PerOutput("weightedMetrics", _flatWeightedSpec, _weightedListSpec, _weightedDictSpec);
        var seen = new HashSet<Metric>(ReferenceEqualityComparer.Instance);
        foreach (var ms in metrics.Concat(weighted))
            foreach (var m in ms)
                if (!seen.Add(m)) throw new ArgumentException($"Compile: metric object '{m.Name}' is given twice (for two outputs, or in both metrics and weightedMetrics); a metric keeps state, so give each place its own.");

        foreach (var l in losses)
            if (l is { IsUnreduced: true })
                throw new ArgumentException($"Compile: loss '{l.Name}' has reduction 'none', which gives one value per sample; a compiled loss must be a scalar. Use sum_over_batch_size or sum, or call the loss in a custom TrainStep.");
        _losses = losses;
        _lossWeights = weights;
        _outputMetrics = metrics;
        _outputWeightedMetrics = weighted;
        _metrics = [.. metrics.SelectMany(m => m), .. weighted.SelectMany(m => m)];
        for (int i = 0; i < count; i++)
            foreach (var m in metrics[i].Concat(weighted[i]))
                if (m is Accuracy a) a.Resolve(losses[i]?.Name);
        _lossKeys = new string[count];
        _metricKeys = new string[count][];
        _metricResultKeys = new string[count][][];
        _weightedResultKeys = new string[count][][];
        _outputLossTrackers = new MeanMetric[count];
        // Keras' CompileMetrics.result naming: {output}_{name}; a repeated name gets _1, _2, …; a weighted metric whose
        // name is taken becomes {output}_weighted_{name} (then _1, _2, … if that is taken too).
        var used = new Dictionary<string, int>();
        string Unique(string key)
        {
            if (used.TryGetValue(key, out int n)) { used[key] = n + 1; return $"{key}_{n}"; }
            used[key] = 1;
            return key;
        }
        string[][] ResultKeys(Metric[] ms, string[] keys) =>
            ms.Select((m, j) => Enumerable.Range(0, m.ResultCount).Select(r => m.ResultKey(keys[j], r)).ToArray()).ToArray();
        for (int i = 0; i < count; i++)
        {
            string prefix = count == 1 ? "" : OutputName(i, count) + "_";
            _lossKeys[i] = prefix + "loss";
            _outputLossTrackers[i] = new MeanMetric(_lossKeys[i]);
            _metricKeys[i] = metrics[i].Select(m => Unique(prefix + m.Name)).ToArray();
            _metricResultKeys[i] = ResultKeys(metrics[i], _metricKeys[i]);
        }
        for (int i = 0; i < count; i++)
        {
            string prefix = count == 1 ? "" : OutputName(i, count) + "_";
            var keys = weighted[i].Select(m => used.ContainsKey(prefix + m.Name) ? Unique(prefix + "weighted_" + m.Name) : Unique(prefix + m.Name)).ToArray();
            _weightedResultKeys[i] = ResultKeys(weighted[i], keys);
        }
        _flatResultKeys = [.. _metricResultKeys.SelectMany(k => k), .. _weightedResultKeys.SelectMany(k => k)];
        _stepLogs.Clear();
        _resolvedOutputs = count;
    }

    private int IndexOfOutput(string name, int count)
    {
        for (int i = 0; i < count; i++) if (OutputName(i, count) == name) return i;
        return -1;
    }

    /// <summary>
    /// The compiled loss of one batch: Σ weight·loss over the outputs that have a loss. Called while a step is recorded;
    /// <paramref name="perOutput"/> receives each output's weighted loss (null where none).
    /// </summary>
    internal Tensor ComputeCompiledLoss(Tensor[] targets, Tensor[] outputs, Tensor?[]? sampleWeights, out Tensor?[] perOutput)
    {
        ResolveCompile(outputs.Length);
        if (targets.Length != outputs.Length)
            throw new ArgumentException($"Model '{Name}' has {outputs.Length} output(s) ({OutputList(outputs.Length)}) but got {targets.Length} target(s). " +
                                        "Pass one target per output, in output order or as a dictionary by output name.");
        perOutput = new Tensor?[outputs.Length];
        Tensor? total = null;
        for (int i = 0; i < outputs.Length; i++)
        {
            if (_losses[i] is not { } loss) continue;
            Tensor l;
            // Each output's own weights; a single sample_weight is repeated over the outputs, as Keras 3 does.
            var sampleWeight = sampleWeights is { } sws && i < sws.Length ? sws[i] : null;
            try { l = loss.Compute(targets[i], outputs[i], sampleWeight); }
            catch (ShapeMismatchException e) when (outputs.Length > 1)
            {
                throw new ShapeMismatchException($"Output '{OutputName(i, outputs.Length)}' of model '{Name}': {e.Message}");
            }
            if (_lossWeights[i] != 1f) l = l * _lossWeights[i];
            perOutput[i] = l;
            total = total is null ? l : total + l;
        }
        if (total is null) throw new InvalidOperationException($"Model '{Name}': no output has a loss; give at least one output a loss in Compile.");
        // Keras adds model.losses (regularizers, add_loss) to the compiled loss; they are ops, so the recorded step replays them.
        foreach (var extra in AddedLosses) total = total + extra;
        return total;
    }

    /// <summary>
    /// Resets every tracker: the loss trackers and everything <see cref="Metrics"/> lists (Keras <c>reset_metrics</c>).
    /// <c>Fit</c> calls it at the start of every epoch, <c>Evaluate</c> at its start.
    /// </summary>
    public void ResetMetrics()
    {
        _lossTracker.Reset();
        foreach (var t in _outputLossTrackers) t.Reset();
        foreach (var m in _metrics) m.Reset();
        var listed = Metrics;
        for (int i = 0; i < listed.Count; i++) listed[i].Reset();
    }

    /// <summary>Folds one batch of the compiled step into the loss trackers and the compiled metrics (the weighted ones with the batch's sample weights).</summary>
    private void UpdateCompiledMetrics(CompiledStep step, int count)
    {
        _lossTracker.Add(step.Loss!.Span[0], count);
        if (_resolvedOutputs > 1)
            for (int i = 0; i < _resolvedOutputs; i++)
                if (step.OutputLosses[i] is { } l) _outputLossTrackers[i].Add(l.Span[0], count);
        for (int i = 0; i < _outputMetrics.Length; i++)
        {
            var ms = _outputMetrics[i];
            for (int j = 0; j < ms.Length; j++) ms[j].Update(step.Targets[i], step.Outputs[i]);
            var ws = _outputWeightedMetrics[i];
            var sw = step.OutputSampleWeight(i);
            for (int j = 0; j < ws.Length; j++) ws[j].Update(step.Targets[i], step.Outputs[i], sw);
        }
    }

    /// <summary>The compiled trackers' results under their log names (one reused dictionary: copy it to keep it).</summary>
    private Dictionary<string, double> CompiledLogs()
    {
        var logs = _stepLogs;
        logs["loss"] = _lossTracker.Result();
        if (_resolvedOutputs > 1)
            for (int i = 0; i < _resolvedOutputs; i++)
                if (_losses[i] != null) logs[_lossKeys[i]] = _outputLossTrackers[i].Result();
        for (int i = 0; i < _outputMetrics.Length; i++)
        {
            var ms = _outputMetrics[i];
            for (int j = 0; j < ms.Length; j++)
            {
                var keys = _metricResultKeys[i][j];
                for (int r = 0; r < keys.Length; r++) logs[keys[r]] = ms[j].Result(r);
            }
            var ws = _outputWeightedMetrics[i];
            for (int j = 0; j < ws.Length; j++)
            {
                var keys = _weightedResultKeys[i][j];
                for (int r = 0; r < keys.Length; r++) logs[keys[r]] = ws[j].Result(r);
            }
        }
        return logs;
    }
}
