using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>Elementwise e^x.</summary>
    public Tensor Exp() => Engine.Record(new ExpOp(this));

    /// <summary>Elementwise natural logarithm.</summary>
    public Tensor Log() => Engine.Record(new LogOp(this));

    /// <summary>Elementwise square root.</summary>
    public Tensor Sqrt() => Engine.Record(new SqrtOp(this));

    /// <summary>Elementwise x².</summary>
    public Tensor Square() => Engine.Record(new SquareOp(this));

    /// <summary>Elementwise |x| (gradient sign(x), 0 at 0).</summary>
    public Tensor Abs() => Engine.Record(new AbsOp(this));

    /// <summary>Elementwise clamp to [min, max]; the gradient passes where min ≤ x ≤ max.</summary>
    public Tensor Clip(float min, float max) => Engine.Record(new ClipOp(this, min, max));
}

/// <summary>Shared shape for elementwise one-input ops: output has the input's shape.</summary>
internal abstract class UnaryOp : Op
{
    protected UnaryOp(Tensor x) : base(x) => Output = new Tensor(x.Shape);

    protected Tensor X => Inputs[0];

    public override void Forward() => Forward(X.Span, Output.Span);

    public override void Backward()
    {
        if (X.RequiresGrad) Backward(X.Span, Output.Span, OutGrad, GradSpan(X));
    }

    /// <summary>y = f(x).</summary>
    protected abstract void Forward(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>gx += gy · f'(x), given x and y = f(x).</summary>
    protected abstract void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx);
}

/// <summary>y = eˣ; dy/dx = y.</summary>
internal sealed class ExpOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Exp(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx) =>
        TensorPrimitives.MultiplyAdd(gy, y, gx, gx);
}

/// <summary>y = ln x; dy/dx = 1/x.</summary>
internal sealed class LogOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Log(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++) gx[i] += gy[i] / x[i];
    }
}

/// <summary>y = √x; dy/dx = 1/(2y).</summary>
internal sealed class SqrtOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sqrt(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++) gx[i] += gy[i] * 0.5f / y[i];
    }
}

/// <summary>y = x²; dy/dx = 2x.</summary>
internal sealed class SquareOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Multiply(x, x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++) gx[i] += 2f * x[i] * gy[i];
    }
}

/// <summary>y = |x|; dy/dx = sign(x).</summary>
internal sealed class AbsOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Abs(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++) gx[i] += x[i] > 0 ? gy[i] : x[i] < 0 ? -gy[i] : 0f;
    }
}

/// <summary>y = min(max(x, lo), hi); the gradient passes inside [lo, hi] (as TensorFlow's clip_by_value).</summary>
internal sealed class ClipOp : UnaryOp
{
    private readonly float _min, _max;

    public ClipOp(Tensor x, float min, float max) : base(x)
    {
        if (min > max) throw new ArgumentException($"Clip: min {min} is greater than max {max}.");
        _min = min; _max = max;
    }

    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Clamp(x, _min, _max, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++)
            if (x[i] >= _min && x[i] <= _max) gx[i] += gy[i];
    }
}
