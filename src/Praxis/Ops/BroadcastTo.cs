using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Repeats this tensor to <paramref name="shape"/> by NumPy broadcasting rules (Keras <c>ops.broadcast_to</c>); a
    /// contiguous copy. The gradient sums over the repeated dimensions.
    /// </summary>
    public Tensor BroadcastTo(params int[] shape) => Engine.Record(new BroadcastToOp(this, new Shape(shape)));
}

/// <summary>y = x broadcast to a target shape, walked with a <see cref="BroadcastPlan"/>; backward reduces dy onto x.</summary>
internal sealed class BroadcastToOp : Op
{
    private readonly BroadcastPlan _plan;

    public BroadcastToOp(Tensor x, Shape shape) : base(x)
    {
        if (x.Rank > shape.Rank)
            throw new ShapeMismatchException($"BroadcastTo: cannot broadcast shape {x.Shape} to the lower-rank shape {shape}.");
        _plan = new BroadcastPlan(x.Shape, shape, "BroadcastTo");
        if (_plan.Out != shape)
            throw new ShapeMismatchException($"BroadcastTo: cannot broadcast shape {x.Shape} to {shape} (dimensions must match or be 1).");
        Output = new Tensor(shape);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int n = _plan.Inner;
        for (int k = 0; k < _plan.Outer; k++)
        {
            var yk = y.Slice(k * n, n);
            if (_plan.StrideA == 1) x.Slice(_plan.OffsetA[k], n).CopyTo(yk);
            else yk.Fill(x[_plan.OffsetA[k]]);
        }
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (x.RequiresGrad) _plan.AccumulateReduced(OutGrad, GradSpan(x), operandA: true);
    }
}
