using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Praxis.Autograd;
using Praxis.Kernels;

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
        Elementwise.ReluMaskAdd(y, gy, gx);
    }
}

/// <summary>y = σ(x); dy/dx = y(1 − y).</summary>
internal sealed class SigmoidOp : UnaryOp
{
    public SigmoidOp(Tensor x) : base(x)
    {
        Output.Logits = x;
        Output.LogitsActivation = LogitsKind.Sigmoid;
    }

    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Sigmoid(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Elementwise.Ternary<SigmoidGradAddOp>(y, gy, gx, gx);
    }
}

/// <summary>y = tanh x; dy/dx = 1 − y².</summary>
internal sealed class TanhOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y) => Elementwise.Tanh(x, y);

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Elementwise.Ternary<TanhGradAddOp>(y, gy, gx, gx);
    }
}

public sealed partial class Tensor
{
    /// <summary>Elementwise x for x &gt; 0, slope·x otherwise (Keras' <c>leaky_relu</c> default slope is 0.2).</summary>
    public Tensor LeakyRelu(float negativeSlope = 0.2f) => Engine.Record(new LeakyReluOp(this, negativeSlope));

    /// <summary>Elementwise x for x &gt; 0, α(eˣ − 1) otherwise.</summary>
    public Tensor Elu(float alpha = 1f) => Engine.Record(new EluOp(this, alpha));

    /// <summary>
    /// Gaussian error linear unit: x·Φ(x) with the exact normal CDF (PyTorch's default and Keras' <c>approximate=False</c>),
    /// or the tanh approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) when <paramref name="approximate"/>.
    /// </summary>
    public Tensor Gelu(bool approximate = false) => Engine.Record(new GeluOp(this, approximate));

    /// <summary>Swish / SiLU: x·σ(x).</summary>
    public Tensor Swish() => Engine.Record(new SwishOp(this));

    /// <summary>Softplus: log(1 + eˣ), computed stably.</summary>
    public Tensor Softplus() => Engine.Record(new SoftplusOp(this));
}

/// <summary>y = x if x &gt; 0 else s·x; dy/dx = 1 or s.</summary>
internal sealed class LeakyReluOp(Tensor x, float slope) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        Elementwise.Unary(new LeakyReluFunction(slope), x, y);
    }

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Elementwise.Ternary(new LeakyReluGradAdd(slope), x, gy, gx, gx);
    }
}

/// <summary>y = x if x &gt; 0 else α(eˣ − 1); dy/dx = 1 or y + α.</summary>
internal sealed class EluOp(Tensor x, float alpha) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        Elementwise.Unary(new EluFunction(alpha), x, y);
    }

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Elementwise.Quaternary(new EluGradAdd(alpha), x, y, gy, gx, gx);
    }
}

/// <summary>
/// y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2)); dy/dx = Φ(x) + x·φ(x), through the vectorized <see cref="GeluKernel"/>.
/// The tanh form and its derivative when approximate.
/// </summary>
internal sealed class GeluOp : UnaryOp
{
    private readonly bool _approximate;
    private readonly float[]? _derivative; // exact form in a graph: dy/dx, written by forward so backward is one pass

    public GeluOp(Tensor x, bool approximate) : base(x)
    {
        _approximate = approximate;
        if (!approximate && x.RequiresGrad && Engine.IsGradEnabled) _derivative = new float[x.Size];
    }

    protected override void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        if (!_approximate)
        {
            GeluKernel.Forward(x, y, _derivative);
            return;
        }
        Elementwise.Unary(default(GeluTanhFunction), x, y);
    }

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        if (_derivative is not null)
        {
            TensorPrimitives.MultiplyAdd(gy, _derivative, gx, gx);
            return;
        }
        if (!_approximate)
        {
            GeluKernel.Backward(x, gy, gx);
            return;
        }
        Elementwise.Ternary(default(GeluTanhGradAdd), x, gy, gx, gx);
    }
}

