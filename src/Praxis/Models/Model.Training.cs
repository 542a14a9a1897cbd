using System.Reflection;
using Praxis.Callbacks;
using Praxis.Metrics;

namespace Praxis.Models;

public partial class Model
{
    private readonly Dictionary<long, CompiledStep> _steps = new(); // training steps; key: batch size · 4 + mode
    // Inference steps (Evaluate, Predict) are rented, one caller at a time each, so concurrent Predict calls each get
    // their own placeholders and buffers; the pool keeps the idle ones.
    private readonly Dictionary<long, Stack<CompiledStep>> _idleSteps = new();
    private readonly object _evaluateGate = new();
    private Dictionary<string, double> _logs = new();
    private int[] _order = [];
    private int _training; // 1 while Fit or TrainOnBatch runs: training is single-caller

    private const int ModeTrain = 0, ModeTest = 1, ModePredict = 2;

    /// <summary>Set by a callback to end <c>Fit</c>: checked after every batch (the epoch then ends early, still running
    /// validation and the epoch-end hooks) and before every epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>Drops recorded steps (after the graph, the loss or trainability changed).</summary>
    protected void InvalidateSteps()
    {
        _steps.Clear();
        lock (_idleSteps) _idleSteps.Clear();
    }

    // ------------------------------------------------------------------ the overridable steps

    /// <summary>
    /// One training step on one batch, Keras 3's <c>train_step(data)</c>: returns the logs <c>Fit</c> shows and records
    /// (running means over the epoch so far). The default runs the compiled loss: forward, backward, optimizer step, then
    /// updates the loss trackers and compiled metrics. Override it for a model that computes its own losses (a VAE, a
    /// GAN, contrastive or distillation training): compute a loss from <paramref name="data"/> with
    /// <c>Apply(…, training: true)</c>, call <see cref="ApplyGradients"/>, update your trackers (list them in
    /// <see cref="Metrics"/> so each epoch resets them) and return their results. <c>Fit</c> still drives epochs,
    /// shuffling, progress, callbacks, validation (through <see cref="TestStep"/>), checkpoints and <c>BackupAndRestore</c>.
    /// </summary>
    protected virtual Dictionary<string, double> TrainStep(Batch data)
    {
        var step = data.Step;
        RequireLoss("Fit");
        step.Forward();
        var ps = step.TrainableWeights;
        Optimizer!.ZeroGrad(ps);
        step.Backward();
        StepOptimizer(ps);
        UpdateCompiledMetrics(step, data.Size);
        return CompiledLogs();
    }

    /// <summary>
    /// One evaluation step on one batch, Keras 3's <c>test_step(data)</c>: the default runs the compiled loss in inference
    /// mode and updates the trackers; returns the logs (running means since <see cref="ResetMetrics"/>).
    /// </summary>
    protected virtual Dictionary<string, double> TestStep(Batch data)
    {
        var step = data.Step;
        RequireLoss("Evaluate");
        step.Forward();
        UpdateCompiledMetrics(step, data.Size);
        return CompiledLogs();
    }

    /// <summary>
    /// The gradient step of a custom <see cref="TrainStep"/>: zeroes the gradients of <paramref name="weights"/> (the
    /// model's trainable weights by default), backpropagates from <paramref name="loss"/> and lets the optimizer update
    /// them (Keras' <c>tape.gradient</c> plus <c>optimizer.apply_gradients</c>). Under data-parallel training the
    /// gradients are combined over every process here, before the update, so a custom step must apply its gradients
    /// through this method (an optimizer stepped directly would update each process on its own shard alone, and Fit
    /// refuses that); <paramref name="loss"/> should be a mean over the batch, as Keras' losses are.
    /// </summary>
    protected void ApplyGradients(Tensor loss, IReadOnlyList<Tensor>? weights = null)
    {
        ArgumentNullException.ThrowIfNull(loss);
        var opt = Optimizer ?? throw new InvalidOperationException($"ApplyGradients: model '{Name}' is not compiled; call Compile(optimizer) first.");
        var ps = weights ?? TrainableWeights;
        opt.ZeroGrad(ps);
        loss.Backward();
        StepOptimizer(ps);
    }

    /// <summary>Set by a distribution strategy while a step runs: combines the gradients of the processes before each update.</summary>
    internal IGradientReducer? GradientReducer { get; set; }

    private void StepOptimizer(IReadOnlyList<Tensor> ps)
    {
        GradientReducer?.Reduce(ps);
        Optimizer!.Step(ps);
    }

    private static readonly Dictionary<Type, (bool Train, bool Test)> Overrides = new();

    /// <summary>Whether this model's class overrides TrainStep / TestStep (a type's methods, looked up once per type).</summary>
    private (bool Train, bool Test) StepOverrides()
    {
        var type = GetType();
        lock (Overrides)
        {
            if (Overrides.TryGetValue(type, out var known)) return known;
            static bool Declared(Type t, string name) =>
                t.GetMethod(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [typeof(Batch)])!.DeclaringType != typeof(Model);
            return Overrides[type] = (Declared(type, nameof(TrainStep)), Declared(type, nameof(TestStep)));
        }
    }

