using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Cumulative sum along <paramref name="axis"/> (Keras <c>ops.cumsum(x, axis)</c>; <c>null</c> flattens first, so
    /// the result is 1-D), with TensorFlow's <c>tf.math.cumsum</c> options: <paramref name="exclusive"/> leaves the
    /// current element out (y₀ = 0) and <paramref name="reverse"/> sums from the end.
    /// </summary>
    public Tensor CumSum(int? axis = null, bool exclusive = false, bool reverse = false) =>
        Engine.Record(new CumSumOp(this, axis, exclusive, reverse));
}

/// <summary>
/// The input viewed as (outer, n, inner), summed along n: run = 0; for j in order: y_j = run + x_j (inclusive) or
/// y_j = run (exclusive), run += x_j. Rows of <c>inner</c> elements are added as vectors. Backward is the same
/// cumulative sum of dy in the opposite order with the same exclusivity.
/// </summary>
internal sealed class CumSumOp : Op
{
    private readonly int _outer, _n, _inner;
    private readonly bool _exclusive, _reverse;
    private readonly float[] _run; // one row of running sums

    public CumSumOp(Tensor x, int? axis, bool exclusive, bool reverse) : base(x)
    {
        _exclusive = exclusive; _reverse = reverse;
        if (axis is int ax)
        {
            int a = ax < 0 ? ax + x.Rank : ax;
            if (a < 0 || a >= x.Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"CumSum: axis {ax} is out of range for shape {x.Shape} (rank {x.Rank}).");
            _outer = x.Shape.SizeOf(0, a); _n = x.Shape[a]; _inner = x.Shape.SizeOf(a + 1, x.Rank);
            Output = new Tensor(x.Shape);
        }
        else
        {
            _outer = 1; _n = x.Size; _inner = 1;
            Output = new Tensor(new Shape(x.Size));
        }
        _run = new float[_inner];
    }

    public override void Forward() => Scan(Inputs[0].Span, Output.Span, _reverse, accumulate: false);

    public override void Backward()
    {
        var x = Inputs[0];
        if (x.RequiresGrad) Scan(OutGrad, GradSpan(x), !_reverse, accumulate: true);
    }

    /// <summary>dst (= or +=) the cumulative sums of src along n, walking backwards when <paramref name="fromEnd"/>.</summary>
    private void Scan(ReadOnlySpan<float> src, Span<float> dst, bool fromEnd, bool accumulate)
    {
        int n = _n, inner = _inner;
        Span<float> run = _run;
        for (int o = 0; o < _outer; o++)
        {
            if (inner == 1)
            {
                var s = src.Slice(o * n, n); var d = dst.Slice(o * n, n);
                float r = 0f;
                for (int t = 0; t < n; t++)
                {
                    int j = fromEnd ? n - 1 - t : t;
                    float v = s[j];
                    if (!_exclusive) r += v;
                    if (accumulate) d[j] += r; else d[j] = r;
                    if (_exclusive) r += v;
                }
                continue;
            }
            run.Clear();
            for (int t = 0; t < n; t++)
            {
                int j = fromEnd ? n - 1 - t : t;
                var s = src.Slice((o * n + j) * inner, inner); var d = dst.Slice((o * n + j) * inner, inner);
                if (!_exclusive) TensorPrimitives.Add(run, s, run);
                if (accumulate) TensorPrimitives.Add(d, run, d); else run.CopyTo(d);
                if (_exclusive) TensorPrimitives.Add(run, s, run);
            }
        }
    }
}
