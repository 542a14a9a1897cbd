// The program the distributed tests (tests/Praxis.Tests/Distributed) launch under mpirun.
//
//   selftest                 every collective of MpiProcessGroup against values each rank can predict
//   train --out DIR          the seed MLP on real MNIST rows, data parallel (or --single: plain Fit, no MPI), in two
//                            scenarios; writes each rank's final weights and per-epoch logs to DIR
//         [--fail kill|throw --fail-rank R --fail-at B]   rank R dies (SIGKILL) or throws at batch B
//         [--bucket-mb M]    gradient bucket size (small values split the seed model into several buckets)
//         [--stop-at B]      rank 1 alone sets StopTraining after batch B (every rank must stop at the same step)
using System.Globalization;
using System.Text;
using Praxis;
using Praxis.Callbacks;
using Praxis.Data;
using Praxis.Distributed;
using Praxis.Distributed.Mpi;
using Praxis.Layers;
using Praxis.Metrics;
using Praxis.Models;
using static Praxis.Keras;

return args.Length > 0 && args[0] == "selftest" ? SelfTest()
    : args.Length > 0 && args[0] == "train" ? Train()
    : Usage();

static int Usage()
{
    Console.Error.WriteLine("usage: Praxis.Distributed.Worker selftest | train --out DIR [--single] [--fail kill|throw --fail-rank R --fail-at B] [--bucket-mb M]");
    return 2;
}

int SelfTest()
{
    using var g = MpiProcessGroup.Initialize();
    int r = g.Rank, n = g.Size;

    var f = new float[1000];
    if (r == n - 1) for (int i = 0; i < f.Length; i++) f[i] = i * 0.5f;
    g.Broadcast(f, root: n - 1);
    for (int i = 0; i < f.Length; i++) Expect(f[i] == i * 0.5f, $"broadcast float [{i}] = {f[i]}");

    var bytes = new byte[13];
    if (r == 0) for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(200 + i);
    g.Broadcast(bytes);
    for (int i = 0; i < bytes.Length; i++) Expect(bytes[i] == 200 + i, $"broadcast byte [{i}] = {bytes[i]}");

    // Sum and average of small integers are exact in float, whatever the summation order.
    var s = new float[3000];
    for (int i = 0; i < s.Length; i++) s[i] = r + 1 + i;
    g.AllReduce(s);
    for (int i = 0; i < s.Length; i++) Expect(s[i] == n * (n + 1) / 2 + n * i, $"all-reduce sum [{i}] = {s[i]}");
    var a = new float[7];
    for (int i = 0; i < a.Length; i++) a[i] = 2 * r * (i + 1);
    g.AllReduce(a, ReduceOp.Average);
    for (int i = 0; i < a.Length; i++) Expect(a[i] == (n - 1) * (i + 1), $"all-reduce average [{i}] = {a[i]}");

    // Two non-blocking reduces in flight over disjoint parts of one pinned buffer (as gradient buckets are), waited in
    // reverse order, one of them polled first; a large one crosses Open MPI's eager limit.
    var flat = GC.AllocateArray<float>(1 << 20, pinned: true);
    for (int i = 0; i < flat.Length; i++) flat[i] = (i % 1000) * (r + 1);
    var first = g.StartAllReduce(new Memory<float>(flat, 0, 1000), ReduceOp.Sum);
    var second = g.StartAllReduce(new Memory<float>(flat, 1000, flat.Length - 1000), ReduceOp.Average);
    while (!g.Test(first)) { }
    g.Wait(second);
    g.Wait(first);
    float total = n * (n + 1) / 2f;
    for (int i = 0; i < 1000; i++) Expect(flat[i] == i * total, $"non-blocking sum [{i}] = {flat[i]}");
    for (int i = 1000; i < flat.Length; i++) Expect(flat[i] == (i % 1000) * total / n, $"non-blocking average [{i}] = {flat[i]}");
    ExpectThrows<InvalidOperationException>(() => g.Wait(first), "a second Wait on a finished request");
    ExpectThrows<ArgumentOutOfRangeException>(() => g.Broadcast(f, root: n), "a broadcast from a rank outside the group");

    g.Barrier();
    Console.WriteLine($"selftest ok rank {r} of {n} on {g.HostName} with {MpiProcessGroup.LibraryFile} ({g.LibraryVersion.Split('\n')[0].Trim()})");
    return 0;
}