    // ------------------------------------------------------------------ fit

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over (<paramref name="x"/>, <paramref name="y"/>), Keras <c>fit</c>:
    /// mini-batches of <paramref name="batchSize"/>, reshuffled every epoch when <paramref name="shuffle"/>; the last
    /// <paramref name="validationSplit"/> fraction of the samples (taken before shuffling) or
    /// <paramref name="validationData"/> is evaluated after each epoch. <paramref name="verbose"/>: 0 silent, 1 progress
    /// bar (one line per epoch when output is not a terminal), 2 one line per epoch. <paramref name="y"/> may be omitted
    /// for a model whose <see cref="TrainStep"/> needs no targets.
    /// </summary>
    /// <remarks>A Fit that throws (bad data, a failing callback, a layer's error, or <paramref name="cancellationToken"/>
    /// cancelled, e.g. from <c>Console.CancelKeyPress</c> for Ctrl+C, which ends Fit after the batch in flight with an
    /// <see cref="OperationCanceledException"/>) restores the weights, the optimizer's state and the random generators to
    /// what they were before the call, so a corrected call starts from the same place. To stop early and keep what was
    /// trained, set <see cref="StopTraining"/> instead (as Keras' <c>stop_training</c>).
    /// <para><c>sampleWeight</c> (Keras <c>sample_weight</c>) weighs each sample's loss: one weight per sample, or the
    /// per-sample loss shape (e.g. (samples, steps)); the compiled loss is then Σ loss·w divided by the number of values
    /// (Keras 3's <c>sum_over_batch_size</c>; <c>mean_with_sample_weight</c> divides by Σw). <c>classWeight</c> (Keras
    /// <c>class_weight</c>) maps a class index to the weight of every sample of that class (classes not named weigh 1):
    /// the class is the target itself for class ids (samples) or (samples, 1) (rounded, as Keras), the arg-max for one-hot
    /// targets (samples, classes). It needs a single output and cannot be combined with <c>sampleWeight</c>, as in Keras.
    /// A model with several outputs takes one tensor for all of them, or one per output (<see cref="SampleWeights"/>: a
    /// <c>Tensor[]</c> in output order or a dictionary by output name), each weighing that output's loss.
    /// With <c>validationSplit</c> the sample weights are split too; class weights apply to training only. The weights
    /// also reach the compiled metrics given as <c>weightedMetrics</c>.</para></remarks>
    /// <returns>The per-epoch history of loss and metrics.</returns>
    public History Fit(Tensor x, Tensor? y = null, int epochs = 1, int batchSize = 32, int verbose = 1,
        IEnumerable<Callback>? callbacks = null, double validationSplit = 0, (Tensor X, Tensor Y)? validationData = null,
        bool shuffle = true, int initialEpoch = 0, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<int, float>? classWeight = null, SampleWeights? sampleWeight = null) =>
        Fit([x], Targets(y), epochs, batchSize, verbose, callbacks, validationSplit,
            validationData is { } v ? ([v.X], [v.Y]) : null, shuffle, initialEpoch, cancellationToken, classWeight, sampleWeight);

    /// <summary>Trains a model with several inputs; see the single-input overload.</summary>
    public History Fit(Tensor[] x, Tensor? y, int epochs = 1, int batchSize = 32, int verbose = 1,
        IEnumerable<Callback>? callbacks = null, double validationSplit = 0, (Tensor[] X, Tensor Y)? validationData = null,
        bool shuffle = true, int initialEpoch = 0, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<int, float>? classWeight = null, SampleWeights? sampleWeight = null) =>
        Fit(x, Targets(y), epochs, batchSize, verbose, callbacks, validationSplit,
            validationData is { } v ? (v.X, [v.Y]) : null, shuffle, initialEpoch, cancellationToken, classWeight, sampleWeight);

    /// <summary>Trains a single-input model with several outputs: one target per output, in output order.</summary>
    public History Fit(Tensor x, Tensor[] y, int epochs = 1, int batchSize = 32, int verbose = 1,
        IEnumerable<Callback>? callbacks = null, double validationSplit = 0, (Tensor X, Tensor[] Y)? validationData = null,
        bool shuffle = true, int initialEpoch = 0, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<int, float>? classWeight = null, SampleWeights? sampleWeight = null) =>
        Fit([x], y, epochs, batchSize, verbose, callbacks, validationSplit,
            validationData is { } v ? ([v.X], v.Y) : null, shuffle, initialEpoch, cancellationToken, classWeight, sampleWeight);

    /// <summary>Trains a model with several outputs whose targets are keyed by output name (Keras' dict of targets).</summary>
    public History Fit(Tensor[] x, IReadOnlyDictionary<string, Tensor> y, int epochs = 1, int batchSize = 32, int verbose = 1,
        IEnumerable<Callback>? callbacks = null, double validationSplit = 0, (Tensor[] X, IReadOnlyDictionary<string, Tensor> Y)? validationData = null,
        bool shuffle = true, int initialEpoch = 0, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<int, float>? classWeight = null, SampleWeights? sampleWeight = null) =>
        Fit(x, TargetsByName(y, "y"), epochs, batchSize, verbose, callbacks, validationSplit,
            validationData is { } v ? (v.X, TargetsByName(v.Y, "validation y")) : null, shuffle, initialEpoch, cancellationToken, classWeight, sampleWeight);

