using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Praxis.Kernels;

/// <summary>The instruction set a GEMM call runs on; tests force each one to cover all paths on one machine.</summary>
internal enum GemmIsa
{
    /// <summary>Portable scalar kernel.</summary>
    Scalar,
    /// <summary>128-bit vector kernel (SSE on x86 without AVX, NEON on Arm).</summary>
    Vector128,
    /// <summary>
    /// The Arm 128-bit kernel (A broadcast from registers), forced on any machine; only tests and benchmarks name it,
    /// so it is covered on x86 too, where <see cref="Vector128"/> runs the SSE kernel.
    /// </summary>
    Vector128Lanes,
    /// <summary>256-bit vector kernel (AVX2/FMA class).</summary>
    Vector256,
    /// <summary>512-bit vector kernel (AVX-512).</summary>
    Avx512,
}

/// <summary>
/// Single-precision general matrix multiply on row-major spans:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, where <c>op(X)</c> is X or its transpose.
/// </summary>
/// <remarks>
/// BLIS-style: blocks of op(A) and op(B) are packed into reused per-thread buffers and multiplied by a
/// register-blocked micro-kernel (AVX-512, AVX2, 128-bit SSE/NEON or scalar, whichever the hardware accelerates). Large products are
/// split over <see cref="KernelPool"/>; small ones run on the caller without scheduling or allocating.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>The fastest kernel this machine accelerates.</summary>
    internal static readonly GemmIsa BestIsa =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? GemmIsa.Avx512
        : Vector256.IsHardwareAccelerated ? GemmIsa.Vector256
        : Vector128.IsHardwareAccelerated ? GemmIsa.Vector128
        : GemmIsa.Scalar;

    /// <summary>
    /// Multiply-adds (m·n·k) below which a product runs on the caller only: waking a second thread and
    /// synchronising costs more than it saves there.
    /// </summary>
    internal const long ParallelThreshold = 1L << 21;

    /// <summary>
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C. Row-major; <paramref name="lda"/>, <paramref name="ldb"/>,
    /// <paramref name="ldc"/> are row strides of the stored matrices (A is stored k×m when <paramref name="transA"/>).
    /// When beta is 0, C is overwritten (NaNs in C are not propagated), as in BLAS.
    /// </summary>
    /// <param name="transA">Use Aᵀ: A is stored k×m.</param>
    /// <param name="transB">Use Bᵀ: B is stored n×k.</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="n">Columns of C and of op(B).</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product; 0 skips it (A and B are not read).</param>
    /// <param name="a">Stored A.</param>
    /// <param name="lda">Row stride of stored A (at least its column count).</param>
    /// <param name="b">Stored B.</param>
    /// <param name="ldb">Row stride of stored B (at least its column count).</param>
    /// <param name="beta">Scale of the existing C; 0 overwrites it.</param>
    /// <param name="c">C, m×n, updated in place. Must not overlap A or B.</param>
    /// <param name="ldc">Row stride of C (at least n).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or a stride is smaller than its row.</exception>
    /// <exception cref="ArgumentException">A span is too short for its matrix.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, BestIsa);

    /// <summary><see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/> on a chosen kernel.</summary>
    internal static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, GemmIsa isa)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckMatrix(c.Length, m, n, ldc, nameof(c), nameof(ldc));
        if (m == 0 || n == 0) return;
        bool product = k > 0 && alpha != 0f;
        if (product)
        {
            // Kernels run on raw pointers, so every element they may touch is bounds-checked here, once.
            CheckMatrix(a.Length, transA ? k : m, transA ? m : k, lda, nameof(a), nameof(lda));
            CheckMatrix(b.Length, transB ? n : k, transB ? k : n, ldb, nameof(b), nameof(ldb));
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            if (!product)
            {
                ScaleC(m, n, beta, pc, ldc);
                return;
            }
            switch (isa)
            {
                case GemmIsa.Avx512 when Avx512F.IsSupported:
                    Run<Avx512Kernel>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                    break;
                case GemmIsa.Avx512 or GemmIsa.Vector256 when Vector256.IsHardwareAccelerated:
                    Run<Vector256Kernel>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                    break;
                case GemmIsa.Avx512 or GemmIsa.Vector256 or GemmIsa.Vector128 when Vector128.IsHardwareAccelerated && Sse.IsSupported:
                    Run<SseKernel>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                    break;
                case GemmIsa.Avx512 or GemmIsa.Vector256 or GemmIsa.Vector128 or GemmIsa.Vector128Lanes when Vector128.IsHardwareAccelerated:
                    Run<Vector128Kernel>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                    break;
                default:
                    Run<ScalarKernel>(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                    break;
            }
        }
    }

    private static void CheckMatrix(int length, int rows, int cols, int ld, string name, string ldName)
    {
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentOutOfRangeException(ldName, ld, $"Row stride must be at least {cols}.");
        if ((long)(rows - 1) * ld + cols > length)
            throw new ArgumentException($"Span of length {length} is too short for a {rows}×{cols} matrix with row stride {ld}.", name);
    }

    /// <summary>C = beta · C when there is no product to add (BLAS quick return); beta 0 clears, so NaNs vanish.</summary>
    private static void ScaleC(int m, int n, float beta, float* c, nint ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0f) row.Clear();
            else TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void Run<K>(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc) where K : IMicroKernel
    {
        var p = new Problem(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        using var lease = PackBuffers.Rent();
        int threads = KernelPool.MaxParallelism;
        if (threads > 1 && (long)m * n * k >= ParallelThreshold) RunParallel<K>(in p, threads);
        else RunSerial<K>(in p);
    }

    /// <summary>The operands of one call, passed by reference between the driver's stages.</summary>
    private readonly struct Problem(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
    {
        public readonly bool TransA = transA, TransB = transB;
        public readonly int M = m, N = n, K = k;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly float* A = a, B = b, C = c;
        public readonly nint Lda = lda, Ldb = ldb, Ldc = ldc;
    }

    /// <summary>Splits <paramref name="length"/> into equal blocks of at most <paramref name="max"/>, rounded up to <paramref name="multiple"/>.</summary>
    private static int BlockSize(int length, int max, int multiple)
    {
        int blocks = (length + max - 1) / max;
        int size = (length + blocks - 1) / blocks;
        return (size + multiple - 1) / multiple * multiple;
    }

    [SkipLocalsInit]
    private static void RunSerial<K>(in Problem p) where K : IMicroKernel
    {
        // Equal-sized blocks avoid a thin last block (e.g. k = 784 runs as 2×392, not 512 + 272).
        int kcMax = BlockSize(p.K, K.KC, 1);
        int ncMax = BlockSize(p.N, K.NC, K.NR);
        int mcMax = BlockSize(p.M, K.MC, K.MR);
        var buffers = PackBuffers.Current;
        float* packA = buffers.A(mcMax * kcMax * K.ASplat);
        float* packB = buffers.B(ncMax * kcMax);

        // A small product reuses each packed panel only a few times, so packing can cost as much as the multiply.
        // Where a panel's k-steps are already contiguous rows (B as stored, or Aᵀ), the kernel reads them in place;
        // only a ragged last panel is packed, because reading a full-width panel there would run past the matrix.
        // Large products always pack: with power-of-two strides, in-place panels would thrash the L1 sets.
        bool small = (long)p.M * p.N * p.K < ParallelThreshold;
        bool directA = small && p.TransA && K.ASplat == 1;
        bool directB = small && !p.TransB;
        for (int jc = 0; jc < p.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, p.N - jc);
            int panels = (nc + K.NR - 1) / K.NR;
            for (int pc = 0; pc < p.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                float beta = pc == 0 ? p.Beta : 1f;
                Panels bPanels;
                if (directB)
                {
                    int full = nc / K.NR;
                    if (full < panels)
                        GemmPacking.PackB<K>(false, p.B, p.Ldb, pc, kc, jc + full * K.NR, nc - full * K.NR, 0, 1, packB);
                    bPanels = new Panels(p.B + pc * p.Ldb + jc, K.NR, p.Ldb, full, packB, K.NR);
                }
                else
                {
                    GemmPacking.PackB<K>(p.TransB, p.B, p.Ldb, pc, kc, jc, nc, 0, panels, packB);
                    bPanels = Panels.Packed(packB, K.NR, kc);
                }
                for (int ic = 0; ic < p.M; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, p.M - ic);
                    Panels aPanels;
                    if (directA)
                    {
                        int full = mc / K.MR;
                        if (full * K.MR < mc)
                            GemmPacking.PackA<K>(true, p.A, p.Lda, ic + full * K.MR, mc - full * K.MR, pc, kc, packA);
                        aPanels = new Panels(p.A + pc * p.Lda + ic, K.MR, p.Lda, full, packA, K.MR);
                    }
                    else
                    {
                        GemmPacking.PackA<K>(p.TransA, p.A, p.Lda, ic, mc, pc, kc, packA);
                        aPanels = Panels.Packed(packA, K.MR * K.ASplat, kc);
                    }
                    MacroKernel<K>(mc, nc, kc, aPanels, bPanels, 0, panels, p.C + ic * p.Ldc + jc, p.Ldc, p.Alpha, beta);
                }
            }
        }
    }

    /// <summary>
    /// Where the micro-kernel finds panel q of an A or B block: the first <c>full</c> panels at
    /// <c>first + q·panelStep</c> with k-stride <c>kStride</c>, any later one packed at <c>edge</c> with k-stride
    /// <c>width</c>.
    /// </summary>
    private readonly struct Panels(float* first, nint panelStep, nint kStride, int full, float* edge, int width)
    {
        /// <summary>All panels packed contiguously, <paramref name="width"/> floats per k-step.</summary>
        public static Panels Packed(float* buffer, int width, int kc) =>
            new(buffer, (nint)width * kc, width, int.MaxValue, null, width);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float* Get(int q, out nint stride)
        {
            if (q < full)
            {
                stride = kStride;
                return first + q * panelStep;
            }
            stride = width;
            return edge;
        }
    }

    private static void RunParallel<K>(in Problem p, int threads) where K : IMicroKernel
    {
        int kcMax = BlockSize(p.K, K.KC, 1);
        int ncMax = BlockSize(p.N, K.NC, K.NR);

        // Each core packs its own A block into its private L2 and shares the packed B block (via L3). Aim for
        // two items per thread so a core slowed by other load does not hold up the rest.
        // A block count that is a multiple of the thread count keeps the last round of items from running on one
        // core alone (11 blocks on 2 threads would waste 1/12 of the machine).
        int target = 2 * threads;
        int mBlocks = (p.M + K.MC - 1) / K.MC;
        mBlocks = Math.Max(mBlocks, target);
        mBlocks = (mBlocks + threads - 1) / threads * threads;
        mBlocks = Math.Max(1, Math.Min(mBlocks, p.M / (4 * K.MR))); // but no thinner than 4 micro-panels
        int mcMax = BlockSize(p.M, (p.M + mBlocks - 1) / mBlocks, K.MR);
        mBlocks = (p.M + mcMax - 1) / mcMax;

        // Two B buffers: while one k-block is multiplied, the next is packed into the other by extra items queued
        // after the compute items. They are claimed last, so they fill the tail where a core would otherwise wait
        // for the final compute item, and each k-block costs one pool round trip instead of two.
        nint blockFloats = (nint)ncMax * kcMax;
        float* packB0 = PackBuffers.Current.B((int)(2 * blockFloats));
        // Size the caller's A buffer now: whether it claims a compute item varies from call to call, and a first claim
        // on a later call would otherwise grow it there (a warm call must not allocate).
        PackBuffers.Current.A(mcMax * kcMax * K.ASplat);
        int packItems = threads;
        for (int jc = 0; jc < p.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, p.N - jc);
            int panels = (nc + K.NR - 1) / K.NR;
            int panelsPerPack = (panels + packItems - 1) / packItems;
            int nChunks = mBlocks >= target ? 1 : Math.Min(panels, (target + mBlocks - 1) / mBlocks);
            var first = new PackBJob<K>(p.TransB, p.B, p.Ldb, 0, Math.Min(kcMax, p.K), jc, nc, packB0, panelsPerPack, panels);
            KernelPool.For((panels + panelsPerPack - 1) / panelsPerPack, ref first);
            for (int pc = 0, block = 0; pc < p.K; pc += kcMax, block++)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                float* packB = packB0 + (block & 1) * blockFloats;
                int pcNext = pc + kcMax;
                var next = new PackBJob<K>(p.TransB, p.B, p.Ldb, pcNext, Math.Min(kcMax, p.K - pcNext), jc, nc,
                    packB0 + ((block + 1) & 1) * blockFloats, panelsPerPack, panels);
                int computeItems = mBlocks * nChunks;
                var compute = new ComputeJob<K>(in p, pc, kc, jc, nc, packB, mcMax, nChunks,
                    panelsPerChunk: (panels + nChunks - 1) / nChunks, panels, pc == 0 ? p.Beta : 1f,
                    computeItems, next);
                int nextItems = pcNext < p.K ? (panels + panelsPerPack - 1) / panelsPerPack : 0;
                KernelPool.For(computeItems + nextItems, ref compute);
            }
        }
    }

    /// <summary>Packs a share of the B block's panels.</summary>
    private readonly struct PackBJob<K>(bool transB, float* b, nint ldb, int pc, int kc, int jc, int nc,
        float* dst, int panelsPerItem, int panels) : IParallelBody where K : IMicroKernel
    {
        public void Invoke(int index)
        {
            int q0 = index * panelsPerItem;
            GemmPacking.PackB<K>(transB, b, ldb, pc, kc, jc, nc, q0, Math.Min(panels, q0 + panelsPerItem), dst);
        }
    }

    /// <summary>
    /// Items below <c>computeItems</c>: one (A block, range of B panels) tile of C; packs the A block into this
    /// thread's buffer, then multiplies. Later items pack a share of the next k-block of B.
    /// </summary>
    private readonly struct ComputeJob<K> : IParallelBody where K : IMicroKernel
    {
        private readonly Problem _p;
        private readonly int _pc, _kc, _jc, _nc, _mcMax, _nChunks, _panelsPerChunk, _panels;
        private readonly float* _packB;
        private readonly float _beta;
        private readonly int _computeItems;
        private readonly PackBJob<K> _next;

        public ComputeJob(in Problem p, int pc, int kc, int jc, int nc, float* packB, int mcMax, int nChunks,
            int panelsPerChunk, int panels, float beta, int computeItems, PackBJob<K> next)
        {
            _p = p;
            _computeItems = computeItems;
            _next = next;
            _pc = pc; _kc = kc; _jc = jc; _nc = nc; _packB = packB;
            _mcMax = mcMax; _nChunks = nChunks; _panelsPerChunk = panelsPerChunk; _panels = panels; _beta = beta;
        }

        public void Invoke(int index)
        {
            if (index >= _computeItems)
            {
                _next.Invoke(index - _computeItems);
                return;
            }
            int ic = index / _nChunks * _mcMax;
            int q0 = index % _nChunks * _panelsPerChunk;
            int q1 = Math.Min(_panels, q0 + _panelsPerChunk);
            if (q0 >= q1) return;
            int mc = Math.Min(_mcMax, _p.M - ic);
            float* packA = PackBuffers.Current.A(_mcMax * _kc * K.ASplat);
            GemmPacking.PackA<K>(_p.TransA, _p.A, _p.Lda, ic, mc, _pc, _kc, packA);
            MacroKernel<K>(mc, _nc, _kc, Panels.Packed(packA, K.MR * K.ASplat, _kc), Panels.Packed(_packB, K.NR, _kc), q0, q1,
                _p.C + ic * _p.Ldc + _jc, _p.Ldc, _p.Alpha, _beta);
        }
    }

    /// <summary>
    /// Multiplies an mc×kc A block by B panels [q0, q1) into C (C points at the block's top-left corner).
    /// Each B micro-panel stays in cache while the A block's panels stream past it.
    /// </summary>
    [SkipLocalsInit]
    private static void MacroKernel<K>(int mc, int nc, int kc, in Panels a, in Panels b, int q0, int q1,
        float* c, nint ldc, float alpha, float beta) where K : IMicroKernel
    {
        float* tile = stackalloc float[K.MR * K.NR];
        for (int q = q0; q < q1; q++)
        {
            int nr = Math.Min(K.NR, nc - q * K.NR);
            float* bp = b.Get(q, out nint sb);
            float* cq = c + q * K.NR;
            for (int i = 0; i < mc; i += K.MR)
            {
                int mr = Math.Min(K.MR, mc - i);
                float* ap = a.Get(i / K.MR, out nint sa);
                float* cij = cq + i * ldc;
                if (mr == K.MR && nr == K.NR)
                {
                    K.Run(kc, ap, sa, bp, sb, cij, ldc, alpha, beta);
                }
                else
                {
                    // Ragged edge: compute the full padded tile aside, then merge only the valid part.
                    if (nr == K.NR) K.RunEdgeRows(mr, kc, ap, sa, bp, sb, tile);
                    else K.Run(kc, ap, sa, bp, sb, tile, K.NR, 1f, 0f);
                    MergeTile(tile, K.NR, cij, ldc, mr, nr, alpha, beta);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MulAdd(float x, float y, float z) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? MathF.FusedMultiplyAdd(x, y, z) : x * y + z;

    private static void MergeTile(float* tile, int ldt, float* c, nint ldc, int mr, int nr, float alpha, float beta)
    {
        for (int i = 0; i < mr; i++)
        {
            float* t = tile + i * ldt;
            float* ci = c + i * ldc;
            // The full-tile kernels' expressions (fused where the hardware fuses, as their MultiplyAddEstimate does),
            // so a row's bits do not depend on whether the blocking (which follows the thread count) made it an edge row.
            if (beta == 0f)
                for (int j = 0; j < nr; j++) ci[j] = alpha * t[j];
            else
                for (int j = 0; j < nr; j++) ci[j] = MulAdd(t[j], alpha, beta == 1f ? ci[j] : ci[j] * beta);
        }
    }
}

/// <summary>
/// Packing buffers, reused across calls so a warm GEMM allocates nothing. They live on the pinned object heap, so their
/// 64-byte-aligned addresses stay valid without pinning each call. Kernel-pool workers (a bounded set) keep their own;
/// any other thread rents a set for the length of one call from a pool of at most <see cref="PoolCapacity"/>, so a
/// server with hundreds of request threads holds as many buffers as run GEMMs at once (up to the cap), not one per thread.
/// </summary>
internal sealed unsafe class PackBuffers
{
    /// <summary>Idle sets kept for reuse: enough for every core to run a caller's GEMM at once; extra sets are dropped.</summary>
    internal static readonly int PoolCapacity = Math.Max(2, Environment.ProcessorCount);

    private static readonly PackBuffers?[] s_pool = new PackBuffers?[PoolCapacity];
    private static int s_pooled;
    private static readonly Lock s_poolLock = new();

    // A worker's own set, or the set a caller rented for the call in progress on this thread.
    [ThreadStatic] private static PackBuffers? t_current;

    private float[]? _a, _b;
    private float* _pa, _pb;
    private int _capA, _capB;

    /// <summary>Idle sets in the pool now.</summary>
    internal static int Pooled
    {
        get { lock (s_poolLock) return s_pooled; }
    }

    /// <summary>
    /// The calling thread's buffers: a worker's own, or the set rented by the GEMM call running on this thread. A
    /// thread outside both has none (a GEMM entry point rents first).
    /// </summary>
    public static PackBuffers Current => t_current ?? (KernelPool.IsWorkerThread
        ? t_current = new PackBuffers()
        : throw new InvalidOperationException("PackBuffers.Current outside a GEMM call: rent buffers with PackBuffers.Rent() first."));

    /// <summary>
    /// Gives this thread a set for one call (a no-op on a worker, or when the thread already holds one); dispose the
    /// lease to hand it back.
    /// </summary>
    public static Lease Rent()
    {
        if (t_current != null || KernelPool.IsWorkerThread) return default;
        PackBuffers? rented = null;
        lock (s_poolLock)
        {
            if (s_pooled > 0)
            {
                rented = s_pool[--s_pooled];
                s_pool[s_pooled] = null;
            }
        }
        t_current = rented ?? new PackBuffers();
        return new Lease(t_current);
    }

    /// <summary>A set rented by <see cref="Rent"/>; disposing returns it to the pool, or drops it when the pool is full.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly PackBuffers? _buffers;

        internal Lease(PackBuffers buffers) => _buffers = buffers;

        /// <summary>Returns the set.</summary>
        public void Dispose()
        {
            if (_buffers == null) return;
            t_current = null;
            lock (s_poolLock)
            {
                if (s_pooled < s_pool.Length) s_pool[s_pooled++] = _buffers;
            }
        }
    }
    /// <summary>A buffer of at least <paramref name="floats"/> for packed A; contents are not preserved across growth.</summary>
    public float* A(int floats)
    {
        if (floats > _capA) Grow(ref _a, ref _pa, ref _capA, floats);
        return _pa;
    }

    /// <summary>A buffer of at least <paramref name="floats"/> for packed B; contents are not preserved across growth.</summary>
    public float* B(int floats)
    {
        if (floats > _capB) Grow(ref _b, ref _pb, ref _capB, floats);
        return _pb;
    }

    private static void Grow(ref float[]? array, ref float* aligned, ref int capacity, int floats)
    {
        int size = (floats + 4095) & ~4095; // round up so slightly larger calls do not regrow
        array = GC.AllocateUninitializedArray<float>(size + 16, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref array[0]);
        aligned = (float*)((address + 63) & ~(nint)63);
        capacity = size;
    }
}
