using Praxis.Callbacks;
using Praxis.Losses;
using Praxis.Metrics;
using Praxis.Optimizers;

namespace Praxis.Models;

public partial class Model
{
    private readonly Dictionary<long, CompiledStep> _steps = new(); // key: batch size · 4 + mode
    private Dictionary<string, double> _logs = new();
    private int[] _order = [];

    private const int ModeTrain = 0, ModeTest = 1, ModePredict = 2;

    /// <summary>The optimizer set by <see cref="Compile"/>.</summary>
    public Optimizer? Optimizer { get; private set; }

    /// <summary>The loss set by <see cref="Compile"/>.</summary>
    public Loss? Loss { get; private set; }

    /// <summary>The metrics set by <see cref="Compile"/>.</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    private Metric[] _metrics = [];

    /// <summary>Set by a callback to end <see cref="Fit(Tensor, Tensor, int, int, int, IEnumerable{Callback}?, double, ValueTuple{Tensor, Tensor}?, bool, int)"/>:
    /// checked after every batch (the epoch then ends early, still running validation and the epoch-end hooks) and before every epoch.</summary>
    public bool StopTraining { get; set; }

    /// <summary>
    /// Configures training (Keras <c>compile</c>). Each argument takes a Keras string or an object:
    /// <c>Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])</c>.
    /// <c>"accuracy"</c> becomes categorical, sparse categorical or binary accuracy to fit the loss.
    /// </summary>
    public void Compile(Optimizer optimizer, Loss loss, IEnumerable<Metric>? metrics = null)
    {
        Optimizer = optimizer;
        Loss = loss;
        _metrics = (metrics ?? []).ToArray();
        foreach (var m in _metrics)
            if (m is Accuracy a) a.Resolve(loss.Name);
        InvalidateSteps();
    }

    /// <summary>Drops recorded steps (after the graph, the loss or trainability changed).</summary>
    protected void InvalidateSteps() => _steps.Clear();

    // ------------------------------------------------------------------ fit

    /// <summary>
    /// Trains for <paramref name="epochs"/> passes over (<paramref name="x"/>, <paramref name="y"/>), Keras <c>fit</c>:
    /// mini-batches of <paramref name="batchSize"/>, reshuffled every epoch when <paramref name="shuffle"/>; the last
    /// <paramref name="validationSplit"/> fraction of the samples (taken before shuffling) or
    /// <paramref name="validationData"/> is evaluated after each epoch. <paramref name="verbose"/>: 0 silent, 1 progress
    /// bar (one line per epoch when output is not a terminal), 2 one line per epoch.
    /// </summary>
    /// <returns>The per-epoch history of loss and metrics.</returns>
    public History Fit(Tensor x, Tensor y, int epochs = 1, int batchSize = 32, int verbose = 1,
        IEnumerable<Callback>? callbacks = null, double validationSplit = 0, (Tensor X, Tensor Y)? validationData = null,
        bool shuffle = true, int initialEpoch = 0) =>
        Fit([x], y, epochs, batchSize, verbose, callbacks, validationSplit,
            validationData is { } v ? ([v.X], v.Y) : null, shuffle, initialEpoch);

