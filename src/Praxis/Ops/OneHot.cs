using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// One-hot encoding (Keras <c>ops.one_hot(x, num_classes, axis=-1)</c>): a new axis of length
    /// <paramref name="numClasses"/> is inserted at <paramref name="axis"/> of the output (−1 = last), holding 1 at the
    /// index and 0 elsewhere. An index outside [0, numClasses) gives a row of zeros, as TensorFlow's <c>one_hot</c>;
    /// a value that is not a whole number is refused. No gradient flows to the indices.
    /// </summary>
    public static Tensor OneHot(Tensor indices, int numClasses, int axis = -1) => Engine.Record(new OneHotOp(indices, numClasses, axis));
}

/// <summary>
/// indices (outer…, inner…) → (outer…, numClasses, inner…), the class axis at <c>axis</c>:
/// y[(o·C + c)·inner + i] = [indices[o·inner + i] = c]. Encoded in <see cref="Forward"/>, so a replayed step sees each batch.
/// </summary>
internal sealed class OneHotOp : Op
{
    private readonly int _classes, _outer, _inner;

    public OneHotOp(Tensor indices, int numClasses, int axis) : base(indices)
    {
        if (numClasses < 1) throw new ArgumentOutOfRangeException(nameof(numClasses), $"OneHot: numClasses must be at least 1; got {numClasses}.");
        int r = indices.Rank + 1;
        int a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) throw new ArgumentOutOfRangeException(nameof(axis), $"OneHot: axis {axis} is out of range for an output of rank {r} (indices {indices.Shape}).");
        _classes = numClasses;
        _outer = indices.Shape.SizeOf(0, a);
        _inner = indices.Shape.SizeOf(a, indices.Rank);
        Output = new Tensor(new Shape([.. indices.Shape.Dims[..a], numClasses, .. indices.Shape.Dims[a..]]));
    }

    public override void Forward()
    {
        ReadOnlySpan<float> ids = Inputs[0].Span;
        Span<float> y = Output.Span;
        y.Clear();
        for (int o = 0; o < _outer; o++)
            for (int i = 0; i < _inner; i++)
            {
                float v = ids[o * _inner + i];
                if (v != MathF.Floor(v))
                    throw new ArgumentException($"OneHot: index {v} at position {o * _inner + i} of indices {Inputs[0].Shape} is not a whole number.");
                if (v >= 0 && v < _classes) y[(o * _classes + (int)v) * _inner + i] = 1f;
            }
    }

    public override void Backward() { }
}
