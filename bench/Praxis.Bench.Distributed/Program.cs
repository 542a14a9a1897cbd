// Data-parallel scaling of the seed workload (the Keras MLP on the full MNIST training set, Adam, one epoch timed after a
// warm-up epoch) in three set-ups, alternated A B C A B C … and summarised by medians:
//   plain   one process, plain Fit (no MPI)
//   1 rank  mpirun -np 1, data-parallel Fit (the MPI path with nothing to exchange)
//   2 ranks mpirun -np 2, data-parallel Fit (ranks float over the cores and yield while waiting; one extra row keeps
//           Open MPI's defaults: bound to a core each, busy polling)
// for two batch settings: per-rank batch 32 (each rank does the one-process step; global batch 32 × ranks) and global
// batch 32 (per-rank 32 / ranks: the same updates as one process), the latter also with 1 KiB gradient buckets (4
// all-reduces a step, two of them overlapping backward). Each MPI run also times the gradient all-reduce alone (50,890
// + 4 floats: gradients, loss, samples, stop vote, accuracy; 1000 calls, median), blocking and as the training step
// does it (non-blocking start, then wait). Every process computes on one thread (KernelPool.NumThreads = 1).
//
// Run: dotnet run -c Release --project bench/Praxis.Bench.Distributed [-- --rounds 5 --epochs 2]
// (needs Open MPI's mpirun on PATH; as root it sets OMPI_ALLOW_RUN_AS_ROOT itself)
using System.Diagnostics;
using System.Globalization;
using Praxis.Callbacks;
using Praxis.Data;
using Praxis.Distributed;
using Praxis.Distributed.Mpi;
using Praxis.Kernels;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
return args.Length > 0 && args[0] == "worker" ? Worker() : Driver();