/// <summary>The tanh GELU, v → ½v(1 + tanh u) with u = √(2/π)(v + 0.044715v³), over <see cref="TanhFunction"/>.</summary>
internal readonly struct GeluTanhFunction : IUnaryFunction
{
    internal const float SqrtTwoOverPi = 0.79788456080286536f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float v) => 0.5f * v * (1f + default(TanhFunction).Invoke(SqrtTwoOverPi * (v + 0.044715f * v * v * v)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV v) where TW : IVectorWidth<TV> where TV : struct
    {
        var t = default(TanhFunction).Invoke<TW, TV>(U<TW, TV>(v));
        return TW.Mul(TW.Mul(TW.Splat(0.5f), v), TW.Add(TW.Splat(1f), t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV U<TW, TV>(TV v) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Mul(TW.Splat(SqrtTwoOverPi), TW.Add(v, TW.Mul(TW.Mul(TW.Mul(TW.Splat(0.044715f), v), v), v)));
}

/// <summary>(v, dy, g) → g + dy·(½(1 + t) + ½v(1 − t²)·√(2/π)(1 + 3·0.044715v²)), t = tanh u: the tanh GELU's backward.</summary>
internal readonly struct GeluTanhGradAdd : ITernaryFunction
{
    private const float C = GeluTanhFunction.SqrtTwoOverPi;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float v, float dy, float g)
    {
        float t = default(TanhFunction).Invoke(C * (v + 0.044715f * v * v * v));
        float d = 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * C * (1f + 3f * 0.044715f * v * v);
        return g + dy * d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV v, TV dy, TV g) where TW : IVectorWidth<TV> where TV : struct
    {
        TV half = TW.Splat(0.5f), one = TW.Splat(1f);
        var t = default(TanhFunction).Invoke<TW, TV>(GeluTanhFunction.U<TW, TV>(v));
        var slope = TW.Add(one, TW.Mul(TW.Mul(TW.Splat(3f * 0.044715f), v), v));
        var d = TW.Add(TW.Mul(half, TW.Add(one, t)), TW.Mul(TW.Mul(TW.Mul(TW.Mul(half, v), TW.Sub(one, TW.Mul(t, t))), TW.Splat(C)), slope));
        return TW.Add(g, TW.Mul(dy, d));
    }
}

/// <summary>
/// The exact GELU and its derivative, written once over the SIMD width (<see cref="IVectorWidth{TV}"/>: 512, 256 or
/// 128 bits, whichever is accelerated; scalar for tails and without SIMD).
/// Φ(x) = ½·erfc(−x/√2) with erfc from Abramowitz–Stegun 7.1.26 (absolute error below 1.5e-7, float32 resolution):
/// for u = |x|/√2, t = 1/(1 + p·u), q = t·(a₁ + t(a₂ + t(a₃ + t(a₄ + t·a₅))))·e^(−u²) = erfc(u), and
/// Φ(x) = 1 − q/2 for x ≥ 0, q/2 for x &lt; 0 (no cancellation in the tail). The derivative Φ(x) + x·φ(x) reuses
/// e^(−u²) = e^(−x²/2) = √(2π)·φ(x).
/// </summary>
internal static class GeluKernel
{
    private const float P = 0.3275911f, A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InvSqrt2 = 0.70710678118654752f, InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>Φ(x) and e^(−x²/2) for one vector.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static TV Phi<TW, TV>(TV x, out TV e) where TW : IVectorWidth<TV> where TV : struct
    {
        var one = TW.Splat(1f);
        var u = TW.Mul(TW.Abs(x), TW.Splat(InvSqrt2));
        var t = TW.Div(one, TW.Add(one, TW.Mul(u, TW.Splat(P))));
        // t·(a₁ + t(a₂ + t(a₃ + t(a₄ + t·a₅)))), innermost first
        var poly = TW.Add(TW.Splat(A4), TW.Mul(t, TW.Splat(A5)));
        poly = TW.Add(TW.Splat(A3), TW.Mul(t, poly));
        poly = TW.Add(TW.Splat(A2), TW.Mul(t, poly));
        poly = TW.Mul(t, TW.Add(TW.Splat(A1), TW.Mul(t, poly)));
        e = TW.Exp(TW.Neg(TW.Mul(u, u)));
        var half = TW.Mul(TW.Mul(poly, e), TW.Splat(0.5f));
        return TW.Select(TW.GreaterThanOrEqual(x, TW.Zero), TW.Sub(one, half), half);
    }

    private static float Phi(float x, out float e)
    {
        float u = MathF.Abs(x) * InvSqrt2;
        float t = 1f / (1f + P * u);
        float poly = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
        e = MathF.Exp(-u * u);
        float half = 0.5f * poly * e;
        return x >= 0f ? 1f - half : half;
    }

    /// <summary>y = x·Φ(x), and the derivative Φ(x) + x·φ(x) into <paramref name="derivative"/> when given.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, Span<float> derivative = default)
    {
        int i = Simd.For(x.Length) switch
        {
            SimdPath.Vector512 => Forward<Width512, Vector512<float>>(x, y, derivative),
            SimdPath.Vector256 => Forward<Width256, Vector256<float>>(x, y, derivative),
            SimdPath.Vector128 => Forward<Width128, Vector128<float>>(x, y, derivative),
            _ => 0,
        };
        bool d = !derivative.IsEmpty;
        for (; i < x.Length; i++)
        {
            float phi = Phi(x[i], out float e);
            y[i] = x[i] * phi;
            if (d) derivative[i] = phi + x[i] * e * InvSqrt2Pi;
        }
    }

    private static int Forward<TW, TV>(ReadOnlySpan<float> x, Span<float> y, Span<float> derivative) where TW : IVectorWidth<TV> where TV : struct
    {
        int i = 0, w = TW.Count;
        bool d = !derivative.IsEmpty;
        var c = TW.Splat(InvSqrt2Pi);
        for (; i <= x.Length - w; i += w)
        {
            var v = TW.Load(x, i);
            var phi = Phi<TW, TV>(v, out var e);
            TW.Store(TW.Mul(v, phi), y, i);
            if (d) TW.Store(TW.Add(phi, TW.Mul(TW.Mul(v, e), c)), derivative, i);
        }
        return i;
    }

    /// <summary>gx += gy·(Φ(x) + x·φ(x)).</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx)
    {
        int i = Simd.For(x.Length) switch
        {
            SimdPath.Vector512 => Backward<Width512, Vector512<float>>(x, gy, gx),
            SimdPath.Vector256 => Backward<Width256, Vector256<float>>(x, gy, gx),
            SimdPath.Vector128 => Backward<Width128, Vector128<float>>(x, gy, gx),
            _ => 0,
        };
        for (; i < x.Length; i++)
        {
            float phi = Phi(x[i], out float e);
            gx[i] += gy[i] * (phi + x[i] * e * InvSqrt2Pi);
        }
    }

    private static int Backward<TW, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> gy, Span<float> gx) where TW : IVectorWidth<TV> where TV : struct
    {
        int i = 0, w = TW.Count;
        var c = TW.Splat(InvSqrt2Pi);
        for (; i <= x.Length - w; i += w)
        {
            var v = TW.Load(x, i);
            var phi = Phi<TW, TV>(v, out var e);
            var d = TW.Add(phi, TW.Mul(TW.Mul(v, e), c));
            TW.Store(TW.Add(TW.Load(gx, i), TW.Mul(TW.Load(gy, i), d)), gx, i);
        }
        return i;
    }
}
/// <summary>y = x·σ(x); dy/dx = σ(x)(1 + x(1 − σ(x))).</summary>
internal sealed class SwishOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        Elementwise.Unary(default(SwishFunction), x, y);
    }

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        Elementwise.Ternary(default(SwishGradAdd), x, gy, gx, gx);
    }
}

