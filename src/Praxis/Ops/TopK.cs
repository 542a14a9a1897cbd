using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// The <paramref name="k"/> largest entries along the last axis and their indices (Keras
    /// <c>ops.top_k(x, k, sorted=True)</c>): both (…, k). Values come largest first; equal values keep their input order
    /// (lower index first, as TensorFlow), and NaN counts as the largest. With <paramref name="sorted"/> false the order
    /// is unspecified, as in Keras; Praxis then still returns them sorted. The gradient flows to the selected entries
    /// through the values; the indices (floats, since tensors are float32) carry none.
    /// </summary>
    public (Tensor Values, Tensor Indices) TopK(int k, bool sorted = true)
    {
        var op = new TopKOp(this, k);
        var values = Engine.Record(op);
        return (values, op.Extra(0));
    }
}

/// <summary>
/// Per row of n elements: a min-heap of the k best seen so far (root = the worst kept; "better" = larger value, or
/// equal value and lower index), so a row costs O(n log k); popping the heap then fills the row from the back.
/// Backward scatters dy into dx at the kept indices.
/// </summary>
internal sealed class TopKOp : MultiOutputOp
{
    private readonly int _rows, _n, _k;
    private readonly float[] _hv; // heap values
    private readonly int[] _hi;   // heap indices

    public TopKOp(Tensor x, int k) : base(x)
    {
        if (x.Rank == 0) throw new ShapeMismatchException("TopK: needs at least one axis; got a scalar.");
        _n = x.Shape[-1];
        if (k < 0 || k > _n) throw new ArgumentOutOfRangeException(nameof(k), $"TopK: k = {k} must be between 0 and the last axis of shape {x.Shape} ({_n}).");
        _k = k;
        _rows = _n == 0 ? 0 : x.Size / _n;
        var outShape = x.Shape.With(-1, k);
        Output = new Tensor(outShape);
        ExtraOutputs = [new Tensor(outShape)];
        ExtraGrads = [new Tensor(outShape)];
        _hv = new float[k];
        _hi = new int[k];
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> vals = Output.Span, idx = ExtraOutputs[0].Span;
        int k = _k;
        if (k == 0) return;
        for (int r = 0; r < _rows; r++)
        {
            var row = x.Slice(r * _n, _n);
            int size = 0;
            for (int i = 0; i < row.Length; i++)
            {
                if (size < k) { _hv[size] = row[i]; _hi[size] = i; SiftUp(size++); }
                else if (Better(row[i], i, _hv[0], _hi[0])) { _hv[0] = row[i]; _hi[0] = i; SiftDown(0, k); }
            }
            var vo = vals.Slice(r * k, k); var io = idx.Slice(r * k, k);
            for (int p = k - 1; p >= 0; p--) // the root is the worst: it goes last
            {
                vo[p] = _hv[0]; io[p] = _hi[0];
                size--;
                _hv[0] = _hv[size]; _hi[0] = _hi[size];
                SiftDown(0, size);
            }
        }
        ClearExtraGrads();
    }

    /// <summary>Whether (a, ia) ranks above (b, ib): larger value (NaN largest), then lower index.</summary>
    private static bool Better(float a, int ia, float b, int ib)
    {
        bool an = float.IsNaN(a), bn = float.IsNaN(b);
        if (an || bn) return an && (!bn || ia < ib);
        return a > b || (a == b && ia < ib);
    }

    private void SiftUp(int c)
    {
        while (c > 0)
        {
            int p = (c - 1) / 2;
            if (!Better(_hv[p], _hi[p], _hv[c], _hi[c])) break; // parent already the worse one
            Swap(p, c); c = p;
        }
    }

    private void SiftDown(int p, int size)
    {
        while (true)
        {
            int l = 2 * p + 1, w = p;
            if (l < size && Better(_hv[w], _hi[w], _hv[l], _hi[l])) w = l;
            if (l + 1 < size && Better(_hv[w], _hi[w], _hv[l + 1], _hi[l + 1])) w = l + 1;
            if (w == p) return;
            Swap(p, w); p = w;
        }
    }

    private void Swap(int a, int b)
    {
        (_hv[a], _hv[b]) = (_hv[b], _hv[a]);
        (_hi[a], _hi[b]) = (_hi[b], _hi[a]);
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad || _k == 0) { ClearExtraGrads(); return; }
        ReadOnlySpan<float> g = OutGrad, idx = ExtraOutputs[0].Span;
        Span<float> gx = GradSpan(x);
        for (int r = 0; r < _rows; r++)
            for (int p = 0; p < _k; p++) gx[r * _n + (int)idx[r * _k + p]] += g[r * _k + p];
        ClearExtraGrads();
    }
}
