using Praxis.Initializers;
using Praxis.IO.Onnx;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>
/// Recurrent, attention and embedding layers exported once with a symbolic batch and sequence length, then run in ONNX
/// Runtime on several batch sizes and lengths and compared with <c>Predict</c>.
/// </summary>
[Collection("Global state")]
public class OnnxSequenceExportTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    internal static Tensor Tokens(int batch, int time, int vocab, int seed, int minId = 0)
    {
        var rng = new Rng(seed);
        var t = new Tensor(new Shape(batch, time));
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = minId + rng.NextInt(vocab - minId);
        return t;
    }

    /// <summary>End-padded token rows: row i keeps lengths[i] ids in 1..vocab−1, then zeros.</summary>
    internal static Tensor Padded(int time, int vocab, int seed, params int[] lengths)
    {
        var t = Tokens(lengths.Length, time, vocab, seed, minId: 1);
        for (int i = 0; i < lengths.Length; i++)
            for (int j = lengths[i]; j < time; j++) t[i, j] = 0f;
        return t;
    }

    /// <summary>Exports once, then checks Predict against ONNX Runtime for every input set; returns the worst difference.</summary>
    internal static double AssertMatchesAll(Model model, string path, int opset, double tolerance, params Tensor[][] inputSets)
    {
        model.ExportOnnx(path, opset);
        double worst = 0;
        foreach (var inputs in inputSets)
        {
            var expected = model.PredictMany(inputs);
            var actual = OnnxExportTests.RunOnnx(path, inputs);
            Assert.Equal(expected.Length, actual.Length);
            for (int o = 0; o < expected.Length; o++)
            {
                var e = expected[o].ToArray();
                Assert.Equal(e.Length, actual[o].Length);
                for (int i = 0; i < e.Length; i++)
                {
                    double diff = Math.Abs(e[i] - actual[o][i]);
                    if (double.IsNaN(diff)) diff = double.PositiveInfinity;
                    worst = Math.Max(worst, diff);
                    Assert.True(diff <= tolerance, $"inputs {inputs[0].Shape}: output {o} element {i}: Praxis {e[i]:R}, ONNX Runtime {actual[o][i]:R} (|diff| {diff:E2} > {tolerance})");
                }
            }
        }
        return worst;
    }

    private static Tensor Seq(int batch, int time, int features, int seed) => Tensor.RandomNormal(new Shape(batch, time, features), rng: new Rng(seed));

    private static readonly RandomNormal Bias = new(0f, 0.5f);

    private static RecurrentLayer Make(string cell, bool sequences, bool state, bool backwards, string? activation = null) => cell switch
    {
        "SimpleRNN" => new SimpleRNN(5, activation: activation is null ? null : Activations.Get(activation), biasInitializer: Bias, returnSequences: sequences, returnState: state, goBackwards: backwards),
        "LSTM" => new LSTM(5, activation: activation is null ? null : Activations.Get(activation), biasInitializer: Bias, returnSequences: sequences, returnState: state, goBackwards: backwards),
        "GRU" => new GRU(5, activation: activation is null ? null : Activations.Get(activation), biasInitializer: Bias, returnSequences: sequences, returnState: state, goBackwards: backwards),
        "GRU_v1" => new GRU(5, activation: activation is null ? null : Activations.Get(activation), biasInitializer: Bias, returnSequences: sequences, returnState: state, goBackwards: backwards, resetAfter: false),
        _ => throw new ArgumentException(cell),
    };

    public static TheoryData<string, bool, bool, bool> RecurrentCases()
    {
        var d = new TheoryData<string, bool, bool, bool>();
        foreach (var cell in new[] { "SimpleRNN", "LSTM", "GRU", "GRU_v1" })
            foreach (var (seq, state, back) in new[] { (false, false, false), (true, false, false), (true, true, true), (false, true, true), (true, true, false) })
                d.Add(cell, seq, state, back);
        return d;
    }

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void RecurrentLayerMatchesAcrossBatchesAndLengths(string cell, bool returnSequences, bool returnState, bool goBackwards)
    {
        SetRandomSeed(21);
        ClearSession();
        var i = Input(shape: [-1, 3]);
        var outs = Make(cell, returnSequences, returnState, goBackwards).ApplyMany(i);
        var model = new Model([i], outs);
        using var dir = new TempDir();
        double worst = AssertMatchesAll(model, dir.File("rnn.onnx"), OnnxExporter.DefaultOpset, Tolerance,
            [Seq(1, 1, 3, 1)], [Seq(3, 5, 3, 2)], [Seq(2, 9, 3, 3)]);
        output.WriteLine($"{cell} seq={returnSequences} state={returnState} back={goBackwards}: max diff {worst:E2}");
    }

    [Theory]
    [InlineData("SimpleRNN", "relu")]
    [InlineData("SimpleRNN", "linear")]
    [InlineData("LSTM", "hard_sigmoid")]
    [InlineData("GRU", "relu")]
    public void RecurrentActivationsMatch(string cell, string activation)
    {
        SetRandomSeed(22);
        ClearSession();
        var i = Input(shape: [-1, 3]);
        var model = new Model(i, Make(cell, true, false, false, activation).Apply(i));
        using var dir = new TempDir();
        AssertMatchesAll(model, dir.File("act.onnx"), 13, Tolerance, [Seq(2, 6, 3, 4)]);
    }

    [Fact]
    public void InitialStatesAndTheCharRnnStepModelMatch()
    {
        SetRandomSeed(23);
        ClearSession();
        // CharRnn's shape: a training model over windows and a one-step model that feeds the states back in.
        var embedding = new Embedding(11, 4, name: "embedding");
        var lstm = new LSTM(6, returnSequences: true, returnState: true, name: "lstm");
        var head = new Dense(11, name: "logits");
        var ids = Input([-1], name: "ids");
        var train = new Model(ids, head.Apply(lstm.ApplyMany(embedding.Apply(ids))[0]), name: "char_rnn");
        var stepIds = Input([1], name: "step_id");
        var hIn = Input([6], name: "h_in");
        var cIn = Input([6], name: "c_in");
        var stepOut = lstm.ApplyMany(embedding.Apply(stepIds), hIn, cIn);
        var step = new Model([stepIds, hIn, cIn], [head.Apply(stepOut[0]), stepOut[1], stepOut[2]], name: "char_rnn_step");
        using var dir = new TempDir();
        AssertMatchesAll(train, dir.File("train.onnx"), OnnxExporter.DefaultOpset, 1e-4, [Tokens(2, 7, 11, 1)], [Tokens(4, 3, 11, 2)]);
        AssertMatchesAll(step, dir.File("step.onnx"), OnnxExporter.DefaultOpset, 1e-4,
            [Tokens(3, 1, 11, 3), Tensor.RandomNormal(new Shape(3, 6), rng: new Rng(4)), Tensor.RandomNormal(new Shape(3, 6), rng: new Rng(5))]);
        var gru = new GRU(4, returnSequences: true, goBackwards: true, biasInitializer: Bias);
        var x = Input([-1, 3]);
        var h0 = Input([4]);
        var g = new Model([x, h0], gru.ApplyMany(x, h0));
        AssertMatchesAll(g, dir.File("gru.onnx"), 13, Tolerance, [Seq(2, 5, 3, 6), Tensor.RandomNormal(new Shape(2, 4), rng: new Rng(7))]);
    }

    [Theory]
    [InlineData("concat", false)]
    [InlineData("sum", true)]
    [InlineData("mul", true)]
    [InlineData("ave", false)]
    [InlineData(null, true)]
    public void BidirectionalMatches(string? mergeMode, bool returnState)
    {
        SetRandomSeed(24);
        ClearSession();
        var i = Input(shape: [-1, 3]);
        var bi = new Bidirectional(new GRU(4, returnSequences: true, returnState: returnState, biasInitializer: Bias), mergeMode);
        var bl = new Bidirectional(new LSTM(3, returnState: returnState, biasInitializer: Bias), mergeMode);
        var outs = bi.ApplyMany(i);
        var model = new Model([i], [.. outs, .. bl.ApplyMany(i)]);
        using var dir = new TempDir();
        AssertMatchesAll(model, dir.File("bi.onnx"), OnnxExporter.DefaultOpset, Tolerance, [Seq(1, 4, 3, 1)], [Seq(3, 7, 3, 2)]);
    }

    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    [InlineData("SimpleRNN")]
    public void EndPaddedMasksBecomeSequenceLengths(string cell)
    {
        SetRandomSeed(25);
        ClearSession();
        var i = Input(shape: [-1]);
        var e = new Embedding(9, 3, maskZero: true, embeddingsInitializer: new RandomNormal(0f, 1f)).Apply(i);
        var seq = Make(cell, true, true, false).ApplyMany(e);
        var last = Make(cell, false, false, true).Apply(e);
        var bi = new Bidirectional(Make(cell, true, true, false)).ApplyMany(e);
        var biLast = new Bidirectional(Make(cell, false, false, false), "sum").Apply(e);
        var model = new Model([i], [.. seq, last, .. bi, biLast]);
        using var dir = new TempDir();
        double worst = AssertMatchesAll(model, dir.File("masked.onnx"), OnnxExporter.DefaultOpset, Tolerance,
            [Padded(6, 9, 1, 6, 3, 1, 5)], [Padded(4, 9, 2, 2)], [Tokens(2, 5, 9, 3, minId: 1)]);
        output.WriteLine($"masked {cell}: max diff {worst:E2}");
        // A mask with a hole has no sequence_lens form: that row is NaN, the others exact.
        var holes = Padded(6, 9, 4, 6, 4);
        holes[0, 2] = 0f;
        var onnx = OnnxExportTests.RunOnnx(dir.File("masked.onnx"), holes)[0];
        Assert.True(onnx.AsSpan(0, onnx.Length / 2).ToArray().All(float.IsNaN), "the row with a hole must be NaN");
        var expected = model.PredictMany([holes])[0].ToArray();
        for (int k = onnx.Length / 2; k < onnx.Length; k++) Assert.True(Math.Abs(onnx[k] - expected[k]) <= Tolerance);
    }

    [Fact]
    public void MultiHeadAttentionWithCausalAndAttentionMasksMatches()
    {
        SetRandomSeed(26);
        ClearSession();
        var q = Input(shape: [-1, 6]);
        var v = Input(shape: [-1, 5]);
        var k = Input(shape: [-1, 4]);
        var am = Input(shape: [-1, -1]);
        var bias = new RandomNormal(0f, 0.3f);
        var self = new MultiHeadAttention(2, 3, biasInitializer: bias).Apply(q, q, useCausalMask: true);
        var cross = new MultiHeadAttention(3, 2, valueDim: 4, outputShape: 7, biasInitializer: bias).Apply(q, v, k, am);
        var plain = new MultiHeadAttention(2, 4, useBias: false).Apply(q, v);
        var model = new Model([q, v, k, am], [self, cross, plain]);
        Tensor Mask(int b, int t, int s, int seed)
        {
            var m = Tensor.RandomUniform(new Shape(b, t, s), 0, 1, new Rng(seed));
            var ms = m.Span;
            for (int i = 0; i < ms.Length; i++) ms[i] = ms[i] < 0.3f ? 0f : 1f;
            for (int j = 0; j < s; j++) m[0, 0, j] = 0f; // one query row sees nothing: uniform, as Keras
            return m;
        }
        using var dir = new TempDir();
        AssertMatchesAll(model, dir.File("mha.onnx"), OnnxExporter.DefaultOpset, Tolerance,
            [Seq(2, 5, 6, 1), Seq(2, 3, 5, 2), Seq(2, 3, 4, 3), Mask(2, 5, 3, 4)],
            [Seq(1, 2, 6, 5), Seq(1, 7, 5, 6), Seq(1, 7, 4, 7), Mask(1, 2, 7, 8)]);
    }

    [Fact]
    public void MaskedSelfAttentionAndDenseAttentionMatch()
    {
        SetRandomSeed(27);
        ClearSession();
        var i = Input(shape: [-1]);
        var e = new Embedding(9, 4, maskZero: true, embeddingsInitializer: new RandomNormal(0f, 1f)).Apply(i);
        var j = Input(shape: [-1, 4]);
        var mha = new MultiHeadAttention(2, 2).Apply(e, e);
        var dot = new Attention().Apply(e, e);
        var scaled = new Attention(useScale: true).Apply(j, e, useCausalMask: true);
        var concat = new Attention(scoreMode: "concat", useScale: true).Apply(j, e);
        var additive = new AdditiveAttention().Apply(e, j);
        var additiveCausal = new AdditiveAttention(useScale: false).Apply(j, j, useCausalMask: true);
        var model = new Model([i, j], [mha, dot, scaled, concat, additive, additiveCausal]);
        using var dir = new TempDir();
        AssertMatchesAll(model, dir.File("attn.onnx"), 13, Tolerance,
            [Padded(5, 9, 1, 5, 2, 4), Seq(3, 5, 4, 2)], [Padded(3, 9, 3, 1), Seq(1, 3, 4, 4)]);
    }

    [Fact]
    public void CharGptShapedModelWithTiedHeadMatchesAtEveryLength()
    {
        SetRandomSeed(28);
        ClearSession();
        var normal = new RandomNormal(0f, 0.2f);
        var ids = Input([-1], name: "ids");
        var wte = new ReversibleEmbedding(13, 8, embeddingsInitializer: normal, name: "wte");
        var tokens = wte.Apply(ids);
        var x = new Add().Apply(tokens, new PositionEmbedding(16, normal, name: "wpe").Apply(tokens));
        for (int l = 0; l < 2; l++)
        {
            var h = new LayerNormalization(epsilon: 1e-5f, center: false).Apply(x);
            x = new Add().Apply(x, new MultiHeadAttention(2, 4, useBias: false, kernelInitializer: normal).Apply(h, h, useCausalMask: true));
            h = new LayerNormalization(epsilon: 1e-5f, center: false).Apply(x);
            h = new Dense(8, useBias: false).Apply(new Dropout(0.1f).Apply(new Dense(32, activation: "gelu", useBias: false).Apply(h)));
            x = new Add().Apply(x, h);
        }
        var logits = wte.ApplyReverse(new LayerNormalization(epsilon: 1e-5f, center: false).Apply(x));
        var model = new Model(ids, logits, name: "chargpt_small");
        using var dir = new TempDir();
        double worst = AssertMatchesAll(model, dir.File("gpt.onnx"), OnnxExporter.DefaultOpset, 1e-4,
            [Tokens(2, 16, 13, 1)], [Tokens(3, 5, 13, 2)], [Tokens(1, 1, 13, 3)]);
        output.WriteLine($"CharGpt-shaped: max diff {worst:E2}");
        // The head is tied: the embedding table is stored once.
        var proto = Praxis.IO.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("gpt.onnx")));
        Assert.Single(proto.Graph.Initializer, t => t.Name == "wte/embeddings");
        Assert.DoesNotContain(proto.Graph.Initializer, t => t.Name.Contains("reverse", StringComparison.Ordinal));
        Assert.Equal("ids_d1", proto.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimParam);
    }

    [Fact]
    public void TimeDistributedMatches()
    {
        SetRandomSeed(29);
        ClearSession();
        var i = Input(shape: [-1, 4]);
        var y = new TimeDistributed(new Dense(3, activation: "tanh")).Apply(i);
        var img = Input(shape: [-1, 6, 6, 2]);
        var z = new TimeDistributed(new Conv2D(3, 3, padding: "same", activation: "relu")).Apply(img);
        var model = new Model([i, img], [y, z]);
        using var dir = new TempDir();
        AssertMatchesAll(model, dir.File("td.onnx"), OnnxExporter.DefaultOpset, Tolerance,
            [Seq(2, 5, 4, 1), Tensor.RandomNormal(new Shape(2, 3, 6, 6, 2), rng: new Rng(2))],
            [Seq(1, 2, 4, 3), Tensor.RandomNormal(new Shape(1, 4, 6, 6, 2), rng: new Rng(4))]);
    }
}

