using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Praxis.Cli;
using ImageInput = Praxis.Cli.Imaging.ImageInput;
using Praxis.Cli.Journal;
using Praxis.Data;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using SkiaSharp;
using static Praxis.Keras;
using static Praxis.Fuzz.Mutator;

namespace Praxis.Fuzz;

/// <summary>
/// Feeds every parser and loader mutated and random inputs (fixed seed, so a case reproduces): model files, weights
/// files, safetensors with and without their checksum, model and compile configs (JSON), IDX raw and gzip, the PNG and
/// JPEG input of <c>praxis predict</c>, and the run journal's JSON and CSV. Each case must load or fail with the
/// exception its API documents (<see cref="InvalidDataException"/> for the library, <see cref="CliException"/> for the
/// command); anything else is a failure. Each case's managed allocation (this thread's counter) and peak-RSS growth are
/// measured, and so is its time: over <see cref="MemoryBound"/> or <see cref="TimeBound"/> is flagged.
/// </summary>
public static class FuzzHarness
{
    /// <summary>The seed of the recorded runs.</summary>
    public const int DefaultSeed = 20261207;

    /// <summary>A case allocating, or growing the peak RSS by, more than this is flagged (64 MiB).</summary>
    public const long MemoryBound = 64L << 20;

    /// <summary>A case taking longer than this is flagged.</summary>
    public static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(2);

    /// <summary>What a run found.</summary>
    public sealed class Report
    {
        /// <summary>Cases run.</summary>
        public long Cases { get; internal set; }

        /// <summary>Seconds spent.</summary>
        public double Seconds { get; internal set; }

        /// <summary>The seed.</summary>
        public int Seed { get; internal set; }

        /// <summary>"target: outcome" (loaded, or the exception type) → count.</summary>
        public SortedDictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

        /// <summary>Target → cases.</summary>
        public SortedDictionary<string, long> PerTarget { get; } = new(StringComparer.Ordinal);

        /// <summary>Cases that threw an undocumented exception (first few in full).</summary>
        public List<string> Failures { get; } = new();

        /// <summary>Cases over a memory or time bound.</summary>
        public List<string> Flagged { get; } = new();

        /// <summary>Worst managed allocation of one case, and where.</summary>
        public (long Bytes, string Where) WorstAllocation { get; internal set; }

        /// <summary>Worst peak-RSS growth of one case, and where (0 when /proc cannot be read).</summary>
        public (long Bytes, string Where) WorstRss { get; internal set; }

        /// <summary>Worst time of one case, and where.</summary>
        public (double Ms, string Where) WorstTime { get; internal set; }

        /// <summary>Whether the peak RSS could be reset per case (Linux <c>/proc/self/clear_refs</c>).</summary>
        public bool RssPerCase { get; internal set; }

        /// <summary>The process' peak RSS at the end, bytes.</summary>
        public long PeakRss { get; internal set; }

        /// <summary>A plain-text summary (the form bench/RESULTS.md records).</summary>
        public string Format()
        {
            var sb = new StringBuilder();
            sb.AppendLine(CultureInfo.InvariantCulture, $"fuzz: {Cases:N0} cases in {Seconds:F1} s (seed {Seed}), {Failures.Count} failures, {Flagged.Count} flagged");
            sb.AppendLine(CultureInfo.InvariantCulture, $"worst allocation {WorstAllocation.Bytes / 1048576.0:F2} MiB ({WorstAllocation.Where}); worst peak-RSS growth {WorstRss.Bytes / 1048576.0:F2} MiB ({WorstRss.Where}{(RssPerCase ? "" : "; peak RSS not resettable here")}); worst time {WorstTime.Ms:F1} ms ({WorstTime.Where}); process peak RSS {PeakRss / 1048576.0:F0} MiB");
            foreach (var (t, n) in PerTarget) sb.AppendLine(CultureInfo.InvariantCulture, $"  {t}: {n:N0} cases");
            foreach (var (o, n) in Outcomes) sb.AppendLine(CultureInfo.InvariantCulture, $"  {o}: {n:N0}");
            foreach (var f in Failures.Take(5)) sb.AppendLine("FAILURE " + f);
            foreach (var f in Flagged.Take(5)) sb.AppendLine("FLAGGED " + f);
            return sb.ToString();
        }
    }

    private sealed record Target(string Name, int Weight, Func<Random, byte[]> Make, Action<byte[]> Parse);

