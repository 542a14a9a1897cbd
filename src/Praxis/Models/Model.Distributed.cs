namespace Praxis.Models;

public partial class Model
{
    /// <summary>
    /// The strategy <c>Fit</c> trains with across processes, or null to train in this process alone (the default). Set
    /// the same strategy on every rank, e.g. <c>model.Distribution = new DataParallel(MpiProcessGroup.Initialize())</c>;
    /// <c>batchSize</c> is then the per-rank batch. See <see cref="Praxis.Distributed.DataParallel"/>.
    /// </summary>
    public FitStrategy? Distribution { get; set; }

    /// <summary>One batch in this process: positions [start, start+count) of the epoch order through <see cref="TrainStep"/>.</summary>
    internal void TrainLocalBatch(int start, int count, Tensor[] x, Tensor[] y, Dictionary<string, double> logs) =>
        CopyLogs(TrainBatchAt(start, count, x, y), logs);

    /// <summary>Runs <see cref="TrainStep"/> on epoch-order positions [start, start+count) and returns its logs.</summary>
    internal Dictionary<string, double> TrainBatchAt(int start, int count, Tensor[] x, Tensor[] y) =>
        TrainStep(GatherTrainBatch(x, y, start, count).Batch);

    /// <summary>The recorded training step for <paramref name="count"/> rows, filled with epoch-order positions [start, start+count).</summary>
    internal CompiledStep GatherTrainBatch(Tensor[] x, Tensor[] y, int start, int count)
    {
        var step = GetStep(count, ModeTrain, x, y, _fitSampleWeight);
        for (int i = 0; i < x.Length; i++) GatherRows(x[i], _order, start, count, step.Inputs[i]);
        for (int i = 0; i < y.Length; i++) GatherRows(y[i], _order, start, count, step.Targets[i]);
        if (_fitSampleWeight is { } sw)
            for (int i = 0; i < sw.Length; i++)
                if (sw[i] is { } w && CompiledStep.FirstIndex(sw, i) == i) GatherRows(w, _order, start, count, step.SampleWeights![i]!);
        return step;
    }

    /// <summary>Loss and metrics over data held by this process only.</summary>
    internal Dictionary<string, double> EvaluateLocal(Tensor[] x, Tensor[] y, int batchSize) => EvaluateCore(x, y, batchSize, null);
}

/// <summary>Combines the gradients of several processes before an optimizer update (see <see cref="Model.GradientReducer"/>).</summary>
internal interface IGradientReducer
{
    /// <summary>Replaces the gradients of <paramref name="weights"/> with their combination over all processes.</summary>
    void Reduce(IReadOnlyList<Tensor> weights);
}
