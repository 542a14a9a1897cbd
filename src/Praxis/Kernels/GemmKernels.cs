using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Praxis.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel and the cache blocking that suits it. Implemented by structs so the driver
/// is specialised per kernel and MR/NR become constants in its loops.
/// </summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of C per micro-tile (broadcast from packed A).</summary>
    static abstract int MR { get; }
    /// <summary>Columns of C per micro-tile (vector loads from packed B).</summary>
    static abstract int NR { get; }
    /// <summary>Depth of a packed block; deeper blocks mean fewer read-modify-write passes over C.</summary>
    static abstract int KC { get; }
    /// <summary>Rows of a packed A block (MC×KC), sized for the core's private L2.</summary>
    static abstract int MC { get; }
    /// <summary>Columns of a packed B block (KC×NC), sized for the shared L3.</summary>
    static abstract int NC { get; }
    /// <summary>
    /// Floats packed per element of A: 1, or a vector's lanes for a kernel that reads each A value already broadcast
    /// (such a kernel always reads packed A, never rows in place).
    /// </summary>
    static abstract int ASplat { get; }

    /// <summary>
    /// C[MR×NR] = alpha · Apanel · Bpanel + beta · C over depth <paramref name="kc"/>; beta 0 overwrites C.
    /// Step p reads MR floats at <c>a + p·sa</c> and NR floats at <c>b + p·sb</c>: packed panels use sa = MR and
    /// sb = NR; small problems may pass unpacked rows of a stored matrix with its row stride instead.
    /// </summary>
    static abstract void Run(int kc, float* a, nint sa, float* b, nint sb, float* c, nint ldc, float alpha, float beta);

    /// <summary>
    /// The raw sums (alpha 1, beta 0) of the first <paramref name="rows"/> rows of a tile into <paramref name="tile"/>,
    /// row stride NR, with the bits <see cref="Run"/> gives those rows; later rows may hold anything. For a ragged
    /// bottom edge: a kernel whose rows are independent unfused sums can skip the padded rows' work.
    /// </summary>
    static abstract void RunEdgeRows(int rows, int kc, float* a, nint sa, float* b, nint sb, float* tile);
}