    /// <summary>
    /// Runs <paramref name="cases"/> cases spread over the targets by weight, or fewer if <paramref name="budget"/>
    /// runs out; <paramref name="progress"/> hears from it every 50,000 cases.
    /// </summary>
    public static Report Run(long cases, int seed, TimeSpan budget, Action<string>? progress = null)
    {
        string dir = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "praxis-fuzz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try { return RunIn(dir, cases, seed, budget, progress); }
        finally { try { Directory.Delete(dir, recursive: true); } catch (IOException) { } }
    }

    private static Report RunIn(string dir, long cases, int seed, TimeSpan budget, Action<string>? progress)
    {
        var targets = Targets(dir);
        var report = new Report { Seed = seed };
        var rng = new Random(seed);
        int totalWeight = targets.Sum(t => t.Weight);
        var probe = new Probe();
        report.RssPerCase = probe.CanReset;
        // Warm-up: every target once on its unmutated seed, so JIT time is not charged to the first case.
        bool trace = Environment.GetEnvironmentVariable("PRAXIS_FUZZ_TRACE") == "1"; // names each case before it runs, to find a hang
        foreach (var t in targets)
        {
            if (trace) Console.Error.WriteLine($"warm-up {t.Name}");
            try { t.Parse(t.Make(new Random(0))); } catch (Exception) { }
        }

        var clock = Stopwatch.StartNew();
        for (long i = 0; i < cases && clock.Elapsed < budget; i++)
        {
            int pick = rng.Next(totalWeight);
            var target = targets[0];
            foreach (var t in targets) { if (pick < t.Weight) { target = t; break; } pick -= t.Weight; }
            byte[] input = target.Make(rng);
            if (trace)
            {
                Console.Error.WriteLine($"{target.Name} case {i}: {input.Length} bytes");
                File.WriteAllBytes(Path.Combine(Path.GetTempPath(), "praxis-fuzz-last.bin"), input);
            }
            string outcome;
            probe.Begin();
            try
            {
                target.Parse(input);
                outcome = "loaded";
            }
            catch (InvalidDataException e) when (e.InnerException is null or ArgumentException or InvalidOperationException or NotSupportedException or FormatException or JsonException or InvalidDataException)
            {
                outcome = nameof(InvalidDataException);
            }
            catch (CliException)
            {
                outcome = nameof(CliException);
            }
            catch (Exception e)
            {
                outcome = "FAILED " + e.GetType().Name;
                if (report.Failures.Count < 20)
                    report.Failures.Add($"{target.Name} case {i}: {e.GetType().Name} (inner {e.InnerException?.GetType().Name}): {e.Message}\n  input (base64, first 2000 chars): {Clip(Convert.ToBase64String(input))}\n{e.StackTrace}");
                else report.Failures.Add(target.Name);
            }
            var (alloc, rss, ms) = probe.End();
            string where = $"{target.Name} case {i}";
            if (alloc > report.WorstAllocation.Bytes) report.WorstAllocation = (alloc, where);
            if (rss > report.WorstRss.Bytes) report.WorstRss = (rss, where);
            if (ms > report.WorstTime.Ms) report.WorstTime = (ms, where);
            if (alloc > MemoryBound || rss > MemoryBound || ms > TimeBound.TotalMilliseconds)
                report.Flagged.Add($"{where}: {alloc:N0} bytes allocated, peak RSS +{rss:N0} bytes, {ms:F0} ms ({outcome})");
            report.Cases++;
            report.PerTarget[target.Name] = report.PerTarget.GetValueOrDefault(target.Name) + 1;
            string key = $"{target.Name}: {outcome}";
            report.Outcomes[key] = report.Outcomes.GetValueOrDefault(key) + 1;
            if (progress != null && report.Cases % 50_000 == 0)
                progress($"{report.Cases:N0} cases, {clock.Elapsed.TotalSeconds:F0} s, {report.Failures.Count} failures, {report.Flagged.Count} flagged");
        }
        report.Seconds = clock.Elapsed.TotalSeconds;
        report.PeakRss = Probe.Status("VmHWM");
        return report;
    }

    private static string Clip(string s) => s.Length <= 2000 ? s : s[..2000] + "…";

    // ------------------------------------------------------------------ targets

