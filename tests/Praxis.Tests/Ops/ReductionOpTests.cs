namespace Praxis.Tests.Ops;

/// <summary>
/// Multi-axis reductions, ArgMax/ArgMin, Where, OneHot, TopK and CumSum: values against plain nested-loop references
/// (NumPy/Keras semantics), gradients against finite differences.
/// </summary>
public class ReductionOpTests
{
    private readonly Rng _rng = new(15);

    /// <summary>Reference reduction: every input element folds into the output element with its reduced coordinates zeroed.</summary>
    private static float[] Reference(Tensor x, int[]? axes, Func<float, float, float> fold, float init)
    {
        int r = x.Rank;
        var red = new bool[r];
        foreach (int a in axes ?? Enumerable.Range(0, r).ToArray()) red[a < 0 ? a + r : a] = true;
        var outDims = Enumerable.Range(0, r).Select(i => red[i] ? 1 : x.Shape[i]).ToArray();
        var y = Enumerable.Repeat(init, new Shape(outDims).Size).ToArray();
        var s = x.Span;
        var idx = new int[r];
        for (int e = 0; e < x.Size; e++)
        {
            int rem = e, o = 0;
            for (int d = r - 1; d >= 0; d--) { idx[d] = rem % x.Shape[d]; rem /= x.Shape[d]; }
            for (int d = 0; d < r; d++) o = o * outDims[d] + (red[d] ? 0 : idx[d]);
            y[o] = fold(y[o], s[e]);
        }
        return y;
    }

