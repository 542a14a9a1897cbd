using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Zero padding along one axis (NumPy <c>np.pad</c> with zeros on one axis): <paramref name="before"/> zeros ahead of
    /// the existing entries and <paramref name="after"/> behind them. Used by <c>ZeroPadding1D</c> and causal convolution.
    /// </summary>
    public Tensor Pad(int axis, int before, int after) => Engine.Record(new PadOp(this, axis, before, after, 0f));

    /// <summary>Constant padding along one axis: as <see cref="Pad(int, int, int)"/> with <paramref name="value"/> instead of zeros (Keras' <c>fill_value</c>).</summary>
    public Tensor Pad(int axis, int before, int after, float value) => Engine.Record(new PadOp(this, axis, before, after, value));
}

/// <summary>
/// The input viewed as (outer, n, inner) is copied into (outer, before + n + after, inner) with zeros (or a constant) around it; backward
/// takes the matching slices of dy. The padding is written once in the constructor: Forward only rewrites the interior.
/// </summary>
internal sealed class PadOp : Op
{
    private readonly int _outer, _n, _inner, _before, _after;

    public PadOp(Tensor x, int axis, int before, int after, float value) : base(x)
    {
        if (x.Rank == 0) throw new ShapeMismatchException("Pad needs a tensor of rank >= 1; got a scalar.");
        if (before < 0 || after < 0) throw new ArgumentOutOfRangeException(nameof(before), $"Pad: padding must be >= 0; got ({before}, {after}).");
        int a = x.Shape.NormalizeAxis(axis);
        (_n, _before, _after) = (x.Shape[a], before, after);
        _outer = x.Shape.SizeOf(0, a);
        _inner = x.Shape.SizeOf(a + 1, x.Rank);
        Output = new Tensor(x.Shape.With(a, before + _n + after));
        if (value != 0f) Output.Span.Fill(value); // Forward overwrites the interior only
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int block = _n * _inner, outBlock = (_before + _n + _after) * _inner;
        // The padding stays as written: nothing else writes the padded ranges of this op's own output.
        for (int o = 0; o < _outer; o++) x.Slice(o * block, block).CopyTo(y.Slice(o * outBlock + _before * _inner, block));
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> gx = GradSpan(x);
        ReadOnlySpan<float> gy = OutGrad;
        int block = _n * _inner, outBlock = (_before + _n + _after) * _inner;
        for (int o = 0; o < _outer; o++)
        {
            var dst = gx.Slice(o * block, block);
            TensorPrimitives.Add(dst, gy.Slice(o * outBlock + _before * _inner, block), dst);
        }
    }
}