    private static List<Target> Targets(string dir)
    {
        SetRandomSeed(1);
        var model = SmallModel();
        string mPath = Path.Combine(dir, "seed.praxis"), wPath = Path.Combine(dir, "seed.safetensors");
        model.Save(mPath);
        model.SaveWeights(wPath);
        byte[] modelFile = File.ReadAllBytes(mPath), weightsFile = File.ReadAllBytes(wPath);
        var conv = ConvModel();
        conv.Save(mPath);
        byte[] convFile = File.ReadAllBytes(mPath);
        var tensorFiles = new[] { modelFile, weightsFile, convFile };
        var configs = new[] { Encoding.UTF8.GetBytes(model.ToJson()), Encoding.UTF8.GetBytes(conv.ToJson()) };
        var compileJson = Encoding.UTF8.GetBytes(SafeTensorsFile.Read(modelFile).Metadata["compile_config"]);
        var weightsTarget = SmallModel();

        var digits = new byte[6 * 28 * 28];
        for (int n = 0; n < 6; n++)
            for (int y = 6; y < 22; y++)
                for (int x = 10 + n; x < 14 + n; x++) digits[n * 784 + y * 28 + x] = (byte)(40 * n + 15);
        var idxRaw = new[] { IdxBytes([6, 28, 28], digits), IdxBytes([28, 28], digits[..784]), IdxBytes([6], [1, 2, 3, 4, 5, 6]) };
        var idxGz = idxRaw.Select(Gzip).ToArray();
        var png = new[] { Picture(28, 28, SKEncodedImageFormat.Png), Picture(60, 40, SKEncodedImageFormat.Png), Png.EncodeGray(digits.AsSpan(0, 784), 28, 28) };
        var jpeg = new[] { Picture(28, 28, SKEncodedImageFormat.Jpeg), Picture(64, 48, SKEncodedImageFormat.Jpeg) };
        var results = new[]
        {
            """{"status": "completed", "started_at": "2026-12-07T13:00:00.0000000Z", "train_seconds": 12.5, "epochs_run": 2, "test": {"accuracy": 0.97, "loss": 0.1}, "best_epoch": 2}"""u8.ToArray(),
            """{"recipe": "seed-mlp", "epochs": 4, "batch_size": 32, "learning_rate": 0.001, "seed": 42}"""u8.ToArray(),
        };
        var csv = new[] { "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.9,0.3,0.91,0.28\n1,0.95,0.2,0.94,0.21\n"u8.ToArray(), "epoch,loss\n0,NA\n"u8.ToArray() };
        string runDir = Path.Combine(dir, "run");
        Directory.CreateDirectory(runDir);
        string Temp(string name, byte[] b) { string p = Path.Combine(dir, name); File.WriteAllBytes(p, b); return p; }

        return
        [
            new("safetensors", 14, r => r.Next(50) == 0 ? RandomBytes(r) : Mutate(tensorFiles[r.Next(3)], r, json: r.Next(3) == 0), b =>
            {
                using var ms = new MemoryStream(b);
                foreach (var t in SafeTensorsFile.Read(ms, b.Length, "fuzz", verifyChecksum: false).Tensors) t.ToFloat32();
            }),
            new("safetensors+checksum", 4, r => Mutate(tensorFiles[r.Next(3)], r, json: false), b => SafeTensorsFile.Read(b, "fuzz")),
            new("model_config", 12, r => Mutate(configs[r.Next(2)], r, json: true), b => ModelConfig.ToJson(ModelConfig.FromJson(b, "fuzz", 1 << 20))),
            new("compile_config", 6, r => Mutate(compileJson, r, json: true), b => CompileConfig.FromJson(Encoding.UTF8.GetString(b), "fuzz")),
            new("model_file", 6, r => MutateModelFile(r.Next(2) == 0 ? modelFile : convFile, r), b =>
            {
                using var ms = new MemoryStream(b);
                ModelFile.Load(SafeTensorsFile.Read(ms, b.Length, "fuzz", verifyChecksum: false), compile: true, restoreRandomState: true);
            }),
            new("weights", 6, r => MutateModelFile(weightsFile, r), b => weightsTarget.LoadWeights(Temp("w.safetensors", b), strict: b.Length % 2 == 0)),
            new("idx_raw", 10, r => r.Next(40) == 0 ? RandomBytes(r) : Mutate(idxRaw[r.Next(3)], r, json: false), b => Idx.Read(Temp("x.idx", b))),
            new("idx_gzip", 10, r => r.Next(2) == 0 ? Gzip(Mutate(idxRaw[r.Next(3)], r, json: false)) : Mutate(idxGz[r.Next(3)], r, json: false), b => Idx.Read(Temp("x.idx.gz", b))),
            new("png", 12, r => Mutate(png[r.Next(png.Length)], r, json: false), b => ImageInput.Load(Temp("x.png", b), 28, 28)),
            new("jpeg", 8, r => Mutate(jpeg[r.Next(jpeg.Length)], r, json: false), b => ImageInput.Load(Temp("x.jpg", b), 28, 28)),
            new("journal_json", 8, r => Mutate(results[r.Next(2)], r, json: true), b =>
            {
                File.WriteAllBytes(Path.Combine(runDir, RunFolder.ResultFile), b);
                File.WriteAllBytes(Path.Combine(runDir, RunFolder.ConfigFile), b);
                var run = RunFolder.Open(runDir);
                _ = (run.Recipe, run.Status, run.TrainSeconds, run.Started, run.Test("accuracy"));
            }),
            new("journal_csv", 4, r => Mutate(csv[r.Next(2)], r, json: true), b => MetricsTable.Read(Temp("metrics.csv", b))),
        ];
    }

