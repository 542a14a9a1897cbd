using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Praxis.Cli.Recipes;
using Praxis.Cli.Training;
using Praxis.IO.Onnx;
using Praxis.Models;
using ServeOnnx;

namespace Praxis.Cli.Tests;

/// <summary>
/// <c>praxis export</c> for every registered recipe: a short run of each (one epoch on a few hundred samples), exported,
/// then run by ONNX Runtime on real inputs (MNIST test images, SpamAssassin test messages, latents for the generator)
/// and compared with <c>Predict</c> of the run's model file. A new recipe is in the theory's data automatically.
/// </summary>
public sealed class ExportRecipeTests : IDisposable
{
    private const float Tolerance = 1e-4f;
    private readonly string _root = Directory.CreateTempSubdirectory("praxis-cli-export-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    public static TheoryData<string> Recipes() => [.. RecipeRegistry.All.Select(r => r.Name)];

    [Theory]
    [MemberData(nameof(Recipes))]
    public void EveryRecipesRunExportsToOnnxThatOnnxRuntimeRunsAsPredict(string name)
    {
        var recipe = RecipeRegistry.Get(name);
        string root = Path.Combine(_root, name);
        Directory.CreateDirectory(root);
        string[] extra = recipe switch
        {
            // A small judge in the journal's cache (as DcganRecipeTests), so the run does not train one on 60,000 images.
            GanRecipe => SeedSmallJudge(root),
            TextRecipe => ["--samples", "320"],
            _ => ["--samples", "512"],
        };
        var train = CliHarness.Run(["train", name, "--epochs", "1", .. extra, "--runs-dir", root]);
        Assert.True(train.ExitCode == 0, train.Err + train.Out);
        string dir = Directory.GetDirectories(root).Single(d => !Path.GetFileName(d).StartsWith('.'));
        string onnx = Path.Combine(root, name + ".onnx");
        var export = CliHarness.Run("export", Path.GetFileName(dir), "-o", onnx, "--runs-dir", root);
        Assert.True(export.ExitCode == 0, export.Err);
        Assert.StartsWith($"Exported run {Path.GetFileName(dir)} to {onnx} (ONNX opset 26, ", export.Out);
        var model = Model.Load(Path.Combine(dir, "model.praxis"));
        string vocab = OnnxStringInput.PathFor(onnx);

        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, options);
        string input = session.InputMetadata.Keys.Single();
        float[] expected, actual;
        switch (recipe)
        {
            case TextRecipe text:
            {
                // The ONNX model takes token ids; the vocabulary and settings beside it, applied by this test's own
                // tokenizer, must give the run's TextVectorization ids and then Predict's probabilities.
                Assert.Contains($"Its input '{input}' (N, {TextCnnRecipe.SequenceLength}) takes token ids (0 = padding, 1 = [UNK]), not text", export.Out);
                Assert.Contains($"{vocab} holds its settings (standardize lower_and_strip_punctuation, split whitespace, ngrams none, max_tokens 20000, output_mode int, output_sequence_length 500) and vocabulary (", export.Out);
                var tokenizer = new SidecarTokenizer(vocab);
                Assert.Equal(input, tokenizer.OnnxInput);
                var texts = text.LoadText().TestText.Take(48).ToArray();
                float[] ids = tokenizer.Encode(texts);
                Assert.Equal(TextRecipe.Vectorizer(model, name).Apply(texts).ToArray(), ids);
                Assert.Contains(ids, id => id == 1f); // some words of the test messages are not in a 320-message vocabulary
                expected = model.Predict(texts).ToArray();
                actual = Run(session, input, ids, [texts.Length, tokenizer.SequenceLength]);
                break;
            }
            case GanRecipe:
            {
                var z = Tensor.RandomNormal(new Shape(32, 100), rng: new Rng(11));
                expected = model.Predict(z).ToArray();
                actual = Run(session, input, z.ToArray(), [32, 100]);
                break;
            }
            default:
            {
                var test = DatasetRegistry.Get(recipe.Dataset).Load().TestX.SliceRows(0, 64);
                var x = recipe.PrepareInputs(test);
                expected = model.Predict(x).ToArray();
                actual = Run(session, input, x.ToArray(), x.Shape.Dims.ToArray());
                if (recipe.Dataset == "mnist") CheckServeOnnx(onnx, model, recipe);
                break;
            }
        }
        if (recipe is not TextRecipe)
        {
            Assert.False(File.Exists(vocab), $"{vocab} written for a model without a StringInput");
            Assert.DoesNotContain("not text", export.Out);
        }
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= Tolerance, $"{name}: value {i}: Predict {expected[i]}, ONNX Runtime {actual[i]}");
    }

    /// <summary>
    /// examples/ServeOnnx (no Praxis inside) on the exported model: its IDX reader gives the dataset's pixels, its
    /// classifier gives Predict's scores, and the app prints Praxis' classes and accuracy on the first 200 test images.
    /// </summary>
    private static void CheckServeOnnx(string onnx, Model model, Recipe recipe)
    {
        const int count = 200;
        var data = DatasetRegistry.Get("mnist").Load();
        var (dims, pixels) = Idx.Read(MnistFile("t10k-images-idx3-ubyte.gz"));
        Assert.Equal([10000, 28, 28], dims);
        var x = new float[count * 784];
        for (int i = 0; i < x.Length; i++) x[i] = pixels[i] * (1f / 255f); // as ServeOnnx scales them
        Assert.Equal(data.TestX.SliceRows(0, count).ToArray(), x);

        var expected = model.Predict(recipe.PrepareInputs(data.TestX.SliceRows(0, count))).ToArray();
        using var classifier = new OnnxClassifier(onnx);
        var scores = classifier.Predict(x, count, batchSize: 64);
        var classes = new int[count];
        int correct = 0;
        for (int i = 0; i < count; i++)
        {
            for (int k = 0; k < 10; k++)
                Assert.True(MathF.Abs(expected[i * 10 + k] - scores[i][k]) <= Tolerance, $"ServeOnnx sample {i} class {k}: Predict {expected[i * 10 + k]}, {scores[i][k]}");
            classes[i] = Array.IndexOf(expected, expected.AsSpan(i * 10, 10).ToArray().Max(), i * 10, 10) - i * 10;
            if (classes[i] == (int)data.TestY[i]) correct++;
        }

        var output = new StringWriter { NewLine = "\n" };
        Assert.Equal(0, ServeApp.Run([onnx, "--count", count.ToString(CultureInfo.InvariantCulture)], output));
        Assert.Contains($"Predicted classes of the first 20: {string.Join(' ', classes.Take(20))}\n", output.ToString());
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"Accuracy: {100.0 * correct / count:F2} % ({correct} of 200 images)"), output.ToString());
    }

    private static string[] SeedSmallJudge(string root)
    {
        var data = new MnistDataset().Load();
        Judge.LoadOrTrain(Judge.CachePath(root, 1), data with { TrainX = data.TrainX.SliceRows(0, 2000), TrainY = data.TrainY.SliceRows(0, 2000) }, epochs: 1);
        return ["--samples", "256", "--judge-epochs", "1"];
    }

    private static float[] Run(InferenceSession session, string input, float[] data, int[] dims)
    {
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(data, dims))]);
        return outputs.Single().AsTensor<float>().ToArray();
    }

    private static string MnistFile(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "data", "mnist", name))) return Path.Combine(d.FullName, "data", "mnist", name);
        throw new FileNotFoundException($"data/mnist/{name} not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>
    /// A tokenizer written from the file's description alone (what a user without Praxis would write): lower case,
    /// strip the listed characters, split on whitespace, n-grams, look up in <c>ids</c> (unknown → the [UNK] id), pad
    /// or truncate at the end.
    /// </summary>
    private sealed class SidecarTokenizer
    {
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly string? _standardize, _split, _strip;
        private readonly int[] _ngrams;
        private readonly int _oov;

        public SidecarTokenizer(string path)
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            Assert.Equal(OnnxStringInput.Format, root.GetProperty("format").GetString());
            Assert.Equal("TextVectorization", root.GetProperty("class_name").GetString());
            Assert.Equal("ToLowerInvariant", root.GetProperty("lowercase").GetString());
            var config = root.GetProperty("config");
            Assert.Equal("int", config.GetProperty("output_mode").GetString());
            OnnxInput = root.GetProperty("onnx_input").GetString()!;
            _standardize = config.GetProperty("standardize").GetString();
            _split = config.GetProperty("split").GetString();
            _strip = root.GetProperty("strip_characters").GetString();
            var ngrams = config.GetProperty("ngrams");
            _ngrams = ngrams.ValueKind == JsonValueKind.Null ? [1] : [.. ngrams.EnumerateArray().Select(n => n.GetInt32())];
            SequenceLength = config.GetProperty("output_sequence_length").GetInt32();
            Assert.Equal(SequenceLength, root.GetProperty("onnx_input_shape")[1].GetInt32());
            int id = 0;
            foreach (var token in root.GetProperty("ids").EnumerateArray()) _ids.TryAdd(token.GetString()!, id++);
            Assert.True(id <= config.GetProperty("max_tokens").GetInt32());
            _oov = _ids["[UNK]"];
        }

        public string OnnxInput { get; }
        public int SequenceLength { get; }

        public float[] Encode(IReadOnlyList<string> texts)
        {
            var ids = new float[texts.Count * SequenceLength];
            for (int i = 0; i < texts.Count; i++)
            {
                string t = texts[i];
                if (_standardize is "lower_and_strip_punctuation" or "lower") t = t.ToLowerInvariant();
                if (_standardize is "lower_and_strip_punctuation" or "strip_punctuation") t = string.Concat(t.Where(ch => !_strip!.Contains(ch)));
                Assert.True(_split is "whitespace" or null, $"this test's tokenizer splits on whitespace only, not '{_split}'");
                var words = _split is null ? [t] : t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                var tokens = _ngrams.SelectMany(n => Enumerable.Range(0, Math.Max(words.Length - n + 1, 0)).Select(s => string.Join(' ', words, s, n)));
                int j = 0;
                foreach (var token in tokens.Take(SequenceLength)) ids[i * SequenceLength + j++] = _ids.TryGetValue(token, out int id) ? id : _oov;
            }
            return ids;
        }
    }
}
