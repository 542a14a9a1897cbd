using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using Xunit.Abstractions;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>
/// Feeds the safetensors reader, the model-config parser, the compile-config parser and the whole model loader
/// random and mutated inputs (fixed seed, so failures reproduce). Every input must either load or raise
/// <see cref="InvalidDataException"/>; any other exception type (or an InvalidDataException wrapping an unexpected
/// inner exception, which would hide a layer bug) fails the test with the case number and input.
/// </summary>
[Collection("Global state")]
public class FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261129;

    private sealed class Stats
    {
        public int Cases, Loaded, Rejected;
        public readonly List<string> Failures = new();
    }

    private static void Run(Stats stats, string target, byte[] input, Action<byte[]> parse)
    {
        stats.Cases++;
        try
        {
            parse(input);
            stats.Loaded++;
        }
        catch (InvalidDataException e) when (e.InnerException is null or ArgumentException or InvalidOperationException or NotSupportedException or FormatException or JsonException)
        {
            stats.Rejected++;
        }
        catch (Exception e)
        {
            if (stats.Failures.Count < 5)
                stats.Failures.Add($"{target} case {stats.Cases}: {e.GetType().Name} (inner {e.InnerException?.GetType().Name}): {e.Message}\n  input (base64, first 3000 chars): {Clip(Convert.ToBase64String(input))}\n{e.StackTrace}");
            else stats.Failures.Add(target);
        }
    }

    private static string Clip(string s) => s.Length <= 3000 ? s : s[..3000] + "…";

    private static readonly byte[] Interesting = "{}[]\":,-0123456789eE.ntf \\"u8.ToArray().Concat(new byte[] { 0, 0xFF, 0x7F, 0x80, 0xC0 }).ToArray();

    private static readonly string[] Numbers = ["0", "-1", "1", "2", "3", "7", "64", "-2147483648", "2147483647", "2147483648", "1e309", "1.5", "-0", "null", "\"x\"", "[]", "{}", "true", "100000", "16777217"];

    private static readonly string[] Strings = ["Dense", "Activation", "InputLayer", "Functional", "Sequential", "Model", "relu", "softmax", "nope", "", "dense", "dense_1",
        "input_layer", "glorot_uniform", "random_normal", "F32", "F16", "I64", "BOOL", "F33", "__metadata__", "praxis.model", "praxis.weights", "adam", "sgd", "accuracy", "mse", "System.IO.File"];

    /// <summary>One random mutation of <paramref name="seed"/>: byte-level, or token-level for JSON text.</summary>
    private static byte[] Mutate(byte[] seed, Random rng, bool json)
    {
        var b = new List<byte>(seed);
        int edits = 1 + (rng.Next(4) == 0 ? rng.Next(8) : 0);
        for (int k = 0; k < edits; k++)
        {
            if (b.Count == 0) { b.Add((byte)rng.Next(256)); continue; }
            int at = rng.Next(b.Count);
            switch (rng.Next(json ? 10 : 8))
            {
                case 0: b[at] ^= (byte)(1 << rng.Next(8)); break;
                case 1: b[at] = (byte)rng.Next(256); break;
                case 2: b[at] = Interesting[rng.Next(Interesting.Length)]; break;
                case 3: b.RemoveRange(at, Math.Min(b.Count - at, 1 + rng.Next(16))); break;
                case 4: b.InsertRange(at, Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => Interesting[rng.Next(Interesting.Length)])); break;
                case 5:
                {
                    int len = Math.Min(b.Count - at, 1 + rng.Next(32));
                    b.InsertRange(rng.Next(b.Count), b.GetRange(at, len));
                    break;
                }
                case 6: b.RemoveRange(at, b.Count - at); break; // truncate
                case 7:
                    // Overwrite the 8-byte header length (safetensors) or a random 8 bytes.
                    ulong v = rng.Next(4) switch { 0 => ulong.MaxValue, 1 => (ulong)rng.NextInt64(), 2 => (ulong)rng.Next(200), _ => (ulong)(b.Count + rng.Next(-16, 16)) };
                    int start = rng.Next(2) == 0 ? 0 : at;
                    for (int i = 0; i < 8 && start + i < b.Count; i++) b[start + i] = (byte)(v >> (8 * i));
                    break;
                case 8: ReplaceToken(b, rng, number: true); break;
                default: ReplaceToken(b, rng, number: false); break;
            }
        }
        return b.ToArray();
    }

    /// <summary>Replaces a JSON number (or string) at a random place with an interesting one.</summary>
    private static void ReplaceToken(List<byte> b, Random rng, bool number)
    {
        var text = Encoding.UTF8.GetString(b.ToArray());
        var spans = new List<(int Start, int Length)>();
        for (int i = 0; i < text.Length; i++)
        {
            if (number && (char.IsDigit(text[i]) || text[i] == '-') && (i == 0 || !char.IsLetterOrDigit(text[i - 1])))
            {
                int j = i;
                while (j < text.Length && (char.IsDigit(text[j]) || text[j] is '-' or '.' or 'e' or 'E')) j++;
                spans.Add((i, j - i));
                i = j;
            }
            else if (!number && text[i] == '"')
            {
                int j = text.IndexOf('"', i + 1);
                if (j < 0) break;
                spans.Add((i, j - i + 1));
                i = j;
            }
        }
        if (spans.Count == 0) return;
        var (s, l) = spans[rng.Next(spans.Count)];
        string replacement = number ? Numbers[rng.Next(Numbers.Length)] : "\"" + Strings[rng.Next(Strings.Length)] + "\"";
        var result = Encoding.UTF8.GetBytes(text[..s] + replacement + text[(s + l)..]);
        b.Clear();
        b.AddRange(result);
    }

    private static Model SmallModel()
    {
        var a = Input(shape: [4], name: "a");
        var shared = new Dense(3, activation: "relu", name: "shared");
        var inner = new Sequential([new InputLayer([3], name: "inner_in"), new Dense(3, activation: "tanh", name: "inner_dense")], name: "inner");
        var y = new Dense(2, activation: "softmax", name: "head").Apply(inner.Apply(shared.Apply(a)));
        var model = new Model(a, y, name: "small");
        model.Compile(new Praxis.Optimizers.SGD(0.1f, momentum: 0.5f), "categorical_crossentropy", ["accuracy"]);
        model.TrainOnBatch(Tensor.Ones(2, 4), Tensor.FromArray([1f, 0, 0, 1], 2, 2));
        return model;
    }

    [Fact]
    public void ParsersSurviveOver100000RandomAndMutatedInputs()
    {
        SetRandomSeed(1);
        ClearSession();
        var model = SmallModel();
        using var dir = new TempDir();
        model.Save(dir.File("m.praxis"));
        model.SaveWeights(dir.File("w.safetensors"));
        var modelFile = File.ReadAllBytes(dir.File("m.praxis"));
        var weightsFile = File.ReadAllBytes(dir.File("w.safetensors"));
        var tensorFiles = new[] { modelFile, weightsFile, SafeTensorsTests.SampleFile() };
        var configs = new[]
        {
            Encoding.UTF8.GetBytes(model.ToJson()),
            Encoding.UTF8.GetBytes(new Sequential([new InputLayer([5], name: "i"), new Dense(2, name: "d"), new Activation("relu", name: "r")], name: "s").ToJson()),
        };
        var compileJson = SafeTensorsFile.Read(modelFile).Metadata["compile_config"];

        var rng = new Random(Seed);
        var stats = new Stats();
        var clock = Stopwatch.StartNew();
        // 1. The safetensors reader behind its checksum (structural checks), then float conversion of what loads.
        for (int i = 0; i < 50_000; i++)
        {
            var input = rng.Next(50) == 0 ? RandomBytes(rng) : Mutate(tensorFiles[rng.Next(tensorFiles.Length)], rng, json: rng.Next(3) == 0);
            Run(stats, "safetensors", input, bytes =>
            {
                using var ms = new MemoryStream(bytes);
                var f = SafeTensorsFile.Read(ms, bytes.Length, "fuzz", verifyChecksum: false);
                foreach (var t in f.Tensors) if (t.DType is "F32" or "F16" or "BF16" or "F64" || rng.Next(2) == 0) t.ToFloat32();
            });
        }
        // 2. The public reader with checksum.
        for (int i = 0; i < 10_000; i++)
            Run(stats, "safetensors+checksum", Mutate(tensorFiles[rng.Next(tensorFiles.Length)], rng, json: false), bytes => SafeTensorsFile.Read(bytes, "fuzz"));
        // 3. The model-config parser: rebuild graphs, then save the rebuilt model's config again.
        for (int i = 0; i < 35_000; i++)
        {
            var input = Mutate(configs[rng.Next(configs.Length)], rng, json: true);
            Run(stats, "model_config", input, bytes => ModelConfig.ToJson(ModelConfig.FromJson(bytes, "fuzz", 1 << 20)));
        }
        // 4. Compile configs.
        for (int i = 0; i < 5_000; i++)
            Run(stats, "compile_config", Mutate(Encoding.UTF8.GetBytes(compileJson), rng, json: true), bytes => CompileConfig.FromJson(Encoding.UTF8.GetString(bytes), "fuzz"));
        // 5. Whole model files, checksum off so mutations reach the config, weights and optimizer state.
        for (int i = 0; i < 5_000; i++)
            Run(stats, "model_file", MutateModelFile(modelFile, rng), bytes =>
            {
                using var ms = new MemoryStream(bytes);
                ModelFile.Load(SafeTensorsFile.Read(ms, bytes.Length, "fuzz", verifyChecksum: false), compile: true, restoreRandomState: false);
            });
        clock.Stop();

        output.WriteLine($"fuzz: {stats.Cases} cases in {clock.Elapsed.TotalSeconds:F1} s (seed {Seed}): {stats.Loaded} loaded, {stats.Rejected} rejected with InvalidDataException, {stats.Failures.Count} other exceptions");
        Assert.True(stats.Cases >= 100_000, $"only {stats.Cases} cases");
        Assert.True(stats.Failures.Count == 0, string.Join("\n\n", stats.Failures.Take(5)) + $"\n({stats.Failures.Count} failures in {stats.Cases} cases)");
        Assert.True(stats.Loaded > 1000 && stats.Rejected > 50_000, $"the mutations should both pass and fail the checks: {stats.Loaded} loaded, {stats.Rejected} rejected");
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"fuzzing took {clock.Elapsed}");
    }

    private static byte[] RandomBytes(Random rng)
    {
        var b = new byte[rng.Next(64)];
        rng.NextBytes(b);
        return b;
    }

    /// <summary>Mutates the JSON inside a model file's metadata strings, keeping the file well-formed around it.</summary>
    private static byte[] MutateModelFile(byte[] file, Random rng)
    {
        var f = SafeTensorsFile.Read(file, "seed");
        var w = new SafeTensorsWriter();
        foreach (var (k, v) in f.Metadata)
        {
            if (k == SafeTensorsFile.ChecksumKey) continue;
            bool mutate = k is "model_config" or "compile_config" or "optimizer_state" or "rng_state" or "format_version" && rng.Next(3) == 0;
            w.Metadata[k] = mutate ? Encoding.UTF8.GetString(Mutate(Encoding.UTF8.GetBytes(v), rng, json: true)) : v;
        }
        foreach (var t in f.Tensors)
        {
            if (rng.Next(40) == 0) continue; // drop a tensor
            var shape = t.Shape;
            var data = t.ToFloat32();
            if (rng.Next(40) == 0 && shape.Length > 0) { shape = [.. shape]; shape[0] = 1; data = data[..Math.Min(data.Length, shape.Aggregate(1, (a, d) => a * d))]; if (data.Length != shape.Aggregate(1, (a, d) => a * d)) continue; }
            w.Add(rng.Next(60) == 0 ? t.Name + "x" : t.Name, shape, data);
        }
        return w.ToArray();
    }
}
