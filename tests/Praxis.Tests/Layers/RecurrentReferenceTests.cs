using System.Text.Json;
using Praxis.Layers;

namespace Praxis.Tests.Layers;

/// <summary>
/// Recurrent, attention and normalization layers on fixed weights against reference values computed with PyTorch in
/// float64 by <c>Fixtures/make_sequence_reference.py</c> (weights converted from Keras' layout to PyTorch's there).
/// </summary>
public class RecurrentReferenceTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "sequence_reference.json"))).RootElement;
    private static readonly int B = Root.GetProperty("B").GetInt32(), T = Root.GetProperty("T").GetInt32(), F = Root.GetProperty("F").GetInt32(), U = Root.GetProperty("U").GetInt32();

    private static float[] Get(JsonElement e, string name) => e.GetProperty(name).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static Tensor T_(JsonElement e, string name, params int[] shape) => Tensor.FromArray(Get(e, name), shape);

    private static void Close(float[] expected, Tensor actual, double tol = 2e-5)
    {
        var a = actual.ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"element {i}: expected {expected[i]}, got {a[i]}");
    }

    private static void SetWeights(Layer layer, JsonElement e)
    {
        var ws = layer.Weights;
        Get(e, "kernel").CopyTo(ws[0].Span);
        Get(e, "recurrent_kernel").CopyTo(ws[1].Span);
        Get(e, "bias").CopyTo(ws[2].Span);
    }

    [Fact]
    public void LstmMatchesPyTorch()
    {
        var e = Root.GetProperty("lstm");
        var layer = new LSTM(U, returnSequences: true, returnState: true);
        var x = T_(e, "x", B, T, F);
        layer.ApplyMany([x, Tensor.Zeros(B, U), Tensor.Zeros(B, U)]); // builds
        SetWeights(layer, e);
        var outs = layer.ApplyMany([x, T_(e, "h0", B, U), T_(e, "c0", B, U)]);
        Close(Get(e, "sequence"), outs[0]);
        Close(Get(e, "h"), outs[1]);
        Close(Get(e, "c"), outs[2]);
    }

    [Fact]
    public void GruResetAfterMatchesPyTorch()
    {
        var e = Root.GetProperty("gru");
        var layer = new GRU(U, returnSequences: true, returnState: true);
        var x = T_(e, "x", B, T, F);
        layer.ApplyMany([x]);
        Assert.Equal(new Shape(2, 3 * U), layer.Bias!.Shape);
        SetWeights(layer, e);
        var outs = layer.ApplyMany([x, T_(e, "h0", B, U)]);
        Close(Get(e, "sequence"), outs[0]);
        Close(Get(e, "h"), outs[1]);
    }

    [Fact]
    public void GruResetBeforeMatchesKerasFormula()
    {
        var e = Root.GetProperty("gru_reset_before");
        var layer = new GRU(U, returnSequences: true, resetAfter: false);
        var x = T_(e, "x", B, T, F);
        layer.Apply(x);
        SetWeights(layer, e);
        Close(Get(e, "sequence"), layer.ApplyMany([x, T_(e, "h0", B, U)])[0]);
    }

    [Fact]
    public void SimpleRnnMatchesPyTorch()
    {
        var e = Root.GetProperty("simple_rnn");
        var layer = new SimpleRNN(U, returnState: true);
        var x = T_(e, "x", B, T, F);
        layer.ApplyMany([x]);
        SetWeights(layer, e);
        var outs = layer.ApplyMany([x, T_(e, "h0", B, U)]);
        Close(Get(e, "h"), outs[0]); // return_sequences=False: the last output
        Close(Get(e, "h"), outs[1]);
    }

    [Fact]
    public void MaskedLstmMatchesKerasSemantics()
    {
        var e = Root.GetProperty("lstm_masked");
        var layer = new LSTM(U, returnSequences: true, returnState: true);
        var x = T_(e, "x", B, T, F);
        layer.ApplyMany([x.Clone()]);
        SetWeights(layer, e);
        x.Mask = T_(e, "mask", B, T);
        var outs = layer.ApplyMany([x]);
        Close(Get(e, "sequence"), outs[0]);
        Close(Get(e, "h"), outs[1]);
        Close(Get(e, "c"), outs[2]);
        Assert.Same(x.Mask, outs[0].Mask); // the output sequence carries the mask on
    }

    [Fact]
    public void LstmDefaultsFollowKeras()
    {
        var layer = new LSTM(4);
        layer.Apply(Tensor.Zeros(1, 2, 3));
        Assert.Equal(new Shape(3, 16), layer.Kernel.Shape);
        Assert.Equal(new Shape(4, 16), layer.RecurrentKernel.Shape);
        var bias = layer.Bias!.ToArray();
        for (int i = 0; i < 16; i++) Assert.Equal(i is >= 4 and < 8 ? 1f : 0f, bias[i]); // unit_forget_bias
        // Orthogonal recurrent kernel: R·Rᵀ = I on the (4, 16) matrix's rows.
        var r = layer.RecurrentKernel;
        var rrt = Tensor.MatMul(r, r.Transpose());
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) Assert.Equal(i == j ? 1f : 0f, rrt[i, j], 4);
        Assert.Equal("lstm", Layer.DefaultName("LSTM"));
        Assert.Equal("simple_rnn", Layer.DefaultName("SimpleRNN"));
    }

    [Fact]
    public void MultiHeadAttentionMatchesPyTorch()
    {
        var e = Root.GetProperty("mha");
        int tq = e.GetProperty("Tq").GetInt32(), s = e.GetProperty("S").GetInt32(), dq = e.GetProperty("Dq").GetInt32();
        int dv = e.GetProperty("Dv").GetInt32(), n = e.GetProperty("N").GetInt32(), h = e.GetProperty("H").GetInt32();
        var layer = new MultiHeadAttention(n, h);
        var q = T_(e, "query", B, tq, dq);
        var v = T_(e, "value", B, s, dv);
        var mask = T_(e, "attention_mask", B, tq, s);
        layer.Apply(q, v);
        Get(e, "query_kernel").CopyTo(layer.QueryKernel.Span);
        Get(e, "query_bias").CopyTo(layer.QueryBias!.Span);
        Get(e, "key_kernel").CopyTo(layer.KeyKernel.Span);
        Get(e, "key_bias").CopyTo(layer.KeyBias!.Span);
        Get(e, "value_kernel").CopyTo(layer.ValueKernel.Span);
        Get(e, "value_bias").CopyTo(layer.ValueBias!.Span);
        Get(e, "output_kernel").CopyTo(layer.OutputKernel.Span);
        Get(e, "output_bias").CopyTo(layer.OutputBias!.Span);
        var fused = layer.Apply(q, v, attentionMask: mask, useCausalMask: true);
        Close(Get(e, "output"), fused[0]);
        var composed = layer.Apply(q, v, attentionMask: mask, useCausalMask: true, returnAttentionScores: true);
        Close(Get(e, "output"), composed[0]);
        Close(Get(e, "scores"), composed[1]);
        Assert.Equal(new Shape(B, n, tq, s), composed[1].Shape);
    }

    [Fact]
    public void LayerNormalizationMatchesPyTorch()
    {
        var e = Root.GetProperty("layer_norm");
        var layer = new LayerNormalization();
        var x = T_(e, "x", 2, 3, 6);
        layer.Apply(x);
        Assert.Equal(1e-3f, layer.Epsilon);
        Get(e, "gamma").CopyTo(layer.Gamma!.Span);
        Get(e, "beta").CopyTo(layer.Beta!.Span);
        Close(Get(e, "y"), layer.Apply(x));
    }
}
