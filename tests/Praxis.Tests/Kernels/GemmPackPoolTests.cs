using Praxis.Kernels;

namespace Praxis.Tests.Kernels;

/// <summary>
/// GEMM packing buffers are rented per call from a bounded pool rather than kept per thread, so a server's many request
/// threads do not each pin a set for the life of the thread.
/// </summary>
[Collection(KernelPoolCollection.Name)]
public class GemmPackPoolTests
{
    private const int M = 48, N = 40, K = 300; // serial size: each caller packs with its own rented set

    private static float[] Reference(float[] a, float[] b)
    {
        var c = new float[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double s = 0;
                for (int p = 0; p < K; p++) s += (double)a[i * K + p] * b[p * N + j];
                c[i * N + j] = (float)s;
            }
        return c;
    }

    [Fact]
    public void ManyThreadsShareABoundedPoolAndGetCorrectProducts()
    {
        var rng = new Random(5);
        var a = Enumerable.Range(0, M * K).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var b = Enumerable.Range(0, K * N).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var expected = Reference(a, b);
        int callers = 4 * PackBuffers.PoolCapacity;
        using var start = new Barrier(callers);
        var worst = new float[callers];
        var threads = Enumerable.Range(0, callers).Select(t => new Thread(() =>
        {
            var c = new float[M * N];
            start.SignalAndWait();
            for (int r = 0; r < 10; r++)
            {
                Gemm.Sgemm(false, false, M, N, K, 1f, a, K, b, N, 0f, c, N);
                for (int i = 0; i < c.Length; i++) worst[t] = Math.Max(worst[t], Math.Abs(c[i] - expected[i]));
            }
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();

        Assert.All(worst, w => Assert.True(w < 1e-4f, $"max error {w}"));
        // The threads are gone; their sets came back to the pool (per-thread buffers would leave it empty), up to the cap.
        Assert.InRange(PackBuffers.Pooled, 1, PackBuffers.PoolCapacity);
    }

    [Fact]
    public void ANewThreadReusesAPooledSetInsteadOfAllocatingOne()
    {
        var a = new float[M * K];
        var b = new float[K * N];
        var c = new float[M * N];
        Gemm.Sgemm(false, false, M, N, K, 1f, a, K, b, N, 0f, c, N); // leaves a set of this size in the pool
        long allocated = -1;
        var fresh = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Gemm.Sgemm(false, false, M, N, K, 1f, a, K, b, N, 0f, c, N);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        fresh.Start();
        fresh.Join();
        // A set for this call is over 50 KB (packed A alone is 48×300 floats); a pooled one costs nothing but the new
        // thread's own bookkeeping (its thread-static storage: a few hundred bytes).
        Assert.InRange(allocated, 0, 4096);
    }
}