int Train()
{
    string outDir = Arg("--out") ?? throw new ArgumentException("--out DIR is required");
    bool single = args.Contains("--single");
    string? fail = Arg("--fail");
    int failRank = int.Parse(Arg("--fail-rank") ?? "1", CultureInfo.InvariantCulture);
    int failAt = int.Parse(Arg("--fail-at") ?? "10", CultureInfo.InvariantCulture);
    double bucketMB = double.Parse(Arg("--bucket-mb") ?? "25", CultureInfo.InvariantCulture);
    Directory.CreateDirectory(outDir);

    var ((xAll, yAll), (xTestAll, yTestAll)) = Mnist.LoadData();
    xAll = xAll.Reshape(-1, 784);
    yAll = ToCategorical(yAll, 10);
    var xVal = xTestAll.Reshape(-1, 784).SliceRows(0, 320);
    var yVal = ToCategorical(yTestAll, 10).SliceRows(0, 320);

    MpiProcessGroup? group = single ? null : MpiProcessGroup.Initialize();
    string tag = group == null ? "single" : $"rank{group.Rank}";
    // Scenario "even": 2 epochs × 50 global batches of 32 = 100 steps, with validation data (split across ranks).
    // Scenario "ragged": 1000 samples = 31 global batches of 32 and one of 8, which rank 0 takes alone; first layer frozen.
    // Scenarios "custom" (a Model subclass with its own TrainStep/TestStep) and "heads" (two outputs, two losses) take the
    // general path, gradients combined inside ApplyGradients; their 1000 samples leave rank 1 an empty last share.
    foreach (var (name, samples, epochs, val) in new[] { ("even", 1600, 2, true), ("ragged", 1000, 1, false), ("custom", 1000, 1, true), ("heads", 1000, 1, true) })
    {
        ClearSession();
        SetRandomSeed(7);
        Model model;
        if (name == "custom") model = new CustomClassifier();
        else
        {
            var inputs = Input(shape: [784]);
            var hidden = new Dense(64, activation: "relu").Apply(inputs);
            var outputs = new Dense(10, activation: "softmax", name: "label").Apply(hidden);
            model = name == "heads" ? new Model([inputs], [outputs, new Dense(1, name: "brightness").Apply(hidden)]) : new Model(inputs, outputs);
        }
        // "ragged" also freezes the first layer: its weights become non-trainable (set to rank 0's at each epoch end) and
        // only the second layer's gradients are all-reduced.
        if (name == "ragged") model.GetLayer("dense").Trainable = false;
        if (name == "custom") model.Compile(new Praxis.Optimizers.Adam());
        else if (name == "heads") model.Compile(new Praxis.Optimizers.Adam(), ["categorical_crossentropy", "mse"], lossWeights: [1f, 0.5f], metrics: [["accuracy"], []]);
        else model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
        DataParallel? dp = null;
        if (group != null) model.Distribution = dp = new DataParallel(group, bucketSizeMB: bucketMB);
        var probe = new AllocationProbe();
        var callbacks = new List<Callback> { probe };
        if (fail != null && name == "even" && group?.Rank == failRank) callbacks.Add(new FailAt(fail, failAt));
        // --stop-at B: rank 1 alone sets StopTraining after batch B of the first epoch (a rank-local decision, like a clock).
        if (Arg("--stop-at") is { } stopAt && name == "even" && group?.Rank == 1) callbacks.Add(new StopAt(int.Parse(stopAt, CultureInfo.InvariantCulture)));
        // --mismatch: rank 1 trains on one sample fewer, which every rank must detect before the first step.
        int mine = args.Contains("--mismatch") && group?.Rank == 1 ? samples - 1 : samples;
        History history;
        try
        {
            int batchSize = group == null ? 32 : 16;
            var x = xAll.SliceRows(0, mine);
            var y = yAll.SliceRows(0, mine);
            history = name == "heads"
                ? model.Fit([x], [y, Brightness(x)], epochs: epochs, batchSize: batchSize, verbose: 2, callbacks: callbacks,
                    validationData: ([xVal], [yVal, Brightness(xVal)]))
                : model.Fit(x, y, epochs: epochs, batchSize: batchSize, verbose: 2, callbacks: callbacks, validationData: val ? (xVal, yVal) : null);
        }
        catch (DistributedSetupException e)
        {
            Console.WriteLine($"{tag}: setup error: {e.Message}");
            group?.Dispose();
            return 3;
        }

        using (var w = new BinaryWriter(File.Create(Path.Combine(outDir, $"{name}-{tag}.bin"))))
            foreach (var weight in model.GetWeights())
            {
                w.Write(weight.Length);
                foreach (var v in weight) w.Write(v);
            }
        var sb = new StringBuilder();
        foreach (var (key, values) in history.Metrics)
            sb.Append(key).Append('=').AppendJoin(',', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        File.WriteAllText(Path.Combine(outDir, $"{name}-{tag}.history"), sb.ToString());
        Console.WriteLine($"{tag}: fit {name} done, {dp?.Steps ?? 0} data-parallel steps in {dp?.BucketCount ?? 0} bucket(s), " +
                          $"{dp?.OverlappedBuckets ?? 0} started during backward, {probe.PerStep:F1} bytes allocated per step");
    }
    group?.Dispose();
    return 0;
}

// The second head's target: each image's mean pixel.
static Tensor Brightness(Tensor x) => x.Mean(1).Reshape(-1, 1);

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static void Expect(bool ok, string what)
{
    if (!ok) throw new InvalidOperationException($"selftest failed: {what}");
}

static void ExpectThrows<T>(Action action, string what) where T : Exception
{
    try { action(); }
    catch (T) { return; }
    throw new InvalidOperationException($"selftest failed: {what} did not throw {typeof(T).Name}");
}

/// <summary>Bytes allocated on the training thread per step, measured over batches 10 to 40 of the first epoch.</summary>
sealed class AllocationProbe : Callback
{
    private long _at10;
    public double PerStep { get; private set; } = double.NaN;

    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (!double.IsNaN(PerStep)) return;
        if (batch == 10) _at10 = GC.GetAllocatedBytesForCurrentThread();
        else if (batch == 40) PerStep = (GC.GetAllocatedBytesForCurrentThread() - _at10) / 30.0;
    }
}

