namespace Praxis.Kernels;

/// <summary>One lane of a batch-parallel kernel: a struct carrying the loop's inputs, so no closure is allocated.</summary>
internal interface ILaneBody
{
    /// <summary>Runs lane <paramref name="lane"/>; lanes may run concurrently, in any order.</summary>
    void Invoke(int lane);
}

/// <summary>
/// Splits the samples of a batch into a fixed number of lanes, each with its own scratch buffers, so results do not
/// depend on which thread ran which lane (partial sums are reduced in lane order: runs are reproducible).
/// </summary>
internal static class Lanes
{
    /// <summary>How many lanes to cut <paramref name="chunks"/> chunks into: a few per core, for load balance on busy machines.</summary>
    public static int Count(int chunks) => Math.Max(1, Math.Min(chunks, 2 * Environment.ProcessorCount));

    /// <summary>The chunks [start, end) of lane <paramref name="lane"/> out of <paramref name="lanes"/>.</summary>
    public static (int Start, int End) Range(int lane, int lanes, int chunks) =>
        ((int)((long)lane * chunks / lanes), (int)((long)(lane + 1) * chunks / lanes));

    /// <summary>Runs every lane, spread over the kernel threads.</summary>
    public static void For<TBody>(int lanes, ref TBody body) where TBody : struct, ILaneBody
    {
        for (int i = 0; i < lanes; i++) body.Invoke(i);
    }
}