int Worker()
{
    bool plain = args.Contains("--plain");
    int batch = int.Parse(Arg("--batch") ?? "32");
    int epochs = int.Parse(Arg("--epochs") ?? "2");
    double bucketMB = double.Parse(Arg("--bucket-mb") ?? "25", CultureInfo.InvariantCulture);
    var group = plain ? null : MpiProcessGroup.Initialize();
    KernelPool.NumThreads = 1; // one compute thread per rank (and for the plain run), so the set-ups compare like for like
    var ((x, y), _) = Mnist.LoadData();
    x = x.Reshape(-1, 784);
    y = ToCategorical(y, 10);
    SetRandomSeed(42);
    var inputs = Input(shape: [784]);
    var outputs = new Dense(10, activation: "softmax").Apply(new Dense(64, activation: "relu").Apply(inputs));
    var model = new Model(inputs, outputs);
    model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
    var dp = group == null ? null : new DataParallel(group, bucketSizeMB: bucketMB);
    model.Distribution = dp;
    var timer = new LastEpochTimer();
    var history = model.Fit(x, y, epochs: epochs, batchSize: batch, verbose: 0, callbacks: [timer]);

    double allReduceUs = double.NaN, startWaitUs = double.NaN;
    if (group is { Size: > 1 })
    {
        var buffer = new float[50_890 + 4];
        var times = new double[1000];
        for (int i = 0; i < 200; i++) group.AllReduce(buffer);
        for (int i = 0; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            group.AllReduce(buffer);
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        allReduceUs = Median(times);
        var pinned = GC.AllocateArray<float>(buffer.Length, pinned: true);
        for (int i = 0; i < 200; i++) group.Wait(group.StartAllReduce(pinned));
        for (int i = 0; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            group.Wait(group.StartAllReduce(pinned));
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        startWaitUs = Median(times);
    }
    if (group == null || group.Rank == 0)
        Console.WriteLine($"RESULT epoch_s={timer.Seconds:F3} steps={timer.Steps} comm_ms_per_step={(dp == null ? 0 : 1000 * dp.CommunicationSeconds / dp.Steps):F4} " +
                          $"allreduce_us={allReduceUs:F1} iallreduce_us={startWaitUs:F1} accuracy={history["accuracy"][^1]:F4}");
    group?.Dispose();
    return 0;
}

int Driver()
{
    int rounds = int.Parse(Arg("--rounds") ?? "5");
    string epochs = Arg("--epochs") ?? "2";
    string self = typeof(LastEpochTimer).Assembly.Location;
    string mpirun = FindOnPath("mpirun") ?? throw new InvalidOperationException("mpirun is not on PATH: install Open MPI (apt-get install openmpi-bin).");
    string dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
    // On a machine shared with other work, a rank bound to a busy core cannot move, and a rank busy-polling for its peer
    // takes the core the peer needs: so ranks float (--bind-to none) and yield while waiting. One row keeps Open MPI's
    // defaults (bound to a core each, busy polling) to show the difference.
    string[] shared = ["--bind-to", "none", "--mca", "mpi_yield_when_idle", "1"];
    var setups = new List<(string Name, string File, string[] Args)>();
    foreach (var (label, perRank1, perRank2) in new[] { ("per-rank batch 32", 32, 32), ("global batch 32", 32, 16) })
    {
        setups.Add(($"{label}: plain", dotnet, [self, "worker", "--plain", "--batch", $"{perRank1}", "--epochs", epochs]));
        setups.Add(($"{label}: 1 rank", mpirun, ["-np", "1", .. shared, dotnet, self, "worker", "--batch", $"{perRank1}", "--epochs", epochs]));
        setups.Add(($"{label}: 2 ranks", mpirun, ["-np", "2", .. shared, dotnet, self, "worker", "--batch", $"{perRank2}", "--epochs", epochs]));
        if (perRank1 == perRank2)
            setups.Add(($"{label}: 2 ranks, Open MPI defaults", mpirun, ["-np", "2", dotnet, self, "worker", "--batch", $"{perRank2}", "--epochs", epochs]));
        else // 1 KiB buckets: the second layer's gradients start their all-reduce while the first layer's backward runs
            setups.Add(($"{label}: 2 ranks, 4 buckets", mpirun, ["-np", "2", .. shared, dotnet, self, "worker", "--batch", $"{perRank2}", "--epochs", epochs, "--bucket-mb", "0.001"]));
    }
    var results = setups.ToDictionary(s => s.Name, _ => new List<Dictionary<string, double>>());
    Console.WriteLine($"# {DateTime.Now:yyyy-MM-dd HH:mm:ss zzz}, {Environment.ProcessorCount} cores, {rounds} rounds, epoch {epochs} of {epochs} timed");
    for (int r = 0; r < rounds; r++)
        foreach (var (name, file, a) in setups)
        {
            var res = Launch(file, a);
            results[name].Add(res);
            Console.WriteLine($"round {r + 1} {name}: {string.Join(" ", res.Select(kv => $"{kv.Key}={kv.Value}"))}");
        }

    Console.WriteLine();
    Console.WriteLine("| setup | epoch (s), median | steps/epoch per rank | speed-up vs plain | exposed all-reduce per step (ms) | all-reduce of 50,894 floats alone (µs) | same, non-blocking start + wait (µs) | accuracy |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    foreach (var (name, _, _) in setups)
    {
        var rs = results[name];
        double epoch = Median(rs.Select(d => d["epoch_s"]).ToArray());
        double plain = Median(results[name[..(name.IndexOf(':') + 1)] + " plain"].Select(d => d["epoch_s"]).ToArray());
        Console.WriteLine($"| {name} | {epoch:F2} | {rs[0]["steps"]} | {plain / epoch:F2}× | {Median(rs.Select(d => d["comm_ms_per_step"]).ToArray()):F3} | " +
                          $"{Median(rs.Select(d => d["allreduce_us"]).ToArray()) switch { double.NaN => "–", var us => us.ToString("F1") }} | " +
                          $"{Median(rs.Select(d => d["iallreduce_us"]).ToArray()) switch { double.NaN => "–", var us => us.ToString("F1") }} | {Median(rs.Select(d => d["accuracy"]).ToArray()):F4} |");
    }
    return 0;
}

Dictionary<string, double> Launch(string file, string[] a)
{
    var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var s in a) psi.ArgumentList.Add(s);
    psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
    psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
    using var proc = Process.Start(psi)!;
    var errTask = proc.StandardError.ReadToEndAsync();
    string output = proc.StandardOutput.ReadToEnd();
    proc.WaitForExit();
    var line = output.Split('\n').FirstOrDefault(l => l.Contains("RESULT "))
        ?? throw new InvalidOperationException($"{file} {string.Join(' ', a)} printed no result (exit {proc.ExitCode}):\n{output}\n{errTask.Result}");
    return line[(line.IndexOf("RESULT ") + 7)..].Trim().Split(' ')
        .Select(kv => kv.Split('='))
        .ToDictionary(kv => kv[0], kv => double.Parse(kv[1], CultureInfo.InvariantCulture));
}

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static string? FindOnPath(string exe) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, exe)).FirstOrDefault(File.Exists);

static double Median(double[] values)
{
    var v = values.Where(d => !double.IsNaN(d)).Order().ToArray();
    return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
}

/// <summary>Times the last epoch (the earlier ones warm up: JIT, recorded steps) and restarts the all-reduce statistics for it.</summary>
sealed class LastEpochTimer : Callback
{
    private long _start;
    private int _batches;
    public double Seconds { get; private set; }
    public int Steps { get; private set; }

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        (Model.Distribution as DataParallel)?.ResetStats();
        _batches = 0;
        _start = Stopwatch.GetTimestamp();
    }

    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => _batches++;

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Seconds = Stopwatch.GetElapsedTime(_start).TotalSeconds;
        Steps = _batches;
    }
}
