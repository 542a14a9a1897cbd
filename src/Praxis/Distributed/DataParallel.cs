using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Praxis.Autograd;
using Praxis.Models;

namespace Praxis.Distributed;

/// <summary>
/// Data-parallel training over an <see cref="IProcessGroup"/>, as Horovod or PyTorch DDP do it (Keras 3 calls the
/// strategy <c>keras.distribution.DataParallel</c>). Every rank builds the same model, sets
/// <c>model.Distribution = new DataParallel(group)</c> and calls <c>Fit</c> with the same arguments; then:
/// <list type="bullet">
/// <item>rank 0's weights are broadcast to every rank when <c>Fit</c> starts (after a check that all ranks agree on the
/// model's shapes, the data size and the Fit arguments);</item>
/// <item>every epoch, rank 0's shuffled sample order is broadcast, and each global batch of
/// <c>batchSize × Size</c> samples is split into disjoint per-rank slices of <c>batchSize</c> (so
/// <c>batchSize</c> is the per-rank batch, as in Horovod and DDP);</item>
/// <item>after backward, the gradients are summed over ranks, each rank's weighted by its share of the global batch, so
/// the update is that of one process training on the global batch; they live in one flat buffer, all-reduced in
/// buckets that start while backward is still running when the model is larger than a bucket;</item>
/// <item>loss and metrics in the logs are averages over all ranks' samples (exact for sample means such as loss,
/// accuracy, mse, mae), so callbacks that steer training decide alike on every rank; validation data is split
/// across ranks and its results combined the same way;</item>
/// <item>at each epoch end the non-trainable weights (moving statistics) are set to rank 0's;</item>
/// <item>a model with its own <c>TrainStep</c>, or with several outputs, runs that step on each rank's slice; each
/// <c>ApplyGradients</c> in it combines the ranks' gradients before the update (a step that calls its optimizer
/// directly is refused), and its logs are combined afterwards;</item>
/// <item>only rank 0 prints progress and runs callbacks whose <c>RootRankOnly</c> is true (those that print or write files);</item>
/// <item>if <c>Fit</c> fails on one rank, that rank reports the error and aborts the whole job
/// (<see cref="AbortOnError"/>), since the other ranks would otherwise wait forever in their next all-reduce.</item>
/// </list>
/// <c>Evaluate</c>, <c>Predict</c> and <c>TrainOnBatch</c> stay local to each rank. <c>StopTraining</c> set on any rank
/// stops every rank at the same point (the flag travels with the gradients, and once more before each epoch), so a
/// callback may stop on a rank-local reason (a clock) without leaving the others waiting. Callbacks that change the
/// learning rate must decide from the logs, which are identical on every rank.
/// </summary>
public sealed class DataParallel : FitStrategy, IBackwardObserver, IGradientReducer
{
    private Tensor[] _params = [];
    private Tensor[] _nonTrainable = [];
    private readonly Dictionary<Tensor, int> _paramIndex = new(ReferenceEqualityComparer.Instance);
    private float[] _flat = [];                  // [gradients of _params, reversed order | tail: loss sum, samples, stop votes, metric sums]
    private int _gradLength, _tailOffset, _tailLength;
    private int[] _bucketStart = [], _bucketLength = [], _bucketGradLength = [], _bucketParamEnd = [];
    private PendingReduce[] _pending = [];
    private readonly Dictionary<CompiledStep, int[]> _readyAt = new(ReferenceEqualityComparer.Instance);
    private int[] _ready = [];
    private int _next, _oldest;
    private float _scale;
    private double _lossSum;
    private long _seen;
    private long _commTicks;
    private bool _stopAgreed;
    // The general path (a custom TrainStep, several outputs): gradients reduced inside ApplyGradients, logs after the step.
    private bool _general;
    private float[] _reduceBuffer = [];
    private int _applied;
    private readonly List<string> _logKeys = [];
    private readonly Dictionary<string, double> _lastLogs = new();
    private const int TailLoss = 0, TailSeen = 1, TailStop = 2, TailMetrics = 3;