    public static TheoryData<int[], int[]?> Cases => new()
    {
        { new[] { 2, 3, 4 }, new[] { 0, 2 } },
        { new[] { 2, 3, 4 }, new[] { -1, -2 } },
        { new[] { 2, 3, 4 }, new[] { 1 } },
        { new[] { 2, 3, 4 }, new[] { 0 } },
        { new[] { 2, 3, 4 }, null },
        { new[] { 3, 1, 5, 2 }, new[] { 1, 3 } },
        { new[] { 3, 1, 5, 2 }, new[] { 0, 2 } },
        { new[] { 2, 3, 2, 17 }, new[] { 0, 2 } },
        { new[] { 2, 3, 2, 17 }, new[] { 1, 3 } },
        { new[] { 4, 5 }, new int[0] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MultiAxisValuesMatchReference(int[] shape, int[]? axes)
    {
        var x = GradCheck.Rand(_rng, shape);
        int n = x.Size / Reference(x, axes, (a, _) => a, 0).Length;
        var sum = Reference(x, axes, (a, v) => a + v, 0);
        var max = Reference(x, axes, MathF.Max, float.NegativeInfinity);
        var min = Reference(x, axes, MathF.Min, float.PositiveInfinity);
        Close(sum, x.Sum(axes, keepDims: true).ToArray(), 1e-5f);
        Close(sum.Select(v => v / n).ToArray(), x.Mean(axes, keepDims: true).ToArray(), 1e-5f);
        Assert.Equal(max, x.Max(axes, keepDims: true).ToArray());
        Assert.Equal(min, x.Min(axes, keepDims: true).ToArray());

        // Population variance, two-pass, in double.
        var mean = sum.Select(v => (double)v / n).ToArray();
        var centered = x.ToArray();
        var xm = Tensor.FromArray(centered, shape) - Tensor.FromArray(mean.Select(v => (float)v).ToArray(), x.Sum(axes, keepDims: true).Shape.ToArray());
        var sq = xm.ToArray().Select(v => v * v).ToArray();
        var var = Reference(Tensor.FromArray(sq, shape), axes, (a, v) => a + v, 0).Select(v => v / n).ToArray();
        Close(var, x.Var(axes, keepDims: true).ToArray(), 1e-5f);
        Close(var.Select(MathF.Sqrt).ToArray(), x.Std(axes, keepDims: true).ToArray(), 1e-5f);

        // Without keepDims the values are the same and the reduced axes disappear.
        var dropped = x.Sum(axes);
        int r = shape.Length;
        var expected = axes is null ? [] : shape.Where((_, i) => !axes.Any(a => (a < 0 ? a + r : a) == i)).ToArray();
        Assert.Equal(expected, dropped.Shape.ToArray());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MultiAxisGradients(int[] shape, int[]? axes)
    {
        GradCheck.Check(t => t[0].Sum(axes), GradCheck.Rand(_rng, shape));
        GradCheck.Check(t => t[0].Mean(axes, keepDims: true), GradCheck.Rand(_rng, shape));
        GradCheck.Check(t => t[0].Max(axes), GradCheck.Rand(_rng, shape));
        GradCheck.Check(t => t[0].Min(axes, keepDims: true), GradCheck.Rand(_rng, shape));
        if (axes is not { Length: 0 }) // a variance over nothing is 0 and its square root has no gradient
        {
            GradCheck.Check(t => t[0].Var(axes), GradCheck.Rand(_rng, shape));
            GradCheck.Check(t => t[0].Std(axes, keepDims: true), GradCheck.Rand(_rng, shape));
        }
    }

    [Fact]
    public void MaxTiesShareTheGradientAndNaNPropagates()
    {
        var x = Tensor.FromArray([1f, 3f, 3f, 2f, 5f, 5f, 5f, 0f], 2, 4);
        x.RequiresGrad = true;
        x.Max(1).Sum().Backward();
        Assert.Equal([0f, 0.5f, 0.5f, 0f, 1f / 3, 1f / 3, 1f / 3, 0f], x.Grad!.ToArray());
        var withNan = Tensor.FromArray([1f, float.NaN, 2f], 3);
        Assert.True(float.IsNaN(withNan.Max().Item()));
    }

    [Fact]
    public void BadAxesAreRefusedByName()
    {
        var x = Tensor.Zeros(2, 3);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => x.Sum([1, -1])).Message);
        Assert.Contains("axis 2 is out of range", Assert.Throws<ArgumentOutOfRangeException>(() => x.Max([2])).Message);
        Assert.Contains("length 0", Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 0).Max(1)).Message);
    }

    [Theory]
    [InlineData(new[] { 3, 7 }, 1)]
    [InlineData(new[] { 3, 7 }, 0)]
    [InlineData(new[] { 2, 5, 19 }, 1)]
    [InlineData(new[] { 2, 5, 19 }, -1)]
    [InlineData(new[] { 2, 5, 19 }, null)]
    public void ArgMaxArgMinMatchReference(int[] shape, int? axis)
    {
        var x = GradCheck.Rand(_rng, shape);
        var s = x.Span;
        s[3] = s[4] = 5f; // a tie: the first index wins
        int r = shape.Length;
        int a = axis is int ax ? (ax < 0 ? ax + r : ax) : 0;
        int outer = axis is null ? 1 : shape[..a].Aggregate(1, (p, d) => p * d);
        int n = axis is null ? x.Size : shape[a];
        int inner = axis is null ? 1 : shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        var am = new float[outer * inner]; var an = new float[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int bi = 0, wi = 0;
                for (int j = 1; j < n; j++)
                {
                    if (s[(o * n + j) * inner + i] > s[(o * n + bi) * inner + i]) bi = j;
                    if (s[(o * n + j) * inner + i] < s[(o * n + wi) * inner + i]) wi = j;
                }
                am[o * inner + i] = bi; an[o * inner + i] = wi;
            }
        Assert.Equal(am, x.ArgMax(axis).ToArray());
        Assert.Equal(an, x.ArgMin(axis).ToArray());
        var kept = x.ArgMax(axis, keepDims: true).Shape.ToArray();
        Assert.Equal(axis is null ? Enumerable.Repeat(1, r).ToArray() : shape.Select((d, i) => i == a ? 1 : d).ToArray(), kept);
    }

    [Fact]
    public void ArgMaxPicksTheFirstNaNAsNumPy()
    {
        var x = Tensor.FromArray([1f, float.NaN, 9f, float.NaN, 2f, 3f, float.NaN, 0f, 1f, 1f], 5, 2);
        Assert.Equal([3f, 0f], x.ArgMax(0).ToArray()); // columns: 1,9,2,NaN,1 | NaN,NaN,3,0,1
        Assert.Equal([1f, 1f, 1f, 0f, 0f], x.ArgMax(1).ToArray());
        Assert.Equal([3f, 0f], x.ArgMin(0).ToArray());
        Assert.Equal(1f, x.ArgMax().Item());
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 3, 4 }, new[] { 3, 4 })]
    [InlineData(new[] { 3, 1 }, new[] { 1, 4 }, new int[0])]
    [InlineData(new[] { 4 }, new[] { 2, 3, 4 }, new[] { 3, 1 })]
    [InlineData(new[] { 2, 1, 17 }, new[] { 2, 3, 17 }, new[] { 2, 3, 17 })]
    public void WhereBroadcastsAndRoutesGradients(int[] sc, int[] sx, int[] sy)
    {
        var c = GradCheck.Rand(_rng, sc);
        var cs = c.Span;
        for (int i = 0; i < cs.Length; i++) cs[i] = cs[i] > 0 ? 1 : 0;
        var x = GradCheck.Rand(_rng, sx); var y = GradCheck.Rand(_rng, sy);
        var expected = (c * x + (1f - c) * y).ToArray();
        Assert.Equal(expected, Tensor.Where(c, x, y).ToArray());
        GradCheck.Check(t => Tensor.Where(c, t[0], t[1]), x, y);
    }

    [Fact]
    public void WhereNamesAllThreeShapes() =>
        Assert.Contains("(2, 3)", Assert.Throws<ShapeMismatchException>(() => Tensor.Where(Tensor.Zeros(2, 3), Tensor.Zeros(4), Tensor.Zeros(1))).Message);

    [Fact]
    public void OneHotAtAnyAxisWithOutOfRangeRowsOfZeros()
    {
        var ids = Tensor.FromArray([0f, 2f, -1f, 3f, 1f, 1f], 2, 3);
        var last = Tensor.OneHot(ids, 3);
        Assert.Equal([2, 3, 3], last.Shape.ToArray());
        Assert.Equal([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0], last.ToArray());
        var first = Tensor.OneHot(ids, 3, axis: 0); // (3, 2, 3): first[c, i, j] = [ids[i, j] = c]
        Assert.Equal([3, 2, 3], first.Shape.ToArray());
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 6; i++) Assert.Equal(ids.Span[i] == c ? 1f : 0f, first.Span[c * 6 + i]);
        Assert.Contains("whole number", Assert.Throws<ArgumentException>(() => Tensor.OneHot(Tensor.FromArray([0.5f], 1), 2)).Message);
    }

    [Theory]
    [InlineData(new[] { 3, 9 }, 4)]
    [InlineData(new[] { 2, 2, 7 }, 7)]
    [InlineData(new[] { 6 }, 1)]
    public void TopKMatchesAStableSortAndPassesGradientToValues(int[] shape, int k)
    {
        var x = GradCheck.Rand(_rng, shape);
        x.Span[2] = x.Span[5] = 2f; // a tie: the lower index first
        var (values, indices) = x.TopK(k);
        int n = shape[^1];
        for (int r = 0; r < x.Size / n; r++)
        {
            var row = x.Span.Slice(r * n, n).ToArray();
            var order = Enumerable.Range(0, n).OrderByDescending(i => row[i]).ThenBy(i => i).Take(k).ToArray();
            Assert.Equal(order.Select(i => (float)i), indices.Span.Slice(r * k, k).ToArray());
            Assert.Equal(order.Select(i => row[i]), values.Span.Slice(r * k, k).ToArray());
        }
        GradCheck.Check(t => t[0].TopK(k).Values, GradCheck.Rand(_rng, shape));
        Assert.Throws<ArgumentOutOfRangeException>(() => x.TopK(n + 1));
    }

    [Theory]
    [InlineData(new[] { 3, 5 }, 1)]
    [InlineData(new[] { 4, 3, 17 }, 1)]
    [InlineData(new[] { 4, 3, 2 }, 0)]
    [InlineData(new[] { 2, 3 }, null)]
    public void CumSumAllVariants(int[] shape, int? axis)
    {
        var x = GradCheck.Rand(_rng, shape);
        int r = shape.Length, a = axis ?? 0;
        int outer = axis is null ? 1 : shape[..a].Aggregate(1, (p, d) => p * d);
        int n = axis is null ? x.Size : shape[a];
        int inner = axis is null ? 1 : shape[(a + 1)..].Aggregate(1, (p, d) => p * d);
        foreach (bool exclusive in new[] { false, true })
            foreach (bool reverse in new[] { false, true })
            {
                var expected = new float[x.Size];
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < inner; i++)
                        for (int j = 0; j < n; j++)
                        {
                            float s = 0;
                            for (int m = 0; m < n; m++)
                            {
                                bool take = reverse ? (exclusive ? m > j : m >= j) : (exclusive ? m < j : m <= j);
                                if (take) s += x.Span[(o * n + m) * inner + i];
                            }
                            expected[(o * n + j) * inner + i] = s;
                        }
                var y = x.CumSum(axis, exclusive, reverse);
                Close(expected, y.ToArray(), 1e-5f);
                Assert.Equal(axis is null ? [x.Size] : shape, y.Shape.ToArray());
                GradCheck.Check(t => t[0].CumSum(axis, exclusive, reverse), GradCheck.Rand(_rng, shape));
            }
        _ = r;
    }

    private static void Close(float[] expected, float[] actual, float tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tol * (1 + MathF.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
