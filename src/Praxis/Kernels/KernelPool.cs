using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Praxis.Kernels;

/// <summary>
/// One unit of parallel work for <see cref="KernelPool.For{TBody}(int, ref TBody)"/>.
/// Implement it on a struct that carries the loop's inputs as fields, so no closure is allocated.
/// </summary>
public interface IParallelBody
{
    /// <summary>Runs work item <paramref name="index"/>. Items may run concurrently on different threads, in any order.</summary>
    /// <param name="index">The item, in <c>[0, count)</c>.</param>
    void Invoke(int index);
}

/// <summary>
/// The single thread pool shared by all compute kernels, sized to the machine's cores so kernels never oversubscribe them.
/// The calling thread always takes part; persistent workers spin briefly after each job, then block.
/// </summary>
/// <remarks>
/// A <see cref="For{TBody}(int, ref TBody)"/> issued from inside a pool job (by a worker, or by the caller while its
/// job runs) or while another thread's job owns the pool runs inline on the calling thread, so nesting cannot deadlock
/// and two user threads cannot oversubscribe the cores.
/// </remarks>
public static unsafe class KernelPool
{
    // Job state. A job is published by first closing the claim counter (index = int.MaxValue under the new epoch),
    // then writing the parameters, then opening the counter; a claimer reads the counter, then the parameters, and
    // commits with a compare-exchange on the counter. A successful exchange proves the parameters it read belong to
    // that epoch, because the counter changes before any parameter of a later job is written.
    private static long s_state;                 // (epoch << 32) | next item index
    private static int s_epoch;                  // wake-up signal for workers; bumped once per job
    private static int s_count;
    private static delegate*<void*, int, void> s_invoke;
    private static void* s_body;
    private static int s_done;                   // items finished in the current job
    private static int s_jobWorkers;             // workers allowed to join the current job
    private static ExceptionDispatchInfo? s_error;

    private static int s_busy;                   // 1 while some thread's job owns the pool
    private static int s_numThreads = Math.Max(1, Environment.ProcessorCount);
    private static readonly object s_gate = new();
    private static int s_sleepers;
    private static Thread[] s_workers = [];
    private static readonly long s_spinTicks = Stopwatch.Frequency / 20_000; // ~50 µs of spinning before blocking

    [ThreadStatic] private static bool t_isWorker;
    [ThreadStatic] private static bool t_inJob;

