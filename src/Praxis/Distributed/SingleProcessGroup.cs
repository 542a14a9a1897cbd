using System.Diagnostics.CodeAnalysis;

namespace Praxis.Distributed;

/// <summary>
/// A group of one process: every collective is the identity. Lets code written for <see cref="IProcessGroup"/> run
/// unchanged on one machine (and data-parallel training with it equals plain training exactly).
/// </summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public string Backend => "single";

    /// <inheritdoc />
    public void Broadcast(Span<float> data, int root = 0) => CheckRoot(root);

    /// <inheritdoc />
    public void Broadcast(Span<byte> data, int root = 0) => CheckRoot(root);

    /// <inheritdoc />
    public void AllReduce(Span<float> data, ReduceOp op = ReduceOp.Sum) { }

    /// <inheritdoc />
    public PendingReduce StartAllReduce(Memory<float> data, ReduceOp op = ReduceOp.Sum) => new(0);

    /// <inheritdoc />
    public bool Test(PendingReduce request) => true;

    /// <inheritdoc />
    public void Wait(PendingReduce request) { }

    /// <inheritdoc />
    public void Barrier() { }

    /// <inheritdoc />
    [DoesNotReturn]
    public void Abort(int errorCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        Environment.Exit(errorCode == 0 ? 1 : errorCode);
        throw new InvalidOperationException("unreachable");
    }

    /// <inheritdoc />
    public void Dispose() { }

    private static void CheckRoot(int root)
    {
        if (root != 0) throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast root {root} is not a rank of a single-process group (only rank 0).");
    }
}
