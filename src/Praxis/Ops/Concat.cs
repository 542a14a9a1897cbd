using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Joins tensors along <paramref name="axis"/> (Keras <c>ops.concatenate</c>, PyTorch <c>cat</c>); every other
    /// dimension must match.
    /// </summary>
    public static Tensor Concat(Tensor[] tensors, int axis = -1) => Engine.Record(new ConcatOp(tensors, axis));
}

/// <summary>
/// y = [x₀, x₁, …] along one axis. With every input viewed as (outer, nᵢ, inner), each output block of the outer
/// loop is the inputs' blocks side by side; backward copies the same ranges of dy back into each dxᵢ.
/// </summary>
internal sealed class ConcatOp : Op
{
    private readonly int _outer, _inner, _total;
    private readonly int[] _sizes;

    public ConcatOp(Tensor[] xs, int axis) : base(xs)
    {
        if (xs.Length == 0) throw new ArgumentException("Concat needs at least one tensor.");
        var first = xs[0].Shape;
        if (first.Rank == 0) throw new ShapeMismatchException("Concat needs tensors of rank >= 1; got a scalar.");
        int a = first.NormalizeAxis(axis);
        _sizes = new int[xs.Length];
        for (int i = 0; i < xs.Length; i++)
        {
            var s = xs[i].Shape;
            bool ok = s.Rank == first.Rank;
            for (int d = 0; ok && d < s.Rank; d++)
                if (d != a && s[d] != first[d]) ok = false;
            if (!ok)
                throw new ShapeMismatchException($"Concat along axis {axis}: shapes {string.Join(", ", xs.Select(t => t.Shape.ToString()))} differ outside that axis.");
            _sizes[i] = s[a];
            _total += s[a];
        }
        _outer = first.SizeOf(0, a);
        _inner = first.SizeOf(a + 1, first.Rank);
        Output = new Tensor(first.With(a, _total));
    }

    public override void Forward()
    {
        Span<float> y = Output.Span;
        int outBlock = _total * _inner;
        for (int i = 0, offset = 0; i < Inputs.Length; offset += _sizes[i] * _inner, i++)
        {
            ReadOnlySpan<float> x = Inputs[i].Span;
            int block = _sizes[i] * _inner;
            for (int o = 0; o < _outer; o++)
                x.Slice(o * block, block).CopyTo(y.Slice(o * outBlock + offset, block));
        }
    }

    public override void Backward()
    {
        ReadOnlySpan<float> gy = OutGrad;
        int outBlock = _total * _inner;
        for (int i = 0, offset = 0; i < Inputs.Length; offset += _sizes[i] * _inner, i++)
        {
            if (!Inputs[i].RequiresGrad) continue;
            Span<float> gx = GradSpan(Inputs[i]);
            int block = _sizes[i] * _inner;
            for (int o = 0; o < _outer; o++)
            {
                var dst = gx.Slice(o * block, block);
                TensorPrimitives.Add(dst, gy.Slice(o * outBlock + offset, block), dst);
            }
        }
    }
}