/// <summary>y = log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|); dy/dx = σ(x).</summary>
internal sealed class SoftplusOp(Tensor x) : UnaryOp(x)
{
    protected override void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = MathF.Max(x[i], 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(x[i])));
    }

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++) gx[i] += gy[i] / (1f + MathF.Exp(-x[i]));
    }
}

/// <summary>Functions .NET does not provide.</summary>
internal static class SpecialFunctions
{
    /// <summary>
    /// The error function, from the classic Chebyshev-fitted approximation of erfc (fractional error below 1.2e-7,
    /// Numerical Recipes §6.2), evaluated in double: accurate to float32 resolution.
    /// </summary>
    public static float Erf(float x)
    {
        double z = Math.Abs((double)x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277)))))))));
        double r = 1.0 - erfc;
        return (float)(x >= 0 ? r : -r);
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Keras' general <c>relu(x, negative_slope, max_value, threshold)</c>: x for threshold ≤ x &lt; max_value,
    /// max_value above it, negative_slope·(x − threshold) below the threshold.
    /// </summary>
    public Tensor Relu(float negativeSlope, float? maxValue = null, float threshold = 0f) =>
        negativeSlope == 0f && maxValue is null && threshold == 0f ? Relu() : Engine.Record(new ReluExOp(this, negativeSlope, maxValue, threshold));
}