/// <summary>
/// 8×32 AVX-512 kernel: 16 zmm accumulators, 2 B loads and 8 broadcasts per step keep both 512-bit FMA pipes busy
/// (16 independent chains hide the 4-cycle FMA latency) and leave registers free. 8 rows divide the library's
/// common batch sizes (32) and 784, so little work is padded.
/// </summary>
internal readonly unsafe struct Avx512Kernel : IMicroKernel
{
    public static int MR => 8;
    public static int NR => 32;
    // Zen 5 here: 48 KiB L1D, 1 MiB L2 per core, shared L3. The A block (128×512 floats = 256 KiB) sits in L2.
    // A 512-deep B micro-panel (64 KiB) overflows L1 but streams from L2 at a fraction of its bandwidth, and the
    // deeper block halves the passes over C; measured 5-10% faster than KC = 256 on 1 and 2 threads.
    public static int KC => 512;
    public static int MC => 128;
    public static int NC => 4096;
    public static int ASplat => 1;

    /// <inheritdoc cref="IMicroKernel.RunEdgeRows"/>
    public static void RunEdgeRows(int rows, int kc, float* a, nint sa, float* b, nint sb, float* tile) =>
        Run(kc, a, sa, b, sb, tile, NR, 1f, 0f);

    [SkipLocalsInit]
    public static void Run(int kc, float* a, nint sa, float* b, nint sb, float* c, nint ldc, float alpha, float beta)
    {
        if (Sse.IsSupported)
        {
            // The C tile is touched once per KC block and is usually cold; start fetching it now so the final
            // read-modify-write does not stall.
            for (int i = 0; i < 8; i++)
            {
                Sse.Prefetch0(c + i * ldc);
                Sse.Prefetch0(c + i * ldc + 31);
            }
        }
        Vector512<float> c00 = default; Vector512<float> c01 = default;
        Vector512<float> c10 = default; Vector512<float> c11 = default;
        Vector512<float> c20 = default; Vector512<float> c21 = default;
        Vector512<float> c30 = default; Vector512<float> c31 = default;
        Vector512<float> c40 = default; Vector512<float> c41 = default;
        Vector512<float> c50 = default; Vector512<float> c51 = default;
        Vector512<float> c60 = default; Vector512<float> c61 = default;
        Vector512<float> c70 = default; Vector512<float> c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b + 0);
            var b1 = Vector512.Load(b + 16);
            var a0 = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(a0, b0, c00); c01 = Vector512.FusedMultiplyAdd(a0, b1, c01);
            var a1 = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(a1, b0, c10); c11 = Vector512.FusedMultiplyAdd(a1, b1, c11);
            var a2 = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(a2, b0, c20); c21 = Vector512.FusedMultiplyAdd(a2, b1, c21);
            var a3 = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(a3, b0, c30); c31 = Vector512.FusedMultiplyAdd(a3, b1, c31);
            var a4 = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(a4, b0, c40); c41 = Vector512.FusedMultiplyAdd(a4, b1, c41);
            var a5 = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(a5, b0, c50); c51 = Vector512.FusedMultiplyAdd(a5, b1, c51);
            var a6 = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(a6, b0, c60); c61 = Vector512.FusedMultiplyAdd(a6, b1, c61);
            var a7 = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(a7, b0, c70); c71 = Vector512.FusedMultiplyAdd(a7, b1, c71);
            a += sa;
            b += sb;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        int mode = beta == 0f ? 0 : beta == 1f ? 1 : 2;
        UpdateRow(c + 0 * ldc, c00, c01, va, vb, mode);
        UpdateRow(c + 1 * ldc, c10, c11, va, vb, mode);
        UpdateRow(c + 2 * ldc, c20, c21, va, vb, mode);
        UpdateRow(c + 3 * ldc, c30, c31, va, vb, mode);
        UpdateRow(c + 4 * ldc, c40, c41, va, vb, mode);
        UpdateRow(c + 5 * ldc, c50, c51, va, vb, mode);
        UpdateRow(c + 6 * ldc, c60, c61, va, vb, mode);
        UpdateRow(c + 7 * ldc, c70, c71, va, vb, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRow(float* c, Vector512<float> x0, Vector512<float> x1,
        Vector512<float> va, Vector512<float> vb, int mode)
    {
        if (mode == 0)
        {
            Vector512.Store(x0 * va, c);
            Vector512.Store(x1 * va, c + 16);
        }
        else if (mode == 1)
        {
            Vector512.Store(Vector512.FusedMultiplyAdd(x0, va, Vector512.Load(c)), c);
            Vector512.Store(Vector512.FusedMultiplyAdd(x1, va, Vector512.Load(c + 16)), c + 16);
        }
        else
        {
            Vector512.Store(Vector512.FusedMultiplyAdd(x0, va, Vector512.Load(c) * vb), c);
            Vector512.Store(Vector512.FusedMultiplyAdd(x1, va, Vector512.Load(c + 16) * vb), c + 16);
        }
    }
}

/// <summary>
/// 6×16 AVX2 kernel (the classic Haswell shape): 12 ymm accumulators, 2 B loads and one broadcast register fill
/// 15 of the 16 ymm registers.
/// </summary>
internal readonly unsafe struct Vector256Kernel : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 144;
    public static int NC => 4096;
    public static int ASplat => 1;

    /// <inheritdoc cref="IMicroKernel.RunEdgeRows"/>
    public static void RunEdgeRows(int rows, int kc, float* a, nint sa, float* b, nint sb, float* tile) =>
        Run(kc, a, sa, b, sb, tile, NR, 1f, 0f);

    [SkipLocalsInit]
    public static void Run(int kc, float* a, nint sa, float* b, nint sb, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default; Vector256<float> c01 = default;
        Vector256<float> c10 = default; Vector256<float> c11 = default;
        Vector256<float> c20 = default; Vector256<float> c21 = default;
        Vector256<float> c30 = default; Vector256<float> c31 = default;
        Vector256<float> c40 = default; Vector256<float> c41 = default;
        Vector256<float> c50 = default; Vector256<float> c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b + 0);
            var b1 = Vector256.Load(b + 8);
            var a0 = Vector256.Create(a[0]);
            c00 = Fma256(a0, b0, c00); c01 = Fma256(a0, b1, c01);
            var a1 = Vector256.Create(a[1]);
            c10 = Fma256(a1, b0, c10); c11 = Fma256(a1, b1, c11);
            var a2 = Vector256.Create(a[2]);
            c20 = Fma256(a2, b0, c20); c21 = Fma256(a2, b1, c21);
            var a3 = Vector256.Create(a[3]);
            c30 = Fma256(a3, b0, c30); c31 = Fma256(a3, b1, c31);
            var a4 = Vector256.Create(a[4]);
            c40 = Fma256(a4, b0, c40); c41 = Fma256(a4, b1, c41);
            var a5 = Vector256.Create(a[5]);
            c50 = Fma256(a5, b0, c50); c51 = Fma256(a5, b1, c51);
            a += sa;
            b += sb;
        }

        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        int mode = beta == 0f ? 0 : beta == 1f ? 1 : 2;
        UpdateRow(c + 0 * ldc, c00, c01, va, vb, mode);
        UpdateRow(c + 1 * ldc, c10, c11, va, vb, mode);
        UpdateRow(c + 2 * ldc, c20, c21, va, vb, mode);
        UpdateRow(c + 3 * ldc, c30, c31, va, vb, mode);
        UpdateRow(c + 4 * ldc, c40, c41, va, vb, mode);
        UpdateRow(c + 5 * ldc, c50, c51, va, vb, mode);
    }

    // Fused where the hardware has FMA, multiply-then-add where it does not.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma256(Vector256<float> x, Vector256<float> y, Vector256<float> z) =>
        Vector256.MultiplyAddEstimate(x, y, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRow(float* c, Vector256<float> x0, Vector256<float> x1,
        Vector256<float> va, Vector256<float> vb, int mode)
    {
        if (mode == 0)
        {
            Vector256.Store(x0 * va, c);
            Vector256.Store(x1 * va, c + 8);
        }
        else if (mode == 1)
        {
            Vector256.Store(Fma256(x0, va, Vector256.Load(c)), c);
            Vector256.Store(Fma256(x1, va, Vector256.Load(c + 8)), c + 8);
        }
        else
        {
            Vector256.Store(Fma256(x0, va, Vector256.Load(c) * vb), c);
            Vector256.Store(Fma256(x1, va, Vector256.Load(c + 8) * vb), c + 8);
        }
    }
}

