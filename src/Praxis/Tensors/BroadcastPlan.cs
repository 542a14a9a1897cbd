namespace Praxis;

/// <summary>
/// Precomputed iteration for a broadcast binary operation: the output is walked as <see cref="Outer"/> contiguous
/// blocks of <see cref="Inner"/> elements; in each block an operand is either a contiguous run (stride 1) or a single
/// repeated value (stride 0), starting at <see cref="OffsetA"/>[k] / <see cref="OffsetB"/>[k]. Adjacent dimensions are
/// merged first, so same-shape operands are one block and a bias is one block per row.
/// </summary>
internal sealed class BroadcastPlan
{
    public BroadcastPlan(Shape a, Shape b, string op)
    {
        Out = Shape.Broadcast(a, b, op);
        int r = Out.Rank;
        var dims = Out.ToArray();
        var sa = AlignedStrides(a, r);
        var sb = AlignedStrides(b, r);

        // Drop size-1 dimensions, then merge neighbours that are contiguous in both operands.
        var md = new List<int>(); var ma = new List<int>(); var mb = new List<int>();
        for (int i = 0; i < r; i++)
        {
            if (dims[i] == 1) continue;
            int n = md.Count;
            if (n > 0 && ma[n - 1] == sa[i] * dims[i] && mb[n - 1] == sb[i] * dims[i])
            {
                md[n - 1] *= dims[i]; ma[n - 1] = sa[i]; mb[n - 1] = sb[i];
            }
            else { md.Add(dims[i]); ma.Add(sa[i]); mb.Add(sb[i]); }
        }
        if (md.Count == 0) { md.Add(1); ma.Add(0); mb.Add(0); }

        int last = md.Count - 1;
        // The inner block must have stride 0 or 1 in each operand; otherwise (e.g. a transposed broadcast) use single elements.
        if (ma[last] is 0 or 1 && mb[last] is 0 or 1)
        {
            Inner = md[last];
            StrideA = ma[last];
            StrideB = mb[last];
            md.RemoveAt(last); ma.RemoveAt(last); mb.RemoveAt(last);
        }
        else
        {
            Inner = 1;
        }
        Outer = Out.Size / Math.Max(Inner, 1);
        if (Out.Size == 0) Outer = 0;
        OffsetA = new int[Outer];
        OffsetB = new int[Outer];
        var idx = new int[md.Count];
        int offA = 0, offB = 0;
        for (int k = 0; k < Outer; k++)
        {
            OffsetA[k] = offA; OffsetB[k] = offB;
            for (int d = md.Count - 1; d >= 0; d--)
            {
                idx[d]++; offA += ma[d]; offB += mb[d];
                if (idx[d] < md[d]) break;
                offA -= ma[d] * md[d]; offB -= mb[d] * md[d]; idx[d] = 0;
            }
        }
    }

    public Shape Out { get; }
    public int Inner { get; }
    public int Outer { get; }
    public int StrideA { get; }
    public int StrideB { get; }
    public int[] OffsetA { get; }
    public int[] OffsetB { get; }

    private static int[] AlignedStrides(Shape s, int rank)
    {
        var st = new int[rank];
        int stride = 1;
        for (int i = s.Rank - 1; i >= 0; i--)
        {
            int oi = i + rank - s.Rank;
            st[oi] = s[i] == 1 ? 0 : stride;
            stride *= s[i];
        }
        return st;
    }

    /// <summary>
    /// Adds a full-size gradient <paramref name="g"/> (laid out like the output) into <paramref name="target"/>
    /// (laid out like operand A or B), summing over broadcast dimensions.
    /// </summary>
    public void AccumulateReduced(ReadOnlySpan<float> g, Span<float> target, bool operandA)
    {
        int inner = Inner;
        int stride = operandA ? StrideA : StrideB;
        var offs = operandA ? OffsetA : OffsetB;
        for (int k = 0; k < Outer; k++)
        {
            var block = g.Slice(k * inner, inner);
            if (stride == 1)
            {
                var t = target.Slice(offs[k], inner);
                System.Numerics.Tensors.TensorPrimitives.Add(t, block, t);
            }
            else target[offs[k]] += System.Numerics.Tensors.TensorPrimitives.Sum(block);
        }
    }
}
