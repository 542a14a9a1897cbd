using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Praxis.Kernels;

/// <summary>dst = f(a, b), one lane at a time: the scalar form and one width-generic vector form.</summary>
internal interface IBinaryOperator
{
    static abstract float Invoke(float a, float b);
    static abstract TV Invoke<TW, TV>(TV a, TV b) where TW : IVectorWidth<TV> where TV : struct;
}

/// <summary>dst = f(a, b, c), one lane at a time: the scalar form and one width-generic vector form.</summary>
internal interface ITernaryOperator
{
    static abstract float Invoke(float a, float b, float c);
    static abstract TV Invoke<TW, TV>(TV a, TV b, TV c) where TW : IVectorWidth<TV> where TV : struct;
}

/// <summary>
/// The one elementwise SIMD driver (TensorPrimitives' pattern): an op is a struct implementing
/// <see cref="IBinaryOperator"/> or <see cref="ITernaryOperator"/>, and the driver runs it at the widest accelerated
/// width (<see cref="Simd.For"/>) with a scalar tail. <c>dst</c> may alias an input (an in-place <c>+=</c>).
/// </summary>
internal static class Elementwise
{
    /// <summary>dst[i] = TOp(a[i], b[i]).</summary>
    public static void Binary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst) where TOp : struct, IBinaryOperator
    {
        int n = dst.Length;
        if (a.Length < n || b.Length < n) throw new ArgumentException($"Elementwise: inputs of {a.Length} and {b.Length} elements for an output of {n}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Binary<TOp, Width512, Vector512<float>>(a, b, dst),
            SimdPath.Vector256 => Binary<TOp, Width256, Vector256<float>>(a, b, dst),
            SimdPath.Vector128 => Binary<TOp, Width128, Vector128<float>>(a, b, dst),
            _ => 0,
        };
        for (; i < n; i++) dst[i] = TOp.Invoke(a[i], b[i]);
    }

    /// <summary>dst[i] = TOp(a[i], b[i], c[i]).</summary>
    public static void Ternary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dst) where TOp : struct, ITernaryOperator
    {
        int n = dst.Length;
        if (a.Length < n || b.Length < n || c.Length < n)
            throw new ArgumentException($"Elementwise: inputs of {a.Length}, {b.Length} and {c.Length} elements for an output of {n}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Ternary<TOp, Width512, Vector512<float>>(a, b, c, dst),
            SimdPath.Vector256 => Ternary<TOp, Width256, Vector256<float>>(a, b, c, dst),
            SimdPath.Vector128 => Ternary<TOp, Width128, Vector128<float>>(a, b, c, dst),
            _ => 0,
        };
        for (; i < n; i++) dst[i] = TOp.Invoke(a[i], b[i], c[i]);
    }

    // The vector body: whole vectors only; returns where the scalar tail starts.
    private static int Binary<TOp, TW, TV>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
        where TOp : struct, IBinaryOperator where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = dst.Length, i = 0;
        for (; i <= n - w; i += w) TW.Store(TOp.Invoke<TW, TV>(TW.Load(a, i), TW.Load(b, i)), dst, i);
        return i;
    }

    private static int Ternary<TOp, TW, TV>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dst)
        where TOp : struct, ITernaryOperator where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = dst.Length, i = 0;
        for (; i <= n - w; i += w) TW.Store(TOp.Invoke<TW, TV>(TW.Load(a, i), TW.Load(b, i), TW.Load(c, i)), dst, i);
        return i;
    }

    /// <summary>dz = dy where y &gt; 0, else 0: ReLU's derivative read from its output (Linear, Conv2D, Conv2DTranspose).</summary>
    public static void ReluMask(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dz) => Binary<ReluMaskOp>(y, dy, dz);

    /// <summary>gx += dy where y &gt; 0 (the ReLU op's backward).</summary>
    public static void ReluMaskAdd(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> gx) => Ternary<ReluMaskAddOp>(y, dy, gx, gx);
}

/// <summary>(y, dy) → y &gt; 0 ? dy : 0. Branch-free: half the units are off, so a branch mispredicts constantly.</summary>
internal readonly struct ReluMaskOp : IBinaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float y, float dy) => y > 0f ? dy : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Invoke<TW, TV>(TV y, TV dy) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Select(TW.GreaterThan(y, TW.Zero), dy, TW.Zero);
}

/// <summary>(y, dy, g) → g + (y &gt; 0 ? dy : 0).</summary>
internal readonly struct ReluMaskAddOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float y, float dy, float g) => y > 0f ? g + dy : g;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Invoke<TW, TV>(TV y, TV dy, TV g) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Add(g, TW.Select(TW.GreaterThan(y, TW.Zero), dy, TW.Zero));
}

/// <summary>(y, dy, g) → g + dy·y·(1 − y): the sigmoid's backward from its output.</summary>
internal readonly struct SigmoidGradAddOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float y, float dy, float g) => g + dy * y * (1f - y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Invoke<TW, TV>(TV y, TV dy, TV g) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Add(g, TW.Mul(TW.Mul(dy, y), TW.Sub(TW.Splat(1f), y)));
}

/// <summary>(y, dy, g) → g + dy·(1 − y²): tanh's backward from its output.</summary>
internal readonly struct TanhGradAddOp : ITernaryOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float y, float dy, float g) => g + dy * (1f - y * y);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Invoke<TW, TV>(TV y, TV dy, TV g) where TW : IVectorWidth<TV> where TV : struct =>
        TW.Add(g, TW.Mul(dy, TW.Sub(TW.Splat(1f), TW.Mul(y, y))));
}
