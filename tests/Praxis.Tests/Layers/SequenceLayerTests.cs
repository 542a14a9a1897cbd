using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.Layers;

/// <summary>Sequence layers: gradients (inputs and weights), masking, wrappers, models over recorded steps, errors, configs.</summary>
public class SequenceLayerTests
{
    private readonly Rng _rng = new(5);

    private Tensor R(params int[] shape) => GradCheck.Rand(_rng, shape);

    private static Tensor Flat(params Tensor[] ts) => Tensor.Concat(ts.Select(t => t.Reshape(-1)).ToArray(), 0);

    /// <summary>Gradient check of a built layer with respect to <paramref name="inputs"/> and all its weights.</summary>
    private static void CheckLayer(Layer layer, Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var all = inputs.Concat(layer.TrainableWeights).ToArray();
        GradCheck.Check(t => f(t[..inputs.Length]), all);
    }

    private static Tensor WithMask(Tensor x, Tensor mask)
    {
        x.Mask = mask;
        return x;
    }

    [Fact]
    public void RecurrentLayerGradientsWithMaskAndStates()
    {
        var mask = Tensor.FromArray([1f, 1f, 1f, 0f, 1f, 1f, 0f, 0f], 2, 4);
        var lstm = new LSTM(3, returnSequences: true, returnState: true);
        lstm.ApplyMany([Tensor.Zeros(2, 4, 2)]);
        CheckLayer(lstm, t => Flat(lstm.ApplyMany([WithMask(t[0], mask), t[1], t[2]])), R(2, 4, 2), R(2, 3), R(2, 3));
        var gru = new GRU(3, goBackwards: true);
        gru.Apply(Tensor.Zeros(2, 4, 2));
        CheckLayer(gru, t => gru.Apply(WithMask(t[0], mask)), R(2, 4, 2));
        var rnn = new SimpleRNN(2, returnSequences: true, zeroOutputForMask: true);
        rnn.Apply(Tensor.Zeros(2, 4, 2));
        CheckLayer(rnn, t => rnn.Apply(WithMask(t[0], mask)), R(2, 4, 2));
    }

    [Theory]
    [InlineData("concat")]
    [InlineData("sum")]
    [InlineData("ave")]
    [InlineData("mul")]
    public void BidirectionalGradients(string mergeMode)
    {
        var mask = Tensor.FromArray([1f, 1f, 0f, 1f, 1f, 1f], 2, 3);
        var bi = new Bidirectional(new LSTM(2, returnSequences: true), mergeMode);
        bi.Apply(Tensor.Zeros(2, 3, 2));
        Assert.Equal(2 * 3, bi.TrainableWeights.Count);
        CheckLayer(bi, t => bi.Apply(WithMask(t[0], mask)), R(2, 3, 2));
    }

    [Fact]
    public void BidirectionalStatesAndOrder()
    {
        var bi = new Bidirectional(new GRU(2, returnSequences: true, returnState: true));
        var x = R(2, 3, 2);
        var outs = bi.ApplyMany([x]);
        Assert.Equal(3, outs.Length);
        Assert.Equal(new Shape(2, 3, 4), outs[0].Shape);
        Assert.Equal("forward_" + bi.Layer.Name, bi.Forward.Name);
        Assert.True(bi.Backward.GoBackwards);
        Assert.True(bi.Forward.ZeroOutputForMask);
        // The backward half of the output at time 0 is the backward layer's final state (it reads time 0 last).
        for (int u = 0; u < 2; u++)
        {
            Assert.Equal(outs[2][1, u], outs[0][1, 0, 2 + u], 6);
            Assert.Equal(outs[1][1, u], outs[0][1, 2, u], 6);
        }
        CheckLayer(bi, t => Flat(bi.ApplyMany([t[0], t[1], t[2]])), R(2, 3, 2), R(2, 2), R(2, 2));
        Assert.Throws<ArgumentException>(() => new Bidirectional(new LSTM(2), "max"));
    }

    [Fact]
    public void EmbeddingGradientMaskAndErrors()
    {
        var emb = new Embedding(5, 3, maskZero: true);
        var ids = Tensor.FromArray([1f, 4f, 0f, 2f, 2f, 0f], 2, 3);
        var y = emb.Apply(ids);
        Assert.Equal(new Shape(2, 3, 3), y.Shape);
        Assert.Equal([1f, 1f, 0f, 1f, 1f, 0f], y.Mask!.ToArray());
        CheckLayer(emb, _ => emb.Apply(ids));
        var err = Assert.Throws<ArgumentException>(() => emb.Apply(Tensor.FromArray([1f, 5f], 1, 2)));
        Assert.Contains($"'{emb.Name}'", err.Message);
        Assert.Contains("token id 5", err.Message);
        Assert.Contains("[0, 5)", err.Message);
        Assert.Throws<ArgumentException>(() => emb.Apply(Tensor.FromArray([-1f], 1, 1)));
    }

