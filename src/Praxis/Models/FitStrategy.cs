namespace Praxis.Models;

/// <summary>
/// How <c>Fit</c> runs its batches: in this process (the default) or spread over several processes
/// (<see cref="Praxis.Distributed.DataParallel"/>). <c>Fit</c> is one loop over epochs and batches that calls its
/// strategy at a few marked points; the strategies are the library's own (the constructor is not public).
/// </summary>
public abstract class FitStrategy
{
    private protected FitStrategy() { }

    /// <summary>Batches per epoch for <paramref name="n"/> samples.</summary>
    internal abstract int StepsPerEpoch(int n, int batchSize);

    /// <summary>Whether this process shows progress and runs root-only callbacks.</summary>
    internal abstract bool Reports { get; }

    /// <summary>Refuses, with an error naming the model and the option, a Fit this strategy cannot run.</summary>
    internal abstract void Check(Model model, bool customSteps, int targets);

    internal abstract void BeginFit(Model model, int n, int batchSize, int epochs, int initialEpoch, bool shuffle);

    /// <summary>Before an epoch: whether training stops (every process must agree).</summary>
    internal abstract bool AgreeStop(Model model);

    internal abstract void BeginEpoch(int[] order, bool shuffle);

    /// <summary>Trains batch <paramref name="b"/> of the epoch (sample positions in the model's epoch order) and writes the logs.</summary>
    internal abstract void TrainBatch(Model model, int b, int batchSize, int n, Tensor[] x, Tensor[] y, Dictionary<string, double> logs);

    /// <summary>After a batch: whether the epoch ends now.</summary>
    internal abstract bool LeaveEpoch(Model model);

    internal abstract void EndEpoch();

    /// <summary>Validation after an epoch.</summary>
    internal abstract Dictionary<string, double> Evaluate(Model model, Tensor[] x, Tensor[] y, int batchSize);

    /// <summary>Whether an exception out of Fit must end the whole job (the other processes would wait forever).</summary>
    internal abstract bool ShouldAbort(Exception e);

    internal abstract void AbortJob(Exception e);
}

/// <summary>Fit in this process alone: every batch goes through the model's <c>TrainStep</c>.</summary>
internal sealed class LocalFit : FitStrategy
{
    public static readonly LocalFit Instance = new();

    internal override int StepsPerEpoch(int n, int batchSize) => (n + batchSize - 1) / batchSize;
    internal override bool Reports => true;
    internal override void Check(Model model, bool customSteps, int targets) { }
    internal override void BeginFit(Model model, int n, int batchSize, int epochs, int initialEpoch, bool shuffle) { }
    internal override bool AgreeStop(Model model) => model.StopTraining;
    internal override void BeginEpoch(int[] order, bool shuffle) { }
    internal override void TrainBatch(Model model, int b, int batchSize, int n, Tensor[] x, Tensor[] y, Dictionary<string, double> logs) =>
        model.TrainLocalBatch(b * batchSize, Math.Min(batchSize, n - b * batchSize), x, y, logs);
    internal override bool LeaveEpoch(Model model) => model.StopTraining;
    internal override void EndEpoch() { }
    internal override Dictionary<string, double> Evaluate(Model model, Tensor[] x, Tensor[] y, int batchSize) => model.EvaluateLocal(x, y, batchSize);
    internal override bool ShouldAbort(Exception e) => false;
    internal override void AbortJob(Exception e) { }
}