/// <summary>One graph with every sequence family, exported at each opset boundary the converters care about.</summary>
[Collection("Global state")]
public class OnnxOpsetTests
{
    [Theory]
    [InlineData(13)] // the floor: Softmax on one axis, Squeeze/Unsqueeze/ReduceSum axes as inputs
    [InlineData(14)] // recurrent ops gain `layout` (left at 0, time-major)
    [InlineData(16)] // below LayerNormalization: mean/variance from ReduceMean with the axes attribute
    [InlineData(17)] // LayerNormalization op
    [InlineData(18)] // ReduceMean takes axes as an input
    [InlineData(20)] // Gelu op
    [InlineData(23)]
    [InlineData(26)] // the newest ONNX Runtime 1.31 supports (the default)
    public void EverySequenceFamilyMatchesAtOpset(int opset)
    {
        Keras.SetRandomSeed(30);
        Keras.ClearSession();
        var i = Keras.Input(shape: [-1]);
        var e = new Embedding(9, 6, maskZero: true, embeddingsInitializer: new RandomNormal(0f, 1f)).Apply(i);
        var bi = new Bidirectional(new LSTM(3, returnSequences: true)).Apply(e);
        var n = new LayerNormalization().Apply(new Add().Apply(bi, new PositionEmbedding(12).Apply(bi)));
        var a = new MultiHeadAttention(2, 3).Apply(n, n, useCausalMask: true);
        var g = new GRU(4, returnSequences: true).Apply(new Dense(5, activation: "gelu").Apply(a));
        var c = new Attention(useScale: true).Apply(g, g);
        var y = new TimeDistributed(new Dense(2, activation: "softmax")).Apply(new AdditiveAttention().Apply(c, g));
        var model = new Model(i, y);
        using var dir = new TempDir();
        OnnxSequenceExportTests.AssertMatchesAll(model, dir.File($"all{opset}.onnx"), opset, 1e-5,
            [OnnxSequenceExportTests.Padded(7, 9, 1, 7, 4, 2)], [OnnxSequenceExportTests.Padded(12, 9, 2, 12)]);
    }
}
