using Praxis.Callbacks;

namespace Praxis.Tests;

/// <summary>
/// Reads the thread's allocated-bytes counter after chosen training batches of a one-epoch <c>Fit</c>, for the tests
/// that prove a recorded training step allocates nothing after warm-up.
/// </summary>
internal sealed class AllocationProbe : Callback
{
    private readonly int[] _marks;
    private readonly long[] _bytes;

    /// <param name="marks">Batch indices, ascending, at least two; the first should be past warm-up.</param>
    public AllocationProbe(params int[] marks)
    {
        if (marks.Length < 2) throw new ArgumentException("An allocation probe needs at least two marks.", nameof(marks));
        _marks = marks;
        _bytes = new long[marks.Length];
    }

    /// <inheritdoc />
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        int i = Array.IndexOf(_marks, batch);
        if (i >= 0) _bytes[i] = GC.GetAllocatedBytesForCurrentThread();
    }

    /// <summary>
    /// Bytes per step in the quietest window between consecutive marks. A steady per-step allocation shows in every
    /// window; a one-off runtime event (a lazily created structure, seen once as 56 bytes) in at most one, so with
    /// three or more marks it cannot fail the test.
    /// </summary>
    public double PerStep
    {
        get
        {
            double best = double.MaxValue;
            for (int i = 1; i < _marks.Length; i++)
                best = Math.Min(best, (double)(_bytes[i] - _bytes[i - 1]) / (_marks[i] - _marks[i - 1]));
            return best;
        }
    }
}
