using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// The dense-layer transform y = x·W + b on the last axis: x (…, in), W (in, out), b (out) or null → y (…, out),
    /// optionally followed by ReLU. One fused op: the bias is the GEMM's starting value, ReLU is applied to the output
    /// while it is still in cache, and backward masks the gradient once and reuses it for dx, dW and db.
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null, bool relu = false) =>
        Engine.Record(bias is null ? new LinearOp(x, weight, relu) : new LinearOp(x, weight, bias, relu));
}

/// <summary>
/// y (R×out) = act(x (R×in) · W (in×out) + b), where R is the product of x's leading axes and act is identity or ReLU.
/// Backward: g = dy ⊙ act'(y) (formed once, only for ReLU); dx += g·Wᵀ, dW += xᵀ·g, db += column sums of g.
/// </summary>
internal sealed class LinearOp : Op
{
    private readonly int _rows, _in, _out;
    private readonly bool _hasBias, _relu;
    private readonly float[] _masked; // dy ⊙ [y > 0] when ReLU is fused

    public LinearOp(Tensor x, Tensor w, Tensor b, bool relu) : base(x, w, b)
    {
        _hasBias = true;
        (_rows, _in, _out) = Check(x, w);
        if (b.Rank != 1 || b.Shape[0] != _out)
            throw new ShapeMismatchException($"Linear: bias shape {b.Shape} does not match {_out} output units (weight {w.Shape}).");
        Output = new Tensor(x.Shape.With(-1, _out));
        _relu = relu;
        _masked = relu ? new float[Output.Size] : [];
    }

    public LinearOp(Tensor x, Tensor w, bool relu) : base(x, w)
    {
        (_rows, _in, _out) = Check(x, w);
        Output = new Tensor(x.Shape.With(-1, _out));
        _relu = relu;
        _masked = relu ? new float[Output.Size] : [];
    }

    public override string Name => _relu ? "LinearRelu" : "Linear";

    private static (int, int, int) Check(Tensor x, Tensor w)
    {
        if (w.Rank != 2) throw new ShapeMismatchException($"Linear: weight must be (in, out); got {w.Shape}.");
        if (x.Rank < 1 || x.Shape[-1] != w.Shape[0])
            throw new ShapeMismatchException($"Linear: input shape {x.Shape} has last dimension {(x.Rank > 0 ? x.Shape[-1] : 0)}, but the weight {w.Shape} expects {w.Shape[0]}.");
        return (x.Size / Math.Max(w.Shape[0], 1), w.Shape[0], w.Shape[1]);
    }

    public override void Forward()
    {
        Span<float> y = Output.Span;
        if (_hasBias)
        {
            // Start from the bias in every row, then accumulate the product on top (beta = 1).
            ReadOnlySpan<float> b = Inputs[2].Span;
            for (int r = 0; r < _rows; r++) b.CopyTo(y.Slice(r * _out, _out));
        }
        Gemm.Sgemm(false, false, _rows, _out, _in, 1f, Inputs[0].Span, _in, Inputs[1].Span, _out, _hasBias ? 1f : 0f, y, _out);
        if (_relu) TensorPrimitives.Max(y, 0f, y);
    }

    public override void Backward()
    {
        Tensor x = Inputs[0], w = Inputs[1];
        ReadOnlySpan<float> g = OutGrad;
        if (_relu) g = MaskByPositive(g, Output.Span, _masked);
        if (x.RequiresGrad) // dx (R×in) += dy (R×out) · Wᵀ
            Gemm.Sgemm(false, true, _rows, _in, _out, 1f, g, _out, w.Span, _out, 1f, GradSpan(x), _in);
        if (w.RequiresGrad) // dW (in×out) += xᵀ · dy
            Gemm.Sgemm(true, false, _in, _out, _rows, 1f, x.Span, _in, g, _out, 1f, GradSpan(w), _out);
        if (_hasBias && Inputs[2].RequiresGrad)
        {
            Span<float> gb = GradSpan(Inputs[2]);
            for (int r = 0; r < _rows; r++) TensorPrimitives.Add(gb, g.Slice(r * _out, _out), gb);
        }
    }

    /// <summary>masked = dy where y &gt; 0, else 0 (ReLU's derivative).</summary>
    private static ReadOnlySpan<float> MaskByPositive(ReadOnlySpan<float> dy, ReadOnlySpan<float> y, Span<float> masked)
    {
        Elementwise.ReluMask(y, dy, masked);
        return masked;
    }
}
