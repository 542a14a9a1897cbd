using Praxis.Autograd;

namespace Praxis.Models;

/// <summary>
/// One pass of a model for a fixed batch size and mode: placeholder input and target tensors, and (when the model is
/// <see cref="Layers.Layer.ReplaySafe"/>) the ops recorded the first time it ran and the backward order from the loss.
/// Later runs replay the same ops over the same buffers, so a training step builds and allocates nothing after the
/// first. A model that is not replay-safe is run eagerly instead: every <see cref="Forward"/> calls the model again and
/// builds a new graph, so a custom layer's own computation (its random draws, its branches) is never frozen.
/// </summary>
internal sealed class CompiledStep
{
    private readonly Model _model;
    private readonly bool _training;
    private readonly bool _withLoss;
    private Op[] _forward = [];
    private List<Op>? _backward;
    private bool _recorded;

    public CompiledStep(Model model, Shape[] inputShapes, Shape[] targetShapes, bool training, bool withLoss, bool eager, long version,
        Tensor?[]? sampleWeights = null, int batch = 0)
    {
        if (sampleWeights != null)
        {
            // One placeholder per distinct weight tensor: a tensor given for every output is one buffer, filled once.
            var ws = new Tensor?[sampleWeights.Length];
            for (int i = 0; i < ws.Length; i++)
            {
                int first = FirstIndex(sampleWeights, i);
                ws[i] = sampleWeights[i] is not { } w ? null : first < i ? ws[first] : new Tensor(w.Shape.With(0, batch));
            }
            SampleWeights = ws;
        }
        _model = model;
        _training = training;
        _withLoss = withLoss;
        Eager = eager;
        Inputs = new Tensor[inputShapes.Length];
        for (int i = 0; i < Inputs.Length; i++) Inputs[i] = new Tensor(inputShapes[i]);
        Targets = new Tensor[targetShapes.Length];
        for (int i = 0; i < Targets.Length; i++) Targets[i] = new Tensor(targetShapes[i]);
        Version = version;
        Batch = new Batch(Inputs, Targets, this);
    }

    public Tensor[] Inputs { get; }

    /// <summary>One placeholder per target given to Fit/Evaluate (one per output, or none).</summary>
    public Tensor[] Targets { get; }

    /// <summary>The per-sample weight placeholders, one entry per output (Fit's <c>sampleWeight</c>/<c>classWeight</c>;
    /// the same tensor in every entry when one serves all; null entries unweighted), or null for an unweighted step.</summary>
    public Tensor?[]? SampleWeights { get; }

    /// <summary>The weights of output <paramref name="i"/>, or null.</summary>
    public Tensor? OutputSampleWeight(int i) => SampleWeights is { } ws && i < ws.Length ? ws[i] : null;

    /// <summary>The first index holding the same tensor (by reference) as entry <paramref name="i"/>.</summary>
    internal static int FirstIndex(Tensor?[] ws, int i)
    {
        for (int j = 0; j < i; j++) if (ReferenceEquals(ws[j], ws[i])) return j;
        return i;
    }

    /// <summary>The first target (single-output models), or null when there is none.</summary>
    public Tensor? Target => Targets.Length > 0 ? Targets[0] : null;

    public Tensor[] Outputs { get; private set; } = [];

    /// <summary>The total (weighted) loss of the last forward pass, when the step computes one.</summary>
    public Tensor? Loss { get; private set; }

    /// <summary>Each output's weighted loss (null for an output without a loss) of the last forward pass.</summary>
    public Tensor?[] OutputLosses { get; private set; } = [];

    public long Version { get; }

    /// <summary>The model's cache key: batch size · 4 + mode.</summary>
    public long Key { get; init; }

    /// <summary>True when every forward pass calls the model again instead of replaying a recording.</summary>
    public bool Eager { get; }

    /// <summary>The placeholders as handed to <c>TrainStep</c>/<c>TestStep</c>.</summary>
    public Batch Batch { get; }

    /// <summary>The weights the optimizer updates, known after the first forward pass (a subclassed model builds its parts then).</summary>
    public IReadOnlyList<Tensor> TrainableWeights { get; private set; } = [];

    /// <summary>Whether the placeholders fit data of these per-batch shapes (a later call may bring other target shapes).</summary>
    public bool Matches(Tensor[] x, Tensor[] y, Tensor?[]? sampleWeights = null)
    {
        if (x.Length != Inputs.Length || y.Length != Targets.Length) return false;
        if ((sampleWeights is null) != (SampleWeights is null)) return false;
        if (sampleWeights is not null)
        {
            var mine = SampleWeights!;
            if (sampleWeights.Length != mine.Length) return false;
            for (int i = 0; i < mine.Length; i++)
            {
                if ((sampleWeights[i] is null) != (mine[i] is null) || FirstIndex(sampleWeights, i) != FirstIndex(mine, i)) return false;
                if (sampleWeights[i] is { } w && !SameSampleShape(w.Shape, mine[i]!.Shape)) return false;
            }
        }
        for (int i = 0; i < x.Length; i++) if (!SameSampleShape(x[i].Shape, Inputs[i].Shape)) return false;
        for (int i = 0; i < y.Length; i++) if (!SameSampleShape(y[i].Shape, Targets[i].Shape)) return false;
        return true;
    }

