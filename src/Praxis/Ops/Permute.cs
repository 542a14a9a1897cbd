using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Reorders the axes (NumPy <c>transpose(axes)</c>, Keras <c>ops.transpose</c>, PyTorch <c>permute</c>): output axis i
    /// is input axis <paramref name="axes"/>[i]. The result is a contiguous copy.
    /// </summary>
    public Tensor Permute(params int[] axes) => Engine.Record(new PermuteOp(this, axes));

    /// <summary>Swaps two axes (default: the last two, a batched matrix transpose); a contiguous copy.</summary>
    public Tensor Transpose(int axis1 = -2, int axis2 = -1)
    {
        if (Rank < 2) throw new ShapeMismatchException($"Transpose needs a tensor of rank >= 2; got {Shape}.");
        int a = Shape.NormalizeAxis(axis1), b = Shape.NormalizeAxis(axis2);
        var axes = new int[Rank];
        for (int i = 0; i < axes.Length; i++) axes[i] = i;
        (axes[a], axes[b]) = (axes[b], axes[a]);
        return Permute(axes);
    }
}

/// <summary>
/// y = x with axes reordered. Both directions walk the output in order with an odometer over its leading axes and
/// a strided inner loop over its last axis (a contiguous copy when the last axis stays last).
/// Backward scatters dy back through the same index map: dx[perm(i)] += dy[i].
/// </summary>
internal sealed class PermuteOp : Op
{
    private readonly int[] _outDims;     // output dimensions
    private readonly int[] _inStrides;   // input stride of each output axis
    private readonly int[] _counter;     // odometer over the output's leading axes

    public PermuteOp(Tensor x, int[] axes) : base(x)
    {
        int r = x.Rank;
        if (axes.Length != r)
            throw new ShapeMismatchException($"Permute: {axes.Length} axes given for a tensor of rank {r} (shape {x.Shape}).");
        var seen = new bool[r];
        var perm = new int[r];
        for (int i = 0; i < r; i++)
        {
            int a = axes[i] < 0 ? axes[i] + r : axes[i];
            if (a < 0 || a >= r || seen[a])
                throw new ArgumentException($"Permute: axes {Shape.Format(axes)} are not a permutation of 0..{r - 1} (shape {x.Shape}).");
            seen[a] = true;
            perm[i] = a;
        }
        var inStride = new int[r];
        for (int i = r - 1, s = 1; i >= 0; i--) { inStride[i] = s; s *= x.Shape[i]; }
        _outDims = new int[r];
        _inStrides = new int[r];
        for (int i = 0; i < r; i++) { _outDims[i] = x.Shape[perm[i]]; _inStrides[i] = inStride[perm[i]]; }
        _counter = new int[Math.Max(r - 1, 0)];
        Output = new Tensor(new Shape(_outDims));
    }

    public override void Forward() => Walk(Inputs[0].Span, Output.Span, backward: false);

    public override void Backward()
    {
        var x = Inputs[0];
        if (x.RequiresGrad) Walk(GradSpan(x), OutGrad, backward: true);
    }

    // Forward: o[i] = x[map(i)]. Backward: x[map(i)] += o[i] (x is then the input gradient, o the output gradient).
    private void Walk(Span<float> x, Span<float> o, bool backward)
    {
        int r = _outDims.Length;
        if (r == 0 || o.Length == 0)
        {
            if (r == 0) { if (backward) x[0] += o[0]; else o[0] = x[0]; }
            return;
        }
        int n = _outDims[r - 1], stride = _inStrides[r - 1];
        int rows = o.Length / n;
        Array.Clear(_counter);
        int inBase = 0;
        for (int row = 0; row < rows; row++)
        {
            var orow = o.Slice(row * n, n);
            if (stride == 1)
            {
                var xrow = x.Slice(inBase, n);
                if (backward) System.Numerics.Tensors.TensorPrimitives.Add(xrow, orow, xrow);
                else xrow.CopyTo(orow);
            }
            else if (backward)
            {
                for (int j = 0, ix = inBase; j < n; j++, ix += stride) x[ix] += orow[j];
            }
            else
            {
                for (int j = 0, ix = inBase; j < n; j++, ix += stride) orow[j] = x[ix];
            }
            // Advance the odometer over the leading output axes.
            for (int d = r - 2; d >= 0; d--)
            {
                inBase += _inStrides[d];
                if (++_counter[d] < _outDims[d]) break;
                inBase -= _inStrides[d] * _outDims[d];
                _counter[d] = 0;
            }
        }
    }
}