    private static Model SmallModel()
    {
        var a = Input(shape: [4], name: "a");
        var shared = new Dense(3, activation: "relu", name: "shared");
        var inner = new Sequential([new InputLayer([3], name: "inner_in"), new Dense(3, activation: "tanh", name: "inner_dense")], name: "inner");
        var y = new Dense(2, activation: "softmax", name: "head").Apply(inner.Apply(shared.Apply(a)));
        var model = new Model(a, y, name: "small");
        model.Compile(new Praxis.Optimizers.Adam(0.01f), "categorical_crossentropy", ["accuracy"]);
        model.TrainOnBatch(Tensor.Ones(2, 4), Tensor.FromArray([1f, 0, 0, 1], 2, 2));
        return model;
    }

    private static Model ConvModel()
    {
        var model = new Sequential([
            new InputLayer([8, 8, 1]),
            new Conv2D(2, 3, activation: "relu"),
            new MaxPooling2D(2),
            new Flatten(),
            new Dropout(0.25f),
            new Dense(3, activation: "softmax"),
        ], name: "conv");
        model.Compile("sgd", "categorical_crossentropy", ["accuracy"]);
        return model;
    }

    private static byte[] IdxBytes(int[] dims, byte[] data)
    {
        var b = new byte[4 + 4 * dims.Length + data.Length];
        b[2] = 0x08;
        b[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(b, 4 + 4 * dims.Length);
        return b;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(raw);
        return ms.ToArray();
    }

    private static byte[] Picture(int w, int h, SKEncodedImageFormat format)
    {
        using var bmp = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black, StrokeWidth = Math.Max(2, w / 8f), Style = SKPaintStyle.Stroke };
            canvas.DrawLine(w / 2f, h / 5f, w / 2f, 4 * h / 5f, paint);
        }
        using var data = bmp.Encode(format, 90);
        return data.ToArray();
    }

    // ------------------------------------------------------------------ measurement

    /// <summary>Per-case allocation (this thread), peak-RSS growth (Linux: VmHWM reset through clear_refs) and time.</summary>
    private sealed class Probe
    {
        private readonly Stopwatch _sw = new();
        private long _alloc, _rss;

        public bool CanReset { get; } = TryReset();

        private static bool TryReset()
        {
            try { File.WriteAllText("/proc/self/clear_refs", "5"); return Status("VmHWM") > 0; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        }

        public static long Status(string key)
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith(key + ":", StringComparison.Ordinal))
                        return long.Parse(line.AsSpan(key.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
            catch (IOException) { }
            return 0;
        }

        public void Begin()
        {
            if (CanReset) { File.WriteAllText("/proc/self/clear_refs", "5"); _rss = Status("VmRSS"); }
            _alloc = GC.GetAllocatedBytesForCurrentThread();
            _sw.Restart();
        }

        public (long Alloc, long Rss, double Ms) End()
        {
            _sw.Stop();
            long alloc = GC.GetAllocatedBytesForCurrentThread() - _alloc;
            long rss = CanReset ? Math.Max(0, Status("VmHWM") - _rss) : 0;
            return (alloc, rss, _sw.Elapsed.TotalMilliseconds);
        }
    }
}