/// <summary>The piecewise-linear ReLU family; dy/dx = 0 above max_value, 1 between threshold and max_value, negative_slope below.</summary>
internal sealed class ReluExOp : UnaryOp
{
    private readonly float _slope, _max, _threshold;

    public ReluExOp(Tensor x, float slope, float? max, float threshold) : base(x)
    {
        if (max is float m && m < threshold) throw new ArgumentException($"ReLU: max_value {m} is below the threshold {threshold}.");
        if (max is float m2 && m2 < 0f) throw new ArgumentException($"ReLU: max_value must be >= 0; got {m2}.");
        (_slope, _max, _threshold) = (slope, max ?? float.PositiveInfinity, threshold);
    }

    protected override void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            float v = x[i];
            y[i] = v >= _max ? _max : v >= _threshold ? v : _slope * (v - _threshold);
        }
    }

    protected override void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> gy, Span<float> gx)
    {
        for (int i = 0; i < gx.Length; i++)
        {
            float v = x[i];
            gx[i] += v >= _max ? 0f : v >= _threshold ? gy[i] : _slope * gy[i];
        }
    }
}

/// <summary>x → x &gt; 0 ? x : s·x.</summary>
internal readonly struct LeakyReluFunction(float slope) : IUnaryFunction
{
    private readonly float _slope = slope;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x > 0f ? x : _slope * x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Select(TW.GreaterThan(x, TW.Zero), x, TW.Mul(TW.Splat(_slope), x));
}

/// <summary>(x, dy, g) → g + (x &gt; 0 ? dy : s·dy).</summary>
internal readonly struct LeakyReluGradAdd(float slope) : ITernaryFunction
{
    private readonly float _slope = slope;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x, float dy, float g) => g + (x > 0f ? dy : _slope * dy);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x, TV dy, TV g) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Add(g, TW.Select(TW.GreaterThan(x, TW.Zero), dy, TW.Mul(TW.Splat(_slope), dy)));
}

/// <summary>x → x &gt; 0 ? x : α(eˣ − 1).</summary>
internal readonly struct EluFunction(float alpha) : IUnaryFunction
{
    private readonly float _alpha = alpha;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x > 0f ? x : _alpha * (MathF.Exp(x) - 1f);

    // The exponential of a large positive x overflows to ∞ in lanes that the select then discards.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Select(TW.GreaterThan(x, TW.Zero), x, TW.Mul(TW.Splat(_alpha), TW.Sub(TW.Exp(x), TW.Splat(1f))));
}

/// <summary>(x, y, dy, g) → g + (x &gt; 0 ? dy : dy·(y + α)).</summary>
internal readonly struct EluGradAdd(float alpha) : IQuaternaryFunction
{
    private readonly float _alpha = alpha;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x, float y, float dy, float g) => g + (x > 0f ? dy : dy * (y + _alpha));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x, TV y, TV dy, TV g) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Add(g, TW.Select(TW.GreaterThan(x, TW.Zero), dy, TW.Mul(dy, TW.Add(y, TW.Splat(_alpha)))));
}

/// <summary>x → x/(1 + e^−x), i.e. x·σ(x).</summary>
internal readonly struct SwishFunction : IUnaryFunction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x / (1f + MathF.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Div(x, TW.Add(TW.Splat(1f), TW.Exp(TW.Neg(x))));
}

/// <summary>(x, dy, g) → g + dy·σ(x)(1 + x(1 − σ(x))).</summary>
internal readonly struct SwishGradAdd : ITernaryFunction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x, float dy, float g)
    {
        float s = 1f / (1f + MathF.Exp(-x));
        return g + dy * s * (1f + x * (1f - s));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x, TV dy, TV g) where TW : IVectorWidth<TV> where TV : struct
    {
        TV one = TW.Splat(1f);
        TV s = TW.Div(one, TW.Add(one, TW.Exp(TW.Neg(x))));
        return TW.Add(g, TW.Mul(TW.Mul(dy, s), TW.Add(one, TW.Mul(x, TW.Sub(one, s)))));
    }
}
