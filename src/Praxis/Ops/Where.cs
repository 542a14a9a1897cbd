using System.Numerics;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Element-wise choice (Keras <c>ops.where(condition, x1, x2)</c>): <paramref name="x"/> where
    /// <paramref name="condition"/> is non-zero, else <paramref name="y"/>; the three shapes broadcast together (NumPy
    /// rules). The gradient flows to x where the condition holds and to y elsewhere (summed over broadcast axes); the
    /// condition gets none.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor x, Tensor y) => Engine.Record(new WhereOp(condition, x, y));

    /// <summary><see cref="Where(Tensor, Tensor, Tensor)"/> with a constant for the false branch.</summary>
    public static Tensor Where(Tensor condition, Tensor x, float y) => Where(condition, x, Scalar(y));

    /// <summary><see cref="Where(Tensor, Tensor, Tensor)"/> with a constant for the true branch.</summary>
    public static Tensor Where(Tensor condition, float x, Tensor y) => Where(condition, Scalar(x), y);
}

/// <summary>
/// out[i] = c[i] ≠ 0 ? x[i] : y[i] over the broadcast shape. When all three shapes already equal the output's, the
/// loops are vector selects; otherwise the constructor lays out, once, each operand's offset for every output element
/// (a broadcast operand repeats offsets), and backward scatter-adds through the same offsets, which sums over the
/// broadcast axes.
/// </summary>
internal sealed class WhereOp : Op
{
    private readonly int[]? _ic, _ix, _iy; // per-output-element offsets; null when the operand has the output's shape

    public WhereOp(Tensor c, Tensor x, Tensor y) : base(c, x, y)
    {
        Shape outShape;
        try { outShape = Shape.Broadcast(Shape.Broadcast(c.Shape, x.Shape, "Where"), y.Shape, "Where"); }
        catch (ShapeMismatchException)
        {
            throw new ShapeMismatchException($"Where: condition {c.Shape}, x {x.Shape} and y {y.Shape} do not broadcast together.");
        }
        Output = new Tensor(outShape);
        _ic = c.Shape == outShape ? null : Offsets(c.Shape, outShape);
        _ix = x.Shape == outShape ? null : Offsets(x.Shape, outShape);
        _iy = y.Shape == outShape ? null : Offsets(y.Shape, outShape);
    }

    /// <summary>For each output element (row-major), the offset of the element of <paramref name="s"/> it reads.</summary>
    private static int[] Offsets(Shape s, Shape o)
    {
        int r = o.Rank;
        var stride = new int[r];
        for (int i = s.Rank - 1, st = 1; i >= 0; i--)
        {
            stride[i + r - s.Rank] = s[i] == 1 ? 0 : st;
            st *= s[i];
        }
        var map = new int[o.Size];
        var idx = new int[r];
        int off = 0;
        for (int k = 0; k < map.Length; k++)
        {
            map[k] = off;
            for (int d = r - 1; d >= 0; d--)
            {
                idx[d]++; off += stride[d];
                if (idx[d] < o[d]) break;
                off -= stride[d] * o[d]; idx[d] = 0;
            }
        }
        return map;
    }

    public override void Forward()
    {
        ReadOnlySpan<float> c = Inputs[0].Span, x = Inputs[1].Span, y = Inputs[2].Span;
        Span<float> o = Output.Span;
        if (_ic is null && _ix is null && _iy is null)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= o.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var keepY = Vector.Equals(new Vector<float>(c.Slice(i)), Vector<float>.Zero);
                    Vector.ConditionalSelect(keepY, new Vector<float>(y.Slice(i)), new Vector<float>(x.Slice(i))).CopyTo(o.Slice(i));
                }
            for (; i < o.Length; i++) o[i] = c[i] != 0f ? x[i] : y[i];
            return;
        }
        for (int i = 0; i < o.Length; i++)
            o[i] = c[_ic is null ? i : _ic[i]] != 0f ? x[_ix is null ? i : _ix[i]] : y[_iy is null ? i : _iy[i]];
    }

    public override void Backward()
    {
        Tensor cT = Inputs[0], xT = Inputs[1], yT = Inputs[2];
        ReadOnlySpan<float> c = cT.Span, g = OutGrad;
        if (xT.RequiresGrad) Route(c, g, GradSpan(xT), _ix, whenTrue: true);
        if (yT.RequiresGrad) Route(c, g, GradSpan(yT), _iy, whenTrue: false);
    }

    /// <summary>target[map[i]] += g[i] where the condition is (or is not) set.</summary>
    private void Route(ReadOnlySpan<float> c, ReadOnlySpan<float> g, Span<float> target, int[]? map, bool whenTrue)
    {
        if (_ic is null && map is null)
        {
            int i = 0;
            if (Vector.IsHardwareAccelerated)
                for (; i <= g.Length - Vector<float>.Count; i += Vector<float>.Count)
                {
                    var isFalse = Vector.Equals(new Vector<float>(c.Slice(i)), Vector<float>.Zero);
                    var gv = new Vector<float>(g.Slice(i));
                    var add = whenTrue ? Vector.ConditionalSelect(isFalse, Vector<float>.Zero, gv) : Vector.ConditionalSelect(isFalse, gv, Vector<float>.Zero);
                    (new Vector<float>(target.Slice(i)) + add).CopyTo(target.Slice(i));
                }
            for (; i < g.Length; i++) if ((c[i] != 0f) == whenTrue) target[i] += g[i];
            return;
        }
        for (int i = 0; i < g.Length; i++)
            if ((c[_ic is null ? i : _ic[i]] != 0f) == whenTrue) target[map is null ? i : map[i]] += g[i];
    }
}
