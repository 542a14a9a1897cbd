using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Gathers entries along <paramref name="axis"/> at integer <paramref name="indices"/> stored as floats (Keras
    /// <c>ops.take</c>, NumPy <c>take</c>): the result has shape x.shape[:axis] + indices.shape + x.shape[axis+1:].
    /// Negative indices count from the end. This is the embedding lookup (table (V, D), ids (B, T) → (B, T, D)); the
    /// gradient flows to this tensor (scatter-add), never to the indices. Indices are read and checked on every run,
    /// so a recorded step gathers each new batch.
    /// </summary>
    public Tensor Take(Tensor indices, int axis = 0) => Engine.Record(new TakeOp(this, indices, axis, null));

    /// <summary>The same as <see cref="Take(Tensor, int)"/> with <paramref name="context"/> (e.g. "Layer 'embedding' (Embedding)") prefixed to index errors.</summary>
    internal Tensor Take(Tensor indices, int axis, string context) => Engine.Record(new TakeOp(this, indices, axis, context));
}

/// <summary>
/// y[o, i, :] = x[o, idx[i], :] with x viewed as (outer, n, inner) and the indices flattened to m entries.
/// Backward: dx[o, idx[i], :] += dy[o, i, :] (repeated indices accumulate). Indices are validated in Forward, with
/// an error naming the bad value, its position and the valid range.
/// </summary>
internal sealed class TakeOp : Op
{
    private readonly int _outer, _n, _inner, _m;
    private readonly int[] _index; // the validated indices of the last Forward
    private readonly string? _context;
    private readonly Shape _indexShape;

    public TakeOp(Tensor x, Tensor indices, int axis, string? context) : base(x, indices)
    {
        if (x.Rank == 0) throw new ShapeMismatchException("Take needs a tensor of rank >= 1 to gather from; got a scalar.");
        int a = x.Shape.NormalizeAxis(axis);
        _outer = x.Shape.SizeOf(0, a);
        _n = x.Shape[a];
        _inner = x.Shape.SizeOf(a + 1, x.Rank);
        _m = indices.Size;
        _index = new int[_m];
        _context = context;
        _indexShape = indices.Shape;
        var dims = new List<int>(x.Shape.Dims[..a].ToArray());
        dims.AddRange(indices.Shape.Dims.ToArray());
        dims.AddRange(x.Shape.Dims[(a + 1)..].ToArray());
        Output = new Tensor(new Shape(dims.ToArray()));
    }

    public override void Forward()
    {
        ReadOnlySpan<float> ids = Inputs[1].Span;
        for (int i = 0; i < _m; i++)
        {
            float v = ids[i];
            int k = (int)v;
            // Embeddings (a context is given) take ids in [0, n); plain Take also accepts negative indices from the end.
            if (k != v || k >= _n || k < (_context != null ? 0 : -_n)) throw BadIndex(v, i);
            _index[i] = k < 0 ? k + _n : k;
        }
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        for (int o = 0; o < _outer; o++)
            for (int i = 0; i < _m; i++)
                x.Slice((o * _n + _index[i]) * _inner, _inner).CopyTo(y.Slice((o * _m + i) * _inner, _inner));
    }

    private ArgumentException BadIndex(float v, int flat)
    {
        var pos = new int[_indexShape.Rank];
        for (int d = pos.Length - 1, r = flat; d >= 0; d--) { pos[d] = r % _indexShape[d]; r /= _indexShape[d]; }
        string where = _indexShape.Rank == 0 ? "" : $" at position {Shape.Format(pos)} of the indices (shape {_indexShape})";
        string prefix = _context != null ? _context + ": " : "Take: ";
        string what = _context != null ? "token id" : "index";
        string range = _context != null ? $"[0, {_n})" : $"[-{_n}, {_n})";
        return new ArgumentException($"{prefix}{what} {v}{where} is out of range: it must be an integer in {range}.");
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> gx = GradSpan(x);
        ReadOnlySpan<float> gy = OutGrad;
        for (int o = 0; o < _outer; o++)
            for (int i = 0; i < _m; i++)
            {
                var dst = gx.Slice((o * _n + _index[i]) * _inner, _inner);
                TensorPrimitives.Add(dst, gy.Slice((o * _m + i) * _inner, _inner), dst);
            }
    }
}
