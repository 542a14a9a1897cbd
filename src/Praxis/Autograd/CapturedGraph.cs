namespace Praxis.Autograd;

/// <summary>
/// A forward computation recorded once and replayed afterwards, for custom training loops (the graph capture
/// <c>Model.Fit</c> uses internally): the first <see cref="Forward"/> runs <c>record</c> on a <see cref="Tape"/> and
/// keeps the backward order from its result; later calls replay the recorded ops over the same tensors, so a step
/// builds and allocates nothing. Refill the input tensors in place between steps. The computation must obey the replay
/// rule (values that change per step are computed inside ops; nothing recorded depends on tensor values; see
/// docs/ARCHITECTURE.md). With <c>eager</c> it runs <c>record</c> every time instead (same arithmetic, a new graph each step).
/// </summary>
/// <example>
/// <code>
/// var step = new CapturedGraph(() => loss.Compute(y, model.Apply(x, training: true)));
/// for (...) { /* refill x and y */ var l = step.Forward(); opt.ZeroGrad(ps); step.Backward(); opt.Step(ps); }
/// </code>
/// </example>
public sealed class CapturedGraph
{
    private readonly Func<Tensor> _record;
    private readonly bool _eager;
    private Tape? _tape;
    private List<Op>? _order;

    /// <summary>Creates the graph; nothing runs until the first <see cref="Forward"/>.</summary>
    /// <param name="record">The forward computation; returns the tensor backward starts from (usually a scalar loss).</param>
    /// <param name="eager">Run <paramref name="record"/> on every call instead of replaying the first recording.</param>
    public CapturedGraph(Func<Tensor> record, bool eager = false)
    {
        _record = record;
        _eager = eager;
    }

    /// <summary>The result of the last <see cref="Forward"/>, or null before the first.</summary>
    public Tensor? Output { get; private set; }

    /// <summary>Runs the computation over the inputs' current values (recording it the first time) and returns its result.</summary>
    public Tensor Forward()
    {
        if (_tape != null)
        {
            _tape.Replay();
            return Output!;
        }
        if (_eager) return Output = _record();
        var tape = new Tape();
        Tensor output;
        try
        {
            output = _record();
        }
        finally
        {
            tape.Dispose();
        }
        _order = Engine.TopologicalOrder(output);
        _tape = tape;
        return Output = output;
    }

    /// <summary>Backpropagates from the result of the last <see cref="Forward"/> (gradients accumulate, as <c>Backward()</c>).</summary>
    public void Backward()
    {
        if (Output is null) throw new InvalidOperationException("CapturedGraph.Backward: call Forward first; there is no result to backpropagate from.");
        if (_order is null) Output.Backward();
        else Engine.Run(_order, Output, null);
    }
}
