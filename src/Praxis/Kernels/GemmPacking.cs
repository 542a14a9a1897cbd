using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Praxis.Kernels;

/// <summary>
/// Copies blocks of op(A) and op(B) into the panel layout the micro-kernels read sequentially. Transposes are
/// handled here, so the kernels never see one and no transposed matrix is materialised.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs op(A)[i0 : i0+mc, p0 : p0+kc] as ⌈mc/MR⌉ panels of kc groups of MR floats (rows past mc are zero).
    /// </summary>
    public static void PackA<K>(bool transA, float* a, nint lda, int i0, int mc, int p0, int kc, float* dst)
        where K : IMicroKernel
    {
        int mr = K.MR;
        for (int ip = 0; ip < mc; ip += mr, dst += mr * kc * K.ASplat)
        {
            int rows = Math.Min(mr, mc - ip);
            if (K.ASplat == 4)
            {
                if (transA) PackRowsSplat4(a + p0 * lda + i0 + ip, lda, rows, mr, kc, dst);
                else PackColumnsSplat4(a + (i0 + ip) * lda + p0, lda, rows, mr, kc, dst);
            }
            else if (transA) PackRows(a + p0 * lda + i0 + ip, lda, rows, mr, kc, dst);     // A(i,p) at a[p*lda + i]
            else PackColumns(a + (i0 + ip) * lda + p0, lda, rows, mr, kc, dst);           // A(i,p) at a[i*lda + p]
        }
    }

    /// <summary>
    /// The pre-broadcast layout of <see cref="PackRows"/>: dst[(p·w + r)·4 + 0..3] = src[p·ld + r] (0 for r ≥ width).
    /// </summary>
    private static void PackRowsSplat4(float* src, nint ld, int width, int w, int kc, float* dst)
    {
        for (int p = 0; p < kc; p++, src += ld, dst += 4 * w)
        {
            int r = 0;
            for (; r < width; r++) Vector128.Store(Vector128.Create(src[r]), dst + 4 * r);
            for (; r < w; r++) Vector128.Store(Vector128<float>.Zero, dst + 4 * r);
        }
    }

    /// <summary>
    /// The pre-broadcast layout of <see cref="PackColumns"/>: dst[(p·w + r)·4 + 0..3] = src[r·ld + p] (0 for
    /// r ≥ width). Each row's k-steps are contiguous, so 4 are loaded at once and broadcast lane by lane in registers;
    /// no transpose is needed.
    /// </summary>
    private static void PackColumnsSplat4(float* src, nint ld, int width, int w, int kc, float* dst)
    {
        nint step = 4 * w; // floats between one k-step's groups and the next
        int kc4 = kc & ~3;
        for (int r = 0; r < w; r++)
        {
            float* d = dst + 4 * r;
            if (r >= width)
            {
                for (int p = 0; p < kc; p++) Vector128.Store(Vector128<float>.Zero, d + p * step);
                continue;
            }
            float* s = src + r * ld;
            int p4 = 0;
            for (; p4 < kc4; p4 += 4)
            {
                var x = Vector128.Load(s + p4);
                float* dp = d + p4 * step;
                Vector128.Store(Vector128.Shuffle(x, Vector128.Create(0)), dp);
                Vector128.Store(Vector128.Shuffle(x, Vector128.Create(1)), dp + step);
                Vector128.Store(Vector128.Shuffle(x, Vector128.Create(2)), dp + 2 * step);
                Vector128.Store(Vector128.Shuffle(x, Vector128.Create(3)), dp + 3 * step);
            }
            for (; p4 < kc; p4++) Vector128.Store(Vector128.Create(s[p4]), d + p4 * step);
        }
    }

    /// <summary>
    /// Packs panels [<paramref name="panel0"/>, <paramref name="panel1"/>) of op(B)[p0 : p0+kc, j0 : j0+nc]; panel q
    /// holds kc groups of NR floats (columns past nc are zero) and lands at <c>dst + q·NR·kc</c>.
    /// </summary>
    public static void PackB<K>(bool transB, float* b, nint ldb, int p0, int kc, int j0, int nc,
        int panel0, int panel1, float* dst) where K : IMicroKernel
    {
        int nr = K.NR;
        for (int q = panel0; q < panel1; q++)
        {
            int jq = q * nr;
            int cols = Math.Min(nr, nc - jq);
            float* d = dst + (nint)q * nr * kc;
            if (transB) PackColumns(b + (j0 + jq) * ldb + p0, ldb, cols, nr, kc, d);  // B(p,j) at b[j*ldb + p]
            else PackRows(b + p0 * ldb + j0 + jq, ldb, cols, nr, kc, d);             // B(p,j) at b[p*ldb + j]
        }
    }

    /// <summary>
    /// dst[p·w + r] = src[p·ld + r] for r &lt; width, 0 for width ≤ r &lt; w: each step's values are already contiguous.
    /// </summary>
    private static void PackRows(float* src, nint ld, int width, int w, int kc, float* dst)
    {
        if (width == w)
        {
            if (w == 32 && Vector512.IsHardwareAccelerated)
            {
                for (int p = 0; p < kc; p++, src += ld, dst += 32)
                {
                    Vector512.Store(Vector512.Load(src), dst);
                    Vector512.Store(Vector512.Load(src + 16), dst + 16);
                }
                return;
            }
            if (w % 8 == 0 && Vector256.IsHardwareAccelerated)
            {
                for (int p = 0; p < kc; p++, src += ld, dst += w)
                    for (int r = 0; r < w; r += 8) Vector256.Store(Vector256.Load(src + r), dst + r);
                return;
            }
            if (w % 4 == 0 && Vector128.IsHardwareAccelerated)
            {
                for (int p = 0; p < kc; p++, src += ld, dst += w)
                    for (int r = 0; r < w; r += 4) Vector128.Store(Vector128.Load(src + r), dst + r);
                return;
            }
        }
        for (int p = 0; p < kc; p++, src += ld, dst += w)
        {
            int r = 0;
            for (; r < width; r++) dst[r] = src[r];
            for (; r < w; r++) dst[r] = 0f;
        }
    }

    /// <summary>
    /// dst[p·w + r] = src[r·ld + p] for r &lt; width, 0 for width ≤ r &lt; w: a transpose, done 8×16 at a time in
    /// registers where AVX-512 allows and 4×4 where 128-bit shuffles do (SSE or Arm64), because a scalar gather here
    /// costs as much as the small GEMMs it feeds.
    /// </summary>
    private static void PackColumns(float* src, nint ld, int width, int w, int kc, float* dst)
    {
        int r0 = 0;
        if (Avx512F.IsSupported && w % 8 == 0)
        {
            int kc16 = kc & ~15;
            for (; r0 + 8 <= width; r0 += 8)
            {
                float* s = src + r0 * ld;
                for (int p = 0; p < kc16; p += 16) Transpose8x16(s + p, ld, dst + (nint)p * w + r0, w);
                for (int p = kc16; p < kc; p++)
                    for (int r = 0; r < 8; r++) dst[(nint)p * w + r0 + r] = s[r * ld + p];
            }
        }
        if (CanTranspose4x4)
        {
            int kc4 = kc & ~3;
            for (; r0 + 4 <= width; r0 += 4)
            {
                float* s = src + r0 * ld;
                for (int p = 0; p < kc4; p += 4) Transpose4x4(s + p, ld, dst + (nint)p * w + r0, w);
                for (int p = kc4; p < kc; p++)
                    for (int r = 0; r < 4; r++) dst[(nint)p * w + r0 + r] = s[r * ld + p];
            }
        }
        for (int r = r0; r < width; r++)
        {
            float* s = src + r * ld;
            for (int p = 0; p < kc; p++) dst[(nint)p * w + r] = s[p];
        }
        if (width < w)
        {
            for (int p = 0; p < kc; p++)
                for (int r = width; r < w; r++) dst[(nint)p * w + r] = 0f;
        }
    }

    private static bool CanTranspose4x4 => Sse.IsSupported || AdvSimd.Arm64.IsSupported;

    /// <summary>
    /// Reads 4 rows of 4 floats (row stride <paramref name="ld"/>) and writes the 4 columns as 4-float groups at
    /// <c>dst + q·stride</c>, q = 0..3. x86 and Arm64 each have the two-register interleaves this needs; callers check
    /// <see cref="CanTranspose4x4"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* src, nint ld, float* dst, nint stride)
    {
        var x0 = Vector128.Load(src);
        var x1 = Vector128.Load(src + ld);
        var x2 = Vector128.Load(src + 2 * ld);
        var x3 = Vector128.Load(src + 3 * ld);
        Vector128<float> y0, y1, y2, y3;
        if (Sse.IsSupported)
        {
            var t0 = Sse.UnpackLow(x0, x1);   // x0[0] x1[0] x0[1] x1[1]
            var t1 = Sse.UnpackLow(x2, x3);   // x2[0] x3[0] x2[1] x3[1]
            var t2 = Sse.UnpackHigh(x0, x1);  // x0[2] x1[2] x0[3] x1[3]
            var t3 = Sse.UnpackHigh(x2, x3);
            y0 = Sse.MoveLowToHigh(t0, t1);   // column 0
            y1 = Sse.MoveHighToLow(t1, t0);   // column 1
            y2 = Sse.MoveLowToHigh(t2, t3);
            y3 = Sse.MoveHighToLow(t3, t2);
        }
        else
        {
            var t0 = AdvSimd.Arm64.ZipLow(x0, x1);
            var t1 = AdvSimd.Arm64.ZipLow(x2, x3);
            var t2 = AdvSimd.Arm64.ZipHigh(x0, x1);
            var t3 = AdvSimd.Arm64.ZipHigh(x2, x3);
            y0 = AdvSimd.Arm64.ZipLow(t0.AsDouble(), t1.AsDouble()).AsSingle();
            y1 = AdvSimd.Arm64.ZipHigh(t0.AsDouble(), t1.AsDouble()).AsSingle();
            y2 = AdvSimd.Arm64.ZipLow(t2.AsDouble(), t3.AsDouble()).AsSingle();
            y3 = AdvSimd.Arm64.ZipHigh(t2.AsDouble(), t3.AsDouble()).AsSingle();
        }
        Vector128.Store(y0, dst);
        Vector128.Store(y1, dst + stride);
        Vector128.Store(y2, dst + 2 * stride);
        Vector128.Store(y3, dst + 3 * stride);
    }

    /// <summary>
    /// Reads 8 rows of 16 floats (row stride <paramref name="ld"/>) and writes the 16 columns as 8-float groups at
    /// <c>dst + q·stride</c>, q = 0..15.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x16(float* src, nint ld, float* dst, nint stride)
    {
        var x0 = Vector512.Load(src);
        var x1 = Vector512.Load(src + ld);
        var x2 = Vector512.Load(src + 2 * ld);
        var x3 = Vector512.Load(src + 3 * ld);
        var x4 = Vector512.Load(src + 4 * ld);
        var x5 = Vector512.Load(src + 5 * ld);
        var x6 = Vector512.Load(src + 6 * ld);
        var x7 = Vector512.Load(src + 7 * ld);

        // Within each 128-bit lane (columns a..a+3): interleave row pairs ...
        var t0 = Avx512F.UnpackLow(x0, x1);   // x0[a] x1[a] x0[a+1] x1[a+1]
        var t1 = Avx512F.UnpackHigh(x0, x1);  // x0[a+2] x1[a+2] x0[a+3] x1[a+3]
        var t2 = Avx512F.UnpackLow(x2, x3);
        var t3 = Avx512F.UnpackHigh(x2, x3);
        var t4 = Avx512F.UnpackLow(x4, x5);
        var t5 = Avx512F.UnpackHigh(x4, x5);
        var t6 = Avx512F.UnpackLow(x6, x7);
        var t7 = Avx512F.UnpackHigh(x6, x7);
        // ... then gather 4 rows of one column: u[c] holds rows 0-3 of column a+c, u[c+4] rows 4-7.
        var u0 = Avx512F.Shuffle(t0, t2, 0x44);
        var u1 = Avx512F.Shuffle(t0, t2, 0xEE);
        var u2 = Avx512F.Shuffle(t1, t3, 0x44);
        var u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        var u4 = Avx512F.Shuffle(t4, t6, 0x44);
        var u5 = Avx512F.Shuffle(t4, t6, 0xEE);
        var u6 = Avx512F.Shuffle(t5, t7, 0x44);
        var u7 = Avx512F.Shuffle(t5, t7, 0xEE);

        // Pair the two 4-row halves of a column across lanes: [lo.L0 hi.L0 lo.L1 hi.L1] and [lo.L2 hi.L2 lo.L3 hi.L3].
        var idxLo = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
        var idxHi = Vector512.Create(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
        StoreColumns(Avx512F.PermuteVar16x32x2(u0, idxLo, u4), Avx512F.PermuteVar16x32x2(u0, idxHi, u4), dst, stride, 0);
        StoreColumns(Avx512F.PermuteVar16x32x2(u1, idxLo, u5), Avx512F.PermuteVar16x32x2(u1, idxHi, u5), dst, stride, 1);
        StoreColumns(Avx512F.PermuteVar16x32x2(u2, idxLo, u6), Avx512F.PermuteVar16x32x2(u2, idxHi, u6), dst, stride, 2);
        StoreColumns(Avx512F.PermuteVar16x32x2(u3, idxLo, u7), Avx512F.PermuteVar16x32x2(u3, idxHi, u7), dst, stride, 3);
    }

    /// <summary>Stores columns c, c+4 (from <paramref name="lo"/>) and c+8, c+12 (from <paramref name="hi"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(Vector512<float> lo, Vector512<float> hi, float* dst, nint stride, int c)
    {
        Vector256.Store(lo.GetLower(), dst + c * stride);
        Vector256.Store(lo.GetUpper(), dst + (c + 4) * stride);
        Vector256.Store(hi.GetLower(), dst + (c + 8) * stride);
        Vector256.Store(hi.GetUpper(), dst + (c + 12) * stride);
    }
}