    private static bool SameSampleShape(Shape data, Shape placeholder)
    {
        if (data.Rank != placeholder.Rank) return false;
        for (int d = 1; d < data.Rank; d++) if (data[d] != placeholder[d]) return false;
        return true;
    }

    /// <summary>Runs the forward pass over the current contents of <see cref="Inputs"/> and <see cref="Targets"/>.</summary>
    public void Forward()
    {
        if (_recorded && !Eager)
        {
            var ops = _forward;
            for (int i = 0; i < ops.Length; i++) ops[i].Forward();
            return;
        }
        if (Eager)
        {
            // Not replay-safe: call the model afresh (no tape), as an eager loop would.
            if (_training) RecordPass();
            else using (Tensor.NoGrad()) RecordPass();
        }
        else
        {
            // A recording that throws (bad targets, a layer's error) leaves the step unrecorded, so the next call records
            // again from scratch instead of replaying half a graph.
            using var tape = new Tape();
            if (_training) RecordPass();
            else using (Tensor.NoGrad()) RecordPass();
            _forward = tape.Ops.ToArray();
        }
        if (_training && Loss != null)
        {
            if (!Loss.RequiresGrad)
                throw new InvalidOperationException($"Model '{_model.Name}' has no trainable weights that affect the loss; nothing to train.");
            _backward = Engine.TopologicalOrder(Loss);
        }
        if (!_recorded) TrainableWeights = _model.TrainableWeights;
        _recorded = true;
    }

    private void RecordPass()
    {
        _model.ClearLosses(); // add_loss/activity losses belong to this pass only
        var outputs = _model.Call(Inputs, _training);
        Tensor? loss = null;
        Tensor?[] perOutput = [];
        if (_withLoss) loss = _model.ComputeCompiledLoss(Targets, outputs, SampleWeights, out perOutput);
        Outputs = outputs;
        Loss = loss;
        OutputLosses = perOutput;
    }

    /// <summary>Backpropagates from the loss of the last forward pass.</summary>
    public void Backward() => Engine.Run(_backward!, Loss!, null);

    /// <summary>Backpropagates, telling <paramref name="observer"/> after each op (indices into <see cref="BackwardOrder"/>).</summary>
    public void Backward(IBackwardObserver observer) => Engine.Run(_backward!, Loss!, null, observer);

    /// <summary>The ops backward runs, in topological order (backward walks it from the end); empty before the first forward.
    /// For an eager step it is the last forward pass's order.</summary>
    public IReadOnlyList<Op> BackwardOrder => _backward ?? (IReadOnlyList<Op>)[];
}

/// <summary>
/// One batch as <c>Fit</c> and <c>Evaluate</c> hand it to <see cref="Model.TrainStep"/> and <see cref="Model.TestStep"/>
/// (Keras' <c>data</c> argument of <c>train_step</c>): the inputs <see cref="X"/> and the targets <see cref="Y"/>, one per
/// output or none (a model trained without targets, such as a VAE). The tensors are reused for every batch of this size:
/// read them during the step, do not keep them.
/// </summary>
public sealed class Batch
{
    internal Batch(Tensor[] x, Tensor[] y, CompiledStep step)
    {
        X = x;
        Y = y;
        Step = step;
    }

    /// <summary>The inputs, in the model's input order.</summary>
    public IReadOnlyList<Tensor> X { get; }

    /// <summary>The targets, in output order (empty when Fit was given none).</summary>
    public IReadOnlyList<Tensor> Y { get; }

    /// <summary>The first input (single-input models).</summary>
    public Tensor Input => X[0];

    /// <summary>The first target, or null when there is none.</summary>
    public Tensor? Target => Y.Count > 0 ? Y[0] : null;

    /// <summary>
    /// The batch's per-sample weights (Keras' third element of <c>data</c>), or null when Fit/Evaluate got none. When
    /// weights were given per output and differ, this throws: read <see cref="SampleWeights"/>.
    /// </summary>
    public Tensor? SampleWeight
    {
        get
        {
            if (Step.SampleWeights is not { } ws) return null;
            for (int i = 1; i < ws.Length; i++)
                if (!ReferenceEquals(ws[i], ws[0]))
                    throw new InvalidOperationException("Batch.SampleWeight: the sample weights were given per output; read Batch.SampleWeights (one entry per output).");
            return ws[0];
        }
    }

    /// <summary>The batch's sample weights, one entry per output (null entries unweighted), or null when Fit/Evaluate got none.</summary>
    public IReadOnlyList<Tensor?>? SampleWeights => Step.SampleWeights;

    /// <summary>The number of samples in the batch.</summary>
    public int Size => X[0].Shape[0];

    internal CompiledStep Step { get; }
}
