using System.Runtime.Intrinsics;

namespace Praxis.Kernels;

/// <summary>
/// The one softmax-row kernel (softmax, log-softmax, the fused cross-entropies, masked and dot-product attention):
/// a row is short and in L1, so each step is one width-generic pass (<see cref="IVectorWidth{TV}"/>) at the widest
/// width the row fills, with a scalar tail. Sums are reassociated per width, so the last bits depend on the ISA.
/// </summary>
internal static class SoftmaxRow
{
    /// <summary>The largest element (−∞ for an empty row).</summary>
    public static float Max(ReadOnlySpan<float> x) => Simd.For(x.Length) switch
    {
        SimdPath.Vector512 => Max<Width512, Vector512<float>>(x),
        SimdPath.Vector256 => Max<Width256, Vector256<float>>(x),
        SimdPath.Vector128 => Max<Width128, Vector128<float>>(x),
        _ => Max<Width128, Vector128<float>>(x, scalar: true),
    };

    /// <summary>dst = e^(x − max); returns Σ dst.</summary>
    public static float ExpSum(ReadOnlySpan<float> x, float max, Span<float> dst) => Simd.For(x.Length) switch
    {
        SimdPath.Vector512 => ExpSum<Width512, Vector512<float>>(x, max, dst),
        SimdPath.Vector256 => ExpSum<Width256, Vector256<float>>(x, max, dst),
        SimdPath.Vector128 => ExpSum<Width128, Vector128<float>>(x, max, dst),
        _ => ExpSum<Width128, Vector128<float>>(x, max, dst, scalar: true),
    };

    /// <summary>dst = x·s.</summary>
    public static void Scale(ReadOnlySpan<float> x, float s, Span<float> dst)
    {
        switch (Simd.For(x.Length))
        {
            case SimdPath.Vector512: Scale<Width512, Vector512<float>>(x, s, dst); break;
            case SimdPath.Vector256: Scale<Width256, Vector256<float>>(x, s, dst); break;
            case SimdPath.Vector128: Scale<Width128, Vector128<float>>(x, s, dst); break;
            default: Scale<Width128, Vector128<float>>(x, s, dst, scalar: true); break;
        }
    }

    /// <summary>dst = softmax(x) (dst may be x); returns the max and Σ e^(x − max), so log Σ e^x = max + log sum.</summary>
    public static (float Max, float Sum) Forward(ReadOnlySpan<float> x, Span<float> dst)
    {
        float max = Max(x);
        float sum = ExpSum(x, max, dst);
        Scale(dst, 1f / sum, dst);
        return (max, sum);
    }

    /// <summary>dst = log softmax(x) = x − max − log Σ e^(x − max), with dst as the exponentials' scratch.</summary>
    public static void LogForward(ReadOnlySpan<float> x, Span<float> dst)
    {
        float max = Max(x);
        float lse = max + MathF.Log(ExpSum(x, max, dst));
        System.Numerics.Tensors.TensorPrimitives.Subtract(x, lse, dst);
    }

    /// <summary>
    /// The softmax backward of one row: dst = p ⊙ (dy − Σ dy⊙p), or dst += that when <paramref name="accumulate"/>.
    /// dst may be dy (in place).
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> p, Span<float> dst, bool accumulate)
    {
        switch (Simd.For(p.Length))
        {
            case SimdPath.Vector512: Backward<Width512, Vector512<float>>(dy, p, dst, accumulate); break;
            case SimdPath.Vector256: Backward<Width256, Vector256<float>>(dy, p, dst, accumulate); break;
            case SimdPath.Vector128: Backward<Width128, Vector128<float>>(dy, p, dst, accumulate); break;
            default: Backward<Width128, Vector128<float>>(dy, p, dst, accumulate, scalar: true); break;
        }
    }

    // Each body below runs whole vectors (none when scalar) and then the scalar tail.

    private static float Max<TW, TV>(ReadOnlySpan<float> x, bool scalar = false) where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = x.Length, j = 0;
        float max = float.NegativeInfinity;
        if (!scalar && n >= w)
        {
            var vmax = TW.Load(x, 0);
            for (j = w; j <= n - w; j += w) vmax = TW.Max(vmax, TW.Load(x, j));
            max = TW.MaxAcross(vmax);
        }
        for (; j < n; j++) max = MathF.Max(max, x[j]);
        return max;
    }

    private static float ExpSum<TW, TV>(ReadOnlySpan<float> x, float max, Span<float> dst, bool scalar = false) where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = x.Length, j = 0;
        float sum = 0f;
        if (!scalar)
        {
            var vm = TW.Splat(max);
            var vs = TW.Zero;
            for (; j <= n - w; j += w)
            {
                var e = TW.Exp(TW.Sub(TW.Load(x, j), vm));
                TW.Store(e, dst, j);
                vs = TW.Add(vs, e);
            }
            sum = TW.Sum(vs);
        }
        for (; j < n; j++)
        {
            float e = MathF.Exp(x[j] - max);
            dst[j] = e;
            sum += e;
        }
        return sum;
    }

    private static void Scale<TW, TV>(ReadOnlySpan<float> x, float s, Span<float> dst, bool scalar = false) where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = x.Length, j = 0;
        if (!scalar)
        {
            var vs = TW.Splat(s);
            for (; j <= n - w; j += w) TW.Store(TW.Mul(TW.Load(x, j), vs), dst, j);
        }
        for (; j < n; j++) dst[j] = x[j] * s;
    }

    private static void Backward<TW, TV>(ReadOnlySpan<float> dy, ReadOnlySpan<float> p, Span<float> dst, bool accumulate, bool scalar = false)
        where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = p.Length, j = 0;
        float dot = 0f;
        if (!scalar)
        {
            var acc = TW.Zero;
            for (; j <= n - w; j += w) acc = TW.Add(acc, TW.Mul(TW.Load(dy, j), TW.Load(p, j)));
            dot = TW.Sum(acc);
        }
        for (; j < n; j++) dot += dy[j] * p[j];
        j = 0;
        if (!scalar)
        {
            var vd = TW.Splat(dot);
            for (; j <= n - w; j += w)
            {
                var g = TW.Mul(TW.Load(p, j), TW.Sub(TW.Load(dy, j), vd));
                TW.Store(accumulate ? TW.Add(TW.Load(dst, j), g) : g, dst, j);
            }
        }
        for (; j < n; j++)
        {
            float g = p[j] * (dy[j] - dot);
            dst[j] = accumulate ? dst[j] + g : g;
        }
    }
}
