namespace Praxis.Tests.Ops;

/// <summary>The sequence and attention ops: gradient checks against finite differences, plus value checks.</summary>
public class SequenceOpTests
{
    private readonly Rng _rng = new(11);

    private Tensor R(params int[] shape) => GradCheck.Rand(_rng, shape);

    [Fact]
    public void PermuteAndTranspose()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Assert.Equal(new Shape(4, 2, 3), p.Shape);
        Assert.Equal(x[1, 2, 3], p[3, 1, 2]);
        Assert.Equal(x[0, 1, 2], x.Transpose()[0, 2, 1]);
        GradCheck.Check(t => t[0].Permute(2, 0, 1), R(2, 3, 4));
        GradCheck.Check(t => t[0].Permute(0, 2, 1, 3), R(2, 3, 2, 2));
        GradCheck.Check(t => t[0].Transpose(0, 1), R(3, 4));
        Assert.Throws<ArgumentException>(() => x.Permute(0, 0, 1));
        Assert.Throws<ShapeMismatchException>(() => x.Permute(0, 1));
    }

    [Fact]
    public void SliceSplitSelectConcatFlip()
    {
        var x = Tensor.Arange(24).Reshape(2, 3, 4);
        var s = x.Slice(1, 1, 2);
        Assert.Equal(new Shape(2, 2, 4), s.Shape);
        Assert.Equal(x[1, 2, 3], s[1, 1, 3]);
        Assert.Equal(x[1, 0, 2], x.Select(2, 2)[1, 0]);
        var parts = x.Split(-1, 1, 3);
        Assert.Equal(new Shape(2, 3, 3), parts[1].Shape);
        var back = Tensor.Concat(parts, -1);
        Assert.Equal(x.ToArray(), back.ToArray());
        Assert.Equal(x[1, 0, 1], x.Flip(1)[1, 2, 1]);

        GradCheck.Check(t => t[0].Slice(1, 1, 2), R(2, 3, 4));
        GradCheck.Check(t => t[0].Slice(-1, -2, 2), R(2, 3, 4));
        GradCheck.Check(t => t[0].Select(1, 2), R(2, 3, 4));
        GradCheck.Check(t => t[0].Split(2, 0)[1] * t[0].Split(2, 0)[0], R(4, 3));
        GradCheck.Check(t => Tensor.Concat([t[0], t[1], t[0]], 1), R(2, 3), R(2, 2));
        GradCheck.Check(t => Tensor.Concat([t[0], t[1]], 0), R(1, 3), R(2, 3));
        GradCheck.Check(t => t[0].Flip(0), R(3, 2));
        GradCheck.Check(t => t[0].Flip(-1), R(2, 3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1, 2, 2));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(3, 2)], 1));
        Assert.Throws<ShapeMismatchException>(() => x.Split(-1, 1, 1));
    }

    [Fact]
    public void BroadcastTo()
    {
        var x = Tensor.FromArray([1f, 2f, 3f], 3);
        var y = x.BroadcastTo(2, 3);
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f], y.ToArray());
        GradCheck.Check(t => t[0].BroadcastTo(2, 3, 4), R(3, 4));
        GradCheck.Check(t => t[0].BroadcastTo(2, 3, 4), R(2, 1, 4));
        Assert.Throws<ShapeMismatchException>(() => x.BroadcastTo(2, 4));
    }

    [Fact]
    public void TakeGathersRowsAndScattersGradients()
    {
        var table = Tensor.Arange(12).Reshape(4, 3);
        var ids = Tensor.FromArray([3f, 0f, 3f, 1f], 2, 2);
        var y = table.Take(ids);
        Assert.Equal(new Shape(2, 2, 3), y.Shape);
        Assert.Equal(table[3, 2], y[0, 0, 2]);
        Assert.Equal(table[1, 0], y[1, 1, 0]);
        // Repeated ids accumulate; ids get no gradient.
        GradCheck.Check(t => t[0].Take(ids), R(4, 3));
        GradCheck.Check(t => t[0].Take(Tensor.FromArray([2f, 0f, -1f]), 1), R(2, 3, 2));
        var err = Assert.Throws<ArgumentException>(() => table.Take(Tensor.FromArray([1f, 4f], 1, 2)));
        Assert.Contains("index 4", err.Message);
        Assert.Contains("(0, 1)", err.Message);
        Assert.Throws<ArgumentException>(() => table.Take(Tensor.FromArray([0.5f])));
    }

    [Fact]
    public void MaskedSoftmax()
    {
        var x = R(2, 3, 4);
        var mask = Tensor.FromArray([1f, 1f, 0f, 1f, 0f, 1f, 1f, 1f], 2, 1, 4);
        var y = x.MaskedSoftmax(mask);
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < 3; i++)
            {
                float sum = 0;
                for (int j = 0; j < 4; j++)
                {
                    if (mask[b, 0, j] == 0f) Assert.Equal(0f, y[b, i, j]);
                    sum += y[b, i, j];
                }
                Assert.Equal(1f, sum, 5);
            }
        // Unmasked equals the plain softmax; causal keeps j <= i.
        var plain = x.Softmax().ToArray(); var unmasked = x.MaskedSoftmax().ToArray();
        for (int i = 0; i < plain.Length; i++) Assert.Equal(plain[i], unmasked[i], 1e-6f);
        var c = x.MaskedSoftmax(causal: true);
        Assert.Equal(1f, c[1, 0, 0], 6);
        Assert.Equal(0f, c[1, 1, 2]);
        // A fully masked row is uniform, as in Keras.
        var none = x.MaskedSoftmax(Tensor.Zeros(4));
        Assert.Equal(0.25f, none[0, 0, 0], 6);

        GradCheck.Check(t => t[0].MaskedSoftmax(mask), R(2, 3, 4));
        GradCheck.Check(t => t[0].MaskedSoftmax(causal: true), R(2, 3, 3));
        GradCheck.Check(t => t[0].MaskedSoftmax(Tensor.FromArray([1f, 0f, 1f, 1f, 1f, 0f], 3, 2), causal: true), R(2, 3, 2));
        Assert.Throws<ShapeMismatchException>(() => x.MaskedSoftmax(Tensor.Zeros(3)));
    }

    [Fact]
    public void LayerNormGradients()
    {
        GradCheck.Check(t => t[0].LayerNorm(t[1], t[2], 1e-3f), R(3, 5), R(5), R(5));
        GradCheck.Check(t => t[0].LayerNorm(null, null, 1e-5f), R(2, 2, 4));
        GradCheck.Check(t => t[0].LayerNorm(t[1], null, 1e-3f), R(2, 3, 2), R(3, 2));
        var y = R(4, 8).LayerNorm(null, null, 0f);
        for (int r = 0; r < 4; r++)
        {
            double m = 0, v = 0;
            for (int j = 0; j < 8; j++) m += y[r, j];
            m /= 8;
            for (int j = 0; j < 8; j++) v += (y[r, j] - m) * (y[r, j] - m);
            Assert.Equal(0, m, 5);
            Assert.Equal(1, v / 8, 4);
        }
        Assert.Throws<ShapeMismatchException>(() => R(2, 3).LayerNorm(Tensor.Ones(2), null, 1e-3f));
    }

    /// <summary>The fused attention op against the same math composed from MatMul, Permute and MaskedSoftmax.</summary>
    private static Tensor Composed(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal)
    {
        int b = q.Shape[0], t = q.Shape[1], s = k.Shape[1];
        var logits = Tensor.MatMul(q.Permute(0, 2, 1, 3), k.Permute(0, 2, 3, 1)) * (1f / MathF.Sqrt(q.Shape[3]));
        var p = logits.MaskedSoftmax(mask?.Reshape(b, 1, t, s), causal);
        return Tensor.MatMul(p, v.Permute(0, 2, 1, 3)).Permute(0, 2, 1, 3);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void DotProductAttentionMatchesComposedAndHasGradients(bool causal, bool masked)
    {
        var q = R(2, 3, 2, 4); var k = R(2, 3, 2, 4); var v = R(2, 3, 2, 5);
        var mask = masked ? Tensor.FromArray([1f, 1f, 0f, 0f, 1f, 1f, 1f, 0f, 1f, 0f, 0f, 0f, 1f, 1f, 1f, 1f, 1f, 0f], 2, 3, 3) : null;
        var fused = Tensor.DotProductAttention(q, k, v, mask, isCausal: causal);
        var reference = Composed(q, k, v, mask, causal);
        var fa = fused.ToArray(); var ra = reference.ToArray();
        for (int i = 0; i < fa.Length; i++) Assert.Equal(ra[i], fa[i], 5);
        GradCheck.Check(t => Tensor.DotProductAttention(t[0], t[1], t[2], mask, isCausal: causal), R(2, 3, 2, 4), R(2, 3, 2, 4), R(2, 3, 2, 5));
        // Heads packed in the features: the same numbers, shape (B, T, N·Hv).
        var packed = Tensor.DotProductAttention(q.Reshape(2, 3, 8), k.Reshape(2, 3, 8), v.Reshape(2, 3, 10), 2, mask, isCausal: causal);
        Assert.Equal(new Shape(2, 3, 10), packed.Shape);
        Assert.Equal(fa, packed.ToArray());
        GradCheck.Check(t => Tensor.DotProductAttention(t[0], t[1], t[2], 2, mask, isCausal: causal), R(2, 3, 4), R(2, 3, 4), R(2, 3, 6));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DotProductAttentionLongRowsUseVectorLanes(bool causal)
    {
        // 37 keys: full 16-wide lanes and a scalar tail in every row (and every causal prefix length 1..37).
        var q = R(1, 37, 2, 3); var k = R(1, 37, 2, 3); var v = R(1, 37, 2, 2);
        var fused = Tensor.DotProductAttention(q, k, v, isCausal: causal).ToArray();
        var reference = Composed(q, k, v, null, causal).ToArray();
        for (int i = 0; i < fused.Length; i++) Assert.Equal(reference[i], fused[i], 5);
        GradCheck.Check(t => Tensor.DotProductAttention(t[0], t[1], t[2], isCausal: causal), R(1, 37, 1, 2), R(1, 37, 1, 2), R(1, 37, 1, 2));
    }

    [Fact]
    public void DotProductAttentionShapesAndErrors()
    {
        // Cross-attention with S != T and a (T, S) mask broadcast over batch and heads.
        var y = Tensor.DotProductAttention(R(2, 3, 1, 4), R(2, 5, 1, 4), R(2, 5, 1, 6), Tensor.Ones(3, 5));
        Assert.Equal(new Shape(2, 3, 1, 6), y.Shape);
        Assert.Throws<ShapeMismatchException>(() => Tensor.DotProductAttention(R(2, 3, 1, 4), R(2, 5, 1, 3), R(2, 5, 1, 6)));
        Assert.Throws<ShapeMismatchException>(() => Tensor.DotProductAttention(R(2, 3, 4), R(2, 5, 4), R(2, 5, 4)));
        Assert.Throws<ShapeMismatchException>(() => Tensor.DotProductAttention(R(2, 3, 1, 4), R(2, 5, 1, 4), R(2, 5, 1, 6), Tensor.Ones(3, 4)));
        Assert.Throws<ShapeMismatchException>(() => Tensor.DotProductAttention(R(2, 3, 5), R(2, 3, 5), R(2, 3, 5), 2));
    }

    private static Tensor Flat(params Tensor[] ts) => Tensor.Concat(ts.Select(t => t.Reshape(-1)).ToArray(), 0);

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    public void LstmGradients(bool goBackwards, bool masked, bool zeroOutput)
    {
        var mask = masked ? Tensor.FromArray([1f, 1f, 0f, 0f, 1f, 0f, 1f, 1f], 2, 4) : null;
        var options = new RecurrentOptions(GoBackwards: goBackwards, ZeroOutputForMask: zeroOutput);
        GradCheck.Check(t =>
        {
            var (seq, h, c) = Tensor.Lstm(t[0], t[1], t[2], t[3], t[4], t[5], mask, options);
            return Flat(seq, h, c);
        }, R(2, 4, 3), R(3, 8), R(2, 8), R(8), R(2, 2), R(2, 2));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public void GruGradients(bool resetAfter, bool masked)
    {
        var mask = masked ? Tensor.FromArray([0f, 1f, 1f, 1f, 1f, 0f], 2, 3) : null;
        GradCheck.Check(t =>
        {
            var (seq, h) = Tensor.Gru(t[0], t[1], t[2], t[3], t[4], mask, resetAfter, new RecurrentOptions(GoBackwards: masked));
            return Flat(seq, h);
        }, R(2, 3, 3), R(3, 6), R(2, 6), resetAfter ? R(2, 6) : R(6), R(2, 2));
    }

    [Theory]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    [InlineData("linear")]
    public void SimpleRnnGradients(string activation)
    {
        var mask = Tensor.FromArray([1f, 0f, 1f, 1f, 1f, 0f], 2, 3);
        GradCheck.Check(t =>
        {
            var (seq, h) = Tensor.SimpleRnn(t[0], t[1], t[2], t[3], t[4], mask, new RecurrentOptions(Activation: activation));
            return Flat(seq, h);
        }, R(2, 3, 2), R(2, 3), R(3, 3), R(3), R(2, 3));
    }

    [Fact]
    public void FinalStatesAloneCarryGradient()
    {
        // Only the final c is used: the op must still run its backward (through the extra-output view).
        GradCheck.Check(t => Tensor.Lstm(t[0], t[1], t[2], null).C, R(1, 3, 2), R(2, 8), R(2, 8));
    }

    [Fact]
    public void LstmMatchesHandComputedStep()
    {
        // One unit, one step, from zero state: c = i·g, h = o·tanh(c), with every gate pre-activation known.
        var x = Tensor.FromArray([0.5f], 1, 1, 1);
        var w = Tensor.FromArray([0.1f, 0.2f, 0.3f, 0.4f], 1, 4);   // i, f, c, o
        var r = Tensor.FromArray([1f, 1f, 1f, 1f], 1, 4);
        var b = Tensor.FromArray([0f, 1f, 0f, -0.5f]);
        var (seq, h, c) = Tensor.Lstm(x, w, r, b);
        double i = 1 / (1 + Math.Exp(-0.05)), g = Math.Tanh(0.15), o = 1 / (1 + Math.Exp(-(0.2 - 0.5)));
        double cc = i * g, hh = o * Math.Tanh(cc);
        Assert.Equal(cc, c.Item(), 6);
        Assert.Equal(hh, h.Item(), 6);
        Assert.Equal(hh, seq.Item(), 6);
    }

    [Fact]
    public void RecurrentShapeErrors()
    {
        Assert.Throws<ShapeMismatchException>(() => Tensor.Lstm(R(2, 3), R(3, 8), R(2, 8), null));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Lstm(R(2, 3, 3), R(3, 8), R(2, 6), null));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Lstm(R(2, 3, 3), R(4, 8), R(2, 8), null));
        Assert.Throws<ShapeMismatchException>(() => Tensor.Gru(R(2, 3, 3), R(3, 6), R(2, 6), R(6), resetAfter: true));
        Assert.Throws<ShapeMismatchException>(() => Tensor.SimpleRnn(R(2, 3, 3), R(3, 2), R(2, 2), null, mask: Tensor.Ones(2, 4)));
        Assert.Throws<ArgumentException>(() => Tensor.SimpleRnn(R(2, 3, 3), R(3, 2), R(2, 2), null, options: new RecurrentOptions(Activation: "softmax")));
    }
}

/// <summary>The vectorized exact GELU against the double-precision erf reference, across the range and in the tails.</summary>
public class GeluKernelTests
{
    [Fact]
    public void MatchesDoublePrecisionReference()
    {
        int n = 1601;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -8f + i * 0.01f;
        var t = Tensor.FromArray(x);
        t.RequiresGrad = true;
        var y = t.Gelu();
        y.Sum().Backward();
        for (int i = 0; i < n; i++)
        {
            double v = x[i], phi = 0.5 * (1 + SpecialFunctions.Erf((float)(v / Math.Sqrt(2))));
            double dens = Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
            Assert.True(Math.Abs(y[i] - v * phi) <= 1e-6 + 1e-6 * Math.Abs(v * phi), $"gelu({v}) = {y[i]}, expected {v * phi}");
            Assert.True(Math.Abs(t.Grad![i] - (phi + v * dens)) <= 2e-6, $"gelu'({v}) = {t.Grad![i]}, expected {phi + v * dens}");
        }
        // Far tail: x·Φ(x) is tiny but must stay accurate, not cancel to 0 or go positive.
        Assert.InRange(Tensor.FromArray([-6f]).Gelu().Item(), -6.2e-9f, -5.8e-9f);
    }
}
