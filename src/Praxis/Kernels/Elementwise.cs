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
/// dst = f(x) with parameters (a slope, an α) carried as fields of the struct: the scalar form and one width-generic
/// vector form, which give the same bits lane by lane unless they call an approximated function (exp).
/// </summary>
internal interface IUnaryFunction
{
    float Invoke(float x);
    TV Invoke<TW, TV>(TV x) where TW : IVectorWidth<TV> where TV : struct;
}

/// <summary>dst = f(a, b) with parameters carried by the struct.</summary>
internal interface IBinaryFunction
{
    float Invoke(float a, float b);
    TV Invoke<TW, TV>(TV a, TV b) where TW : IVectorWidth<TV> where TV : struct;
}

/// <summary>dst = f(a, b, c) with parameters carried by the struct.</summary>
internal interface ITernaryFunction
{
    float Invoke(float a, float b, float c);
    TV Invoke<TW, TV>(TV a, TV b, TV c) where TW : IVectorWidth<TV> where TV : struct;
}

/// <summary>dst = f(a, b, c, d) with parameters carried by the struct (a backward reading x, y, dy and the gradient it adds to).</summary>
internal interface IQuaternaryFunction
{
    float Invoke(float a, float b, float c, float d);
    TV Invoke<TW, TV>(TV a, TV b, TV c, TV d) where TW : IVectorWidth<TV> where TV : struct;
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

    /// <summary>dst[i] = f(x[i]) for a function struct with parameters.</summary>
    public static void Unary<TF>(in TF f, ReadOnlySpan<float> x, Span<float> dst) where TF : struct, IUnaryFunction
    {
        int n = dst.Length;
        if (x.Length < n) throw new ArgumentException($"Elementwise: input of {x.Length} elements for an output of {n}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Unary<TF, Width512, Vector512<float>>(f, x, dst),
            SimdPath.Vector256 => Unary<TF, Width256, Vector256<float>>(f, x, dst),
            SimdPath.Vector128 => Unary<TF, Width128, Vector128<float>>(f, x, dst),
            _ => 0,
        };
        for (; i < n; i++) dst[i] = f.Invoke(x[i]);
    }

    /// <summary>dst[i] = f(a[i], b[i]) for a function struct with parameters.</summary>
    public static void Binary<TF>(in TF f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst) where TF : struct, IBinaryFunction
    {
        int n = dst.Length;
        if (a.Length < n || b.Length < n) throw new ArgumentException($"Elementwise: inputs of {a.Length} and {b.Length} elements for an output of {n}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Binary<TF, Width512, Vector512<float>>(f, a, b, dst),
            SimdPath.Vector256 => Binary<TF, Width256, Vector256<float>>(f, a, b, dst),
            SimdPath.Vector128 => Binary<TF, Width128, Vector128<float>>(f, a, b, dst),
            _ => 0,
        };
        for (; i < n; i++) dst[i] = f.Invoke(a[i], b[i]);
    }

    /// <summary>dst[i] = f(a[i], b[i], c[i]) for a function struct with parameters; dst may alias an input.</summary>
    public static void Ternary<TF>(in TF f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dst) where TF : struct, ITernaryFunction
    {
        int n = dst.Length;
        if (a.Length < n || b.Length < n || c.Length < n)
            throw new ArgumentException($"Elementwise: inputs of {a.Length}, {b.Length} and {c.Length} elements for an output of {n}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Ternary<TF, Width512, Vector512<float>>(f, a, b, c, dst),
            SimdPath.Vector256 => Ternary<TF, Width256, Vector256<float>>(f, a, b, c, dst),
            SimdPath.Vector128 => Ternary<TF, Width128, Vector128<float>>(f, a, b, c, dst),
            _ => 0,
        };
        for (; i < n; i++) dst[i] = f.Invoke(a[i], b[i], c[i]);
    }

    /// <summary>dst[i] = f(a[i], b[i], c[i], d[i]); dst may alias an input.</summary>
    public static void Quaternary<TF>(in TF f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, ReadOnlySpan<float> d, Span<float> dst)
        where TF : struct, IQuaternaryFunction
    {
        int n = dst.Length;
        if (a.Length < n || b.Length < n || c.Length < n || d.Length < n)
            throw new ArgumentException($"Elementwise: inputs of {a.Length}, {b.Length}, {c.Length} and {d.Length} elements for an output of {n}.");
        int i = Simd.For(n) switch
        {
            SimdPath.Vector512 => Quaternary<TF, Width512, Vector512<float>>(f, a, b, c, d, dst),
            SimdPath.Vector256 => Quaternary<TF, Width256, Vector256<float>>(f, a, b, c, d, dst),
            SimdPath.Vector128 => Quaternary<TF, Width128, Vector128<float>>(f, a, b, c, d, dst),
            _ => 0,
        };
        for (; i < n; i++) dst[i] = f.Invoke(a[i], b[i], c[i], d[i]);
    }