/// <summary>Sets StopTraining on this rank only, after a given batch of the first epoch.</summary>
sealed class StopAt(int batch) : Callback
{
    private bool _done;

    public override void OnTrainBatchEnd(int b, IReadOnlyDictionary<string, double> logs)
    {
        if (_done || b != batch) return;
        _done = true;
        Model.StopTraining = true;
    }
}

/// <summary>Makes this rank die (SIGKILL, no clean-up) or throw at a given batch, to test that the job fails fast.</summary>
sealed class FailAt(string how, int batch) : Callback
{
    public override void OnTrainBatchBegin(int b, IReadOnlyDictionary<string, double> logs)
    {
        if (b != batch) return;
        Console.WriteLine($"rank {(Model.Distribution as DataParallel)?.Rank}: failing ({how}) at batch {b}");
        Console.Out.Flush();
        if (how == "kill") System.Diagnostics.Process.GetCurrentProcess().Kill();
        throw new InvalidOperationException($"injected failure at batch {b}");
    }
}

/// <summary>The seed MLP as a Model subclass with its own steps (Keras' custom train_step): its loss, its trackers.</summary>
sealed class CustomClassifier : Model
{
    private readonly Dense _hidden, _output;
    private readonly Mean _loss = new("loss");
    private readonly CategoricalAccuracy _accuracy = new("accuracy");
    private readonly Praxis.Losses.Loss _crossEntropy = "categorical_crossentropy";
    private readonly Dictionary<string, double> _logs = new();

    public CustomClassifier() : base("custom_classifier")
    {
        _hidden = Track(new Dense(64, activation: "relu"));
        _output = Track(new Dense(10, activation: "softmax"));
    }

    public override IReadOnlyList<Praxis.Metrics.Metric> Metrics => [_loss, _accuracy];

    public override Tensor Call(Tensor input, bool training) => _output.Apply(_hidden.Apply(input, training), training);

    protected override Dictionary<string, double> TrainStep(Batch data)
    {
        var predicted = Apply(data.Input, training: true);
        var loss = _crossEntropy.Compute(data.Target!, predicted);
        ApplyGradients(loss);
        return Record(data, loss, predicted);
    }

    protected override Dictionary<string, double> TestStep(Batch data)
    {
        var predicted = Apply(data.Input);
        return Record(data, _crossEntropy.Compute(data.Target!, predicted), predicted);
    }

    private Dictionary<string, double> Record(Batch data, Tensor loss, Tensor predicted)
    {
        _loss.UpdateState(loss, data.Size);
        _accuracy.Update(data.Target!, predicted);
        _logs["loss"] = _loss.Result();
        _logs["accuracy"] = _accuracy.Result();
        return _logs;
    }
}