/// <summary>
/// 6×8 128-bit kernel for Arm (NEON, fused multiply-add; x86 uses <see cref="SseKernel"/>): 12 accumulators, 2 B loads, one broadcast and, without
/// FMA, one product temporary fill x64's 16 xmm registers. A is read as two overlapping 4-float loads per step and each
/// row broadcast by an in-register shuffle (one instruction on SSE2), cheaper than a scalar load plus shuffle per row.
/// </summary>
internal readonly unsafe struct Vector128Kernel : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 8;
    // B micro-panel 256×8 floats = 8 KiB stays in L1 while the A block (96×256 floats = 96 KiB) streams from L2.
    public static int KC => 256;
    public static int MC => 96;
    public static int NC => 4096;
    public static int ASplat => 1;

    /// <inheritdoc cref="IMicroKernel.RunEdgeRows"/>
    public static void RunEdgeRows(int rows, int kc, float* a, nint sa, float* b, nint sb, float* tile) =>
        Run(kc, a, sa, b, sb, tile, NR, 1f, 0f);

    [SkipLocalsInit]
    public static void Run(int kc, float* a, nint sa, float* b, nint sb, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default; Vector128<float> c01 = default;
        Vector128<float> c10 = default; Vector128<float> c11 = default;
        Vector128<float> c20 = default; Vector128<float> c21 = default;
        Vector128<float> c30 = default; Vector128<float> c31 = default;
        Vector128<float> c40 = default; Vector128<float> c41 = default;
        Vector128<float> c50 = default; Vector128<float> c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b + 0);
            var b1 = Vector128.Load(b + 4);
            var lo = Vector128.Load(a);      // rows 0-3
            var hi = Vector128.Load(a + 2);  // rows 2-5 (6 rows: the two loads overlap, never run past the panel)
            var a0 = Vector128.Shuffle(lo, Vector128.Create(0));
            c00 = Fma128(a0, b0, c00); c01 = Fma128(a0, b1, c01);
            var a1 = Vector128.Shuffle(lo, Vector128.Create(1));
            c10 = Fma128(a1, b0, c10); c11 = Fma128(a1, b1, c11);
            var a2 = Vector128.Shuffle(lo, Vector128.Create(2));
            c20 = Fma128(a2, b0, c20); c21 = Fma128(a2, b1, c21);
            var a3 = Vector128.Shuffle(lo, Vector128.Create(3));
            c30 = Fma128(a3, b0, c30); c31 = Fma128(a3, b1, c31);
            var a4 = Vector128.Shuffle(hi, Vector128.Create(2));
            c40 = Fma128(a4, b0, c40); c41 = Fma128(a4, b1, c41);
            var a5 = Vector128.Shuffle(hi, Vector128.Create(3));
            c50 = Fma128(a5, b0, c50); c51 = Fma128(a5, b1, c51);
            a += sa;
            b += sb;
        }

        var va = Vector128.Create(alpha);
        var vb = Vector128.Create(beta);
        int mode = beta == 0f ? 0 : beta == 1f ? 1 : 2;
        UpdateRow(c + 0 * ldc, c00, c01, va, vb, mode);
        UpdateRow(c + 1 * ldc, c10, c11, va, vb, mode);
        UpdateRow(c + 2 * ldc, c20, c21, va, vb, mode);
        UpdateRow(c + 3 * ldc, c30, c31, va, vb, mode);
        UpdateRow(c + 4 * ldc, c40, c41, va, vb, mode);
        UpdateRow(c + 5 * ldc, c50, c51, va, vb, mode);
    }

    // Fused where the hardware has FMA (NEON, x86 with FMA3), multiply-then-add where it does not (SSE only).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma128(Vector128<float> x, Vector128<float> y, Vector128<float> z) =>
        Vector128.MultiplyAddEstimate(x, y, z);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRow(float* c, Vector128<float> x0, Vector128<float> x1,
        Vector128<float> va, Vector128<float> vb, int mode)
    {
        if (mode == 0)
        {
            Vector128.Store(x0 * va, c);
            Vector128.Store(x1 * va, c + 4);
        }
        else if (mode == 1)
        {
            Vector128.Store(Fma128(x0, va, Vector128.Load(c)), c);
            Vector128.Store(Fma128(x1, va, Vector128.Load(c + 4)), c + 4);
        }
        else
        {
            Vector128.Store(Fma128(x0, va, Vector128.Load(c) * vb), c);
            Vector128.Store(Fma128(x1, va, Vector128.Load(c + 4) * vb), c + 4);
        }
    }
}

