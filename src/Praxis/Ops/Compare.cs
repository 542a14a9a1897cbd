using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// 1 where the element differs from <paramref name="value"/>, else 0 (Keras <c>ops.not_equal</c>, as floats). Used to
    /// build masks, e.g. token ids ≠ 0 for <c>mask_zero</c>. Piecewise constant: no gradient flows through it.
    /// </summary>
    public Tensor NotEqual(float value) => Engine.Record(new NotEqualOp(this, value));
}

/// <summary>y = [x ≠ v]; the derivative is zero almost everywhere, so backward adds nothing.</summary>
internal sealed class NotEqualOp : Op
{
    private readonly float _value;

    public NotEqualOp(Tensor x, float value) : base(x)
    {
        _value = value;
        Output = new Tensor(x.Shape);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        for (int i = 0; i < y.Length; i++) y[i] = x[i] != _value ? 1f : 0f;
    }

    public override void Backward() { }
}