    /// <summary>Trains a model with several inputs and outputs: one target per output, in output order (none for a model whose <see cref="TrainStep"/> needs none).</summary>
    public History Fit(Tensor[] x, Tensor[] y, int epochs = 1, int batchSize = 32, int verbose = 1,
        IEnumerable<Callback>? callbacks = null, double validationSplit = 0, (Tensor[] X, Tensor[] Y)? validationData = null,
        bool shuffle = true, int initialEpoch = 0, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<int, float>? classWeight = null, SampleWeights? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (Interlocked.Exchange(ref _training, 1) == 1)
            throw new InvalidOperationException($"Fit: model '{Name}' is already training on another call; training a model is single-caller.");
        try
        {
            var strategy = Distribution ?? LocalFit.Instance;
            // Holding the evaluation gate keeps another thread's Evaluate from resetting this Fit's trackers mid-epoch.
            lock (_evaluateGate)
            try { return FitCore(strategy, x, y, epochs, batchSize, verbose, callbacks, validationSplit, validationData, shuffle, initialEpoch, cancellationToken, classWeight, sampleWeight); }
            catch (Exception e) when (strategy.ShouldAbort(e)) { strategy.AbortJob(e); throw; }
        }
        finally
        {
            _fitSampleWeight = null;
            Volatile.Write(ref _training, 0);
        }
    }

    private static Tensor[] Targets(Tensor? y) => y is null ? [] : [y];

    /// <summary>The training weights of the Fit in progress, one entry per output (null when unweighted); batches gather their rows.</summary>
    private Tensor?[]? _fitSampleWeight;

    /// <summary>
    /// Resolves <paramref name="sw"/> to one entry per output (the same tensor in every entry when one serves all), each
    /// checked against <paramref name="n"/> samples; null when nothing is weighted.
    /// </summary>
    private Tensor?[]? ResolveSampleWeights(SampleWeights? sw, int n, int targets, string what)
    {
        if (sw is null) return null;
        int outputs = HasGraph ? _outputs.Length : Math.Max(1, targets);
        var r = new Tensor?[outputs];
        if (sw.Shared is { } shared) Array.Fill(r, shared);
        else if (sw.List is { } list)
        {
            if (list.Count != outputs)
                throw new ArgumentException($"{what}: model '{Name}' has {outputs} output(s) ({OutputList(outputs)}) but sampleWeight has {list.Count} entries. " +
                                            "Give one tensor for every output, one per output in output order (null for an unweighted output), or a dictionary by output name.");
            for (int i = 0; i < outputs; i++) r[i] = list[i];
        }
        else
        {
            var byName = sw.ByName!;
            foreach (var k in byName.Keys)
                if (IndexOfOutput(k, outputs) < 0) throw new ArgumentException($"{what}: sampleWeight names output '{k}', but model '{Name}' has outputs {OutputList(outputs)}.");
            for (int i = 0; i < outputs; i++) r[i] = byName.GetValueOrDefault(OutputName(i, outputs));
        }
        bool any = false;
        for (int i = 0; i < outputs; i++)
        {
            if (r[i] is not { } t) continue;
            any = true;
            if (CompiledStep.FirstIndex(r, i) == i) CheckSampleWeight(t, n, sw.Shared != null || outputs == 1 ? what : $"{what} (output '{OutputName(i, outputs)}')");
        }
        return any ? r : null;
    }

    /// <summary>Rows [start, start+count) of every weight, a tensor shared by several outputs sliced once.</summary>
    private static Tensor?[] SliceWeights(Tensor?[] ws, int start, int count)
    {
        var r = new Tensor?[ws.Length];
        for (int i = 0; i < ws.Length; i++)
        {
            int first = CompiledStep.FirstIndex(ws, i);
            r[i] = ws[i] is null ? null : first < i ? r[first] : ws[i]!.SliceRows(start, count);
        }
        return r;
    }

    /// <summary>Checks a sampleWeight: one row per sample, finite, non-negative.</summary>
    private void CheckSampleWeight(Tensor? sw, int n, string what)
    {
        if (sw is null) return;
        if (sw.Rank == 0 || sw.Shape[0] != n)
            throw new ArgumentException($"{what}: model '{Name}': sampleWeight must have one weight per sample: expected {n} rows (shape ({n}) or ({n}, …)), got {(sw.Rank == 0 ? 0 : sw.Shape[0])} (shape {sw.Shape}).");
        sw.EnsureFinite("sampleWeight");
        foreach (var v in sw.Span)
            if (v < 0) throw new ArgumentOutOfRangeException(nameof(sw), $"{what}: model '{Name}': sampleWeight must be >= 0; got {v}.");
    }