/// <summary>
/// 6×8 128-bit kernel for x86 without AVX (SSE2, or <c>DOTNET_EnableAVX=0</c>): there is no FMA and no broadcast from
/// memory, so a broadcast costs a shuffle on the same pipes as the multiplies and adds, and the two-operand SSE forms
/// need a copy per product. A is therefore packed pre-broadcast (<see cref="ASplat"/> = 4: each value stored as a whole
/// vector), and each product reads it as an aligned memory operand: 12 accumulators, 2 B vectors and one product
/// temporary fit the 16 xmm registers with no spill and no shuffle (the broadcast kernel spilled two accumulators).
/// </summary>
internal readonly unsafe struct SseKernel : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 8;
    // B micro-panel 256×8 floats = 8 KiB stays in L1; the pre-broadcast A block (48×256×4 floats = 192 KiB) sits in L2.
    public static int KC => 256;
    public static int MC => 48;
    public static int NC => 4096;
    public static int ASplat => 4;

    /// <summary>
    /// Rows in pairs (4 accumulators, each the same b·a then + chain over k as <see cref="Run"/>, so the same bits):
    /// a 2-row edge, e.g. batch 32 = 5×6 + 2, costs a third of a full tile instead of a whole one.
    /// </summary>
    public static void RunEdgeRows(int rows, int kc, float* a, nint sa, float* b, nint sb, float* tile)
    {
        for (int r = 0; r < rows; r += 2)
        {
            Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default;
            float* ap = a + r * 4, bp = b;
            for (int p = 0; p < kc; p++)
            {
                var b0 = Vector128.Load(bp + 0);
                var b1 = Vector128.Load(bp + 4);
                c00 += b0 * Vector128.LoadAligned(ap + 0); c01 += b1 * Vector128.LoadAligned(ap + 0);
                c10 += b0 * Vector128.LoadAligned(ap + 4); c11 += b1 * Vector128.LoadAligned(ap + 4);
                ap += sa;
                bp += sb;
            }
            float* t = tile + r * 8;
            Vector128.Store(c00, t); Vector128.Store(c01, t + 4);
            Vector128.Store(c10, t + 8); Vector128.Store(c11, t + 12);
        }
    }

    [SkipLocalsInit]
    public static void Run(int kc, float* a, nint sa, float* b, nint sb, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default; Vector128<float> c01 = default;
        Vector128<float> c10 = default; Vector128<float> c11 = default;
        Vector128<float> c20 = default; Vector128<float> c21 = default;
        Vector128<float> c30 = default; Vector128<float> c31 = default;
        Vector128<float> c40 = default; Vector128<float> c41 = default;
        Vector128<float> c50 = default; Vector128<float> c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b + 0);
            var b1 = Vector128.Load(b + 4);
            // b·a then + c: the SSE forms are mulps b-copy, [a] and addps c, product.
            c00 += b0 * Vector128.LoadAligned(a + 0); c01 += b1 * Vector128.LoadAligned(a + 0);
            c10 += b0 * Vector128.LoadAligned(a + 4); c11 += b1 * Vector128.LoadAligned(a + 4);
            c20 += b0 * Vector128.LoadAligned(a + 8); c21 += b1 * Vector128.LoadAligned(a + 8);
            c30 += b0 * Vector128.LoadAligned(a + 12); c31 += b1 * Vector128.LoadAligned(a + 12);
            c40 += b0 * Vector128.LoadAligned(a + 16); c41 += b1 * Vector128.LoadAligned(a + 16);
            c50 += b0 * Vector128.LoadAligned(a + 20); c51 += b1 * Vector128.LoadAligned(a + 20);
            a += sa;
            b += sb;
        }

        int mode = beta == 0f ? 0 : beta == 1f ? 1 : 2;
        UpdateRow(c + 0 * ldc, c00, c01, alpha, beta, mode);
        UpdateRow(c + 1 * ldc, c10, c11, alpha, beta, mode);
        UpdateRow(c + 2 * ldc, c20, c21, alpha, beta, mode);
        UpdateRow(c + 3 * ldc, c30, c31, alpha, beta, mode);
        UpdateRow(c + 4 * ldc, c40, c41, alpha, beta, mode);
        UpdateRow(c + 5 * ldc, c50, c51, alpha, beta, mode);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRow(float* c, Vector128<float> x0, Vector128<float> x1, float alpha, float beta, int mode)
    {
        var va = Vector128.Create(alpha);
        if (mode == 0)
        {
            Vector128.Store(x0 * va, c);
            Vector128.Store(x1 * va, c + 4);
            return;
        }
        var vb = Vector128.Create(beta);
        var y0 = mode == 1 ? Vector128.Load(c) : Vector128.Load(c) * vb;
        var y1 = mode == 1 ? Vector128.Load(c + 4) : Vector128.Load(c + 4) * vb;
        Vector128.Store(Vector128.MultiplyAddEstimate(x0, va, y0), c);
        Vector128.Store(Vector128.MultiplyAddEstimate(x1, va, y1), c + 4);
    }
}

