using Praxis.Kernels;

namespace Praxis.Tests.Kernels;

// NumThreads is process-wide; keep every test that changes it in this one (sequential) collection.
[Collection(KernelPoolCollection.Name)]
public class GemmTests
{
    private static readonly (bool TransA, bool TransB)[] AllTransposes = [(false, false), (true, false), (false, true), (true, true)];

    /// <summary>(m, k, n) shapes: odd, ragged, larger than one cache block, and the seed model's forward/backward GEMMs.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 },
        { 7, 7, 7 },
        { 33, 33, 33 },
        { 5, 17, 300 },
        { 64, 129, 3 },
        { 300, 260, 41 },   // parallel above the threshold
        { 70, 1100, 40 },   // several k blocks, serial and parallel
        { 600, 40, 100 },   // several m blocks
        { 32, 512, 300 },   // too few rows to split: the parallel path splits columns
        { 9, 3, 4200 },     // more columns than one packed B block
        { 32, 784, 64 },    // seed forward, layer 1
        { 32, 64, 10 },     // seed forward, layer 2
        { 784, 32, 64 },    // seed backward dW1 = Xᵀ·dY (AᵀB)
        { 32, 64, 784 },    // seed backward dX = dY·Wᵀ (ABᵀ)
        { 64, 32, 10 },
        { 32, 10, 64 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesReferenceForAllTransposesAndThreadCounts(int m, int k, int n)
    {
        var rng = new Random(m * 7919 + k * 104729 + n);
        foreach (var (ta, tb) in AllTransposes)
        {
            var problem = new Problem(rng, ta, tb, m, n, k, pad: 3);
            problem.Check(alpha: 1f, beta: 0f, threads: [1, 2]);
        }
    }

    [Fact]
    public void MatchesReferenceAt257()
    {
        var rng = new Random(257);
        foreach (var (ta, tb) in AllTransposes)
        {
            var problem = new Problem(rng, ta, tb, 257, 257, 257, pad: 0);
            problem.Check(alpha: 1f, beta: 0f, threads: [1, 2]);
        }
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(0.5f, 1f)]
    [InlineData(-1.5f, 0.25f)]
    [InlineData(2f, -1f)]
    public void HonoursAlphaAndBeta(float alpha, float beta)
    {
        var rng = new Random(17);
        foreach (var (m, k, n) in new[] { (33, 65, 47), (130, 200, 90), (40, 1100, 60) })
            foreach (var (ta, tb) in AllTransposes)
                new Problem(rng, ta, tb, m, n, k, pad: 5).Check(alpha, beta, threads: [1, 2]);
    }

    [Theory]
    [InlineData(8, 16, 32)]
    [InlineData(130, 200, 90)]
    public void BetaZeroOverwritesNaN(int m, int k, int n)
    {
        var rng = new Random(3);
        foreach (var (ta, tb) in AllTransposes)
        {
            var problem = new Problem(rng, ta, tb, m, n, k, pad: 2);
            problem.FillC(float.NaN);
            problem.Check(alpha: 0.75f, beta: 0f, threads: [1, 2]);
        }
    }

    [Fact]
    public void AlphaZeroOrEmptyDepthOnlyScalesC()
    {
        var rng = new Random(5);
        var problem = new Problem(rng, false, false, 9, 11, 13, pad: 1);
        Array.Fill(problem.A, float.NaN); // must not be read when alpha is 0
        problem.Check(alpha: 0f, beta: 0.5f, threads: [1]);
        problem.FillC(float.NaN);
        problem.Check(alpha: 0f, beta: 0f, threads: [1]);

        var empty = new Problem(rng, true, true, 6, 5, 0, pad: 1);
        empty.Check(alpha: 1f, beta: -2f, threads: [1]);
    }

    [Theory]
    [InlineData((int)GemmIsa.Scalar)]
    [InlineData((int)GemmIsa.Vector128)]
    [InlineData((int)GemmIsa.Vector128Lanes)]
    [InlineData((int)GemmIsa.Vector256)]
    public void EveryKernelMatchesReference(int isaValue) => CheckKernel((GemmIsa)isaValue);

    // Forcing Avx512 where it is unsupported would run a narrower kernel and pass vacuously, so it is skipped instead.
    [Avx512Fact]
    public void Avx512KernelMatchesReference() => CheckKernel(GemmIsa.Avx512);

    [Theory]
    [InlineData((int)GemmIsa.Vector128, false)]
    [InlineData((int)GemmIsa.Vector128, true)]
    public void RaggedBottomRowsGetTheBitsOfFullTileRows(int isaValue, bool transA)
    {
        // Row i of C must not depend on whether the blocking made it a full-tile or a ragged-edge row (the 128-bit
        // kernel computes edge rows with a narrower loop): the first m rows of a 36-row product, for every m, bit for bit.
        var isa = (GemmIsa)isaValue;
        var rng = new Random(36);
        const int k = 300, n = 24, full = 36;
        float[] a = new float[full * k], b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5);
        // Aᵀ stored k×full keeps the first m rows of op(A) a prefix of every row of the store.
        float[] at = new float[k * full];
        for (int i = 0; i < full; i++) for (int p = 0; p < k; p++) at[p * full + i] = a[i * k + p];
        var want = new float[full * n];
        if (transA) Gemm.Sgemm(true, false, full, n, k, 1.5f, at, full, b, n, 0f, want, n, isa);
        else Gemm.Sgemm(false, false, full, n, k, 1.5f, a, k, b, n, 0f, want, n, isa);
        for (int m = 1; m < full; m++)
        {
            var c = new float[m * n];
            if (transA) Gemm.Sgemm(true, false, m, n, k, 1.5f, at, full, b, n, 0f, c, n, isa);
            else Gemm.Sgemm(false, false, m, n, k, 1.5f, a, k, b, n, 0f, c, n, isa);
            for (int i = 0; i < c.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(c[i]) == BitConverter.SingleToInt32Bits(want[i]),
                    $"{isa} transA={transA} m={m}: C[{i / n},{i % n}] = {c[i]:R}, full-tile row gives {want[i]:R}");
        }
    }