    private static int Quaternary<TF, TW, TV>(in TF f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, ReadOnlySpan<float> d, Span<float> dst)
        where TF : struct, IQuaternaryFunction where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = dst.Length, i = 0;
        for (; i <= n - w; i += w) TW.Store(f.Invoke<TW, TV>(TW.Load(a, i), TW.Load(b, i), TW.Load(c, i), TW.Load(d, i)), dst, i);
        return i;
    }

    private static int Unary<TF, TW, TV>(in TF f, ReadOnlySpan<float> x, Span<float> dst)
        where TF : struct, IUnaryFunction where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = dst.Length, i = 0;
        for (; i <= n - w; i += w) TW.Store(f.Invoke<TW, TV>(TW.Load(x, i)), dst, i);
        return i;
    }

    private static int Binary<TF, TW, TV>(in TF f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
        where TF : struct, IBinaryFunction where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = dst.Length, i = 0;
        for (; i <= n - w; i += w) TW.Store(f.Invoke<TW, TV>(TW.Load(a, i), TW.Load(b, i)), dst, i);
        return i;
    }

    private static int Ternary<TF, TW, TV>(in TF f, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dst)
        where TF : struct, ITernaryFunction where TW : IVectorWidth<TV> where TV : struct
    {
        int w = TW.Count, n = dst.Length, i = 0;
        for (; i <= n - w; i += w) TW.Store(f.Invoke<TW, TV>(TW.Load(a, i), TW.Load(b, i), TW.Load(c, i)), dst, i);
        return i;
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

    /// <summary>
    /// y = eˣ. TensorPrimitives' exponential (and its sigmoid) run .NET's software fallback at 128 bits on x86 without
    /// AVX, slower than scalar; this one uses <see cref="IVectorWidth{TV}.Exp"/>, fast at every width.
    /// </summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Unary(default(ExpFunction), x, y);

    /// <summary>y = 1/(1 + e^−x), through the same exponential as <see cref="Exp"/>.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Unary(default(SigmoidFunction), x, y);

    /// <summary>y = tanh x, through the same exponential as <see cref="Exp"/> (TensorPrimitives' tanh has the same 128-bit fallback).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Unary(default(TanhFunction), x, y);

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

/// <summary>x → eˣ.</summary>
internal readonly struct ExpFunction : IUnaryFunction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => MathF.Exp(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x) where TW : IVectorWidth<TV> where TV : struct => TW.Exp(x);
}

/// <summary>x → 1/(1 + e^−x) (e^−x overflows to ∞ for very negative x, giving 0).</summary>
internal readonly struct SigmoidFunction : IUnaryFunction
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x) where TW : IVectorWidth<TV> where TV : struct
    {
        TV one = TW.Splat(1f);
        return TW.Div(one, TW.Add(one, TW.Exp(TW.Neg(x))));
    }
}

/// <summary>
/// x → tanh x: an odd polynomial for |x| &lt; 0.625, where 1 − 2/(e^{2|x|} + 1) would cancel (Cephes' tanhf
/// coefficients), that form with x's sign above; e^{2|x|} overflows to ∞ for large |x|, giving ±1. Both forms are
/// computed in every lane and one selected.
/// </summary>
internal readonly struct TanhFunction : IUnaryFunction
{
    private const float C0 = -5.70498872745e-3f, C1 = 2.06390887954e-2f, C2 = -5.37397155531e-2f, C3 = 1.33314422036e-1f, C4 = -3.33332819422e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x)
    {
        float ax = MathF.Abs(x);
        if (ax < 0.625f)
        {
            float z = x * x;
            return ((((C0 * z + C1) * z + C2) * z + C3) * z + C4) * z * x + x;
        }
        float big = 1f - 2f / (MathF.Exp(2f * ax) + 1f);
        return x < 0f ? -big : big;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TV Invoke<TW, TV>(TV x) where TW : IVectorWidth<TV> where TV : struct
    {
        TV ax = TW.Abs(x), one = TW.Splat(1f);
        TV big = TW.Sub(one, TW.Div(TW.Splat(2f), TW.Add(TW.Exp(TW.Add(ax, ax)), one)));
        big = TW.Select(TW.GreaterThan(TW.Zero, x), TW.Neg(big), big);
        TV z = TW.Mul(x, x);
        TV p = TW.Add(TW.Mul(TW.Splat(C0), z), TW.Splat(C1));
        p = TW.Add(TW.Mul(p, z), TW.Splat(C2));
        p = TW.Add(TW.Mul(p, z), TW.Splat(C3));
        p = TW.Add(TW.Mul(p, z), TW.Splat(C4));
        TV small = TW.Add(TW.Mul(TW.Mul(p, z), x), x);
        return TW.Select(TW.GreaterThan(TW.Splat(0.625f), ax), small, big);
    }
}
