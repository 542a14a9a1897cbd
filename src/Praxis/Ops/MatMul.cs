using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product over the last two axes: (…, M, K) × (…, K, N) → (…, M, N). Leading (batch) axes must be equal, or
    /// <paramref name="b"/> may be a plain (K, N) matrix shared by every batch entry.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b) => Engine.Record(new MatMulOp(a, b));

    /// <summary>Matrix product of this tensor with <paramref name="other"/>; see <see cref="MatMul(Tensor, Tensor)"/>.</summary>
    public Tensor MatMul(Tensor other) => MatMul(this, other);
}

/// <summary>
/// C = A·B on the last two axes through the SGEMM kernel. Backward: dA += dC·Bᵀ, dB += Aᵀ·dC (transposes are done
/// by the kernel's packing, never materialised).
/// </summary>
internal sealed class MatMulOp : Op
{
    private readonly int _batch, _m, _k, _n;
    private readonly bool _sharedB; // B is (K, N) for every batch entry: fold the batch into M

    public MatMulOp(Tensor a, Tensor b) : base(a, b)
    {
        if (a.Rank < 2 || b.Rank < 2)
            throw new ShapeMismatchException($"MatMul needs tensors of rank >= 2; got {a.Shape} and {b.Shape}.");
        _m = a.Shape[-2]; _k = a.Shape[-1]; _n = b.Shape[-1];
        if (b.Shape[-2] != _k)
            throw new ShapeMismatchException($"MatMul: inner dimensions differ: {a.Shape} × {b.Shape} ({_k} vs {b.Shape[-2]}).");
        var outDims = a.Shape.ToArray();
        outDims[^1] = _n;
        if (b.Rank == 2)
        {
            _sharedB = true;
            _batch = 1;
            _m = a.Size / Math.Max(_k, 1);
            if (_k == 0) _m = a.Shape.SizeOf(0, a.Rank - 1);
        }
        else
        {
            if (a.Rank != b.Rank || !a.Shape.Dims[..^2].SequenceEqual(b.Shape.Dims[..^2]))
                throw new ShapeMismatchException($"MatMul: batch dimensions differ: {a.Shape} × {b.Shape}.");
            _batch = a.Shape.SizeOf(0, a.Rank - 2);
        }
        Output = new Tensor(new Shape(outDims));
    }

    public override void Forward()
    {
        ReadOnlySpan<float> a = Inputs[0].Span, b = Inputs[1].Span;
        Span<float> c = Output.Span;
        int sa = _m * _k, sb = _sharedB ? 0 : _k * _n, sc = _m * _n;
        for (int i = 0; i < _batch; i++)
            Gemm.Sgemm(false, false, _m, _n, _k, 1f, a.Slice(i * sa, sa), _k, b.Slice(i * sb, _k * _n), _n, 0f, c.Slice(i * sc, sc), _n);
    }

    public override void Backward()
    {
        Tensor a = Inputs[0], b = Inputs[1];
        ReadOnlySpan<float> g = OutGrad;
        int sa = _m * _k, sb = _sharedB ? 0 : _k * _n, sc = _m * _n;
        if (a.RequiresGrad)
        {
            Span<float> ga = GradSpan(a);
            ReadOnlySpan<float> bs = b.Span;
            for (int i = 0; i < _batch; i++) // dA (M×K) += dC (M×N) · Bᵀ
                Gemm.Sgemm(false, true, _m, _k, _n, 1f, g.Slice(i * sc, sc), _n, bs.Slice(i * sb, _k * _n), _n, 1f, ga.Slice(i * sa, sa), _k);
        }
        if (b.RequiresGrad)
        {
            Span<float> gb = GradSpan(b);
            ReadOnlySpan<float> asp = a.Span;
            for (int i = 0; i < _batch; i++) // dB (K×N) += Aᵀ · dC
                Gemm.Sgemm(true, false, _k, _n, _m, 1f, asp.Slice(i * sa, sa), _k, g.Slice(i * sc, sc), _n, 1f, gb.Slice(i * sb, _k * _n), _n);
        }
    }
}
