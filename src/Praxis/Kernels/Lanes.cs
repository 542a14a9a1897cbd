namespace Praxis.Kernels;

/// <summary>One lane of a batch-parallel kernel: a struct carrying the loop's inputs, so no closure is allocated.</summary>
internal interface ILaneBody : IParallelBody;

/// <summary>
/// Splits the samples of a batch into a fixed number of lanes, each with its own scratch buffers, so results do not
/// depend on which thread ran which lane (partial sums are reduced in lane order: runs are reproducible). Lanes run on
/// <see cref="KernelPool"/>; inside a lane, kernels such as <c>Gemm.Sgemm</c> run serially.
/// </summary>
/// <remarks>
/// The lane count follows the machine's cores, not <see cref="KernelPool.NumThreads"/>: the partial sums (weight
/// gradients of convolutions, GroupNorm's γ and β) are grouped by lane, so a count that followed the thread setting
/// would change the last bits of training when a run resumes with another <c>--threads</c>.
/// </remarks>
internal static class Lanes
{
    /// <summary>The most lanes a batch is cut into: two per core, for load balance on busy machines.</summary>
    internal static readonly int Max = 2 * Math.Max(1, Environment.ProcessorCount);

    /// <summary>How many lanes to cut <paramref name="chunks"/> chunks into (independent of the thread setting).</summary>
    public static int Count(int chunks) => Math.Max(1, Math.Min(chunks, Max));

    /// <summary>The chunks [start, end) of lane <paramref name="lane"/> out of <paramref name="lanes"/>.</summary>
    public static (int Start, int End) Range(int lane, int lanes, int chunks) =>
        ((int)((long)lane * chunks / lanes), (int)((long)(lane + 1) * chunks / lanes));

    /// <summary>Runs every lane, spread over the kernel threads.</summary>
    public static void For<TBody>(int lanes, ref TBody body) where TBody : struct, ILaneBody => KernelPool.For(lanes, ref body);
}
