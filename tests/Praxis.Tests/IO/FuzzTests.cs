using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using Xunit.Abstractions;
using static Praxis.Keras;
using static Praxis.Fuzz.Mutator;

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
}
