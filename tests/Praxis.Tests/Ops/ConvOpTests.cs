namespace Praxis.Tests.Ops;

/// <summary>
/// Convolution ops against a direct, loop-by-loop reference (TensorFlow's padding rule written out independently) and
/// against central finite differences, over strides, both paddings, dilation, odd sizes and 1×1 kernels.
/// </summary>
public class ConvOpTests
{
    private readonly Rng _rng = new(21);

    /// <summary>Direct cross-correlation, NHWC, kernel (KH, KW, C, F); "same" pads (total)/2 before, the rest after.</summary>
    internal static Tensor Reference(Tensor x, Tensor k, Tensor? b, int sh, int sw, int dh, int dw, bool same)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        int kh = k.Shape[0], kw = k.Shape[1], f = k.Shape[3];
        int kEffH = (kh - 1) * dh + 1, kEffW = (kw - 1) * dw + 1;
        int oh = same ? (h + sh - 1) / sh : (h - kEffH) / sh + 1;
        int ow = same ? (w + sw - 1) / sw : (w - kEffW) / sw + 1;
        int pt = same ? Math.Max((oh - 1) * sh + kEffH - h, 0) / 2 : 0;
        int pl = same ? Math.Max((ow - 1) * sw + kEffW - w, 0) / 2 : 0;
        var y = new Tensor(new Shape(n, oh, ow, f));
        for (int i = 0; i < n; i++)
            for (int r = 0; r < oh; r++)
                for (int q = 0; q < ow; q++)
                    for (int o = 0; o < f; o++)
                    {
                        double s = b?[o] ?? 0f;
                        for (int u = 0; u < kh; u++)
                            for (int v = 0; v < kw; v++)
                            {
                                int ih = r * sh - pt + u * dh, iw = q * sw - pl + v * dw;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                for (int ch = 0; ch < c; ch++) s += x[i, ih, iw, ch] * k[u, v, ch, o];
                            }
                        y[i, r, q, o] = (float)s;
                    }
        return y;
    }

    internal static void AssertClose(Tensor expected, Tensor actual, float tol = 1e-4f)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.Span;
        var a = actual.Span;
        for (int i = 0; i < e.Length; i++)
            Assert.True(MathF.Abs(e[i] - a[i]) <= tol * (1 + MathF.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]} (shape {expected.Shape})");
    }

    // n, h, w, c, kh, kw, f, sh, sw, dh, dw, same
    public static IEnumerable<object[]> Cases =>
    [
        [2, 5, 5, 3, 3, 3, 4, 1, 1, 1, 1, false],
        [2, 5, 5, 3, 3, 3, 4, 1, 1, 1, 1, true],
        [1, 7, 6, 2, 3, 2, 3, 2, 2, 1, 1, false],
        [1, 7, 6, 2, 3, 2, 3, 2, 3, 1, 1, true],
        [2, 8, 7, 2, 3, 3, 2, 1, 1, 2, 2, false],
        [1, 8, 7, 2, 3, 3, 2, 1, 1, 2, 3, true],
        [1, 9, 9, 1, 4, 4, 2, 3, 3, 1, 1, true],
        [1, 6, 5, 3, 1, 1, 4, 1, 1, 1, 1, false],
        [1, 6, 5, 3, 1, 1, 4, 2, 2, 1, 1, true],
        [1, 4, 4, 2, 4, 4, 3, 1, 1, 1, 1, false],
        [1, 3, 3, 2, 5, 5, 2, 1, 1, 1, 1, true],
        [2, 7, 6, 1, 3, 3, 4, 1, 1, 1, 1, false], // one channel, unit horizontal stride: the K-major im2col
        [1, 7, 6, 1, 3, 2, 3, 2, 1, 1, 2, true],
        [1, 5, 5, 1, 4, 4, 2, 1, 1, 1, 1, true],
        [1, 3, 8, 1, 2, 5, 2, 1, 1, 2, 2, true],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Conv2DMatchesReferenceAndFiniteDifferences(int n, int h, int w, int c, int kh, int kw, int f, int sh, int sw, int dh, int dw, bool same)
    {
        var x = GradCheck.Rand(_rng, n, h, w, c);
        var k = GradCheck.Rand(_rng, kh, kw, c, f);
        var b = GradCheck.Rand(_rng, f);
        string pad = same ? "same" : "valid";
        var y = Tensor.Conv2D(x, k, b, (sh, sw), pad, (dh, dw));
        AssertClose(Reference(x, k, b, sh, sw, dh, dw, same), y);
        GradCheck.Check(t => Tensor.Conv2D(t[0], t[1], t[2], (sh, sw), pad, (dh, dw)), x, k, b);
        GradCheck.Check(t => Tensor.Conv2D(t[0], t[1], null, (sh, sw), pad, (dh, dw)), GradCheck.Rand(_rng, n, h, w, c), GradCheck.Rand(_rng, kh, kw, c, f));
    }

    [Theory]
    [InlineData(12, 16)]
    [InlineData(28, 1)] // the K-major layout
    public void Conv2DBatchSplitIntoManyChunksMatchesReference(int size, int channels)
    {
        // 40 samples exceed one chunk, so several chunks and lanes are used.
        var x = GradCheck.Rand(_rng, 40, size, size, channels);
        var k = GradCheck.Rand(_rng, 3, 3, channels, 8);
        var b = GradCheck.Rand(_rng, 8);
        AssertClose(Reference(x, k, b, 1, 1, 1, 1, false), Tensor.Conv2D(x, k, b), 1e-3f);
        // Gradients over chunks and lanes equal the gradients of one sample at a time.
        x.RequiresGrad = k.RequiresGrad = b.RequiresGrad = true;
        var r = GradCheck.Rand(_rng, 40, size - 2, size - 2, 8);
        (Tensor.Conv2D(x, k, b) * r).Sum().Backward();
        var gk = new float[k.Size];
        var gb = new float[b.Size];
        for (int i = 0; i < 40; i++)
        {
            var xi = x.SliceRows(i, 1).Clone();
            var ki = k.Detach();
            ki.RequiresGrad = true;
            var bi = b.Detach();
            bi.RequiresGrad = true;
            xi.RequiresGrad = true;
            (Tensor.Conv2D(xi, ki, bi) * r.SliceRows(i, 1)).Sum().Backward();
            for (int j = 0; j < gk.Length; j++) gk[j] += ki.Grad!.Span[j];
            for (int j = 0; j < gb.Length; j++) gb[j] += bi.Grad!.Span[j];
            AssertClose(xi.Grad!, x.Grad!.SliceRows(i, 1).Clone(), 1e-4f);
        }
        AssertClose(Tensor.FromArray(gk, k.Shape.ToArray()), k.Grad!, 1e-3f);
        AssertClose(Tensor.FromArray(gb, b.Shape.ToArray()), b.Grad!, 1e-3f);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(16)] // a multiple of the vector width: the vectorised mask
    public void FusedReluEqualsConvThenRelu(int filters)
    {
        var x = GradCheck.Rand(_rng, 3, 6, 6, 2);
        var k = GradCheck.Rand(_rng, 3, 3, 2, filters);
        var b = GradCheck.Rand(_rng, filters);
        var r = GradCheck.Rand(_rng, 3, 6, 6, filters);
        Tensor[] Grads(bool fused)
        {
            var (xc, kc, bc) = (x.Clone(), k.Clone(), b.Clone());
            xc.RequiresGrad = kc.RequiresGrad = bc.RequiresGrad = true;
            var y = fused
                ? Tensor.Conv2D(xc, kc, bc, 1, global::Praxis.Kernels.Padding.Same, 1, relu: true, "test")
                : Tensor.Conv2D(xc, kc, bc, 1, "same").Relu();
            (y * r).Sum().Backward();
            return [y, xc.Grad!, kc.Grad!, bc.Grad!];
        }
        var fusedResult = Grads(true);
        var plain = Grads(false);
        for (int i = 0; i < plain.Length; i++) AssertClose(plain[i], fusedResult[i], 1e-5f);
    }

    [Theory]
    [InlineData(32, false, 1, false)] // whole vectors at every width
    [InlineData(5, false, 1, false)]  // fewer filters than a vector: the scalar tail
    [InlineData(21, true, 2, true)]   // vectors and a tail; "same" padding, vertical stride
    [InlineData(8, true, 1, false)]
    public void OneChannel3x3DirectKernelsMatchReferenceAndGradients(int filters, bool same, int sh, bool relu)
    {
        // A 3×3 kernel on one channel takes the direct 9-tap kernels; when x needs no gradient (a first layer) backward
        // fuses the ReLU mask, bias sums and dW. Compared with the reference and with the unfused ReLU and a dx-needing run.
        var x = GradCheck.Rand(_rng, 5, 9, 8, 1);
        var k = GradCheck.Rand(_rng, 3, 3, 1, filters);
        var b = GradCheck.Rand(_rng, filters);
        var pad = same ? global::Praxis.Kernels.Padding.Same : global::Praxis.Kernels.Padding.Valid;
        var plainY = Reference(x, k, b, sh, 1, 1, 1, same);
        var r = GradCheck.Rand(_rng, plainY.Shape.ToArray());
        Tensor[] Run(bool fused, bool needDx)
        {
            var (xc, kc, bc) = (x.Clone(), k.Clone(), b.Clone());
            xc.RequiresGrad = needDx;
            kc.RequiresGrad = bc.RequiresGrad = true;
            var y = fused ? Tensor.Conv2D(xc, kc, bc, (sh, 1), pad, 1, relu, "test") : Tensor.Conv2D(xc, kc, bc, (sh, 1), same ? "same" : "valid");
            if (!fused && relu) y = y.Relu();
            (y * r).Sum().Backward();
            return [y, kc.Grad!, bc.Grad!];
        }
        var direct = Run(true, needDx: false);
        var viaDx = Run(true, needDx: true);
        var unfused = Run(false, needDx: false);
        AssertClose(relu ? plainY.Relu() : plainY, direct[0], 1e-4f);
        for (int i = 0; i < direct.Length; i++)
        {
            AssertClose(unfused[i], direct[i], 1e-4f);
            AssertClose(viaDx[i], direct[i], 1e-4f);
        }
        // Finite differences through the direct dW/db path (x held constant, so no dx); without the ReLU's kink.
        GradCheck.Check(t => Tensor.Conv2D(x, t[0], t[1], (sh, 1), pad, 1, relu: false, "test"), k, b);
    }

    [Fact]
    public void Conv2DErrorsNameShapes()
    {
        var k = Tensor.Zeros(3, 3, 1, 4);
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2D(Tensor.Zeros(2, 28, 28), k));
        Assert.Contains("4-D input", e.Message);
        Assert.Contains("(2, 28, 28)", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2D(Tensor.Zeros(2, 2, 5, 1), k));
        Assert.Contains("height 2 is smaller than the kernel height 3", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2D(Tensor.Zeros(2, 8, 8, 3), k));
        Assert.Contains("3 channels", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Tensor.Conv2D(Tensor.Zeros(1, 9, 9, 1), k, null, 1, "valid", 5));
        Assert.Contains("input height 9 is smaller than the dilated kernel height 11", e.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Conv2D(Tensor.Zeros(1, 8, 8, 1), k, null, 1, "full"));
    }

    // ------------------------------------------------------------------ transposed convolution

    public static TheoryData<int, int, int, int, int, int, bool, int?> TransposeCases => new()
    {
        // h, w, kh, kw, stride, dilation, same, outputPadding
        { 3, 4, 3, 3, 1, 1, false, null },
        { 3, 4, 3, 3, 2, 1, false, null },
        { 3, 4, 3, 3, 2, 1, true, null },
        { 3, 3, 2, 2, 2, 1, true, null },
        { 3, 3, 4, 4, 2, 1, true, null },
        { 4, 3, 3, 2, 3, 1, false, 1 },
        { 3, 3, 3, 3, 2, 1, true, 1 },
        { 4, 4, 3, 3, 1, 2, false, null },
        { 3, 3, 1, 1, 1, 1, false, null },
    };

    [Theory]
    [MemberData(nameof(TransposeCases))]
    public void Conv2DTransposeIsTheAdjointOfConv2D(int h, int w, int kh, int kw, int s, int d, bool same, int? outputPadding)
    {
        // ⟨conv(u), v⟩ = ⟨u, convᵀ(v)⟩ for every u, v defines the transposed convolution (TensorFlow's conv2d_transpose).
        string pad = same ? "same" : "valid";
        var v = GradCheck.Rand(_rng, 2, h, w, 3);
        var k = GradCheck.Rand(_rng, kh, kw, 2, 3); // (KH, KW, filters = 2, in = 3)
        var y = Tensor.Conv2DTranspose(v, k, null, s, pad, outputPadding is int op ? op : null, d);
        Assert.Equal(new Shape(2, Expected(h, kh, s, d, same, outputPadding), Expected(w, kw, s, d, same, outputPadding), 2), y.Shape);
        var u = GradCheck.Rand(_rng, y.Shape.ToArray());
        var cu = Tensor.Conv2D(u, k, null, s, pad, d);
        Assert.Equal(v.Shape, cu.Shape);
        double lhs = Dot(cu, v), rhs = Dot(u, y);
        Assert.True(Math.Abs(lhs - rhs) < 1e-3 * (1 + Math.Abs(lhs)), $"⟨conv u, v⟩ = {lhs} but ⟨u, convᵀ v⟩ = {rhs}");

        var b = GradCheck.Rand(_rng, 2);
        GradCheck.Check(t => Tensor.Conv2DTranspose(t[0], t[1], t[2], s, pad, outputPadding is int op2 ? op2 : null, d), v, k, b);
    }

    // Keras' deconv_output_length.
    private static int Expected(int input, int k, int s, int d, bool same, int? op)
    {
        int keff = (k - 1) * d + 1;
        if (op is int p) return (input - 1) * s + keff - 2 * (same ? keff / 2 : 0) + p;
        return same ? input * s : input * s + Math.Max(keff - s, 0);
    }

    private static double Dot(Tensor a, Tensor b)
    {
        double s = 0;
        for (int i = 0; i < a.Size; i++) s += (double)a.Span[i] * b.Span[i];
        return s;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public void Conv2DTransposeFusedReluEqualsUnfused(int filters)
    {
        var x = GradCheck.Rand(_rng, 2, 3, 3, 4);
        var k = GradCheck.Rand(_rng, 3, 3, filters, 4);
        var b = GradCheck.Rand(_rng, filters);
        var r = GradCheck.Rand(_rng, 2, 6, 6, filters);
        Tensor[] Run(bool fused)
        {
            var (xc, kc, bc) = (x.Clone(), k.Clone(), b.Clone());
            xc.RequiresGrad = kc.RequiresGrad = bc.RequiresGrad = true;
            var y = fused
                ? Tensor.Conv2DTranspose(xc, kc, bc, 2, global::Praxis.Kernels.Padding.Same, null, 1, relu: true, "test")
                : Tensor.Conv2DTranspose(xc, kc, bc, 2, "same").Relu();
            (y * r).Sum().Backward();
            return [y, xc.Grad!, kc.Grad!, bc.Grad!];
        }
        var f = Run(true);
        var p = Run(false);
        for (int i = 0; i < p.Length; i++) AssertClose(p[i], f[i], 1e-5f);
    }
}
