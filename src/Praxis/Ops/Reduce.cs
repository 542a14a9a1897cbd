using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements (a scalar).</summary>
    public Tensor Sum() => Engine.Record(new SumOp(this, null, keepDims: false, mean: false));

    /// <summary>Sum along <paramref name="axis"/> (negative counts from the end).</summary>
    public Tensor Sum(int axis, bool keepDims = false) => Engine.Record(new SumOp(this, axis, keepDims, mean: false));

    /// <summary>Mean of all elements (a scalar).</summary>
    public Tensor Mean() => Engine.Record(new SumOp(this, null, keepDims: false, mean: true));

    /// <summary>Mean along <paramref name="axis"/> (negative counts from the end).</summary>
    public Tensor Mean(int axis, bool keepDims = false) => Engine.Record(new SumOp(this, axis, keepDims, mean: true));
}

/// <summary>
/// Sum (or mean) over one axis or over everything. The input is viewed as (outer, n, inner) with n the reduced axis;
/// backward broadcasts the output gradient back over n.
/// </summary>
internal sealed class SumOp : Op
{
    private readonly int _outer, _n, _inner;
    private readonly float _scale;
    private readonly bool _mean;

    public SumOp(Tensor x, int? axis, bool keepDims, bool mean) : base(x)
    {
        _mean = mean;
        if (axis is int ax)
        {
            int a = x.Shape.NormalizeAxis(ax);
            _outer = x.Shape.SizeOf(0, a);
            _n = x.Shape[a];
            _inner = x.Shape.SizeOf(a + 1, x.Rank);
            var dims = new List<int>(x.Shape.ToArray());
            if (keepDims) dims[a] = 1; else dims.RemoveAt(a);
            Output = new Tensor(new Shape(dims.ToArray()));
        }
        else
        {
            _outer = 1; _n = x.Size; _inner = 1;
            Output = new Tensor(keepDims ? new Shape(Enumerable.Repeat(1, x.Rank).ToArray()) : new Shape());
        }
        _scale = mean ? 1f / Math.Max(_n, 1) : 1f;
    }

    public override string Name => _mean ? "Mean" : "Sum";

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        if (_inner == 1)
        {
            for (int o = 0; o < _outer; o++) y[o] = TensorPrimitives.Sum(x.Slice(o * _n, _n)) * _scale;
            return;
        }
        y.Clear();
        for (int o = 0; o < _outer; o++)
        {
            var yo = y.Slice(o * _inner, _inner);
            for (int j = 0; j < _n; j++) TensorPrimitives.Add(yo, x.Slice((o * _n + j) * _inner, _inner), yo);
            if (_mean) TensorPrimitives.Multiply(yo, _scale, yo);
        }
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        ReadOnlySpan<float> gy = OutGrad;
        Span<float> gx = GradSpan(x);
        for (int o = 0; o < _outer; o++)
        {
            if (_inner == 1)
            {
                var gxo = gx.Slice(o * _n, _n);
                TensorPrimitives.Add(gxo, gy[o] * _scale, gxo);
                continue;
            }
            var gyo = gy.Slice(o * _inner, _inner);
            for (int j = 0; j < _n; j++)
            {
                var gxj = gx.Slice((o * _n + j) * _inner, _inner);
                TensorPrimitives.MultiplyAdd(gyo, _scale, gxj, gxj);
            }
        }
    }
}