    private static void CheckKernel(GemmIsa isa)
    {
        var rng = new Random((int)isa + 11);
        foreach (var (m, k, n) in new[] { (1, 1, 1), (7, 9, 5), (33, 70, 35), (45, 300, 70), (130, 200, 90), (200, 530, 50) })
            foreach (var (ta, tb) in AllTransposes)
                new Problem(rng, ta, tb, m, n, k, pad: 3).Check(alpha: 1.25f, beta: 0.5f, threads: [1, 2], isa);
    }

    [Fact]
    public void WarmSeedShapesAllocateNothing()
    {
        (bool, bool, int, int, int)[] seed =
        [
            (false, false, 32, 784, 64), (false, false, 32, 64, 10),
            (true, false, 784, 32, 64), (false, true, 32, 64, 784),
            (true, false, 64, 32, 10), (false, true, 32, 10, 64),
            (false, false, 256, 256, 256), // parallel path: the caller must not allocate either
        ];
        var rng = new Random(1);
        var problems = seed.Select(s => new Problem(rng, s.Item1, s.Item2, s.Item3, s.Item5, s.Item4, pad: 0)).ToArray();
        foreach (var p in problems) p.Run(1f, 0f); // warm-up: JIT, packing buffers, pool threads

        // Other test classes run kernels at the same time, so the warm-up may have found the pool busy and run inline;
        // the first call that then gets the pool starts its worker threads (a one-time allocation of a few KiB). A
        // cost per call shows in every round, so up to three rounds are measured and one of them must be clean.
        long allocated = 0;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int rep = 0; rep < 3; rep++)
                foreach (var p in problems) p.Run(1f, 0f);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0) break;
        }
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var a = new float[12];
        var b = new float[12];
        var c = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 3, 4, 1f, a, 4, b, 3, 0f, c, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, 3, 3, 4, 1f, a, 3, b, 3, 0f, c, 3));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 3, 3, 4, 1f, a, 4, b, 3, 0f, c.AsSpan(0, 8), 3));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 3, 3, 4, 1f, a, 4, b.AsSpan(0, 11), 4, 0f, c, 3));
    }

    [Fact]
    public void SgemmInsidePoolWorkersRunsInline()
    {
        int saved = KernelPool.NumThreads;
        try
        {
            KernelPool.NumThreads = 2;
            var rng = new Random(9);
            var problems = Enumerable.Range(0, 4).Select(_ => new Problem(rng, false, true, 200, 200, 200, pad: 0)).ToArray();
            var body = new NestedGemm(problems);
            KernelPool.For(problems.Length, ref body);
            foreach (var p in problems) p.Verify(1f, 0f);
        }
        finally
        {
            KernelPool.NumThreads = saved;
        }
    }

    private readonly struct NestedGemm(Problem[] problems) : IParallelBody
    {
        public void Invoke(int index) => problems[index].Run(1f, 0f);
    }

    /// <summary>Random operands with padded strides, a double-accumulated reference, and checks of the padding.</summary>
    private sealed class Problem
    {
        private const float Sentinel = 12345f;
        private readonly bool _ta, _tb;
        private readonly int _m, _n, _k, _lda, _ldb, _ldc;
        public readonly float[] A, B;
        private readonly float[] _c0;
        private float[] _c = [];

        public Problem(Random rng, bool transA, bool transB, int m, int n, int k, int pad)
        {
            _ta = transA; _tb = transB; _m = m; _n = n; _k = k;
            int aRows = transA ? k : m, aCols = transA ? m : k;
            int bRows = transB ? n : k, bCols = transB ? k : n;
            _lda = aCols + pad; _ldb = bCols + pad; _ldc = n + pad;
            A = Random(rng, aRows * _lda);
            B = Random(rng, bRows * _ldb);
            _c0 = Random(rng, m * _ldc);
            for (int i = 0; i < m; i++)
                for (int j = n; j < _ldc; j++) _c0[i * _ldc + j] = Sentinel;
        }

        private static float[] Random(Random rng, int length)
        {
            var x = new float[length];
            for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            return x;
        }

        public void FillC(float value)
        {
            for (int i = 0; i < _m; i++) Array.Fill(_c0, value, i * _ldc, _n);
        }

        public void Run(float alpha, float beta, GemmIsa? isa = null)
        {
            if (_c.Length != _c0.Length) _c = new float[_c0.Length];
            _c0.CopyTo(_c, 0);
            if (isa is { } forced) Gemm.Sgemm(_ta, _tb, _m, _n, _k, alpha, A, _lda, B, _ldb, beta, _c, _ldc, forced);
            else Gemm.Sgemm(_ta, _tb, _m, _n, _k, alpha, A, _lda, B, _ldb, beta, _c, _ldc);
        }

        public void Check(float alpha, float beta, int[] threads, GemmIsa? isa = null)
        {
            int saved = KernelPool.NumThreads;
            try
            {
                foreach (int t in threads)
                {
                    KernelPool.NumThreads = t;
                    Run(alpha, beta, isa);
                    Verify(alpha, beta, $"threads={t} isa={isa}");
                }
            }
            finally
            {
                KernelPool.NumThreads = saved;
            }
        }

        public void Verify(float alpha, float beta, string context = "")
        {
            // Worst-case float error of a k-term dot product of values in [-1, 1] grows linearly in k.
            double tol = 1e-6 * (Math.Abs(alpha) * (2.0 * _k + 4) + Math.Abs(beta) * 2 + 1);
            for (int i = 0; i < _m; i++)
            {
                for (int j = 0; j < _n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < _k; p++)
                    {
                        double aip = _ta ? A[p * _lda + i] : A[i * _lda + p];
                        double bpj = _tb ? B[j * _ldb + p] : B[p * _ldb + j];
                        s += aip * bpj;
                    }
                    double expected = alpha == 0f ? 0 : alpha * s;
                    if (beta != 0f) expected += beta * (double)_c0[i * _ldc + j];
                    float actual = _c[i * _ldc + j];
                    if (!(Math.Abs(actual - expected) <= tol))
                        Assert.Fail($"C[{i},{j}] = {actual}, expected {expected} (tol {tol}) for m={_m} n={_n} k={_k} " +
                            $"transA={_ta} transB={_tb} alpha={alpha} beta={beta} {context}");
                }
                for (int j = _n; j < _ldc; j++)
                    Assert.True(_c[i * _ldc + j] == Sentinel, $"padding C[{i},{j}] was written ({context})");
            }
        }
    }
}

/// <summary>A fact skipped, with the reason, where AVX-512 is not available to the runtime.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported || !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
            Skip = "AVX-512 is not supported here (or disabled by DOTNET_EnableAVX512F=0): the Avx512 GEMM kernel cannot run.";
    }
}
