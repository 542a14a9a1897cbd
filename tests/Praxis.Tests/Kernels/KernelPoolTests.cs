using Praxis.Kernels;

namespace Praxis.Tests.Kernels;

/// <summary>Tests that change the process-wide <see cref="KernelPool.NumThreads"/> run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelPoolCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "KernelPool";
}

[Collection(KernelPoolCollection.Name)]
public class KernelPoolTests
{
    private struct CountHits(int[] hits) : IParallelBody
    {
        public void Invoke(int index) => Interlocked.Increment(ref hits[index]);
    }

    private struct RecordThreads(int[] threadIds) : IParallelBody
    {
        public void Invoke(int index)
        {
            threadIds[index] = Environment.CurrentManagedThreadId;
            Thread.SpinWait(20_000); // long enough that a second thread joins
        }
    }

    private struct Nested(int[] hits) : IParallelBody
    {
        public void Invoke(int index)
        {
            Assert.Equal(1, KernelPool.MaxParallelism);
            var inner = new CountHits(hits);
            KernelPool.For(10, ref inner); // must run inline, not wait for the busy pool
        }
    }

    private struct Throws : IParallelBody
    {
        public void Invoke(int index)
        {
            if (index == 5) throw new InvalidOperationException("item 5");
        }
    }

    private static void WithThreads(int threads, Action action)
    {
        int saved = KernelPool.NumThreads;
        try
        {
            KernelPool.NumThreads = threads;
            action();
        }
        finally
        {
            KernelPool.NumThreads = saved;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RunsEveryItemExactlyOnce(int threads) => WithThreads(threads, () =>
    {
        foreach (int count in new[] { 0, 1, 2, 7, 1000 })
        {
            for (int rep = 0; rep < 20; rep++)
            {
                var hits = new int[count];
                var body = new CountHits(hits);
                KernelPool.For(count, ref body);
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        }
    });

    [Fact]
    public void OneThreadRunsInlineOnTheCaller() => WithThreads(1, () =>
    {
        var ids = new int[4];
        var body = new RecordThreads(ids);
        KernelPool.For(ids.Length, ref body);
        Assert.All(ids, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
    });

    [Fact]
    public void CallerTakesPartAndWorkersHelp() => WithThreads(2, () =>
    {
        if (Environment.ProcessorCount < 2) return;
        bool sawWorker = false, sawCaller = false;
        for (int rep = 0; rep < 50 && !(sawWorker && sawCaller); rep++)
        {
            var ids = new int[16];
            var body = new RecordThreads(ids);
            KernelPool.For(ids.Length, ref body);
            sawCaller |= ids.Contains(Environment.CurrentManagedThreadId);
            sawWorker |= ids.Any(id => id != Environment.CurrentManagedThreadId);
        }
        Assert.True(sawCaller && sawWorker);
    });

    [Fact]
    public void NestedLoopsRunInlineWithoutDeadlock() => WithThreads(2, () =>
    {
        var hits = new int[10];
        var body = new Nested(hits);
        KernelPool.For(8, ref body);
        Assert.All(hits, h => Assert.Equal(8, h));
    });

    [Fact]
    public void RethrowsTheFirstExceptionAfterAllItemsFinish() => WithThreads(2, () =>
    {
        var body = new Throws();
        var ex = Assert.Throws<InvalidOperationException>(() => KernelPool.For(10, ref body));
        Assert.Equal("item 5", ex.Message);
        var hits = new int[10];
        var ok = new CountHits(hits);
        KernelPool.For(10, ref ok); // the pool is usable afterwards
        Assert.All(hits, h => Assert.Equal(1, h));
    });

    [Fact]
    public void ConcurrentCallersDoNotInterfere() => WithThreads(2, () =>
    {
        var tasks = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int rep = 0; rep < 200; rep++)
            {
                var hits = new int[37];
                var body = new CountHits(hits);
                KernelPool.For(hits.Length, ref body);
                Assert.All(hits, h => Assert.Equal(1, h));
            }
        })).ToArray();
        Task.WaitAll(tasks);
    });

    [Fact]
    public void WarmLoopAllocatesNothing() => WithThreads(2, () =>
    {
        var hits = new int[64];
        var body = new CountHits(hits);
        KernelPool.For(hits.Length, ref body);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int rep = 0; rep < 100; rep++) KernelPool.For(hits.Length, ref body);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    });

    [Fact]
    public void RejectsInvalidThreadCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelPool.NumThreads = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelPool.NumThreads = -3);
    }
}