    /// <summary>Creates the strategy over <paramref name="group"/>.</summary>
    /// <param name="group">The ranks taking part (e.g. <c>MpiProcessGroup.Initialize()</c>).</param>
    /// <param name="bucketSizeMB">Gradient bucket size in MiB (PyTorch DDP's <c>bucket_cap_mb</c>, same default 25):
    /// the gradients are all-reduced in buckets of about this size, each started as soon as backward has finished it.</param>
    /// <param name="abortOnError">Abort every rank when Fit fails on one (see <see cref="AbortOnError"/>).</param>
    public DataParallel(IProcessGroup group, double bucketSizeMB = 25, bool abortOnError = true)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!(bucketSizeMB > 0)) throw new ArgumentOutOfRangeException(nameof(bucketSizeMB), $"bucketSizeMB must be positive; got {bucketSizeMB}.");
        Group = group;
        BucketSizeMB = bucketSizeMB;
        AbortOnError = abortOnError;
    }

    /// <summary>The ranks taking part.</summary>
    public IProcessGroup Group { get; }

    /// <summary>This process's rank.</summary>
    public int Rank => Group.Rank;

    /// <summary>The number of ranks.</summary>
    public int Size => Group.Size;

    /// <summary>True on rank 0, the rank that prints progress and writes files.</summary>
    public bool IsRoot => Group.Rank == 0;

    /// <summary>Gradient bucket size in MiB.</summary>
    public double BucketSizeMB { get; }

    /// <summary>
    /// When Fit throws on one rank of several: print the error with the rank and abort every rank
    /// (<see cref="IProcessGroup.Abort"/>) instead of leaving the others blocked. Errors that every rank detects together
    /// (a <see cref="DistributedSetupException"/>) are thrown normally.
    /// </summary>
    public bool AbortOnError { get; }

    /// <summary>The number of gradient buckets of the last Fit.</summary>
    public int BucketCount => _bucketStart.Length;

    /// <summary>Training steps taken since the last <see cref="ResetStats"/>.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// Seconds the training thread spent inside gradient all-reduce calls (start, progress, wait) since the last
    /// <see cref="ResetStats"/>: the communication not hidden behind backward.
    /// </summary>
    public double CommunicationSeconds => _commTicks / (double)Stopwatch.Frequency;

    /// <summary>
    /// Buckets whose all-reduce started while backward still had ops to run (overlapping communication with
    /// computation), since the last <see cref="ResetStats"/>. Zero with a single bucket, which starts when backward ends.
    /// </summary>
    public long OverlappedBuckets { get; private set; }

    /// <summary>Zeroes <see cref="Steps"/>, <see cref="CommunicationSeconds"/> and <see cref="OverlappedBuckets"/>.</summary>
    public void ResetStats()
    {
        Steps = 0;
        _commTicks = 0;
        OverlappedBuckets = 0;
    }

    // ------------------------------------------------------------------ Fit hooks (called by Model.Fit)

    /// <summary>Training steps per epoch: global batches of <paramref name="batchSize"/> × <see cref="Size"/>.</summary>
    internal override int StepsPerEpoch(int n, int batchSize)
    {
        long global = (long)batchSize * Size;
        return (int)((n + global - 1) / global);
    }

    /// <summary>Checks that all ranks agree, broadcasts rank 0's weights and lays out the flat gradient buffer.</summary>
    internal override void BeginFit(Model model, int n, int batchSize, int epochs, int initialEpoch, bool shuffle)
    {
        var ps = model.TrainableWeights;
        var ws = model.Weights;
        long[] mine =
        [
            n, batchSize, epochs, initialEpoch, shuffle ? 1 : 0, ps.Count, SizeOf(ps), ws.Count, SizeOf(ws),
            ShapeHash(ws), MetricSlots(model.CompiledMetrics), model.Optimizer!.Iterations,
        ];
        var root = (long[])mine.Clone();
        Group.Broadcast(MemoryMarshal.AsBytes(root.AsSpan()), 0);
        string? diff = null;
        for (int i = 0; i < mine.Length && diff == null; i++)
            if (mine[i] != root[i])
                diff = $"rank {Rank} of {Size} disagrees with rank 0 on {SignatureNames[i]}: {mine[i]} here, {root[i]} on rank 0. " +
                       "Every rank must build the same model, load the same data and call Fit with the same arguments.";
        Span<float> bad = [diff == null ? 0 : 1];
        Group.AllReduce(bad);
        if (bad[0] > 0)
            throw new DistributedSetupException(diff ?? $"Data-parallel Fit: {bad[0]} rank(s) disagree with rank 0 on the model, the data or the Fit arguments; their errors say how.");

        foreach (var w in ws) Group.Broadcast(w.Span, 0);
        _nonTrainable = [.. model.NonTrainableWeights];
        Layout(ps, MetricSlots(model.CompiledMetrics));
    }

    private static readonly string[] SignatureNames =
    [
        "the number of training samples", "the batch size", "epochs", "initialEpoch", "shuffle", "the number of trainable weights",
        "the number of trainable parameters", "the number of weights", "the number of parameters", "the weight shapes",
        "the number of metrics", "the optimizer's iterations",
    ];

    private static long SizeOf(IReadOnlyList<Tensor> ts)
    {
        long s = 0;
        foreach (var t in ts) s += t.Size;
        return s;
    }

    private static long ShapeHash(IReadOnlyList<Tensor> ts)
    {
        // FNV-1a over the dimensions: equal models give equal hashes on every rank (string.GetHashCode is randomised).
        ulong h = 14695981039346656037UL;
        foreach (var t in ts)
        {
            for (int d = 0; d < t.Rank; d++) h = (h ^ (ulong)t.Shape[d]) * 1099511628211UL;
            h = (h ^ 0xFFUL) * 1099511628211UL;
        }
        return (long)h;
    }

    /// <summary>
    /// One flat pinned buffer holds every trainable weight's gradient (each weight's <c>Grad</c> becomes a view of it, so
    /// backward writes straight into it and nothing is copied), in reverse weight order (the order backward finishes
    /// them), cut into buckets of about <see cref="BucketSizeMB"/>; the last bucket also carries the loss and metric sums.
    /// </summary>
    private void Layout(IReadOnlyList<Tensor> ps, int metricCount)
    {
        _params = new Tensor[ps.Count];
        for (int i = 0; i < ps.Count; i++) _params[i] = ps[ps.Count - 1 - i];
        _paramIndex.Clear();
        for (int i = 0; i < _params.Length; i++) _paramIndex[_params[i]] = i;
        _gradLength = (int)SizeOf(_params);
        _tailOffset = _gradLength;
        _tailLength = TailMetrics + metricCount;
        _flat = GC.AllocateArray<float>(_gradLength + _tailLength, pinned: true);
        var storage = new CpuStorage(_flat);
        long cap = Math.Max(1, (long)(BucketSizeMB * 1024 * 1024 / sizeof(float)));
        var starts = new List<int>();
        var ends = new List<int>();
        int offset = 0, bucketStart = 0;
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            if (offset > bucketStart && offset - bucketStart + (long)p.Size > cap)
            {
                starts.Add(bucketStart);
                ends.Add(i);
                bucketStart = offset;
            }
            p.Grad = new Tensor(p.Shape, storage, offset);
            offset += p.Size;
        }
        starts.Add(bucketStart);
        ends.Add(_params.Length);
        int buckets = starts.Count;
        _bucketStart = starts.ToArray();
        _bucketParamEnd = ends.ToArray();
        _bucketGradLength = new int[buckets];
        _bucketLength = new int[buckets];
        for (int k = 0; k < buckets; k++)
        {
            int end = k + 1 < buckets ? _bucketStart[k + 1] : _gradLength;
            _bucketGradLength[k] = end - _bucketStart[k];
            _bucketLength[k] = _bucketGradLength[k] + (k + 1 < buckets ? 0 : _tailLength);
        }
        _pending = new PendingReduce[buckets];
        _readyAt.Clear();
    }

    /// <summary>At each epoch start: every rank takes rank 0's sample order; the running sums restart.</summary>
    internal override void BeginEpoch(int[] order, bool shuffle)
    {
        if (shuffle && Size > 1) Group.Broadcast(MemoryMarshal.AsBytes(order.AsSpan()), 0);
        _lossSum = 0;
        _seen = 0;
        _lastLogs.Clear();
    }

    /// <summary>
    /// At each epoch end, before validation: the non-trainable weights (e.g. BatchNormalization's moving statistics,
    /// which each rank updates from its own samples) are set to rank 0's, as DDP does with its buffers, so that every rank
    /// validates and saves the same model.
    /// </summary>
    internal override void EndEpoch()
    {
        if (Size == 1) return;
        foreach (var w in _nonTrainable) Group.Broadcast(w.Span, 0);
    }

    /// <summary>
    /// This rank's slice of global batch <paramref name="b"/>: the global batch is positions
    /// [b·B·Size, …) of the epoch order (B = per-rank batch); rank r takes the r-th run of B. A short last global batch
    /// fills ranks in order, so late ranks may get fewer samples, or none.
    /// </summary>
    internal static (int Start, int Count, int GlobalCount) Shard(int b, int batchSize, int n, int rank, int size)
    {
        long globalBatch = (long)batchSize * size;
        int globalStart = (int)(b * globalBatch);
        int globalCount = (int)Math.Min(globalBatch, n - globalStart);
        int offset = (int)Math.Min((long)rank * batchSize, globalCount);
        int count = Math.Min(batchSize, globalCount - offset);
        return (globalStart + offset, count, globalCount);
    }

    /// <summary>The tail slots the compiled metrics need: one per reported value (a multi-threshold metric has several).</summary>
    private static int MetricSlots(IReadOnlyList<Praxis.Metrics.Metric> metrics)
    {
        int n = 0;
        for (int i = 0; i < metrics.Count; i++) n += metrics[i].ResultCount;
        return n;
    }

    /// <summary>
    /// One data-parallel training step: forward and backward on this rank's slice, gradients (and the running loss and
    /// metric sums) all-reduced, the optimizer step, and the logs set to the averages over all ranks.
    /// </summary>
    internal override void TrainBatch(Model model, int b, int batchSize, int n, Tensor[] x, Tensor[] y, Dictionary<string, double> logs)
    {
        if (_general)
        {
            TrainGeneral(model, b, batchSize, n, x, y, logs);
            return;
        }
        var (start, count, globalCount) = Shard(b, batchSize, n, Rank, Size);
        var metrics = model.CompiledMetrics;
        CompiledStep? step = null;
        if (count > 0)
        {
            step = model.GatherTrainBatch(x, y, start, count);
            step.Forward();
            _lossSum += (double)step.Loss!.Span[0] * count;
            _seen += count;
            for (int i = 0; i < metrics.Count; i++) metrics[i].Update(step.Target!, step.Outputs[0]);
        }
        var tail = _flat.AsSpan(_tailOffset, _tailLength);
        tail[TailLoss] = (float)_lossSum;
        tail[TailSeen] = _seen;
        tail[TailStop] = model.StopTraining ? 1 : 0;
        for (int i = 0, slot = TailMetrics; i < metrics.Count; i++)
            for (int r = 0; r < metrics[i].ResultCount; r++) tail[slot++] = (float)(metrics[i].Result(r) * _seen);

        _flat.AsSpan(0, _gradLength).Clear(); // zero_grad: every trainable gradient is a view of the flat buffer
        // Each rank's gradient is the mean over its own slice; weighting it by the slice's share of the global batch
        // makes the sum over ranks the mean over the global batch (1/Size when all slices are full).
        _scale = (float)count / globalCount;
        _next = 0;
        _oldest = 0;
        if (step != null)
        {
            _ready = ReadyAt(step);
            step.Backward(this);
        }
        long t0 = Stopwatch.GetTimestamp();
        while (_next < _pending.Length) Launch(_next++);
        for (int k = _oldest; k < _pending.Length; k++) Group.Wait(_pending[k]);
        _commTicks += Stopwatch.GetTimestamp() - t0;

        double seen = tail[TailSeen];
        logs["loss"] = tail[TailLoss] / seen;
        for (int i = 0, slot = TailMetrics; i < metrics.Count; i++)
            for (int r = 0; r < metrics[i].ResultCount; r++) logs[model.CompiledResultKey(i, r)] = tail[slot++] / seen;
        _stopAgreed = tail[TailStop] > 0;
        if (_stopAgreed) model.StopTraining = true;
        model.Optimizer!.Step(_params);
        Steps++;
    }

    /// <summary>
    /// A data-parallel step through the model's own <c>TrainStep</c> (a custom step, or the default one of a model with
    /// several outputs): each <c>ApplyGradients</c> inside it all-reduces the gradients it is about to apply (see
    /// the reducer below), and afterwards the step's logs (running means over this rank's samples) are combined,
    /// weighted by each rank's samples so far. A rank whose share of a short last batch is empty still runs the step (on
    /// one row, weighted zero), so that every rank joins the same all-reduces in the same order.
    /// </summary>
    private void TrainGeneral(Model model, int b, int batchSize, int n, Tensor[] x, Tensor[] y, Dictionary<string, double> logs)
    {
        var (start, count, globalCount) = Shard(b, batchSize, n, Rank, Size);
        bool empty = count == 0;
        _scale = empty ? 0f : (float)count / globalCount;
        _applied = 0;
        var optimizer = model.Optimizer!;
        long iterations = optimizer.Iterations;
        Dictionary<string, double> stepLogs;
        model.GradientReducer = this;
        try { stepLogs = model.TrainBatchAt(empty ? (int)((long)b * batchSize * Size) : start, empty ? 1 : count, x, y); }
        finally { model.GradientReducer = null; }
        if (optimizer.Iterations - iterations != _applied)
            throw new InvalidOperationException(
                $"Fit: model '{model.Name}' ({model.GetType().Name}) stepped its optimizer {optimizer.Iterations - iterations} time(s) in TrainStep but " +
                $"applied gradients through ApplyGradients {_applied} time(s). Under data-parallel training (Model.Distribution) a custom " +
                "TrainStep must update weights with ApplyGradients, which combines the gradients of every process first.");
        _seen += count;

        // [stop vote, samples so far, then each log × samples so far], in the step's own key order (the same code on every rank).
        _logKeys.Clear();
        foreach (var k in stepLogs.Keys) _logKeys.Add(k);
        var sums = Buffer(2 + _logKeys.Count);
        sums[0] = model.StopTraining ? 1 : 0;
        sums[1] = _seen;
        // An empty share adds no samples: this rank's means are those of its last real step (its trackers saw a stand-in row).
        var own = empty ? _lastLogs : stepLogs;
        for (int i = 0; i < _logKeys.Count; i++)
            sums[2 + i] = own.TryGetValue(_logKeys[i], out double v) ? (float)(v * _seen) : 0f;
        if (!empty) CopyTo(stepLogs, _lastLogs);
        long t0 = Stopwatch.GetTimestamp();
        if (Size > 1) Group.AllReduce(sums);
        _commTicks += Stopwatch.GetTimestamp() - t0;
        for (int i = 0; i < _logKeys.Count; i++) logs[_logKeys[i]] = sums[2 + i] / sums[1];
        _stopAgreed = sums[0] > 0;
        if (_stopAgreed) model.StopTraining = true;
        Steps++;
    }

    private static void CopyTo(Dictionary<string, double> from, Dictionary<string, double> to)
    {
        foreach (var (k, v) in from) to[k] = v;
    }

    private Span<float> Buffer(int length)
    {
        if (_reduceBuffer.Length < length) _reduceBuffer = new float[Math.Max(length, 2 * _reduceBuffer.Length)];
        return _reduceBuffer.AsSpan(0, length);
    }

    /// <summary>
    /// Inside <c>ApplyGradients</c> under the general path: the gradients of <paramref name="weights"/>, each rank's
    /// weighted by its share of the global batch, summed over ranks, so the update is that of one process on the global
    /// batch. (A weight without a gradient, one the loss does not reach, stays without one, as in one process.)
    /// </summary>
    void IGradientReducer.Reduce(IReadOnlyList<Tensor> weights)
    {
        _applied++;
        long length = 0;
        for (int i = 0; i < weights.Count; i++) length += weights[i].Size;
        var flat = Buffer(checked((int)length));
        int offset = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            var w = weights[i];
            var part = flat.Slice(offset, w.Size);
            if (w.Grad is { } g) TensorPrimitives.Multiply(g.Span, _scale, part);
            else part.Clear();
            offset += w.Size;
        }
        long t0 = Stopwatch.GetTimestamp();
        if (Size > 1) Group.AllReduce(flat);
        _commTicks += Stopwatch.GetTimestamp() - t0;
        offset = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            var w = weights[i];
            if (w.Grad is { } g) flat.Slice(offset, w.Size).CopyTo(g.Span);
            offset += w.Size;
        }
    }

    /// <inheritdoc />
    void IBackwardObserver.AfterBackward(int index)
    {
        // Buckets start in index order on every rank (collectives must be issued in the same order everywhere), each as
        // soon as it and all before it are complete; meanwhile, poll the oldest in flight so the engine makes progress.
        var ready = _ready;
        if (_next < ready.Length && index <= ready[_next])
        {
            long t0 = Stopwatch.GetTimestamp();
            while (_next < ready.Length && index <= ready[_next])
            {
                Launch(_next++);
                if (index > 0) OverlappedBuckets++;
            }
            _commTicks += Stopwatch.GetTimestamp() - t0;
        }
        else if (_oldest < _next)
        {
            long t0 = Stopwatch.GetTimestamp();
            if (Group.Test(_pending[_oldest])) Group.Wait(_pending[_oldest++]);
            _commTicks += Stopwatch.GetTimestamp() - t0;
        }
    }

    private void Launch(int k)
    {
        var grads = _flat.AsSpan(_bucketStart[k], _bucketGradLength[k]);
        if (_scale != 1f) TensorPrimitives.Multiply(grads, _scale, grads);
        _pending[k] = Group.StartAllReduce(new Memory<float>(_flat, _bucketStart[k], _bucketLength[k]), ReduceOp.Sum);
    }

    /// <summary>
    /// For each bucket, the backward-order index after which all its gradients are final: the smallest index of an op
    /// reading one of its weights (backward runs the order from the end). Computed once per recorded step.
    /// </summary>
    private int[] ReadyAt(CompiledStep step)
    {
        // An eager step (a model that is not replay-safe) builds a new graph every forward pass: nothing to cache.
        if (!step.Eager && _readyAt.TryGetValue(step, out var cached)) return cached;
        var paramReady = new int[_params.Length];
        Array.Fill(paramReady, int.MaxValue); // a weight no op reads has its (zero) gradient final from the start
        var order = step.BackwardOrder;
        for (int i = 0; i < order.Count; i++)
            foreach (var input in order[i].Inputs)
                if (_paramIndex.TryGetValue(input, out int p)) paramReady[p] = Math.Min(paramReady[p], i);
        var ready = new int[_bucketStart.Length];
        for (int k = 0, p = 0; k < ready.Length; k++)
        {
            ready[k] = int.MaxValue;
            for (; p < _bucketParamEnd[k]; p++) ready[k] = Math.Min(ready[k], paramReady[p]);
        }
        if (!step.Eager) _readyAt[step] = ready;
        return ready;
    }

    /// <summary>
    /// Whether to leave the epoch after this step. Alone: the flag itself, as plain Fit. With several ranks: whether some
    /// rank had <c>StopTraining</c> set as the step began, which every rank learns from that step's all-reduce, so all
    /// leave after the same step; a flag set in <c>OnTrainBatchEnd</c> is thus acted on one step later, but a rank never
    /// leaves the others waiting in an all-reduce it will not join.
    /// </summary>
    internal override bool LeaveEpoch(Model model) => Size == 1 ? model.StopTraining : _stopAgreed;

    /// <summary>
    /// Before each epoch: whether any rank has <c>StopTraining</c> set (one small all-reduce), so that all ranks run the
    /// same epochs even when a callback decides on something rank-local (a clock, a file). Sets the flag on every rank.
    /// </summary>
    internal override bool AgreeStop(Model model)
    {
        _stopAgreed = false;
        if (Size == 1) return model.StopTraining;
        Span<float> vote = [model.StopTraining ? 1 : 0];
        Group.AllReduce(vote);
        if (vote[0] > 0) model.StopTraining = true;
        return vote[0] > 0;
    }

    /// <summary>
    /// Loss and metrics over (<paramref name="x"/>, <paramref name="ys"/>), each rank evaluating a contiguous share and
    /// the results combined weighted by each share's size (a rank with no share evaluates one row, weighted zero, so that
    /// every rank knows the names of the results).
    /// </summary>
    internal override Dictionary<string, double> Evaluate(Model model, Tensor[] x, Tensor[] ys, int batchSize)
    {
        int n = x[0].Shape[0];
        int start = (int)((long)n * Rank / Size), count = (int)((long)n * (Rank + 1) / Size) - start;
        int from = count > 0 ? start : 0, rows = count > 0 ? count : 1;
        var xs = new Tensor[x.Length];
        for (int i = 0; i < x.Length; i++) xs[i] = x[i].SliceRows(from, rows);
        var yp = new Tensor[ys.Length];
        for (int i = 0; i < ys.Length; i++) yp[i] = ys[i].SliceRows(from, rows);
        var local = model.EvaluateLocal(xs, yp, batchSize);
        var keys = new List<string>(local.Keys);
        var sums = new float[1 + keys.Count];
        sums[0] = count;
        for (int i = 0; i < keys.Count; i++) sums[1 + i] = (float)(local[keys[i]] * count);
        Group.AllReduce(sums);
        var result = new Dictionary<string, double>();
        for (int i = 0; i < keys.Count; i++) result[keys[i]] = sums[1 + i] / sums[0];
        return result;
    }

    /// <summary>Whether a failure of Fit on this rank must abort the job.</summary>
    internal override bool Reports => IsRoot;

    internal override void Check(Model model, bool customSteps, int targets) =>
        // The fused path overlaps gradient all-reduce with backward; a custom step or several outputs take the general path.
        _general = customSteps || targets != 1;

    internal override bool ShouldAbort(Exception e) => AbortOnError && Size > 1 && e is not DistributedSetupException;

    /// <summary>Reports <paramref name="e"/> with this rank and aborts every rank.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    internal override void AbortJob(Exception e)
    {
        Console.Out.Flush();
        Console.Error.WriteLine($"praxis: rank {Rank} of {Size} failed in Fit: {e.GetType().Name}: {e.Message}");
        Console.Error.WriteLine(e.StackTrace);
        Console.Error.WriteLine($"praxis: aborting all {Size} ranks ({Group.Backend}); the others would otherwise wait forever in their next all-reduce.");
        Console.Error.Flush();
        Group.Abort(1);
    }
}

/// <summary>
/// The ranks of a data-parallel job disagree on the model, the data or the Fit arguments. Every rank detects it at the
/// same point and throws, so it is reported normally instead of aborting the job.
/// </summary>
public sealed class DistributedSetupException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public DistributedSetupException(string message) : base(message) { }
}
