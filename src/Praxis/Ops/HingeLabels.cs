using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Keras' hinge-label convention (<c>convert_binary_labels_to_hinge</c>): when every element is 0 or 1 the labels are
    /// mapped to −1/1 (2y − 1); otherwise they are taken as already −1/1 and passed through. The check runs in every
    /// <c>Forward</c>, so a recorded step decides afresh for each batch.
    /// </summary>
    public Tensor HingeLabels() => Engine.Record(new HingeLabelsOp(this));
}

/// <summary>y = 2x − 1 if all x ∈ {0, 1}, else x; the gradient follows the branch taken by the last forward.</summary>
internal sealed class HingeLabelsOp : Op
{
    private bool _converted;

    public HingeLabelsOp(Tensor x) : base(x) => Output = new Tensor(x.Shape);

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        bool binary = true;
        for (int i = 0; i < x.Length && binary; i++) binary = x[i] == 0f || x[i] == 1f;
        _converted = binary;
        if (binary) for (int i = 0; i < y.Length; i++) y[i] = 2f * x[i] - 1f;
        else x.CopyTo(y);
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        ReadOnlySpan<float> gy = OutGrad;
        Span<float> gx = GradSpan(x);
        float s = _converted ? 2f : 1f;
        for (int i = 0; i < gx.Length; i++) gx[i] += s * gy[i];
    }
}
