using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Praxis.Kernels;

/// <summary>
/// One SIMD width of float lanes as a type (<see cref="Width128"/>, <see cref="Width256"/>, <see cref="Width512"/>), so
/// a kernel is written once as a generic method over <typeparamref name="TV"/> and the JIT compiles one copy per width:
/// generic arguments that are structs are specialised, and every member inlines to one instruction or a few.
/// (.NET's own <c>ISimdVector</c> does this but is not public.) Arithmetic is the vectors' own operators, never fused
/// implicitly, so a kernel gives the same bits at every width wherever it does not reassociate a sum.
/// </summary>
internal interface IVectorWidth<TV> where TV : struct
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Load(ReadOnlySpan<float> s, int at);
    static abstract void Store(TV v, Span<float> s, int at);

    /// <summary>A vector at <paramref name="at"/> floats past <paramref name="s"/>, unchecked: the caller has checked the bounds once for a whole loop.</summary>
    static abstract TV LoadUnsafe(ref float s, nuint at);

    /// <summary>Stores at <paramref name="at"/> floats past <paramref name="s"/>, unchecked (see <see cref="LoadUnsafe"/>).</summary>
    static abstract void StoreUnsafe(TV v, ref float s, nuint at);
    static abstract TV Splat(float x);
    static abstract TV Zero { get; }
    static abstract TV Add(TV a, TV b);
    static abstract TV Sub(TV a, TV b);
    static abstract TV Mul(TV a, TV b);
    static abstract TV Div(TV a, TV b);
    static abstract TV Max(TV a, TV b);
    static abstract TV Abs(TV a);
    static abstract TV Neg(TV a);
    static abstract TV Sqrt(TV a);
    static abstract TV Exp(TV a);

    /// <summary>a·b + c, fused where the hardware has FMA (so the last bit depends on the machine); for dot products, not for kernels that promise the same bits at every width.</summary>
    static abstract TV MultiplyAddEstimate(TV a, TV b, TV c);

    /// <summary>All-ones lanes where a &gt; b.</summary>
    static abstract TV GreaterThan(TV a, TV b);

    /// <summary>All-ones lanes where a ≥ b.</summary>
    static abstract TV GreaterThanOrEqual(TV a, TV b);

    /// <summary>Lanes of <paramref name="a"/> where <paramref name="mask"/> is set, else of <paramref name="b"/>.</summary>
    static abstract TV Select(TV mask, TV a, TV b);

    /// <summary>The sum of the lanes (its association depends on the width).</summary>
    static abstract float Sum(TV v);

    /// <summary>The largest lane.</summary>
    static abstract float MaxAcross(TV v);
}

