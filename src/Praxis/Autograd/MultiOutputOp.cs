namespace Praxis.Autograd;

/// <summary>
/// An op with results besides <see cref="Op.Output"/> (e.g. a recurrent op's final states). Each extra result is
/// exposed as the output of an <see cref="ExtraOutputOp"/>, a view that sorts after this op in the graph and hands
/// its gradient back through <see cref="ExtraGrads"/>, which this op's <see cref="Op.Backward"/> reads and clears.
/// </summary>
internal abstract class MultiOutputOp : Op
{
    protected MultiOutputOp(params Tensor[] inputs) : base(inputs) { }

    /// <summary>The extra results, written by <see cref="Op.Forward"/>.</summary>
    public Tensor[] ExtraOutputs { get; protected set; } = [];

    /// <summary>Gradients of the extra results, accumulated by their <see cref="ExtraOutputOp"/>s.</summary>
    public Tensor[] ExtraGrads { get; protected set; } = [];

    /// <summary>Clears <see cref="ExtraGrads"/> (each forward starts a new pass; backward clears them once consumed).</summary>
    protected void ClearExtraGrads()
    {
        foreach (var g in ExtraGrads) g.Zero();
    }

    /// <summary>Extra result <paramref name="index"/> as a tensor connected to the graph (recorded like any op).</summary>
    public Tensor Extra(int index) => Engine.Record(new ExtraOutputOp(this, index));
}

/// <summary>
/// A view of one extra result of a <see cref="MultiOutputOp"/>. Its only input is the owner's main output, so it runs
/// after the owner and its backward runs before the owner's; backward adds dy to the owner's extra gradient and makes
/// sure the owner's main output has a gradient buffer, so the owner's backward runs even when only this result is used.
/// </summary>
internal sealed class ExtraOutputOp : Op
{
    private readonly MultiOutputOp _owner;
    private readonly int _index;

    public ExtraOutputOp(MultiOutputOp owner, int index) : base(owner.Output)
    {
        _owner = owner;
        _index = index;
        var extra = owner.ExtraOutputs[index];
        Output = new Tensor(extra.Shape, extra.Storage, extra.Offset);
    }

    public override string Name => $"{_owner.Name}:{_index + 1}";

    public override void Forward() { }

    public override void Backward()
    {
        _ = GradSpan(_owner.Output);
        var g = _owner.ExtraGrads[_index].Span;
        System.Numerics.Tensors.TensorPrimitives.Add(g, OutGrad, g);
    }
}
