namespace Praxis.Autograd;

/// <summary>
/// One differentiable operation: it owns its output tensor and knows how to compute it (<see cref="Forward"/>) and how
/// to push the output's gradient back to its inputs (<see cref="Backward"/>). Concrete ops live in
/// <c>src/Praxis/Ops</c>, forward and backward side by side.
/// </summary>
/// <remarks>
/// The constructor checks shapes and allocates the output and any scratch buffers; <see cref="Forward"/> and
/// <see cref="Backward"/> must not allocate, because a recorded graph is replayed step after step
/// (see <see cref="Tape"/>): after the first training step, every step reuses the same ops and buffers.
/// Anything that must change from step to step (a dropout mask, noise) must therefore be computed inside
/// <see cref="Forward"/>, never in the code that builds the op.
/// Backward accumulates (<c>+=</c>) into input gradients, so a tensor used twice receives both contributions.
/// </remarks>
public abstract class Op
{
    /// <summary>Creates an op over its inputs.</summary>
    protected Op(params Tensor[] inputs) => Inputs = inputs;

    /// <summary>The tensors this op reads.</summary>
    public Tensor[] Inputs { get; }

    /// <summary>The tensor this op writes.</summary>
    public Tensor Output { get; protected set; } = null!;

    /// <summary>A short name for graphs and error messages.</summary>
    public virtual string Name => GetType().Name.EndsWith("Op", StringComparison.Ordinal) ? GetType().Name[..^2] : GetType().Name;

    /// <summary>Computes <see cref="Output"/> from the current values of <see cref="Inputs"/>.</summary>
    public abstract void Forward();

    /// <summary>Adds this op's contribution to the gradients of inputs that require grad, given <c>Output.Grad</c>.</summary>
    public abstract void Backward();

    /// <summary>The gradient buffer of <paramref name="t"/>, created zero-filled on first use and reused afterwards.</summary>
    protected static Span<float> GradSpan(Tensor t) => (t.Grad ??= new Tensor(t.Shape)).Span;

    /// <summary>The output gradient as a span.</summary>
    protected Span<float> OutGrad => Output.Grad!.Span;
}