    /// <summary>
    /// Number of threads a parallel loop uses, the caller included (like <c>torch.set_num_threads</c>).
    /// Defaults to <see cref="Environment.ProcessorCount"/>; 1 runs every loop inline on the caller.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1 or greater than 1024.</exception>
    public static int NumThreads
    {
        get => Volatile.Read(ref s_numThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1024);
            Volatile.Write(ref s_numThreads, value);
        }
    }

    /// <summary>Whether the calling thread is one of the pool's workers.</summary>
    internal static bool IsWorkerThread => t_isWorker;

    /// <summary>
    /// How many threads a <see cref="For{TBody}(int, ref TBody)"/> issued now from this thread could use:
    /// 1 inside a pool job or while another thread's job owns the pool, else <see cref="NumThreads"/>.
    /// Kernels use it to choose between a serial and a split algorithm.
    /// </summary>
    public static int MaxParallelism =>
        t_isWorker || t_inJob || Volatile.Read(ref s_busy) != 0 ? 1 : NumThreads;

    /// <summary>
    /// Runs <paramref name="body"/>.<see cref="IParallelBody.Invoke"/> for every index in <c>[0, count)</c>, spread over
    /// up to <see cref="NumThreads"/> threads including the caller, and returns when all items have finished.
    /// Allocates nothing. The threads share <paramref name="body"/>: it is copied once to the caller's stack, used by
    /// all of them, and copied back at the end.
    /// </summary>
    /// <typeparam name="TBody">The loop body; a struct, so the call is specialised and nothing is boxed.</typeparam>
    /// <param name="count">Number of work items; nothing runs when it is 0 or less.</param>
    /// <param name="body">The loop body.</param>
    /// <remarks>If items throw, the first exception is rethrown on the caller after all items have finished.</remarks>
    public static void For<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        int threads = Math.Min(NumThreads, count);
        if (threads <= 1 || t_isWorker || t_inJob || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int i = 0; i < count; i++) body.Invoke(i);
            return;
        }

        ExceptionDispatchInfo? error;
        try
        {
            EnsureWorkers(threads - 1);
            // A stack copy never moves, so workers may hold a raw pointer to it; the caller's frame keeps any
            // references inside it alive until every item is done.
            TBody local = body;
            int epoch = s_epoch + 1;
            Interlocked.Exchange(ref s_state, ((long)epoch << 32) | int.MaxValue); // fence: closed before params change
            s_count = count;
            s_invoke = &InvokeBody<TBody>;
            s_body = Unsafe.AsPointer(ref local);
            s_done = 0;
            s_error = null;
            s_jobWorkers = threads - 1;
            Volatile.Write(ref s_state, (long)epoch << 32);
            Interlocked.Exchange(ref s_epoch, epoch); // full fence: orders the publish before reading s_sleepers
            if (Volatile.Read(ref s_sleepers) > 0)
            {
                lock (s_gate) Monitor.PulseAll(s_gate);
            }

            t_inJob = true;
            try { RunItems(); }
            finally { t_inJob = false; }

            // Items claimed by workers may still be running; the body must outlive them.
            var spin = new SpinWait();
            while (Volatile.Read(ref s_done) < count) spin.SpinOnce(sleep1Threshold: -1);
            body = local;
            error = s_error;
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
        error?.Throw();
    }

    private static void InvokeBody<TBody>(void* body, int index) where TBody : struct, IParallelBody =>
        Unsafe.AsRef<TBody>(body).Invoke(index);

    /// <summary>Claims and runs items of the current job until none are left.</summary>
    private static void RunItems()
    {
        while (true)
        {
            long s = Volatile.Read(ref s_state);
            int index = (int)s;
            int count = Volatile.Read(ref s_count);
            var invoke = s_invoke;
            void* body = s_body;
            if (index >= count) return;
            if (Interlocked.CompareExchange(ref s_state, s + 1, s) != s) continue;
            try
            {
                invoke(body, index);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref s_error, ExceptionDispatchInfo.Capture(ex), null);
            }
            Interlocked.Increment(ref s_done);
        }
    }

    private static void EnsureWorkers(int needed)
    {
        if (s_workers.Length >= needed) return;
        lock (s_gate)
        {
            if (s_workers.Length >= needed) return;
            var workers = new Thread[needed];
            Array.Copy(s_workers, workers, s_workers.Length);
            for (int i = s_workers.Length; i < needed; i++)
            {
                int id = i;
                workers[i] = new Thread(() => WorkerLoop(id), maxStackSize: 1 << 20)
                {
                    IsBackground = true,
                    Name = $"Praxis.KernelPool #{id + 1}",
                };
                // UnsafeStart: a worker must not keep the ExecutionContext (an open Tape or NoGrad scope) of
                // whichever caller happened to create it.
                workers[i].UnsafeStart();
            }
            s_workers = workers;
        }
    }

    private static void WorkerLoop(int id)
    {
        t_isWorker = true;
        int seen = Volatile.Read(ref s_epoch);
        while (true)
        {
            // Spin briefly: back-to-back jobs (e.g. the pack and compute phases of one GEMM) then start without a
            // kernel wake-up; after that, block so an idle pool costs no CPU.
            long spinUntil = Stopwatch.GetTimestamp() + s_spinTicks;
            while (Volatile.Read(ref s_epoch) == seen)
            {
                if (Stopwatch.GetTimestamp() > spinUntil)
                {
                    lock (s_gate)
                    {
                        Interlocked.Increment(ref s_sleepers);
                        while (Volatile.Read(ref s_epoch) == seen) Monitor.Wait(s_gate);
                        Interlocked.Decrement(ref s_sleepers);
                    }
                    break;
                }
                Thread.SpinWait(16);
            }
            seen = Volatile.Read(ref s_epoch);
            if (id < Volatile.Read(ref s_jobWorkers)) RunItems();
        }
    }
}
