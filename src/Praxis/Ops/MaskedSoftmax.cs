using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Softmax over the last axis that ignores masked positions (Keras <c>layers.Softmax()(x, mask)</c>, as used by the
    /// attention layers). <paramref name="mask"/> (1 keep, 0 drop) broadcasts to this tensor's shape, aligned from the
    /// right; <paramref name="causal"/> also drops position j of row i in the last two axes (T, S) when j &gt; i
    /// (Keras' <c>use_causal_mask</c>, aligned at the top left). Dropped positions get probability 0. A row with every
    /// position dropped comes out uniform, as in Keras (which adds −1e9 to dropped scores), with no gradient.
    /// </summary>
    public Tensor MaskedSoftmax(Tensor? mask = null, bool causal = false) => Engine.Record(new MaskedSoftmaxOp(this, mask, causal));
}

/// <summary>
/// Row-wise softmax over (rows, n) with a per-row view into a broadcast mask and an optional causal limit.
/// Backward is the softmax one, dx = y ⊙ (dy − Σ dy⊙y), which is already zero where y is zero.
/// </summary>
internal sealed class MaskedSoftmaxOp : Op
{
    private readonly int _rows, _n, _t;
    private readonly bool _causal, _hasMask;
    private readonly int[] _maskRow = [];  // offset of each row's mask entries
    private readonly int _maskCol;         // 1 when the mask varies along the last axis, else 0
    private readonly bool[] _uniform;       // rows with every position dropped

    public MaskedSoftmaxOp(Tensor x, Tensor? mask, bool causal) : base(mask is null ? [x] : [x, mask])
    {
        if (x.Rank == 0) throw new ShapeMismatchException("MaskedSoftmax needs a tensor of rank >= 1; got a scalar.");
        if (causal && x.Rank < 2) throw new ShapeMismatchException($"MaskedSoftmax with a causal mask needs a tensor of rank >= 2 (…, T, S); got {x.Shape}.");
        _n = x.Shape[-1];
        _rows = x.Size / Math.Max(_n, 1);
        _t = causal ? x.Shape[-2] : 1;
        _causal = causal;
        _uniform = new bool[_rows];
        if (mask is not null)
        {
            _hasMask = true;
            var plan = Shape.Broadcast(x.Shape, mask.Shape, "MaskedSoftmax");
            if (plan != x.Shape)
                throw new ShapeMismatchException($"MaskedSoftmax: mask shape {mask.Shape} does not broadcast to the scores' shape {x.Shape}.");
            // Mask strides aligned to x's axes (0 where the mask is broadcast).
            int r = x.Rank;
            var stride = new int[r];
            for (int i = mask.Rank - 1, s = 1; i >= 0; i--)
            {
                int xi = i + r - mask.Rank;
                stride[xi] = mask.Shape[i] == 1 ? 0 : s;
                s *= mask.Shape[i];
            }
            _maskCol = stride[r - 1];
            _maskRow = new int[_rows];
            for (int row = 0; row < _rows; row++)
            {
                int off = 0;
                for (int d = r - 2, rem = row; d >= 0; d--)
                {
                    off += rem % x.Shape[d] * stride[d];
                    rem /= x.Shape[d];
                }
                _maskRow[row] = off;
            }
        }
        Output = new Tensor(x.Shape);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        ReadOnlySpan<float> m = _hasMask ? Inputs[1].Span : default;
        Span<float> y = Output.Span;
        for (int r = 0; r < _rows; r++)
        {
            var xr = x.Slice(r * _n, _n);
            var yr = y.Slice(r * _n, _n);
            // Keep positions j < limit (causal) whose mask entry is non-zero.
            int limit = _causal ? Math.Min(_n, r % _t + 1) : _n;
            float max = float.NegativeInfinity;
            for (int j = 0; j < limit; j++)
                if ((!_hasMask || m[_maskRow[r] + j * _maskCol] != 0f) && xr[j] > max) max = xr[j];
            if (float.IsNegativeInfinity(max))
            {
                _uniform[r] = true;
                yr.Fill(1f / _n);
                continue;
            }
            _uniform[r] = false;
            // Dropped positions become −∞, whose exponential is exactly 0, so the exponentials and their sum are one
            // vector pass (the mask may be strided or broadcast, so only this copy is scalar).
            for (int j = 0; j < _n; j++)
                yr[j] = j < limit && (!_hasMask || m[_maskRow[r] + j * _maskCol] != 0f) ? xr[j] : float.NegativeInfinity;
            float sum = SoftmaxRow.ExpSum(yr, max, yr);
            SoftmaxRow.Scale(yr, 1f / sum, yr);
        }
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        ReadOnlySpan<float> y = Output.Span, gy = OutGrad;
        Span<float> gx = GradSpan(x);
        for (int r = 0; r < _rows; r++)
        {
            if (_uniform[r]) continue;
            var yr = y.Slice(r * _n, _n);
            var gyr = gy.Slice(r * _n, _n);
            var gxr = gx.Slice(r * _n, _n);
            SoftmaxRow.Backward(gyr, yr, gxr, accumulate: true);
        }
    }
}