    [Fact]
    public void ReversibleAndPositionEmbedding()
    {
        var tok = new ReversibleEmbedding(7, 4);
        var pos = new PositionEmbedding(5);
        var ids = Tensor.FromArray([1f, 2f, 3f, 6f, 0f, 5f], 2, 3);
        var x = tok.Apply(ids);
        var p = pos.Apply(x);
        Assert.Equal(x.Shape, p.Shape);
        var logits = tok.ApplyReverse(x + p);
        Assert.Equal(new Shape(2, 3, 7), logits.Shape);
        Assert.Single(tok.TrainableWeights); // tied: one table
        CheckLayer(tok, t => tok.ApplyReverse(t[0]), R(2, 3, 4));
        CheckLayer(pos, t => pos.Apply(t[0]) * t[0], R(2, 3, 4));
        var err = Assert.Throws<ShapeMismatchException>(() => pos.Apply(Tensor.Zeros(1, 6, 4)));
        Assert.Contains("sequence_length = 5", err.Message);
        Assert.Contains("6 positions", err.Message);
        Assert.Throws<ShapeMismatchException>(() => tok.ApplyReverse(Tensor.Zeros(1, 2, 3)));
        var untied = new ReversibleEmbedding(7, 4, tieWeights: false);
        untied.Apply(ids);
        Assert.Equal(2, untied.TrainableWeights.Count);
    }

    [Fact]
    public void LayerNormalizationAndTimeDistributedGradients()
    {
        var ln = new LayerNormalization(epsilon: 1e-5f);
        ln.Apply(Tensor.Zeros(2, 3, 4));
        CheckLayer(ln, t => ln.Apply(t[0]), R(2, 3, 4));
        var ln2 = new LayerNormalization(axis: [-2, -1]);
        ln2.Apply(Tensor.Zeros(2, 3, 4));
        Assert.Equal(new Shape(3, 4), ln2.Gamma!.Shape);
        CheckLayer(ln2, t => ln2.Apply(t[0]), R(2, 3, 4));
        Assert.Throws<ArgumentException>(() => new LayerNormalization(axis: [1]).Apply(Tensor.Zeros(2, 3, 4)));
        Assert.Throws<ShapeMismatchException>(() => ln.Apply(Tensor.Zeros(2, 3, 5)));

        var td = new TimeDistributed(new Dense(2, activation: "tanh"));
        var x = R(2, 3, 4);
        x.Mask = Tensor.Ones(2, 3);
        var y = td.Apply(x);
        Assert.Equal(new Shape(2, 3, 2), y.Shape);
        Assert.Same(x.Mask, y.Mask);
        CheckLayer(td, t => td.Apply(t[0]), R(2, 3, 4));
    }

    [Fact]
    public void MultiHeadAttentionGradientsAndMasks()
    {
        var mha = new MultiHeadAttention(2, 3, valueDim: 2, outputShape: 5);
        var q = R(2, 3, 4);
        var v = R(2, 4, 6);
        var y = mha.Apply(q, v)[0];
        Assert.Equal(new Shape(2, 3, 5), y.Shape);
        CheckLayer(mha, t => mha.Apply(t[0], t[1], useCausalMask: true)[0], R(2, 3, 4), R(2, 4, 6));
        // Masks carried by the inputs: padded keys get no attention; the output carries the query mask.
        var qm = Tensor.FromArray([1f, 1f, 0f, 1f, 1f, 1f], 2, 3);
        var vm = Tensor.FromArray([1f, 1f, 0f, 0f, 1f, 1f, 1f, 0f], 2, 4);
        var outs = mha.Apply(WithMask(q.Clone(), qm), WithMask(v.Clone(), vm), returnAttentionScores: true);
        Assert.Same(qm, outs[0].Mask);
        Assert.Equal(0f, outs[1][0, 1, 0, 2]);
        Assert.Equal(0f, outs[1][1, 0, 2, 3]);
        var fused = mha.Apply(WithMask(q.Clone(), qm), WithMask(v.Clone(), vm))[0].ToArray();
        var composed = outs[0].ToArray();
        for (int i = 0; i < fused.Length; i++) Assert.Equal(composed[i], fused[i], 5);
        CheckLayer(mha, t => mha.Apply(WithMask(t[0], qm), WithMask(t[1], vm))[0], R(2, 3, 4), R(2, 4, 6));
        Assert.Throws<ShapeMismatchException>(() => mha.Apply(q, v, attentionMask: Tensor.Ones(2, 3, 3)));
        Assert.Throws<ShapeMismatchException>(() => mha.Apply(R(2, 3), v));
        Assert.Throws<ShapeMismatchException>(() => mha.Apply(R(2, 3, 5), v));
    }