/// <summary>Portable 4×8 scalar kernel for hardware without any accelerated vectors; correctness first.</summary>
internal readonly unsafe struct ScalarKernel : IMicroKernel
{
    public static int MR => 4;
    public static int NR => 8;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 2048;
    public static int ASplat => 1;

    /// <inheritdoc cref="IMicroKernel.RunEdgeRows"/>
    public static void RunEdgeRows(int rows, int kc, float* a, nint sa, float* b, nint sb, float* tile) =>
        Run(kc, a, sa, b, sb, tile, NR, 1f, 0f);

    [SkipLocalsInit]
    public static void Run(int kc, float* a, nint sa, float* b, nint sb, float* c, nint ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[4 * 8];
        new Span<float>(acc, 4 * 8).Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int i = 0; i < 4; i++)
            {
                float ai = a[i];
                float* row = acc + i * 8;
                for (int j = 0; j < 8; j++) row[j] += ai * b[j];
            }
            a += sa;
            b += sb;
        }
        for (int i = 0; i < 4; i++)
        {
            float* row = acc + i * 8;
            float* ci = c + i * ldc;
            for (int j = 0; j < 8; j++)
                ci[j] = beta == 0f ? alpha * row[j] : alpha * row[j] + beta * ci[j];
        }
    }
}
