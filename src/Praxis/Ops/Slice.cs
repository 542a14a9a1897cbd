using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) along
    /// <paramref name="axis"/> (NumPy <c>x[..., start:start+length, ...]</c>); a contiguous copy with a gradient.
    /// A negative start counts from the end.
    /// </summary>
    public Tensor Slice(int axis, int start, int length) => Engine.Record(new SliceOp(this, axis, start, length));

    /// <summary>The entry <paramref name="index"/> along <paramref name="axis"/>, with that axis removed (NumPy <c>x[:, i]</c>).</summary>
    public Tensor Select(int axis, int index)
    {
        int a = Shape.NormalizeAxis(axis);
        var sliced = Slice(a, index, 1);
        var dims = new List<int>(sliced.Shape.ToArray());
        dims.RemoveAt(a);
        return sliced.Reshape(dims.ToArray());
    }

    /// <summary>Splits along <paramref name="axis"/> into pieces of the given sizes, which must add up to the axis length (PyTorch <c>split</c> with a list).</summary>
    public Tensor[] Split(int axis, params int[] sizes)
    {
        int a = Shape.NormalizeAxis(axis);
        int total = 0;
        foreach (int s in sizes)
        {
            if (s < 0) throw new ArgumentException($"Split: sizes must be >= 0; got {Shape.Format(sizes)}.");
            total += s;
        }
        if (total != Shape[a])
            throw new ShapeMismatchException($"Split: sizes {Shape.Format(sizes)} add up to {total}, but axis {axis} of shape {Shape} has {Shape[a]} entries.");
        var parts = new Tensor[sizes.Length];
        for (int i = 0, start = 0; i < sizes.Length; start += sizes[i], i++) parts[i] = Slice(a, start, sizes[i]);
        return parts;
    }

    /// <summary>Splits along <paramref name="axis"/> into <paramref name="sections"/> equal pieces (Keras <c>ops.split(x, sections, axis)</c>).</summary>
    public Tensor[] Split(int sections, int axis = 0)
    {
        int a = Shape.NormalizeAxis(axis);
        if (sections <= 0 || Shape[a] % sections != 0)
            throw new ShapeMismatchException($"Split: axis {axis} of shape {Shape} ({Shape[a]} entries) cannot be split into {sections} equal sections.");
        var sizes = new int[sections];
        Array.Fill(sizes, Shape[a] / sections);
        return Split(a, sizes);
    }
}

/// <summary>
/// A contiguous range along one axis, with the input viewed as (outer, n, inner): each of the outer blocks copies
/// length·inner elements from offset start·inner. Backward adds dy into the same ranges of dx.
/// </summary>
internal sealed class SliceOp : Op
{
    private readonly int _outer, _n, _inner, _start, _length;

    public SliceOp(Tensor x, int axis, int start, int length) : base(x)
    {
        if (x.Rank == 0) throw new ShapeMismatchException("Slice needs a tensor of rank >= 1; got a scalar.");
        int a = x.Shape.NormalizeAxis(axis);
        _n = x.Shape[a];
        int s = start < 0 ? start + _n : start;
        if (s < 0 || length < 0 || s + length > _n)
            throw new ArgumentOutOfRangeException(nameof(start), $"Slice: range [{start}, {start + length}) is out of bounds for axis {axis} of shape {x.Shape} ({_n} entries).");
        _start = s;
        _length = length;
        _outer = x.Shape.SizeOf(0, a);
        _inner = x.Shape.SizeOf(a + 1, x.Rank);
        Output = new Tensor(x.Shape.With(a, length));
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int block = _length * _inner;
        for (int o = 0; o < _outer; o++)
            x.Slice((o * _n + _start) * _inner, block).CopyTo(y.Slice(o * block, block));
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> gx = GradSpan(x);
        ReadOnlySpan<float> gy = OutGrad;
        int block = _length * _inner;
        for (int o = 0; o < _outer; o++)
        {
            var dst = gx.Slice((o * _n + _start) * _inner, block);
            TensorPrimitives.Add(dst, gy.Slice(o * block, block), dst);
        }
    }
}