    /// <summary>
    /// Keras 3's <c>class_weight_to_sample_weights</c>: the class of each sample is its target for ids of shape (n) or
    /// (n, 1), rounded, or the arg-max of a (n, classes) one-hot target; the weight is classWeight[class], or 1.
    /// </summary>
    private Tensor ClassWeightsToSampleWeights(IReadOnlyDictionary<int, float> classWeight, Tensor[] y)
    {
        int outputs = HasGraph ? _outputs.Length : y.Length;
        if (outputs != 1 || y.Length != 1)
            throw new ArgumentException($"Fit: classWeight is only supported for a model with a single output; model '{Name}' has {outputs} ({OutputList(outputs)}). Give sampleWeight instead.");
        foreach (var (k, cwv) in classWeight)
            if (!float.IsFinite(cwv) || cwv < 0) throw new ArgumentOutOfRangeException(nameof(classWeight), $"Fit: classWeight[{k}] must be finite and >= 0; got {cwv}.");
        var t = y[0];
        int n = t.Shape[0];
        if (t.Rank > 2)
            throw new ShapeMismatchException($"Fit: classWeight needs one class per sample: targets of shape ({n}) or ({n}, 1) (class ids) or ({n}, classes) (one-hot); got shape {t.Shape}. Give sampleWeight of the per-sample loss shape instead.");
        if (t.Rank == 2 && t.Shape[1] > 1 && _losses.Length == 1 && _losses[0] is Losses.SparseCategoricalCrossentropy)
            throw new ShapeMismatchException($"Fit: classWeight with loss 'sparse_categorical_crossentropy' and targets of shape {t.Shape}: these are class ids per step, not one per sample, so no class weight applies per sample. Give sampleWeight of shape {t.Shape} instead.");
        var w = new float[n];
        ReadOnlySpan<float> v = t.Span;
        int c = t.Rank == 2 ? t.Shape[1] : 1;
        for (int i = 0; i < n; i++)
        {
            int cls = c == 1 ? (int)MathF.Round(v[i]) : Praxis.Metrics.CategoricalAccuracy.ArgMax(v.Slice(i * c, c));
            w[i] = classWeight.TryGetValue(cls, out var cw) ? cw : 1f;
        }
        return Tensor.FromArray(w, n);
    }