/// <summary>128-bit lanes: SSE on x64, NEON (AdvSimd) on Arm64.</summary>
internal readonly struct Width128 : IVectorWidth<Vector128<float>>
{
    public static int Count => Vector128<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(ReadOnlySpan<float> s, int at) => Vector128.Create(s.Slice(at, 4));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> v, Span<float> s, int at) => v.CopyTo(s.Slice(at, 4));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LoadUnsafe(ref float s, nuint at) => Vector128.LoadUnsafe(ref s, at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreUnsafe(Vector128<float> v, ref float s, nuint at) => v.StoreUnsafe(ref s, at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float x) => Vector128.Create(x);
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sub(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Mul(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Div(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Neg(Vector128<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> a) => Vector128.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> a) => Simd.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyAddEstimate(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> m, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> v) => Vector128.Sum(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> v) => MathF.Max(MathF.Max(v[0], v[1]), MathF.Max(v[2], v[3]));
}

/// <summary>256-bit lanes: AVX/AVX2 on x64.</summary>
internal readonly struct Width256 : IVectorWidth<Vector256<float>>
{
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(ReadOnlySpan<float> s, int at) => Vector256.Create(s.Slice(at, 8));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> v, Span<float> s, int at) => v.CopyTo(s.Slice(at, 8));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LoadUnsafe(ref float s, nuint at) => Vector256.LoadUnsafe(ref s, at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreUnsafe(Vector256<float> v, ref float s, nuint at) => v.StoreUnsafe(ref s, at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float x) => Vector256.Create(x);
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sub(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Mul(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Div(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Neg(Vector256<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> a) => Vector256.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> a) => Vector256.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAddEstimate(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> m, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> v) => Vector256.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector256<float> v) => Width128.MaxAcross(Vector128.Max(v.GetLower(), v.GetUpper()));
}

/// <summary>512-bit lanes: AVX-512 on x64.</summary>
internal readonly struct Width512 : IVectorWidth<Vector512<float>>
{
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(ReadOnlySpan<float> s, int at) => Vector512.Create(s.Slice(at, 16));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> v, Span<float> s, int at) => v.CopyTo(s.Slice(at, 16));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LoadUnsafe(ref float s, nuint at) => Vector512.LoadUnsafe(ref s, at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreUnsafe(Vector512<float> v, ref float s, nuint at) => v.StoreUnsafe(ref s, at);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float x) => Vector512.Create(x);
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sub(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Mul(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Div(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Neg(Vector512<float> a) => -a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> a) => Vector512.Sqrt(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> a) => Vector512.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAddEstimate(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> m, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(m, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> v) => Vector512.Sum(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector512<float> v) => Width256.MaxAcross(Vector256.Max(v.GetLower(), v.GetUpper()));
}

/// <summary>Which width the elementwise, normalisation, softmax and optimizer kernels run at on this process.</summary>
internal enum SimdPath
{
    Scalar = 0,
    Vector128 = 128,
    Vector256 = 256,
    Vector512 = 512,
}

/// <summary>The width dispatch shared by every kernel built on <see cref="IVectorWidth{TV}"/>.</summary>
internal static class Simd
{
    /// <summary>
    /// The widest accelerated width (the runtime's answer: <c>DOTNET_EnableAVX512F=0</c> gives 256, <c>DOTNET_EnableAVX=0</c>
    /// 128, <c>DOTNET_EnableHWIntrinsic=0</c> scalar). <see cref="Vector{T}"/> is not used for this because it stays
    /// 256-bit on AVX-512 hardware.
    /// </summary>
    public static readonly SimdPath Path =
        Vector512.IsHardwareAccelerated ? SimdPath.Vector512
        : Vector256.IsHardwareAccelerated ? SimdPath.Vector256
        : Vector128.IsHardwareAccelerated ? SimdPath.Vector128
        : SimdPath.Scalar;

    /// <summary>
    /// e^x in 128-bit lanes from adds, multiplies, a shift and reinterpretations only, so it is fast on every 128-bit
    /// target: .NET's <c>Vector128.Exp</c> runs a software fallback on x86 without AVX (about 25 ns an element, slower
    /// than scalar <c>MathF.Exp</c>), which made softmax the slowest op of a step there. x = n·ln 2 + r with n rounded
    /// to nearest (|r| ≤ ln 2 / 2, ln 2 split in two so n·ln2hi is exact), e^r by a degree-6 polynomial (Cephes'
    /// expf coefficients; within 2 ulp of <c>MathF.Exp</c>), times 2^n built in the exponent field as two factors so
    /// results below the normal range come out as subnormals and overflow gives ∞. NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        // Clamped so n stays in [-150, 129] and both exponent factors are normal numbers; beyond, the product
        // underflows to 0 or overflows to ∞ by itself.
        var xc = Vector128.MinNative(Vector128.MaxNative(x, Vector128.Create(-104f)), Vector128.Create(89f));
        var magic = Vector128.Create(12582912f); // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
        var t = xc * Vector128.Create(1.44269504088896341f) + magic;
        var n = t - magic;
        var r = xc - n * Vector128.Create(0.693359375f) - n * Vector128.Create(-2.12194440e-4f);
        var p = Vector128.Create(1.9875691500e-4f);
        p = p * r + Vector128.Create(1.3981999507e-3f);
        p = p * r + Vector128.Create(8.3334519073e-3f);
        p = p * r + Vector128.Create(4.1665795894e-2f);
        p = p * r + Vector128.Create(1.6666665459e-1f);
        p = p * r + Vector128.Create(5.0000001201e-1f);
        p = p * (r * r) + r + Vector128<float>.One;
        var ni = t.AsInt32() - magic.AsInt32();
        var n1 = Vector128.ShiftRightArithmetic(ni, 1);
        var bias = Vector128.Create(127);
        var s1 = Vector128.ShiftLeft(n1 + bias, 23).AsSingle();
        var s2 = Vector128.ShiftLeft(ni - n1 + bias, 23).AsSingle();
        var e = p * s1 * s2;
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), e, x);
    }

    /// <summary>
    /// The path for <paramref name="n"/> elements: the widest one that fills at least one vector (a 10-class row runs at
    /// 256 bits rather than all-scalar on an AVX-512 machine).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static SimdPath For(int n) =>
        Path == SimdPath.Vector512 && n >= 16 ? SimdPath.Vector512
        : Path >= SimdPath.Vector256 && n >= 8 ? SimdPath.Vector256
        : Path >= SimdPath.Vector128 && n >= 4 ? SimdPath.Vector128
        : SimdPath.Scalar;
}
