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

    // Resolved per output.
    private int _resolvedOutputs = -1;
    private Loss?[] _losses = [];
    private float[] _lossWeights = [];
    private Metric[][] _outputMetrics = [];
    private string[] _lossKeys = [];
    private string[][] _metricKeys = [];
    private string[][][] _metricResultKeys = []; // per output, per metric, per value (several for a multi-threshold metric)
    private Metric[] _metrics = [];
    private readonly MeanMetric _lossTracker = new("loss");
    private MeanMetric[] _outputLossTrackers = [];
    private readonly Dictionary<string, double> _stepLogs = new();

    /// <summary>The optimizer set by <see cref="Compile(Optimizer, Loss?, IEnumerable{Metric}?, IReadOnlyList{float}?)"/>.</summary>
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

    /// <summary>The metrics given to Compile, every output's in output order.</summary>
    internal IReadOnlyList<Metric> CompiledMetrics => _resolvedOutputs < 0 ? _flatMetricSpec : _metrics;

    /// <summary>Each output's compiled metrics (for saving).</summary>
    internal IEnumerable<IEnumerable<Metric>> OutputMetrics => _outputMetrics;

    /// <summary>True when the model computes a loss itself (Compile was given one).</summary>
    internal bool HasCompiledLoss => _lossSpec != null || _lossListSpec != null || _lossDictSpec != null;

    /// <summary>
    /// Configures training (Keras <c>compile</c>). Each argument takes a Keras string or an object:
    /// <c>Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])</c>.
    /// <c>"accuracy"</c> becomes categorical, sparse categorical or binary accuracy to fit the loss. On a model with
    /// several outputs one loss applies to every output; <paramref name="lossWeights"/> (one per output) weight them in
    /// the total, and metrics must then be given per output (the other overloads). A model with its own
    /// <see cref="TrainStep"/> may be compiled with an optimizer alone.
    /// </summary>
    public void Compile(Optimizer optimizer, Loss? loss = null, IEnumerable<Metric>? metrics = null, IReadOnlyList<float>? lossWeights = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        var flat = (metrics ?? []).ToArray();
        SetCompileSpec(optimizer, loss, null, null, lossWeights, null, flat, null, null);
    }

    /// <summary>
    /// Compiles a model with several outputs, one loss per output in output order (null leaves an output untrained),
    /// optional loss weights and metrics per output: <c>Compile("adam", ["mse", "categorical_crossentropy"],
    /// lossWeights: [1f, 0.2f], metrics: [["mae"], ["accuracy"]])</c>. Logs then carry Keras' names: <c>loss</c> (the
    /// weighted total), <c>{output}_loss</c> (each output's weighted loss) and <c>{output}_{metric}</c>.
    /// </summary>
    public void Compile(Optimizer optimizer, IReadOnlyList<Loss?> loss, IReadOnlyList<float>? lossWeights = null, IReadOnlyList<IReadOnlyList<Metric>>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        SetCompileSpec(optimizer, null, loss, null, lossWeights, null, [], metrics, null);
    }

    /// <summary>Compiles a model with several outputs, losses, weights and metrics keyed by output name (outputs not named get no loss).</summary>
    public void Compile(Optimizer optimizer, IReadOnlyDictionary<string, Loss> loss, IReadOnlyDictionary<string, float>? lossWeights = null,
        IReadOnlyDictionary<string, IReadOnlyList<Metric>>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        SetCompileSpec(optimizer, null, null, loss, null, lossWeights, [], null, metrics);
    }

    private void SetCompileSpec(Optimizer optimizer, Loss? loss, IReadOnlyList<Loss?>? lossList, IReadOnlyDictionary<string, Loss>? lossDict,
        IReadOnlyList<float>? weightList, IReadOnlyDictionary<string, float>? weightDict, Metric[] flat,
        IReadOnlyList<IReadOnlyList<Metric>>? metricList, IReadOnlyDictionary<string, IReadOnlyList<Metric>>? metricDict)
    {
        // Validate against the outputs before changing anything, so a rejected Compile leaves the model as it was.
        var old = (Optimizer, Loss, _lossSpec, _lossListSpec, _lossDictSpec, _weightListSpec, _weightDictSpec, _flatMetricSpec, _metricListSpec, _metricDictSpec);
        (Optimizer, Loss, _lossSpec, _lossListSpec, _lossDictSpec) = (optimizer, loss, loss, lossList, lossDict);
        (_weightListSpec, _weightDictSpec, _flatMetricSpec, _metricListSpec, _metricDictSpec) = (weightList, weightDict, flat, metricList, metricDict);
        _resolvedOutputs = -1;
        try
        {
            if (HasGraph) ResolveCompile(_outputs.Length);
            else if (lossList != null || lossDict != null || weightList is { Count: > 1 } || metricList != null || metricDict != null)
                ResolveCompile(lossList?.Count ?? metricList?.Count ?? weightList?.Count ?? 1);
        }
        catch
        {
            (Optimizer, Loss, _lossSpec, _lossListSpec, _lossDictSpec, _weightListSpec, _weightDictSpec, _flatMetricSpec, _metricListSpec, _metricDictSpec) = old;
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

        if (_metricListSpec is { } ml)
        {
            if (ml.Count != count) throw new ArgumentException($"Compile: {Outputs()}; metrics has {ml.Count} lists. Give one list per output.");
            for (int i = 0; i < count; i++) metrics[i] = [.. ml[i]];
        }
        else if (_metricDictSpec is { } md)
        {
            foreach (var k in md.Keys)
                if (IndexOfOutput(k, count) < 0) throw new ArgumentException($"Compile: metrics names output '{k}', but {Outputs()}.");
            for (int i = 0; i < count; i++) metrics[i] = md.TryGetValue(OutputName(i, count), out var l) ? [.. l] : [];
        }
        else
        {
            if (count > 1 && _flatMetricSpec.Length > 0)
                throw new ArgumentException($"Compile: {Outputs()}; a flat metrics list does not say which output it measures. Give metrics per output: a list of lists in output order, or a dictionary by output name.");
            for (int i = 0; i < count; i++) metrics[i] = i == 0 ? _flatMetricSpec : [];
        }
        var seen = new HashSet<Metric>(ReferenceEqualityComparer.Instance);
        foreach (var ms in metrics)
            foreach (var m in ms)
                if (!seen.Add(m)) throw new ArgumentException($"Compile: metric object '{m.Name}' is given for two outputs; a metric keeps state, so give each output its own.");

        foreach (var l in losses)
            if (l is { IsUnreduced: true })
                throw new ArgumentException($"Compile: loss '{l.Name}' has reduction 'none', which gives one value per sample; a compiled loss must be a scalar. Use sum_over_batch_size or sum, or call the loss in a custom TrainStep.");
        _losses = losses;
        _lossWeights = weights;
        _outputMetrics = metrics;
        _metrics = metrics.SelectMany(m => m).ToArray();
        for (int i = 0; i < count; i++)
            foreach (var m in metrics[i])
                if (m is Accuracy a) a.Resolve(losses[i]?.Name);
        _lossKeys = new string[count];
        _metricKeys = new string[count][];
        _metricResultKeys = new string[count][][];
        _outputLossTrackers = new MeanMetric[count];
        for (int i = 0; i < count; i++)
        {
            string prefix = count == 1 ? "" : OutputName(i, count) + "_";
            _lossKeys[i] = prefix + "loss";
            _outputLossTrackers[i] = new MeanMetric(_lossKeys[i]);
            _metricKeys[i] = metrics[i].Select(m => prefix + m.Name).ToArray();
            _metricResultKeys[i] = metrics[i].Select((m, j) => Enumerable.Range(0, m.ResultCount).Select(r => m.ResultKey(_metricKeys[i][j], r)).ToArray()).ToArray();
        }
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
    internal Tensor ComputeCompiledLoss(Tensor[] targets, Tensor[] outputs, Tensor? sampleWeight, out Tensor?[] perOutput)
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
            // One sample weight serves every output, as Keras 3 repeats a single sample_weight over the outputs.
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

    /// <summary>Folds one batch of the compiled step into the loss trackers and the compiled metrics.</summary>
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
        }
        return logs;
    }
}
