using Praxis.Autograd;

namespace Praxis.Models;

/// <summary>
/// One recorded pass of a model for a fixed batch size and mode: placeholder input/target tensors, the ops recorded the
/// first time it ran, and the backward order from the loss. Later runs replay the same ops over the same buffers, so a
/// training step builds nothing and allocates nothing after the first.
/// </summary>
internal sealed class CompiledStep
{
    private readonly Model _model;
    private readonly bool _training;
    private readonly Func<Tensor, Tensor, Tensor>? _lossFn;
    private Op[] _forward = [];
    private List<Op>? _backward;
    private bool _recorded;

    public CompiledStep(Model model, Shape[] inputShapes, Shape? targetShape, bool training, Func<Tensor, Tensor, Tensor>? lossFn, long version)
    {
        _model = model;
        _training = training;
        _lossFn = lossFn;
        Inputs = inputShapes.Select(s => new Tensor(s)).ToArray();
        Target = targetShape is Shape t ? new Tensor(t) : null;
        Version = version;
    }

    public Tensor[] Inputs { get; }
    public Tensor? Target { get; }
    public Tensor[] Outputs { get; private set; } = [];
    public Tensor? Loss { get; private set; }
    public long Version { get; }

    /// <summary>Runs the forward pass over the current contents of <see cref="Inputs"/> and <see cref="Target"/>.</summary>
    public void Forward()
    {
        if (_recorded)
        {
            var ops = _forward;
            for (int i = 0; i < ops.Length; i++) ops[i].Forward();
            return;
        }
        using (var tape = new Tape())
        {
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
        _recorded = true;
    }

    private void RecordPass()
    {
        Outputs = _model.Call(Inputs, _training);
        if (_lossFn != null && Target != null) Loss = _lossFn(Target, Outputs[0]);
    }

    /// <summary>Backpropagates from the loss of the last forward pass.</summary>
    public void Backward() => Engine.Run(_backward!, Loss!, null);

    /// <summary>Backpropagates, telling <paramref name="observer"/> after each op (indices into <see cref="BackwardOrder"/>).</summary>
    public void Backward(IBackwardObserver observer) => Engine.Run(_backward!, Loss!, null, observer);

    /// <summary>The ops backward runs, in topological order (backward walks it from the end); empty before the first forward.</summary>
    public IReadOnlyList<Op> BackwardOrder => _backward ?? (IReadOnlyList<Op>)[];
}
