using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>Reverses the order of entries along <paramref name="axis"/> (Keras <c>ops.flip</c>); a contiguous copy.</summary>
    public Tensor Flip(int axis) => Engine.Record(new FlipOp(this, axis));
}

/// <summary>
/// y[…, j, …] = x[…, n−1−j, …] on one axis, with the input viewed as (outer, n, inner); the map is its own inverse,
/// so backward applies it to dy and adds.
/// </summary>
internal sealed class FlipOp : Op
{
    private readonly int _outer, _n, _inner;

    public FlipOp(Tensor x, int axis) : base(x)
    {
        if (x.Rank == 0) throw new ShapeMismatchException("Flip needs a tensor of rank >= 1; got a scalar.");
        int a = x.Shape.NormalizeAxis(axis);
        _outer = x.Shape.SizeOf(0, a);
        _n = x.Shape[a];
        _inner = x.Shape.SizeOf(a + 1, x.Rank);
        Output = new Tensor(x.Shape);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        for (int o = 0; o < _outer; o++)
            for (int j = 0; j < _n; j++)
                x.Slice((o * _n + _n - 1 - j) * _inner, _inner).CopyTo(y.Slice((o * _n + j) * _inner, _inner));
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> gx = GradSpan(x);
        ReadOnlySpan<float> gy = OutGrad;
        for (int o = 0; o < _outer; o++)
            for (int j = 0; j < _n; j++)
            {
                var dst = gx.Slice((o * _n + _n - 1 - j) * _inner, _inner);
                TensorPrimitives.Add(dst, gy.Slice((o * _n + j) * _inner, _inner), dst);
            }
    }
}
