namespace Praxis.Callbacks;

/// <summary>
/// Stops training as soon as a batch's loss is NaN or infinite (Keras <c>keras.callbacks.TerminateOnNaN</c>):
/// <c>Fit</c> leaves the epoch after that batch and runs no further epochs.
/// </summary>
public sealed class TerminateOnNaN : Callback
{
    private readonly TextWriter? _out;

    /// <summary>Creates the callback; the message goes to <paramref name="output"/> (default: standard output).</summary>
    public TerminateOnNaN(TextWriter? output = null) => _out = output;

    /// <summary>The 0-based batch (within its epoch) whose loss was invalid, or null.</summary>
    public int? TerminatedAtBatch { get; private set; }

    /// <inheritdoc />
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => TerminatedAtBatch = null;

    /// <inheritdoc />
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs.TryGetValue("loss", out double loss) && !double.IsFinite(loss))
        {
            (_out ?? Console.Out).WriteLine($"Batch {batch}: Invalid loss, terminating training");
            TerminatedAtBatch = batch;
            Model.StopTraining = true;
        }
    }
}
