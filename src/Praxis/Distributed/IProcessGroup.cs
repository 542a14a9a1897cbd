using System.Diagnostics.CodeAnalysis;

namespace Praxis.Distributed;

/// <summary>How <see cref="IProcessGroup.AllReduce"/> combines the ranks' values element by element.</summary>
public enum ReduceOp
{
    /// <summary>The sum over ranks.</summary>
    Sum,

    /// <summary>The sum over ranks divided by the number of ranks.</summary>
    Average,
}

/// <summary>
/// A fixed set of cooperating processes (ranks 0 … <see cref="Size"/> − 1) and the collective operations data-parallel
/// training needs, as in <c>torch.distributed</c>. Every collective must be called by every rank, in the same order,
/// with buffers of the same length; a rank that skips one leaves the others waiting.
/// </summary>
/// <remarks>
/// Praxis ships <see cref="SingleProcessGroup"/> (one process, no communication) in the core library and an Open MPI
/// group in <c>Praxis.Distributed.Mpi</c>; another engine (NCCL for GPUs) plugs in by implementing this interface.
/// Methods are called from one thread at a time (the training thread).
/// </remarks>
public interface IProcessGroup : IDisposable
{
    /// <summary>This process's rank, from 0 to <see cref="Size"/> − 1. Rank 0 is the root that reports and writes files.</summary>
    int Rank { get; }

    /// <summary>The number of processes in the group.</summary>
    int Size { get; }

    /// <summary>A short name of the engine, e.g. <c>mpi</c>, for logs and error messages.</summary>
    string Backend { get; }

    /// <summary>Copies <paramref name="data"/> on rank <paramref name="root"/> into <paramref name="data"/> on every other rank.</summary>
    void Broadcast(Span<float> data, int root = 0);

    /// <summary>Copies raw bytes from rank <paramref name="root"/> to every other rank (for integers, flags, permutations).</summary>
    void Broadcast(Span<byte> data, int root = 0);

    /// <summary>Replaces <paramref name="data"/> on every rank by the element-wise <paramref name="op"/> over all ranks.</summary>
    void AllReduce(Span<float> data, ReduceOp op = ReduceOp.Sum);

    /// <summary>
    /// Starts an in-place all-reduce and returns at once, so communication can overlap computation. The memory must stay
    /// alive and untouched until <see cref="Wait"/> returns. Requests complete in any order but must be started in the
    /// same order on every rank.
    /// </summary>
    PendingReduce StartAllReduce(Memory<float> data, ReduceOp op = ReduceOp.Sum);

    /// <summary>Lets the engine make progress on <paramref name="request"/>; true once it has completed (then call <see cref="Wait"/> to release it).</summary>
    bool Test(PendingReduce request);

    /// <summary>Blocks until <paramref name="request"/> has completed and releases it; the data then holds the result.</summary>
    void Wait(PendingReduce request);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    /// <summary>
    /// Ends every process of the group at once with <paramref name="errorCode"/> (MPI_Abort). Used when one rank fails,
    /// so that the others, which would wait forever in their next collective, stop too.
    /// </summary>
    [DoesNotReturn]
    void Abort(int errorCode);
}

/// <summary>A handle to an all-reduce started by <see cref="IProcessGroup.StartAllReduce"/>.</summary>
/// <param name="Id">The engine's identifier for the request.</param>
public readonly record struct PendingReduce(int Id);