    /// <summary>Trains a model with several inputs; see the single-input overload.</summary>
    public History Fit(Tensor[] x, Tensor y, int epochs = 1, int batchSize = 32, int verbose = 1,
        IEnumerable<Callback>? callbacks = null, double validationSplit = 0, (Tensor[] X, Tensor Y)? validationData = null,
        bool shuffle = true, int initialEpoch = 0)
    {
        RequireCompiled("Fit");
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), "epochs must be >= 0.");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}.");
        if (validationSplit is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationSplit), "validationSplit must be in [0, 1).");
        int n = CheckData(x, y, "x", "y");

        Tensor[] trainX = x, valX = [];
        Tensor trainY = y;
        Tensor? valY = null;
        if (validationData is { } vd)
        {
            CheckData(vd.X, vd.Y, "validation x", "validation y");
            valX = vd.X; valY = vd.Y;
        }
        else if (validationSplit > 0)
        {
            int split = (int)(n * (1 - validationSplit));
            if (split <= 0 || split >= n) throw new ArgumentException($"validationSplit {validationSplit} leaves no training or no validation samples out of {n}.");
            trainX = x.Select(t => t.SliceRows(0, split)).ToArray();
            valX = x.Select(t => t.SliceRows(split, n - split)).ToArray();
            trainY = y.SliceRows(0, split);
            valY = y.SliceRows(split, n - split);
            n = split;
        }

        int steps = (n + batchSize - 1) / batchSize;
        // Keras order: the caller's callbacks first, then History and the progress logger, so that what a callback adds
        // to the epoch logs (e.g. learning_rate from ReduceLROnPlateau) is recorded and shown. A History or
        // ProgressLogger passed in replaces the default one.
        var cbs = new List<Callback>();
        if (callbacks != null) cbs.AddRange(callbacks);
        var history = cbs.OfType<History>().FirstOrDefault();
        if (history == null) cbs.Add(history = new History());
        if (verbose > 0 && !cbs.Any(c => c is ProgressLogger)) cbs.Add(new ProgressLogger(verbose));
        var parameters = new Dictionary<string, object> { ["epochs"] = epochs, ["steps"] = steps, ["verbose"] = verbose };
        foreach (var cb in cbs) { cb.Model = this; cb.Params = parameters; }

        StopTraining = false;
        var logs = _logs = new Dictionary<string, double>();
        var lossMean = new MeanMetric("loss");
        if (_order.Length != n) _order = new int[n];
        foreach (var cb in cbs) cb.OnTrainBegin(logs);
        for (int epoch = initialEpoch; epoch < epochs && !StopTraining; epoch++)
        {
            logs.Clear();
            foreach (var cb in cbs) cb.OnEpochBegin(epoch, logs);
            for (int i = 0; i < n; i++) _order[i] = i;
            if (shuffle) Rng.Global.Shuffle(_order);
            lossMean.Reset();
            foreach (var m in _metrics) m.Reset();
            for (int b = 0; b < steps; b++)
            {
                int start = b * batchSize, count = Math.Min(batchSize, n - start);
                foreach (var cb in cbs) cb.OnTrainBatchBegin(b, logs);
                var step = GetStep(count, ModeTrain, trainX, trainY);
                for (int i = 0; i < trainX.Length; i++) GatherRows(trainX[i], _order, start, count, step.Inputs[i]);
                GatherRows(trainY, _order, start, count, step.Target!);
                float loss = TrainStep(step);
                lossMean.Add(loss, count);
                logs["loss"] = lossMean.Result();
                foreach (var m in _metrics)
                {
                    m.Update(step.Target!, step.Outputs[0]);
                    logs[m.Name] = m.Result();
                }
                foreach (var cb in cbs) cb.OnTrainBatchEnd(b, logs);
                if (StopTraining) break; // e.g. TerminateOnNaN: leave the epoch now, as Keras does
            }
            if (valY != null)
            {
                var val = EvaluateCore(valX, valY, batchSize);
                foreach (var (k, v) in val) logs["val_" + k] = v;
            }
            foreach (var cb in cbs) cb.OnEpochEnd(epoch, logs);
        }
        foreach (var cb in cbs) cb.OnTrainEnd(logs);
        return history;
    }

    private float TrainStep(CompiledStep step)
    {
        step.Forward();
        var ps = _trainable!;
        Optimizer!.ZeroGrad(ps);
        step.Backward();
        Optimizer.Step(ps);
        return step.Loss!.Span[0];
    }

    private IReadOnlyList<Tensor>? _trainable;

    /// <summary>
    /// One gradient step on one batch (Keras <c>train_on_batch</c>); returns the batch's loss and metrics.
    /// </summary>
    public Dictionary<string, double> TrainOnBatch(Tensor x, Tensor y) => TrainOnBatch([x], y);

    /// <summary>One gradient step on one batch of a multi-input model.</summary>
    public Dictionary<string, double> TrainOnBatch(Tensor[] x, Tensor y)
    {
        RequireCompiled("TrainOnBatch");
        int n = CheckData(x, y, "x", "y");
        var step = GetStep(n, ModeTrain, x, y);
        for (int i = 0; i < x.Length; i++) CopyRows(x[i], 0, step.Inputs[i]);
        CopyRows(y, 0, step.Target!);
        float loss = TrainStep(step);
        return BatchLogs(step, loss);
    }

    /// <summary>Loss and metrics on one batch without updating weights (Keras <c>test_on_batch</c>).</summary>
    public Dictionary<string, double> TestOnBatch(Tensor x, Tensor y) => TestOnBatch([x], y);

    /// <summary>Loss and metrics on one batch of a multi-input model without updating weights.</summary>
    public Dictionary<string, double> TestOnBatch(Tensor[] x, Tensor y)
    {
        RequireCompiled("TestOnBatch");
        int n = CheckData(x, y, "x", "y");
        var step = GetStep(n, ModeTest, x, y);
        for (int i = 0; i < x.Length; i++) CopyRows(x[i], 0, step.Inputs[i]);
        CopyRows(y, 0, step.Target!);
        step.Forward();
        return BatchLogs(step, step.Loss!.Span[0]);
    }

    private Dictionary<string, double> BatchLogs(CompiledStep step, float loss)
    {
        var logs = new Dictionary<string, double> { ["loss"] = loss };
        foreach (var m in _metrics)
        {
            m.Reset();
            m.Update(step.Target!, step.Outputs[0]);
            logs[m.Name] = m.Result();
        }
        return logs;
    }

    // ------------------------------------------------------------------ evaluate / predict

    /// <summary>Loss and metrics over a dataset in inference mode (Keras <c>evaluate</c> with <c>return_dict=True</c>).</summary>
    public Dictionary<string, double> Evaluate(Tensor x, Tensor y, int batchSize = 32, int verbose = 0) => Evaluate([x], y, batchSize, verbose);

    /// <summary>Loss and metrics of a multi-input model over a dataset.</summary>
    public Dictionary<string, double> Evaluate(Tensor[] x, Tensor y, int batchSize = 32, int verbose = 0)
    {
        RequireCompiled("Evaluate");
        CheckData(x, y, "x", "y");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}.");
        var result = EvaluateCore(x, y, batchSize);
        if (verbose > 0)
        {
            var sb = new System.Text.StringBuilder("evaluate:");
            ProgressLogger.AppendLogs(sb, result);
            Console.WriteLine(sb.ToString());
        }
        return result;
    }

    private Dictionary<string, double> EvaluateCore(Tensor[] x, Tensor y, int batchSize)
    {
        int n = y.Shape[0];
        var lossMean = new MeanMetric("loss");
        foreach (var m in _metrics) m.Reset();
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var step = GetStep(count, ModeTest, x, y);
            for (int i = 0; i < x.Length; i++) CopyRows(x[i], start, step.Inputs[i]);
            CopyRows(y, start, step.Target!);
            step.Forward();
            lossMean.Add(step.Loss!.Span[0], count);
            foreach (var m in _metrics) m.Update(step.Target!, step.Outputs[0]);
        }
        var result = new Dictionary<string, double> { ["loss"] = lossMean.Result() };
        foreach (var m in _metrics) result[m.Name] = m.Result();
        return result;
    }

    /// <summary>Outputs for every sample, in inference mode, computed in batches (Keras <c>predict</c>).</summary>
    public Tensor Predict(Tensor x, int batchSize = 32) => PredictMany([x], batchSize)[0];

    /// <summary>Outputs of a multi-input model for every sample.</summary>
    public Tensor Predict(Tensor[] x, int batchSize = 32) => PredictMany(x, batchSize)[0];

    /// <summary>Every output of the model for every sample.</summary>
    public Tensor[] PredictMany(Tensor[] x, int batchSize = 32)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}.");
        int n = CheckData(x, null, "x", null);
        Tensor[]? results = null;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var step = GetStep(count, ModePredict, x, null);
            for (int i = 0; i < x.Length; i++) CopyRows(x[i], start, step.Inputs[i]);
            step.Forward();
            results ??= step.Outputs.Select(o => new Tensor(o.Shape.With(0, n))).ToArray();
            for (int o = 0; o < results.Length; o++) step.Outputs[o].Span.CopyTo(results[o].SliceRows(start, count).Span);
        }
        return results ?? _outputs.Select(o => new Tensor(o.Shape.With(0, 0))).ToArray();
    }

    // ------------------------------------------------------------------ plumbing

    private void RequireCompiled(string what)
    {
        if (Optimizer == null || Loss == null)
            throw new InvalidOperationException($"{what}: model '{Name}' is not compiled; call Compile(optimizer, loss, metrics) first.");
    }

    /// <summary>Validates data against the model: counts, shapes, finiteness. Returns the number of samples.</summary>
    private int CheckData(Tensor[] x, Tensor? y, string xName, string? yName)
    {
        if (x.Length == 0) throw new ArgumentException($"{xName}: no input tensors.");
        foreach (var t in x)
            if (t.Rank == 0) throw new ShapeMismatchException($"{xName} must have a batch dimension; got a scalar.");
        if (!HasGraph) EnsureGraph(x.Select(t => t.Shape).ToArray());
        if (x.Length != _inputs.Length) throw new ArgumentException($"Model '{Name}' takes {_inputs.Length} input(s); {xName} has {x.Length}.");
        int n = x[0].Shape[0];
        for (int i = 0; i < x.Length; i++)
        {
            CheckInputShape(i, x[i].Shape, x.Length == 1 ? xName : $"{xName}[{i}]");
            if (x[i].Shape[0] != n) throw new ArgumentException($"{xName}[0] has {n} samples but {xName}[{i}] has {x[i].Shape[0]}; they must match.");
            x[i].EnsureFinite(x.Length == 1 ? xName : $"{xName}[{i}]");
        }
        if (y != null)
        {
            if (y.Rank == 0 || y.Shape[0] != n)
                throw new ArgumentException($"{xName} has {n} samples but {yName} has {(y.Rank == 0 ? 0 : y.Shape[0])}; they must match.");
            y.EnsureFinite(yName!);
        }
        return n;
    }

    private CompiledStep GetStep(int batch, int mode, Tensor[] x, Tensor? y)
    {
        long version = StructureVersion;
        long key = (long)batch * 4 + mode;
        if (_steps.TryGetValue(key, out var step) && step.Version == version) return step;
        return CreateStep(batch, mode, x, y, key, version);
    }

    // Separate from GetStep so the lambdas' captured state is allocated only when a step is created, not on every lookup.
    private CompiledStep CreateStep(int batch, int mode, Tensor[] x, Tensor? y, long key, long version)
    {
        if (_steps.Count > 0 && _steps.Values.First().Version != version) _steps.Clear();
        var inShapes = x.Select(t => t.Shape.With(0, batch)).ToArray();
        Shape? targetShape = y?.Shape.With(0, batch);
        Func<Tensor, Tensor, Tensor>? loss = mode == ModePredict ? null : Loss!.Compute;
        var step = new CompiledStep(this, inShapes, targetShape, mode == ModeTrain, loss, version);
        _steps[key] = step;
        if (mode == ModeTrain) _trainable = TrainableWeights;
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
