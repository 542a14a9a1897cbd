using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Praxis.IO.Onnx;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>Exports models and runs them in ONNX Runtime, comparing with <c>Predict</c> to 1e-5.</summary>
[Collection("Global state")]
public class OnnxExportTests(Xunit.Abstractions.ITestOutputHelper output)
{
    internal const double Tolerance = 1e-5;

    /// <summary>Runs an exported file in ONNX Runtime on the given inputs (Keras layouts) and returns all outputs.</summary>
    internal static float[][] RunOnnx(string path, params Tensor[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        var names = session.InputMetadata.Keys.ToArray();
        Assert.Equal(inputs.Length, names.Length);
        var feeds = inputs.Select((t, i) => NamedOnnxValue.CreateFromTensor(names[i], new DenseTensor<float>(t.ToArray(), t.Shape.ToArray()))).ToList();
        using var results = session.Run(feeds);
        return results.Select(r => r.AsTensor<float>().ToArray()).ToArray();
    }

    /// <summary>Exports, runs in ONNX Runtime, and asserts every output matches Predict within <see cref="Tolerance"/>.</summary>
    internal static double AssertMatches(Model model, string path, int opset, params Tensor[] inputs)
    {
        model.ExportOnnx(path, opset);
        var expected = model.PredictMany(inputs);
        var actual = RunOnnx(path, inputs);
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int o = 0; o < expected.Length; o++)
        {
            var e = expected[o].ToArray();
            Assert.Equal(e.Length, actual[o].Length);
            for (int i = 0; i < e.Length; i++)
            {
                double diff = Math.Abs(e[i] - actual[o][i]);
                worst = Math.Max(worst, diff);
                Assert.True(diff <= Tolerance, $"output {o} element {i}: Praxis {e[i]:R}, ONNX Runtime {actual[o][i]:R} (|diff| {diff:E2} > {Tolerance})");
            }
        }
        return worst;
    }