    /// <summary>Orders targets keyed by output name; names the outputs when a key is unknown or one is missing.</summary>
    private Tensor[] TargetsByName(IReadOnlyDictionary<string, Tensor> y, string what)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (!HasGraph) throw new InvalidOperationException($"{what}: model '{Name}' has no named outputs; pass targets as an array in output order.");
        int count = _outputs.Length;
        foreach (var k in y.Keys)
            if (IndexOfOutput(k, count) < 0) throw new ArgumentException($"{what} names output '{k}', but model '{Name}' has outputs {OutputList(count)}.");
        var result = new Tensor[count];
        for (int i = 0; i < count; i++)
            result[i] = y.TryGetValue(OutputName(i, count), out var t) ? t
                : throw new ArgumentException($"{what} has no target for output '{OutputName(i, count)}' of model '{Name}' (outputs {OutputList(count)}).");
        return result;
    }

    private History FitCore(FitStrategy strategy, Tensor[] x, Tensor[] y, int epochs, int batchSize, int verbose,
        IEnumerable<Callback>? callbacks, double validationSplit, (Tensor[] X, Tensor[] Y)? validationData,
        bool shuffle, int initialEpoch, CancellationToken cancellationToken, IReadOnlyDictionary<int, float>? classWeight, SampleWeights? sampleWeights)
    {
        RequireOptimizer("Fit");
        cancellationToken.ThrowIfCancellationRequested();
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), "epochs must be >= 0.");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}.");
        if (validationSplit is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationSplit), "validationSplit must be in [0, 1).");
        var overrides = StepOverrides();
        int n = CheckData(x, y, "x", "y", needTargets: !overrides.Train);
        var sampleWeight = ResolveSampleWeights(sampleWeights, n, y.Length, "Fit");
        if (classWeight != null)
        {
            if (sampleWeights != null) throw new ArgumentException($"Fit: model '{Name}' got both classWeight and sampleWeight; give one (as Keras, which cannot use both at once).");
            sampleWeight = [ClassWeightsToSampleWeights(classWeight, y)];
        }
        if (sampleWeight != null && Distribution != null)
            throw new NotSupportedException($"Fit: model '{Name}' has a Distribution ({Distribution.GetType().Name}); sampleWeight and classWeight are not supported with data-parallel training yet.");
        Tensor?[]? trainWeight = sampleWeight, valWeight = null;

        Tensor[] trainX = x, valX = [];
        Tensor[] trainY = y;
        Tensor[]? valY = null;
        if (validationData is { } vd)
        {
            CheckData(vd.X, vd.Y, "validation x", "validation y", needTargets: !overrides.Test);
            valX = vd.X; valY = vd.Y;
        }
        else if (validationSplit > 0)
        {
            int split = (int)(n * (1 - validationSplit));
            if (split <= 0 || split >= n) throw new ArgumentException($"validationSplit {validationSplit} leaves no training or no validation samples out of {n}.");
            trainX = x.Select(t => t.SliceRows(0, split)).ToArray();
            valX = x.Select(t => t.SliceRows(split, n - split)).ToArray();
            trainY = y.Select(t => t.SliceRows(0, split)).ToArray();
            valY = y.Select(t => t.SliceRows(split, n - split)).ToArray();
            if (sampleWeight != null && classWeight == null)
            {
                trainWeight = SliceWeights(sampleWeight, 0, split);
                valWeight = SliceWeights(sampleWeight, split, n - split);
            }
            else if (sampleWeight != null) trainWeight = SliceWeights(sampleWeight, 0, split);
            n = split;
        }
        if (valY != null && !overrides.Test) RequireLoss("Fit (validation)");

        // The strategy decides how batches run (here, or a share on each of several processes); the loop is the same.
        strategy.Check(this, overrides.Train || overrides.Test, y.Length);
        int steps = strategy.StepsPerEpoch(n, batchSize);
        if (!strategy.Reports) verbose = 0;
        // Keras order: the caller's callbacks first, then History and the progress logger, so that what a callback adds
        // to the epoch logs (e.g. learning_rate from ReduceLROnPlateau) is recorded and shown. A History or
        // ProgressLogger passed in replaces the default one.
        var cbs = new List<Callback>();
        if (callbacks != null) cbs.AddRange(callbacks);
        var history = cbs.OfType<History>().FirstOrDefault();
        if (history == null) cbs.Add(history = new History());
        if (verbose > 0 && !cbs.Any(c => c is ProgressLogger)) cbs.Add(new ProgressLogger(verbose));
        var parameters = new Dictionary<string, object> { ["epochs"] = epochs, ["steps"] = steps, ["verbose"] = verbose };
        if (!strategy.Reports) cbs.RemoveAll(c => c.RootRankOnly);

        // Everything Fit changes, kept so that a failure leaves the model as it found it.
        var before = TrainingState.Capture(this);
        _fitSampleWeight = trainWeight;
        try
        {
            foreach (var cb in cbs) { cb.Model = this; cb.Params = parameters; }
            StopTraining = false;
            var logs = _logs = new Dictionary<string, double>();
            if (_order.Length != n) _order = new int[n];
            ResumeEpoch = null;
            strategy.BeginFit(this, n, batchSize, epochs, initialEpoch, shuffle);
            foreach (var cb in cbs) cb.OnTrainBegin(logs);
            // A callback restoring a backup (BackupAndRestore) skips the epochs that already finished.
            if (ResumeEpoch is int resume) { initialEpoch = Math.Max(initialEpoch, resume); ResumeEpoch = null; }
            for (int epoch = initialEpoch; epoch < epochs && !strategy.AgreeStop(this); epoch++)
            {
                logs.Clear();
                foreach (var cb in cbs) cb.OnEpochBegin(epoch, logs);
                for (int i = 0; i < n; i++) _order[i] = i;
                if (shuffle) Rng.Global.Shuffle(_order);
                strategy.BeginEpoch(_order, shuffle);
                ResetMetrics();
                for (int b = 0; b < steps; b++)
                {
                    foreach (var cb in cbs) cb.OnTrainBatchBegin(b, logs);
                    strategy.TrainBatch(this, b, batchSize, n, trainX, trainY, logs);
                    foreach (var cb in cbs) cb.OnTrainBatchEnd(b, logs);
                    cancellationToken.ThrowIfCancellationRequested();
                    if (strategy.LeaveEpoch(this)) break; // e.g. TerminateOnNaN: leave the epoch now, as Keras does
                }
                strategy.EndEpoch();
                if (valY != null)
                {
                    foreach (var cb in cbs) cb.OnTestBegin(NoLogs);
                    var val = valWeight != null ? EvaluateCore(valX, valY, batchSize, valWeight) : strategy.Evaluate(this, valX, valY, batchSize);
                    foreach (var cb in cbs) cb.OnTestEnd(val);
                    foreach (var (k, v) in val) logs["val_" + k] = v;
                }
                foreach (var cb in cbs) cb.OnEpochEnd(epoch, logs);
            }
            foreach (var cb in cbs) cb.OnTrainEnd(logs);
        }
        catch
        {
            before.Restore(this);
            throw;
        }
        return history;
    }

    private static void CopyLogs(Dictionary<string, double> from, Dictionary<string, double> to)
    {
        if (ReferenceEquals(from, to)) return;
        foreach (var (k, v) in from) to[k] = v;
    }

    /// <summary>
    /// One gradient step on one batch (Keras <c>train_on_batch</c>); returns the batch's loss and metrics.
    /// </summary>
    public Dictionary<string, double> TrainOnBatch(Tensor x, Tensor? y = null) => TrainOnBatch([x], Targets(y));

    /// <summary>One gradient step on one batch of a multi-input model.</summary>
    public Dictionary<string, double> TrainOnBatch(Tensor[] x, Tensor? y) => TrainOnBatch(x, Targets(y));

    /// <summary>One gradient step on one batch of a model with several inputs and/or outputs (one target per output).</summary>
    public Dictionary<string, double> TrainOnBatch(Tensor[] x, Tensor[] y)
    {
        RequireOptimizer("TrainOnBatch");
        int n = CheckData(x, y, "x", "y", needTargets: !StepOverrides().Train);
        if (Interlocked.Exchange(ref _training, 1) == 1)
            throw new InvalidOperationException($"TrainOnBatch: model '{Name}' is already training on another call; training a model is single-caller.");
        try
        {
            lock (_evaluateGate)
            {
                var step = GetStep(n, ModeTrain, x, y);
                for (int i = 0; i < x.Length; i++) CopyRows(x[i], 0, step.Inputs[i]);
                for (int i = 0; i < y.Length; i++) CopyRows(y[i], 0, step.Targets[i]);
                ResetMetrics();
                return new Dictionary<string, double>(TrainStep(step.Batch));
            }
        }
        finally { Volatile.Write(ref _training, 0); }
    }

    /// <summary>Loss and metrics on one batch without updating weights (Keras <c>test_on_batch</c>).</summary>
    public Dictionary<string, double> TestOnBatch(Tensor x, Tensor? y = null) => TestOnBatch([x], Targets(y));

    /// <summary>Loss and metrics on one batch of a multi-input model without updating weights.</summary>
    public Dictionary<string, double> TestOnBatch(Tensor[] x, Tensor? y) => TestOnBatch(x, Targets(y));

    /// <summary>Loss and metrics on one batch of a model with several inputs and/or outputs.</summary>
    public Dictionary<string, double> TestOnBatch(Tensor[] x, Tensor[] y)
    {
        RequireOptimizer("TestOnBatch");
        int n = CheckData(x, y, "x", "y", needTargets: !StepOverrides().Test);
        lock (_evaluateGate)
        {
            var step = RentStep(n, ModeTest, x, y);
            try
            {
                for (int i = 0; i < x.Length; i++) CopyRows(x[i], 0, step.Inputs[i]);
                for (int i = 0; i < y.Length; i++) CopyRows(y[i], 0, step.Targets[i]);
                ResetMetrics();
                return new Dictionary<string, double>(TestStep(step.Batch));
            }
            finally { ReturnStep(step); }
        }
    }

    // ------------------------------------------------------------------ evaluate / predict

    /// <summary>Loss and metrics over a dataset in inference mode (Keras <c>evaluate</c> with <c>return_dict=True</c>).</summary>
    /// <param name="x">The inputs.</param>
    /// <param name="y">The targets.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="verbose">0 silent, else one summary line.</param>
    /// <param name="callbacks">Get <c>OnTestBegin</c>/<c>OnTestEnd</c>.</param>
    /// <param name="sampleWeight">Per-sample weights (Keras <c>sample_weight</c>), one per sample (or the per-sample loss
    /// shape): the loss is Σ loss·w / (number of values) for <c>sum_over_batch_size</c>, and <c>weightedMetrics</c> weigh by them.
    /// For several outputs: one tensor for all, or one per output (<see cref="SampleWeights"/>).</param>
    public Dictionary<string, double> Evaluate(Tensor x, Tensor? y = null, int batchSize = 32, int verbose = 0, IEnumerable<Callback>? callbacks = null,
        SampleWeights? sampleWeight = null) =>
        Evaluate([x], Targets(y), batchSize, verbose, callbacks, sampleWeight);

    /// <summary>Loss and metrics of a multi-input model over a dataset.</summary>
    public Dictionary<string, double> Evaluate(Tensor[] x, Tensor? y, int batchSize = 32, int verbose = 0, IEnumerable<Callback>? callbacks = null,
        SampleWeights? sampleWeight = null) =>
        Evaluate(x, Targets(y), batchSize, verbose, callbacks, sampleWeight);

    /// <summary>Loss and metrics of a single-input model with several outputs (one target per output).</summary>
    public Dictionary<string, double> Evaluate(Tensor x, Tensor[] y, int batchSize = 32, int verbose = 0, IEnumerable<Callback>? callbacks = null,
        SampleWeights? sampleWeight = null) =>
        Evaluate([x], y, batchSize, verbose, callbacks, sampleWeight);

    /// <summary>Loss and metrics of a model with several inputs and/or outputs over a dataset; <paramref name="callbacks"/> get <c>OnTestBegin</c>/<c>OnTestEnd</c>.</summary>
    public Dictionary<string, double> Evaluate(Tensor[] x, Tensor[] y, int batchSize = 32, int verbose = 0, IEnumerable<Callback>? callbacks = null,
        SampleWeights? sampleWeight = null)
    {
        RequireOptimizer("Evaluate");
        int n = CheckData(x, y, "x", "y", needTargets: !StepOverrides().Test);
        var weights = ResolveSampleWeights(sampleWeight, n, y.Length, "Evaluate");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}.");
        Dictionary<string, double> result;
        // Evaluate folds batches into the model's metric trackers, so callers take turns (a Fit's own validation holds
        // the gate already); Predict keeps no such state and runs in parallel.
        var cbs = Attach(callbacks);
        foreach (var cb in cbs) cb.OnTestBegin(NoLogs);
        lock (_evaluateGate) result = EvaluateCore(x, y, batchSize, weights);
        foreach (var cb in cbs) cb.OnTestEnd(result);
        if (verbose > 0)
        {
            var sb = new System.Text.StringBuilder("evaluate:");
            ProgressLogger.AppendLogs(sb, result);
            Console.WriteLine(sb.ToString());
        }
        return result;
    }

    private Dictionary<string, double> EvaluateCore(Tensor[] x, Tensor[] y, int batchSize, Tensor?[]? sw)
    {
        int n = x[0].Shape[0];
        ResetMetrics();
        Dictionary<string, double>? last = null;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var step = RentStep(count, ModeTest, x, y, sw);
            try
            {
                for (int i = 0; i < x.Length; i++) CopyRows(x[i], start, step.Inputs[i]);
                for (int i = 0; i < y.Length; i++) CopyRows(y[i], start, step.Targets[i]);
                if (sw != null)
                    for (int i = 0; i < sw.Length; i++)
                        if (sw[i] is { } w && CompiledStep.FirstIndex(sw, i) == i) CopyRows(w, start, step.SampleWeights![i]!);
                last = TestStep(step.Batch);
            }
            finally { ReturnStep(step); }
        }
        return new Dictionary<string, double>(last ?? CompiledLogs());
    }

    /// <summary>Outputs for every sample, in inference mode, computed in batches (Keras <c>predict</c>).</summary>
    public Tensor Predict(Tensor x, int batchSize = 32, IEnumerable<Callback>? callbacks = null) => PredictMany([x], batchSize, callbacks)[0];

    /// <summary>Outputs of a multi-input model for every sample.</summary>
    public Tensor Predict(Tensor[] x, int batchSize = 32, IEnumerable<Callback>? callbacks = null) => PredictMany(x, batchSize, callbacks)[0];

    /// <summary>Every output of the model for every sample; <paramref name="callbacks"/> get <c>OnPredictBegin</c>/<c>OnPredictEnd</c>.</summary>
    public Tensor[] PredictMany(Tensor[] x, int batchSize = 32, IEnumerable<Callback>? callbacks = null)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}.");
        int n = CheckData(x, [], "x", null, needTargets: false);
        var cbs = Attach(callbacks);
        foreach (var cb in cbs) cb.OnPredictBegin(NoLogs);
        var outputs = PredictCore(x, n, batchSize);
        foreach (var cb in cbs) cb.OnPredictEnd(NoLogs);
        return outputs;
    }

    private static readonly IReadOnlyDictionary<string, double> NoLogs = new Dictionary<string, double>();

    private Callback[] Attach(IEnumerable<Callback>? callbacks)
    {
        var cbs = callbacks?.ToArray() ?? [];
        foreach (var cb in cbs) cb.Model = this;
        return cbs;
    }

    private Tensor[] PredictCore(Tensor[] x, int n, int batchSize)
    {
        Tensor[]? results = null;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var step = RentStep(count, ModePredict, x, []);
            try
            {
                for (int i = 0; i < x.Length; i++) CopyRows(x[i], start, step.Inputs[i]);
                step.Forward();
                results ??= step.Outputs.Select(o => new Tensor(o.Shape.With(0, n))).ToArray();
                for (int o = 0; o < results.Length; o++) step.Outputs[o].Span.CopyTo(results[o].SliceRows(start, count).Span);
            }
            finally { ReturnStep(step); }
        }
        return results ?? _outputs.Select(o => new Tensor(o.Shape.With(0, 0))).ToArray();
    }

    // ------------------------------------------------------------------ plumbing

    private void RequireOptimizer(string what)
    {
        if (Optimizer == null)
            throw new InvalidOperationException($"{what}: model '{Name}' is not compiled; call Compile(optimizer, loss, metrics) first.");
    }

    private void RequireLoss(string what)
    {
        if (!HasCompiledLoss)
            throw new InvalidOperationException($"{what}: model '{Name}' was compiled without a loss; give Compile a loss, or override TrainStep/TestStep to compute one.");
    }

    /// <summary>Validates data against the model: counts, shapes, finiteness. Returns the number of samples.</summary>
    private int CheckData(Tensor[] x, Tensor[] y, string xName, string? yName, bool needTargets)
    {
        if (x.Length == 0) throw new ArgumentException($"{xName}: no input tensors.");
        foreach (var t in x)
            if (t.Rank == 0) throw new ShapeMismatchException($"{xName} must have a batch dimension; got a scalar.");
        if (!HasGraph) EnsureGraph(x.Select(t => t.Shape).ToArray());
        if (IsSubclassed) SubclassInputShapes ??= x.Select(t => t.Shape.With(0, -1)).ToArray();
        if (HasGraph && x.Length != _inputs.Length) throw new ArgumentException($"Model '{Name}' takes {_inputs.Length} input(s); {xName} has {x.Length}.");
        int n = x[0].Shape[0];
        for (int i = 0; i < x.Length; i++)
        {
            if (HasGraph) CheckInputShape(i, x[i].Shape, x.Length == 1 ? xName : $"{xName}[{i}]");
            if (x[i].Shape[0] != n) throw new ArgumentException($"{xName}[0] has {n} samples but {xName}[{i}] has {x[i].Shape[0]}; they must match.");
            x[i].EnsureFinite(x.Length == 1 ? xName : $"{xName}[{i}]");
        }
        if (needTargets && yName != null)
        {
            int outputs = HasGraph ? _outputs.Length : -1;
            if (y.Length == 0)
                throw new ArgumentException($"{yName}: model '{Name}' computes its compiled loss against targets; none were given.");
            if (outputs >= 0 && y.Length != outputs)
                throw new ArgumentException($"Model '{Name}' has {outputs} output(s) ({OutputList(outputs)}) but {yName} has {y.Length} target(s). " +
                                            "Pass one target per output, in output order or as a dictionary by output name.");
        }
        for (int i = 0; i < y.Length; i++)
        {
            string name = y.Length == 1 ? yName! : $"{yName}[{i}]";
            ArgumentNullException.ThrowIfNull(y[i], name);
            if (y[i].Rank == 0 || y[i].Shape[0] != n)
                throw new ArgumentException($"{xName} has {n} samples but {name} has {(y[i].Rank == 0 ? 0 : y[i].Shape[0])}; they must match.");
            y[i].EnsureFinite(name);
        }
        return n;
    }

    private CompiledStep GetStep(int batch, int mode, Tensor[] x, Tensor[] y, Tensor?[]? sw = null)
    {
        long version = StructureVersion;
        long key = (long)batch * 4 + mode;
        if (_steps.TryGetValue(key, out var step) && step.Version == version && step.Matches(x, y, sw)) return step;
        return CreateStep(batch, mode, x, y, key, version, sw);
    }

    /// <summary>An inference step for this caller alone: an idle one that fits, or a new one. Give it back with <see cref="ReturnStep"/>.</summary>
    private CompiledStep RentStep(int batch, int mode, Tensor[] x, Tensor[] y, Tensor?[]? sw = null)
    {
        long version = StructureVersion;
        long key = (long)batch * 4 + mode;
        lock (_idleSteps)
        {
            if (_idleSteps.TryGetValue(key, out var idle))
                while (idle.Count > 0)
                {
                    var step = idle.Pop();
                    if (step.Version == version && step.Matches(x, y, sw)) return step;
                }
        }
        return NewStep(batch, mode, x, y, version, sw);
    }

    private void ReturnStep(CompiledStep step)
    {
        long key = step.Key;
        lock (_idleSteps)
        {
            if (!_idleSteps.TryGetValue(key, out var idle)) _idleSteps[key] = idle = new Stack<CompiledStep>();
            if (idle.Count < MaxIdleSteps) idle.Push(step);
        }
    }

    /// <summary>Idle inference steps kept per batch size and mode (one per concurrent caller, up to this many).</summary>
    private const int MaxIdleSteps = 16;

    private CompiledStep NewStep(int batch, int mode, Tensor[] x, Tensor[] y, long version, Tensor?[]? sw = null)
    {
        var inShapes = x.Select(t => t.Shape.With(0, batch)).ToArray();
        var targetShapes = mode == ModePredict ? [] : y.Select(t => t.Shape.With(0, batch)).ToArray();
        bool withLoss = mode != ModePredict && HasCompiledLoss;
        return new CompiledStep(this, inShapes, targetShapes, mode == ModeTrain, withLoss, eager: !ReplaySafe, version,
            mode == ModePredict ? null : sw, batch) { Key = (long)batch * 4 + mode };
    }

    // Separate from GetStep so the captured state is allocated only when a step is created, not on every lookup.
    private CompiledStep CreateStep(int batch, int mode, Tensor[] x, Tensor[] y, long key, long version, Tensor?[]? sw)
    {
        if (_steps.Count > 0 && _steps.Values.First().Version != version) _steps.Clear();
        var step = NewStep(batch, mode, x, y, version, sw);
        _steps[key] = step;
        return step;
    }

    /// <summary>Copies the rows of <paramref name="source"/> starting at row <paramref name="start"/> into <paramref name="dest"/> (which fixes the count).</summary>
    private static void CopyRows(Tensor source, int start, Tensor dest)
    {
        int row = source.Shape[0] == 0 ? 0 : source.Size / source.Shape[0];
        source.CopyTo(dest.Span, start * row);
    }

    /// <summary>Copies rows order[start..start+count) of <paramref name="source"/> into <paramref name="dest"/>.</summary>
    private static void GatherRows(Tensor source, int[] order, int start, int count, Tensor dest)
    {
        int row = source.Shape[0] == 0 ? 0 : source.Size / source.Shape[0];
        Span<float> dst = dest.Span;
        for (int i = 0; i < count; i++) source.CopyTo(dst.Slice(i * row, row), order[start + i] * row);
    }
}
