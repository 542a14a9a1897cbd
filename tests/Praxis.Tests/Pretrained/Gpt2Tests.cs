using System.Text.Json;
using Praxis.IO;
using Praxis.Losses;
using Praxis.Models.Gpt2;
using Praxis.Optimizers;
using Praxis.Tests.IO;

namespace Praxis.Tests.Pretrained;

/// <summary>
/// GPT-2 against the tiny random checkpoint in data/gpt2-tiny (HF layout, written by make_gpt2_tiny.py with a
/// faithful PyTorch forward): logits to 1e-4, greedy ids, the HF round trip, save/load, errors, fine-tuning.
/// </summary>
public class Gpt2Tests
{
    internal static string FixtureDir()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string p = Path.Combine(d.FullName, "data", "gpt2-tiny");
                if (File.Exists(Path.Combine(p, "model.safetensors"))) return p;
            }
        throw new FileNotFoundException("data/gpt2-tiny not found above the test directory.");
    }

    private static readonly Lazy<Gpt2> Tiny = new(() => Gpt2.FromHuggingFace(FixtureDir()));

    private static JsonElement Reference() => JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir(), "reference.json"))).RootElement;

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static void CheckLogits(float[] logits, int vocab, JsonElement r)
    {
        var rows = r.GetProperty("logits_first_256").EnumerateArray().ToArray();
        var argmax = Ints(r.GetProperty("argmax"));
        var lse = r.GetProperty("logsumexp").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        for (int t = 0; t < rows.Length; t++)
        {
            var row = logits.AsSpan(t * vocab, vocab);
            int j = 0;
            foreach (var v in rows[t].EnumerateArray())
            {
                Assert.True(Math.Abs(row[j] - v.GetDouble()) < 1e-4, $"logit ({t}, {j}): {row[j]} vs PyTorch {v.GetDouble()}");
                j++;
            }
            Assert.Equal(argmax[t], Sampling.Greedy(row));
            double max = double.NegativeInfinity, sum = 0;
            foreach (float z in row) max = Math.Max(max, z);
            foreach (float z in row) sum += Math.Exp(z - max);
            Assert.True(Math.Abs(max + Math.Log(sum) - lse[t]) < 1e-4, $"logsumexp row {t}: {max + Math.Log(sum)} vs {lse[t]}");
        }
    }

    /// <summary>
    /// The GPT-2 graph (tied head, causal attention, gelu_approximate) exports: ONNX Runtime gives Predict's logits at
    /// several lengths from one file (the sequence axis is symbolic), at opset 26 and at 13 (the decomposed forms).
    /// </summary>
    [Theory]
    [InlineData(26)]
    [InlineData(13)]
    public void ExportsToOnnxAndOnnxRuntimeGivesPredictsLogitsAtEveryLength(int opset)
    {
        var g = Tiny.Value;
        using var dir = new TempDir();
        string path = dir.File("gpt2.onnx");
        g.Model.ExportOnnx(path, opset);
        var rng = new Rng(21);
        foreach (int length in new[] { 1, 7, 16 })
        {
            var ids = new Tensor(new Shape(2, length));
            var span = ids.Span;
            for (int i = 0; i < span.Length; i++) span[i] = rng.NextInt(g.Config.VocabSize);
            var expected = g.Model.Predict(ids).ToArray();
            var actual = OnnxExportTests.RunOnnx(path, ids)[0];
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"length {length}, logit {i}: Predict {expected[i]}, ONNX Runtime {actual[i]}");
        }
    }

    [Fact]
    public void LoadsTheHuggingFaceLayoutWithItsConfigAndDtypes()
    {
        var g = Tiny.Value;
        Assert.Equal(new Gpt2Config(50257, 64, 16, 2, 2, 1e-5f), g.Config);
        Assert.Equal("F16", g.SourceDTypes["wte.weight"]);
        Assert.Equal("BF16", g.SourceDTypes["ln_f.weight"]);
        Assert.Equal("F32", g.SourceDTypes["h.1.attn.c_attn.weight"]);
        // c_attn (16, 48) split into Q, K, V: the key kernel's first row is columns 16..32 of the file's first row.
        using var st = MappedSafeTensors.Open(Path.Combine(FixtureDir(), "model.safetensors"));
        var full = new float[16 * 48];
        st.CopyTo("h.0.attn.c_attn.weight", full);
        Assert.Equal(full.AsSpan(16, 16).ToArray(), g.Blocks[0].Attn.KeyKernel.Span[..16].ToArray());
    }

    [Fact]
    public void KvCacheLogitsMatchThePyTorchForwardTo1e4()
    {
        var r = Reference();
        var logits = Tiny.Value.Logits(Ints(r.GetProperty("ids")));
        CheckLogits(logits, 50257, r);
    }

    [Fact]
    public void FunctionalModelPredictMatchesThePyTorchForwardTo1e4()
    {
        var r = Reference();
        var ids = Ints(r.GetProperty("ids"));
        var x = Tensor.FromArray(ids.Select(i => (float)i).ToArray(), 1, ids.Length);
        var logits = Tiny.Value.Model.Predict(x, batchSize: 1);
        Assert.Equal(new Shape(1, ids.Length, 50257), logits.Shape);
        CheckLogits(logits.ToArray(), 50257, r);
    }

    [Fact]
    public void GreedyGenerationGivesPyTorchsIds()
    {
        var r = Reference();
        var result = Tiny.Value.Generate(Ints(r.GetProperty("prompt")), new GenerationOptions { MaxNewTokens = 16, Temperature = 0f });
        Assert.Equal(Ints(r.GetProperty("greedy")), result.Tokens);
        Assert.True(result.TokensPerSecond > 0);
    }

    [Fact]
    public void CachedStepsEqualRecomputingThePrefix()
    {
        var g = Tiny.Value;
        int[] prompt = [464, 2068, 7586];
        var gen = g.Generate(prompt, new GenerationOptions { MaxNewTokens = 8, Temperature = 0.9f, TopK = 50, TopP = 0.95f, Seed = 7 });
        Assert.Equal(gen.Tokens, g.Generate(prompt, new GenerationOptions { MaxNewTokens = 8, Temperature = 0.9f, TopK = 50, TopP = 0.95f, Seed = 7 }).Tokens);
        // The last cached step's logits equal a fresh full forward over the whole sequence.
        int[] all = [.. prompt, .. gen.Tokens[..^1]];
        var full = g.Logits(all);
        var cachedNext = g.Generate(all, new GenerationOptions { MaxNewTokens = 1, Temperature = 0f }).Tokens[0];
        Assert.Equal(Sampling.Greedy(full.AsSpan((all.Length - 1) * 50257, 50257)), cachedNext);
        // top-k 1 is greedy whatever the temperature
        var greedy = g.Generate(prompt, new GenerationOptions { MaxNewTokens = 6, Temperature = 0f }).Tokens;
        Assert.Equal(greedy, g.Generate(prompt, new GenerationOptions { MaxNewTokens = 6, Temperature = 2f, TopK = 1, Seed = 3 }).Tokens);
    }

    [Fact]
    public void GenerationRefusesTooLongAContextAndBadIds()
    {
        var g = Tiny.Value;
        var e = Assert.Throws<ArgumentException>(() => g.Generate(new int[60], new GenerationOptions { MaxNewTokens = 10 }));
        Assert.Contains("n_positions = 64", e.Message);
        Assert.Contains("50257", Assert.Throws<ArgumentOutOfRangeException>(() => g.Logits([1, 50257])).Message);
        Assert.Contains("top_p", Assert.Throws<ArgumentOutOfRangeException>(() => g.Generate([1], new GenerationOptions { TopP = 0f })).Message);
    }

    [Fact]
    public void ExportBackToHuggingFaceIsByteIdentical()
    {
        using var dir = new TempDir();
        Tiny.Value.ExportHuggingFace(dir.Path);
        var a = SafeTensorsFile.Read(Path.Combine(FixtureDir(), "model.safetensors"));
        var b = SafeTensorsFile.Read(dir.File("model.safetensors"));
        Assert.Equal(a.Tensors.Select(t => t.Name), b.Tensors.Select(t => t.Name)); // same order as the safetensors library
        foreach (var t in a.Tensors)
        {
            var u = b.Find(t.Name)!;
            Assert.Equal(t.DType, u.DType);
            Assert.Equal(t.Shape, u.Shape);
            Assert.True(t.Bytes.SequenceEqual(u.Bytes), $"tensor {t.Name} differs after HF -> Praxis -> HF");
        }
        Assert.Equal("pt", b.Metadata["format"]);
        Assert.Equal(Tiny.Value.Config, Gpt2Config.FromJsonFile(dir.File("config.json")));
        // And the exported directory loads again to the same logits.
        int[] ids = [1, 2, 3, 4];
        Assert.Equal(Tiny.Value.Logits(ids), Gpt2.FromHuggingFace(dir.Path).Logits(ids));
    }

    [Fact]
    public void SavesAndLoadsAsPraxisFile()
    {
        using var dir = new TempDir();
        var g = Gpt2.FromHuggingFace(FixtureDir());
        g.Save(dir.File("tiny.praxis"));
        var back = Gpt2.Load(dir.File("tiny.praxis"));
        Assert.Equal(g.Config, back.Config);
        int[] ids = [15496, 11, 616];
        Assert.Equal(g.Logits(ids), back.Logits(ids));
        // Through .praxis and out to HF again with the original dtypes: the same bytes.
        back.ExportHuggingFace(dir.Path, dtype: null);
        var wte = SafeTensorsFile.Read(dir.File("model.safetensors")).Find("wte.weight")!;
        Assert.Equal("F32", wte.DType); // a .praxis file keeps float32 values, not the checkpoint's dtypes
        Assert.Equal(SafeTensorsFile.Read(Path.Combine(FixtureDir(), "model.safetensors")).Find("wte.weight")!.ToFloat32(), wte.ToFloat32());
    }

    private static string CopyFixture(TempDir dir, Func<string, string>? config = null)
    {
        string src = FixtureDir();
        File.WriteAllText(dir.File("config.json"), (config ?? (s => s))(File.ReadAllText(Path.Combine(src, "config.json"))));
        File.Copy(Path.Combine(src, "model.safetensors"), dir.File("model.safetensors"));
        return dir.Path;
    }

    [Fact]
    public void MismatchedOrMissingTensorsAreNamedWithBothShapes()
    {
        using (var dir = new TempDir())
        {
            CopyFixture(dir, s => s.Replace("\"n_positions\": 64", "\"n_positions\": 32"));
            var e = Assert.Throws<InvalidDataException>(() => Gpt2.FromHuggingFace(dir.Path));
            Assert.Contains("'wpe.weight'", e.Message);
            Assert.Contains("[64, 16]", e.Message);
            Assert.Contains("[32, 16]", e.Message);
        }
        using (var dir = new TempDir())
        {
            CopyFixture(dir);
            var src = SafeTensorsFile.Read(dir.File("model.safetensors"));
            var w = new SafeTensorsWriter { IncludeChecksum = false };
            foreach (var t in src.Tensors)
                if (t.Name != "h.1.mlp.c_fc.bias") w.AddRaw(t.Name, t.DType, t.Shape, t.Bytes.ToArray());
            w.Save(dir.File("model.safetensors"));
            var e = Assert.Throws<InvalidDataException>(() => Gpt2.FromHuggingFace(dir.Path));
            Assert.Contains("'h.1.mlp.c_fc.bias' is missing", e.Message);
            Assert.Contains("[64]", e.Message);
        }
        using (var dir = new TempDir())
        {
            CopyFixture(dir, s => s.Replace("\"n_layer\": 2", "\"n_layer\": 1"));
            Assert.Contains("unexpected tensor 'h.1.", Assert.Throws<InvalidDataException>(() => Gpt2.FromHuggingFace(dir.Path)).Message);
        }
        using (var dir = new TempDir())
        {
            CopyFixture(dir, s => s.Replace("\"gelu_new\"", "\"relu\""));
            Assert.Contains("activation_function", Assert.Throws<InvalidDataException>(() => Gpt2.FromHuggingFace(dir.Path)).Message);
        }
        using (var dir = new TempDir())
        {
            // A config asking for huge weights is refused by the shape checks, before anything is allocated.
            CopyFixture(dir, s => s.Replace("\"n_embd\": 16", "\"n_embd\": 4096"));
            Assert.Contains("config.json implies [50257, 4096]", Assert.Throws<InvalidDataException>(() => Gpt2.FromHuggingFace(dir.Path)).Message);
        }
        using (var dir = new TempDir())
            Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => Gpt2.FromHuggingFace(dir.Path)).Message);
    }

    [Fact]
    public void FineTuningWithAdamWLowersTheLossAndGenerationUsesTheNewWeights()
    {
        var g = Gpt2.FromHuggingFace(FixtureDir());
        var opt = new AdamW(learningRate: 3e-3f, weightDecay: 0.01f);
        opt.ExcludeFromWeightDecay(varNames: ["gamma", "beta", "bias"]);
        g.Model.Compile(opt, new SparseCategoricalCrossentropy(fromLogits: true));
        // A fixed stretch of token ids (ids of "Call me Ishmael." repeated) learnt in a few steps.
        int[] ids = [14134, 502, 1148, 21720, 417, 13, 2773, 812, 2084, 960, 12081, 2000, 703, 890, 10582, 960, 14134, 502];
        var x = Tensor.FromArray(ids[..^1].Select(i => (float)i).ToArray(), 1, ids.Length - 1);
        var y = Tensor.FromArray(ids[1..].Select(i => (float)i).ToArray(), 1, ids.Length - 1);
        double first = g.Model.TestOnBatch(x, y)["loss"];
        for (int i = 0; i < 30; i++) g.Model.TrainOnBatch(x, y);
        double last = g.Model.TestOnBatch(x, y)["loss"];
        Assert.True(last < first - 1.0, $"loss {first} -> {last}");
        var predicted = g.Model.Predict(x, batchSize: 1).ToArray();
        var cached = g.Logits(ids[..^1]);
        for (int i = 0; i < cached.Length; i += 997) Assert.True(Math.Abs(predicted[i] - cached[i]) < 1e-3, $"logit {i}: {predicted[i]} vs {cached[i]}");
    }
}