    [Fact]
    public void SeedMlpRunsInOnnxRuntimeAndMatchesPredict()
    {
        SetRandomSeed(2);
        ClearSession();
        var (x, y) = SaveLoadTests.MnistSlice(512);
        var model = SaveLoadTests.SeedMlp();
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0);
        using var dir = new TempDir();
        double worst = AssertMatches(model, dir.File("mlp.onnx"), OnnxExporter.DefaultOpset, x.SliceRows(0, 256));
        output.WriteLine($"seed MLP: max |Praxis - ONNX Runtime| = {worst:E2} over 256 MNIST images");
        // The file is plain ONNX: the default opset (26, the newest ONNX Runtime 1.31 supports) of the default domain, IR 11, symbolic batch.
        var proto = Praxis.IO.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("mlp.onnx")));
        Assert.Equal(26, proto.OpsetImport.Single().Version);
        Assert.Equal(11, proto.IrVersion);
        Assert.Equal("N", proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(784, proto.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue);
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Softmax");
    }

    [Theory]
    [InlineData(13)]
    [InlineData(17)]
    [InlineData(20)]
    [InlineData(26)]
    public void EveryActivationMatchesAtEachOpset(int opset)
    {
        SetRandomSeed(3);
        ClearSession();
        var i = Input(shape: [6]);
        var x = i;
        foreach (var name in new[] { "relu", "elu", "gelu", "gelu_approximate", "hard_sigmoid", "tanh", "swish", "silu", "softplus", "leaky_relu", "sigmoid", "linear" })
            x = new Dense(6, activation: name).Apply(x);
        x = new Activation("log_softmax").Apply(new Dense(5).Apply(x));
        var model = new Model(i, new Activation("softmax").Apply(x));
        using var dir = new TempDir();
        AssertMatches(model, dir.File("act.onnx"), opset, Tensor.RandomNormal(new Shape(7, 6), 0, 2, new Rng(1)));
    }

    [Theory]
    [InlineData("one_hot", 1)]
    [InlineData("multi_hot", 4)]
    [InlineData("count", 4)]
    public void CategoryEncodingMatchesAndARowWithABadIdIsNaN(string mode, int ids)
    {
        ClearSession();
        var i = Input(shape: [ids]);
        var model = new Model(i, new CategoryEncoding(6, mode).Apply(i));
        using var dir = new TempDir();
        var rng = new Rng(8);
        var x = new Tensor(new Shape(9, ids));
        var span = x.Span;
        for (int k = 0; k < span.Length; k++) span[k] = rng.NextInt(6); // repeats included, so count differs from multi_hot
        AssertMatches(model, dir.File("encode.onnx"), 13, x);
        AssertMatches(model, dir.File("encode26.onnx"), 26, x);

        // Praxis refuses an id outside [0, 6) or a fraction; the graph cannot throw, so that row (only) is NaN.
        var bad = x.Clone();
        bad.Span[ids * 2] = 6f;
        bad.Span[ids * 5] = 2.5f;
        Assert.Throws<ArgumentException>(() => model.Predict(bad));
        var y = RunOnnx(dir.File("encode.onnx"), bad)[0];
        for (int r = 0; r < 9; r++)
            for (int t = 0; t < 6; t++)
                Assert.True(float.IsNaN(y[r * 6 + t]) == (r is 2 or 5), $"row {r} token {t}: {y[r * 6 + t]}");
    }

    [Theory]
    [InlineData("int", null, 1)]
    [InlineData("int", 0L, 1)]
    [InlineData("count", null, 1)]
    [InlineData("multi_hot", 0L, 1)]
    [InlineData("one_hot", null, 1)]
    [InlineData("count", 0L, 0)]
    public void IntegerLookupMatchesAndRefusedValuesAreNaN(string mode, long? mask, int oovIndices)
    {
        ClearSession();
        int ids = mode == "one_hot" ? 1 : 3;
        // 16777217 = 2^24 + 1 is no float32: Praxis can never be given it, so 16777216 (a float) is unknown in both.
        long[] vocabulary = [7, 3, 42, -5, 16777217];
        var i = Input(shape: [ids]);
        var model = new Model(i, new IntegerLookup(numOovIndices: oovIndices, maskToken: mask, vocabulary: vocabulary, outputMode: mode).Apply(i));
        using var dir = new TempDir();
        float[] known = oovIndices == 0 ? [7, 3, 42, -5, 0] : [7, 3, 42, -5, 0, 16777216, 9, -1];
        var rng = new Rng(12);
        var x = new Tensor(new Shape(10, ids));
        var span = x.Span;
        for (int k = 0; k < span.Length; k++) span[k] = known[rng.NextInt(known.Length)];
        if (mask is null && oovIndices == 0) span.Replace(0f, 7f); // 0 is then neither the mask nor known
        AssertMatches(model, dir.File("lookup.onnx"), 13, x);
        AssertMatches(model, dir.File("lookup26.onnx"), 26, x);

        // A fraction (or, without an OOV index, an unknown value) is refused by Praxis and NaN in the graph.
        var bad = x.Clone();
        bad.Span[ids * 3] = oovIndices == 0 ? 8f : 2.5f;
        Assert.Throws<ArgumentException>(() => model.Predict(bad));
        var y = RunOnnx(dir.File("lookup.onnx"), bad)[0];
        var expected = model.Predict(x).ToArray();
        int width = y.Length / 10;
        for (int r = 0; r < 10; r++)
            for (int t = 0; t < width; t++)
            {
                bool poisoned = mode == "int" ? r * width + t == ids * 3 : r == 3;
                Assert.True(poisoned ? float.IsNaN(y[r * width + t]) : y[r * width + t] == expected[r * width + t], $"row {r} column {t}: {y[r * width + t]}");
            }
    }

    /// <summary>examples/TimeseriesClassification's FCN (keras.io), with trained-looking BatchNormalization statistics.</summary>
    [Fact]
    public void TheTimeseriesFcnExportsWithRank3BatchNormalization()
    {
        SetRandomSeed(6);
        ClearSession();
        var inputs = Input([50, 1]);
        var x = inputs;
        for (int b = 0; b < 3; b++)
        {
            x = new Conv1D(8, 3, padding: "same").Apply(x);
            x = new BatchNormalization(movingMeanInitializer: new Praxis.Initializers.RandomNormal(0f, 0.5f),
                movingVarianceInitializer: new Praxis.Initializers.RandomUniform(0.5f, 2f)).Apply(x);
            x = new ReLU().Apply(x);
        }
        var model = new Model(inputs, new Dense(2, activation: "softmax").Apply(new GlobalAveragePooling1D().Apply(x)));
        using var dir = new TempDir();
        AssertMatches(model, dir.File("fcn.onnx"), 26, Tensor.RandomNormal(new Shape(5, 50, 1), rng: new Rng(2)));
    }

    /// <summary>A text model's graph takes token ids; model.vocab.json beside it holds the tokenizer (or nothing is written).</summary>
    [Fact]
    public void ATextModelGetsItsVocabularyFileAndAnUnadaptedVectorizerIsRefused()
    {
        ClearSession();
        var i = Input(shape: [4]);
        var vectorizer = new TextVectorization(maxTokens: 10, outputSequenceLength: 4, ngrams: 2);
        var model = new Model(i, new Dense(2).Apply(new Embedding(10, 3).Apply(i))) { StringInput = vectorizer };
        using var dir = new TempDir();
        string path = dir.File("text.onnx");
        var e = Assert.Throws<InvalidOperationException>(() => model.ExportOnnx(path));
        Assert.Contains("Layer 'text_vectorization' (TextVectorization) has no vocabulary", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path)); // neither file

        vectorizer.Adapt(["The cat sat.", "the dog ran; the end!"]);
        var ids = vectorizer.Apply(["the cat ran", "a dog"]);
        AssertMatches(model, path, 26, ids);
        Assert.Equal(dir.File("text.vocab.json"), OnnxStringInput.PathFor(path));
        var file = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(OnnxStringInput.PathFor(path))).RootElement;
        using (var session = new InferenceSession(path))
            Assert.Equal(session.InputMetadata.Keys.Single(), file.GetProperty("onnx_input").GetString());
        Assert.Equal("[\"N\",4]", file.GetProperty("onnx_input_shape").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal(vectorizer.GetVocabulary(), file.GetProperty("ids").EnumerateArray().Select(t => t.GetString()!).ToArray());
        Assert.Equal("[1,2]", file.GetProperty("config").GetProperty("ngrams").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal("!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'", file.GetProperty("strip_characters").GetString());
    }

    [Fact]
    public void NestedMultiInputMultiOutputAndRank3GraphsMatch()
    {
        SetRandomSeed(4);
        ClearSession();
        var inner = new Sequential([new InputLayer([5]), new Dense(5, activation: "tanh"), new Dense(5, useBias: false)]);
        var a = Input(shape: [3, 5]);   // Dense on a rank-3 input: MatMul + Add
        var b = Input(shape: [5]);
        var shared = new Dense(5, activation: "relu");
        var ya = new Dense(4, activation: "elu").Apply(shared.Apply(a));
        var yb = new Dense(2, activation: "sigmoid").Apply(inner.Apply(shared.Apply(b)));
        var model = new Model([a, b], [ya, yb]);
        using var dir = new TempDir();
        AssertMatches(model, dir.File("graph.onnx"), 17,
            Tensor.RandomNormal(new Shape(4, 3, 5), rng: new Rng(1)), Tensor.RandomNormal(new Shape(4, 5), rng: new Rng(2)));
    }

    [Fact]
    public void UnsupportedRequestsFailClearly()
    {
        ClearSession();
        var model = SaveLoadTests.SeedMlp();
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.ExportOnnx(dir.File("old.onnx"), opset: 12));
        Assert.Contains("Softmax changed meaning at 13", e.Message);
        Assert.False(File.Exists(dir.File("old.onnx")));
        Activations.Register("cube_test", t => t * t * t);
        var i = Input(shape: [2]);
        var cube = new Model(i, new Dense(2, activation: "cube_test").Apply(i));
        var n = Assert.Throws<NotSupportedException>(() => cube.ExportOnnx(dir.File("cube.onnx")));
        Assert.Contains("Activation 'cube_test'", n.Message);
        OnnxExporter.RegisterActivation("cube_test", (g, x, h) => g.Node("Mul", [g.Node("Mul", [x, x], h), x], h));
        AssertMatches(cube, dir.File("cube.onnx"), 17, Tensor.RandomNormal(new Shape(3, 2), rng: new Rng(5)));
    }
}