    [Fact]
    public void SelfAttentionFusesTheProjections()
    {
        // mha(x, x) takes the fused [Q | K | V] path; with return_attention_scores it takes the composed one: same numbers.
        var mha = new MultiHeadAttention(2, 3, valueDim: 4);
        var x = R(2, 5, 6);
        var mask = Tensor.FromArray([1f, 1f, 1f, 0f, 0f, 1f, 1f, 1f, 1f, 1f], 2, 5);
        var xs = WithMask(x.Clone(), mask);
        var fused = mha.Apply(xs, xs, useCausalMask: true);
        var composed = mha.Apply(xs, xs, useCausalMask: true, returnAttentionScores: true);
        var f = fused[0].ToArray(); var c = composed[0].ToArray();
        for (int i = 0; i < f.Length; i++) Assert.Equal(c[i], f[i], 5);
        CheckLayer(mha, t => mha.Apply(WithMask(t[0], mask), t[0], useCausalMask: true)[0], R(2, 5, 6));
        var packed = Tensor.SelfAttention(R(2, 5, 2 * 2 * 3 + 2 * 4), 2, 3, 4, isCausal: true);
        Assert.Equal(new Shape(2, 5, 8), packed.Shape);
        GradCheck.Check(t => Tensor.SelfAttention(t[0], 2, 3, 4, mask: Tensor.FromArray([1f, 0f, 1f, 1f, 1f, 1f, 0f, 1f, 1f, 1f], 2, 5).Reshape(2, 1, 1, 5)), R(2, 5, 20));
        Assert.Throws<ShapeMismatchException>(() => Tensor.SelfAttention(R(2, 5, 19), 2, 3, 4));
    }

    [Theory]
    [InlineData("dot", false)]
    [InlineData("dot", true)]
    [InlineData("concat", true)]
    [InlineData("additive", true)]
    [InlineData("additive", false)]
    public void DenseAttentionGradients(string kind, bool useScale)
    {
        BaseDenseAttention layer = kind == "additive" ? new AdditiveAttention(useScale) : new Attention(useScale, kind);
        var vm = Tensor.FromArray([1f, 1f, 0f, 1f, 0f, 0f], 2, 3);
        layer.ApplyMany([R(2, 2, 3), R(2, 3, 3)]);
        CheckLayer(layer, t => layer.ApplyMany([t[0], WithMask(t[1], vm)])[0], R(2, 2, 3), R(2, 3, 3));
        var causal = new Dictionary<string, object?> { ["use_causal_mask"] = true, ["return_attention_scores"] = true };
        var outs = layer.ApplyMany([R(2, 3, 3), R(2, 3, 3), R(2, 3, 3)], causal);
        Assert.Equal(0f, outs[1][0, 0, 1]);
        Assert.Equal(1f, outs[1][1, 0, 0], 6);
        CheckLayer(layer, t => layer.ApplyMany([t[0], t[1], t[2]], causal)[0], R(2, 3, 3), R(2, 3, 3), R(2, 3, 3));
        Assert.Throws<ArgumentException>(() => layer.ApplyMany([R(2, 3, 3), R(2, 3, 3)], new Dictionary<string, object?> { ["causal"] = true }));
    }

