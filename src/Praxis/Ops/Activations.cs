using Praxis.Autograd;
using System.Numerics.Tensors;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>Elementwise max(x, 0).</summary>
    public Tensor Relu() => Engine.Record(new ReluOp(this));

    /// <summary>Elementwise logistic sigmoid 1 / (1 + e^−x).</summary>
    public Tensor Sigmoid() => Engine.Record(new SigmoidOp(this));

    /// <summary>Elementwise hyperbolic tangent.</summary>
    public Tensor Tanh() => Engine.Record(new TanhOp(this));
}

/// <summary>y = max(x, 0); dy/dx = [x &gt; 0].</summary>
internal sealed class ReluOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++)
            if (y[i] > 0f) gx[i] += gy[i];
    }
}

/// <summary>y = σ(x); dy/dx = y(1 − y).</summary>
internal sealed class SigmoidOp : UnaryOp
{
    public SigmoidOp(Tensor x) : base(x)
    {
        Output.Logits = x;
        Output.LogitsActivation = "sigmoid";
    }

    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++) gx[i] += gy[i] * y[i] * (1f - y[i]);
    }
}

/// <summary>y = tanh x; dy/dx = 1 − y².</summary>
internal sealed class TanhOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++) gx[i] += gy[i] * (1f - y[i] * y[i]);
    }
}
