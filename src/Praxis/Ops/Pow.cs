using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Elementwise xᵖ for a constant exponent (Keras <c>ops.power(x, p)</c>); the focal losses' (1 − pₜ)^γ. Gradient
    /// p·xᵖ⁻¹, taken as 0 at x = 0 when p &gt; 1 (and as xᵖ⁻¹'s limit otherwise).
    /// </summary>
    public Tensor Pow(float exponent) => Engine.Record(new PowOp(this, exponent));
}

/// <summary>y = xᵖ; dy/dx = p·xᵖ⁻¹. Computed in float with MathF.Pow (exact for small integer p).</summary>
internal sealed class PowOp : UnaryOp
{
    private readonly float _p;

    public PowOp(Tensor x, float p) : base(x)
    {
        if (!float.IsFinite(p)) throw new ArgumentException($"Pow: the exponent must be finite; got {p}.");
        _p = p;
    }

    protected override void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        float p = _p;
        if (p == 2f) { for (int i = 0; i < y.Length; i++) y[i] = x[i] * x[i]; return; }
        for (int i = 0; i < y.Length; i++) y[i] = MathF.Pow(x[i], p);
    }

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        float p = _p;
        if (p == 0f) return;
        for (int i = 0; i < gx.Length; i++)
        {
            float xi = x[i];
            // p·x^(p−1) written as p·y/x away from 0, so one Pow per element; at 0 use the power directly.
            float d = xi != 0f ? p * y[i] / xi : p * MathF.Pow(xi, p - 1f);
            gx[i] += gy[i] * d;
        }
    }
}