    [Fact]
    public void MaskedModelReplaysMasksPerBatch()
    {
        // Left padding must not change the encoding: the masked LSTM skips padded steps, on every replayed batch.
        ClearSession();
        var input = Input([5]);
        var x = new Embedding(6, 4, maskZero: true).Apply(input);
        var h = new LSTM(3).Apply(x);
        var model = new Model(input, h);
        var a = model.Predict(Tensor.FromArray([0f, 0f, 3f, 1f, 2f, 0f, 5f, 4f, 4f, 1f], 2, 5), batchSize: 2);
        var b = model.Predict(Tensor.FromArray([0f, 0f, 0f, 0f, 5f, 5f, 4f, 4f, 1f, 2f], 2, 5), batchSize: 2);
        var c = model.Predict(Tensor.FromArray([0f, 3f, 1f, 2f, 3f, 0f, 0f, 3f, 1f, 2f], 2, 5), batchSize: 2);
        for (int u = 0; u < 3; u++)
        {
            Assert.Equal(a[0, u], c[1, u], 6);   // [_, _, 3, 1, 2] twice, in different rows and batches
            Assert.NotEqual(a[0, u], b[0, u]);
        }
        // A sequence of only padding keeps the zero initial state.
        var pad = model.Predict(Tensor.Zeros(2, 5), batchSize: 2);
        Assert.All(pad.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TrainsAFunctionalSequenceModelWithFit()
    {
        // A tiny next-token task through Embedding → GRU → TimeDistributed(Dense): Fit over recorded steps must learn it.
        ClearSession();
        SetRandomSeed(3);
        int n = 64, t = 6, v = 5;
        var xs = new float[n * t];
        var ys = new float[n * t];
        var rng = new Rng(1);
        for (int i = 0; i < n; i++)
        {
            int start = rng.NextInt(v);
            for (int j = 0; j < t; j++)
            {
                xs[i * t + j] = (start + j) % v;
                ys[i * t + j] = (start + j + 1) % v;
            }
        }
        var input = Input([t]);
        var e = new Embedding(v, 8).Apply(input);
        var seq = new GRU(16, returnSequences: true).Apply(e);
        var logits = new TimeDistributed(new Dense(v)).Apply(seq);
        var model = new Model(input, logits);
        model.Compile(new Adam(0.01f), new Praxis.Losses.SparseCategoricalCrossentropy(fromLogits: true));
        var hist = model.Fit(Tensor.FromArray(xs, n, t), Tensor.FromArray(ys, n, t), epochs: 30, batchSize: 16, verbose: 0);
        Assert.True(hist["loss"][^1] < 0.1, $"final loss {hist["loss"][^1]}");
    }

    [Fact]
    public void RecurrentInputErrorsNameTheLayer()
    {
        var lstm = new LSTM(3, name: "encoder");
        lstm.Apply(Tensor.Zeros(1, 2, 4));
        var err = Assert.Throws<ShapeMismatchException>(() => lstm.Apply(Tensor.Zeros(1, 4)));
        Assert.Contains("'encoder'", err.Message);
        Assert.Contains("rank 3", err.Message);
        Assert.Throws<ShapeMismatchException>(() => lstm.Apply(Tensor.Zeros(1, 2, 5)));
        Assert.Throws<ShapeMismatchException>(() => lstm.ApplyMany([Tensor.Zeros(1, 2, 4), Tensor.Zeros(1, 2), Tensor.Zeros(1, 3)]));
        Assert.Throws<ArgumentException>(() => lstm.ApplyMany([Tensor.Zeros(1, 2, 4), Tensor.Zeros(1, 3)]));
        Assert.Throws<ArgumentException>(() => new LSTM(3, activation: "softmax"));
        var input = Input([2]);
        Assert.Throws<ShapeMismatchException>(() => new GRU(2).Apply(input));
    }

    [Fact]
    public void ConfigsListEveryConstructorArgument()
    {
        static void Has(Layer l, params string[] keys)
        {
            var c = l.GetConfig();
            foreach (var k in keys.Append("name").Append("trainable")) Assert.True(c.ContainsKey(k), $"{l.GetType().Name} config lacks '{k}'");
        }
        Has(new Embedding(3, 2), "input_dim", "output_dim", "embeddings_initializer", "mask_zero");
        Has(new ReversibleEmbedding(3, 2), "input_dim", "output_dim", "embeddings_initializer", "mask_zero", "tie_weights");
        Has(new PositionEmbedding(3), "sequence_length", "initializer");
        string[] rnn = ["units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "return_sequences", "return_state", "go_backwards", "zero_output_for_mask"];
        Has(new SimpleRNN(2), rnn);
        Has(new LSTM(2), [.. rnn, "recurrent_activation", "unit_forget_bias"]);
        Has(new GRU(2), [.. rnn, "recurrent_activation", "reset_after"]);
        Has(new Bidirectional(new LSTM(2)), "layer", "merge_mode", "backward_layer");
        Has(new TimeDistributed(new Dense(2)), "layer");
        Has(new LayerNormalization(), "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer");
        Has(new MultiHeadAttention(2, 3), "num_heads", "key_dim", "value_dim", "use_bias", "output_shape", "kernel_initializer", "bias_initializer");
        Has(new Attention(), "use_scale", "score_mode");
        Has(new AdditiveAttention(), "use_scale");
        Has(new Concatenate(1), "axis");
        Has(new Add());
        Assert.Equal(0.001f, (float)new LayerNormalization().GetConfig()["epsilon"]!);
    }

    [Fact]
    public void MergeLayers()
    {
        var a = R(2, 3); var b = R(2, 3);
        a.Mask = Tensor.FromArray([1f, 0f], 2); b.Mask = Tensor.FromArray([1f, 1f], 2);
        var sum = new Add().ApplyMany([a, b])[0];
        Assert.Equal((a + b).ToArray(), sum.ToArray());
        Assert.Equal([1f, 0f], sum.Mask!.ToArray());
        var cat = new Concatenate().ApplyMany([a, b, a])[0];
        Assert.Equal(new Shape(2, 9), cat.Shape);
        Assert.Throws<ShapeMismatchException>(() => new Add().ApplyMany([a, R(2, 4)]));
    }
}
