using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Elementwise maximum of two tensors with broadcasting (NumPy's <c>maximum</c>, Keras' <c>ops.maximum</c>). The
    /// gradient goes to <paramref name="a"/> where a ≥ b and to <paramref name="b"/> elsewhere, as TensorFlow's does.
    /// </summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Engine.Record(new ExtremumOp(a, b, max: true));

    /// <summary>Elementwise minimum with broadcasting; the gradient goes to <paramref name="a"/> where a ≤ b.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Engine.Record(new ExtremumOp(a, b, max: false));
}

/// <summary>
/// out = max(a, b) or min(a, b) with broadcasting. Forward walks the <see cref="BroadcastPlan"/> blocks; backward routes
/// each output's gradient to the operand that was picked (a on ties), summed over broadcast dimensions.
/// </summary>
internal sealed class ExtremumOp : Op
{
    private readonly bool _max;
    private readonly BroadcastPlan _plan;
    private readonly float[]? _scratch; // full-size gradient of a broadcast operand, reduced onto its shape

    public ExtremumOp(Tensor a, Tensor b, bool max) : base(a, b)
    {
        _max = max;
        _plan = new BroadcastPlan(a.Shape, b.Shape, max ? "Maximum" : "Minimum");
        Output = new Tensor(_plan.Out);
        if ((a.RequiresGrad && a.Shape != _plan.Out) || (b.RequiresGrad && b.Shape != _plan.Out)) _scratch = new float[_plan.Out.Size];
    }

    public override string Name => _max ? "Maximum" : "Minimum";

    public override void Forward()
    {
        ReadOnlySpan<float> a = Inputs[0].Span, b = Inputs[1].Span;
        Span<float> o = Output.Span;
        int n = _plan.Inner;
        for (int k = 0; k < _plan.Outer; k++)
        {
            var ok = o.Slice(k * n, n);
            int ia = _plan.OffsetA[k], ib = _plan.OffsetB[k];
            if (_plan.StrideA == 1 && _plan.StrideB == 1)
            {
                if (_max) TensorPrimitives.Max(a.Slice(ia, n), b.Slice(ib, n), ok);
                else TensorPrimitives.Min(a.Slice(ia, n), b.Slice(ib, n), ok);
            }
            else
                for (int j = 0; j < n; j++)
                {
                    float x = a[ia + j * _plan.StrideA], y = b[ib + j * _plan.StrideB];
                    ok[j] = Pick(x, y) ? x : y;
                }
        }
    }

    // Whether a is the chosen operand (ties and NaN in a go to a, as TensorPrimitives propagates NaN).
    private bool Pick(float x, float y) => float.IsNaN(x) || (_max ? x >= y : x <= y);

    public override void Backward()
    {
        Tensor a = Inputs[0], b = Inputs[1];
        if (a.RequiresGrad) Accumulate(a, toA: true);
        if (b.RequiresGrad) Accumulate(b, toA: false);
    }

    private void Accumulate(Tensor target, bool toA)
    {
        ReadOnlySpan<float> g = OutGrad, a = Inputs[0].Span, b = Inputs[1].Span;
        bool full = target.Shape == _plan.Out;
        Span<float> dst = full ? GradSpan(target) : _scratch!;
        if (!full) dst.Clear();
        int n = _plan.Inner;
        for (int k = 0; k < _plan.Outer; k++)
        {
            int ia = _plan.OffsetA[k], ib = _plan.OffsetB[k];
            for (int j = 0; j < n; j++)
            {
                bool pickA = Pick(a[ia + j * _plan.StrideA], b[ib + j * _plan.StrideB]);
                if (pickA == toA) dst[k * n + j] += g[k * n + j];
            }
        }
        if (!full) _plan.AccumulateReduced(dst, GradSpan(target), toA);
    }
}
