using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// A view with new dimensions and the same elements in the same order (shares storage). One dimension may be -1
    /// and is inferred.
    /// </summary>
    public Tensor Reshape(params int[] shape) => Engine.Record(new ReshapeOp(this, shape));

    /// <summary>Flattens all axes after the first: (N, …) → (N, prod(…)).</summary>
    public Tensor Flatten() => Reshape(Rank == 0 ? [1] : [Shape[0], -1]);
}

/// <summary>A view: forward shares the input's storage (nothing to compute); backward adds the gradient back unchanged.</summary>
internal sealed class ReshapeOp : Op
{
    public ReshapeOp(Tensor x, int[] shape) : base(x)
    {
        var dims = (int[])shape.Clone();
        int infer = -1, known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape: only one dimension can be -1; got {Shape.Format(shape)}.");
                infer = i;
            }
            else known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || x.Size % known != 0)
                throw new ShapeMismatchException($"Reshape: cannot reshape {x.Shape} ({x.Size} elements) to {Shape.Format(shape)}.");
            dims[infer] = x.Size / known;
        }
        var s = new Shape(dims);
        if (s.Size != x.Size)
            throw new ShapeMismatchException($"Reshape: cannot reshape {x.Shape} ({x.Size} elements) to {s} ({s.Size} elements).");
        Output = new Tensor(s, x.Storage, x.Offset);
    }

    public override void Forward() { }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> gx = GradSpan(x);
        TensorPrimitives.Add(gx, OutGrad, gx);
    }
}
