using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>Elementwise a + b with NumPy broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Engine.Record(new BinaryOp(BinaryKind.Add, a, b));

    /// <summary>Elementwise a − b with NumPy broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Engine.Record(new BinaryOp(BinaryKind.Sub, a, b));

    /// <summary>Elementwise a · b with NumPy broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Engine.Record(new BinaryOp(BinaryKind.Mul, a, b));

    /// <summary>Elementwise a / b with NumPy broadcasting.</summary>
    public static Tensor Div(Tensor a, Tensor b) => Engine.Record(new BinaryOp(BinaryKind.Div, a, b));

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);

    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);

    /// <summary>Elementwise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(Tensor a, float b) => Add(a, Scalar(b));

    /// <summary>Adds a constant.</summary>
    public static Tensor operator +(float a, Tensor b) => Add(Scalar(a), b);

    /// <summary>Subtracts a constant.</summary>
    public static Tensor operator -(Tensor a, float b) => Sub(a, Scalar(b));

    /// <summary>Subtracts from a constant.</summary>
    public static Tensor operator -(float a, Tensor b) => Sub(Scalar(a), b);

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(Tensor a, float b) => Mul(a, Scalar(b));

    /// <summary>Multiplies by a constant.</summary>
    public static Tensor operator *(float a, Tensor b) => Mul(Scalar(a), b);

    /// <summary>Divides by a constant.</summary>
    public static Tensor operator /(Tensor a, float b) => Div(a, Scalar(b));

    /// <summary>Divides a constant.</summary>
    public static Tensor operator /(float a, Tensor b) => Div(Scalar(a), b);

    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => Mul(a, Scalar(-1f));
}

internal enum BinaryKind { Add, Sub, Mul, Div }

/// <summary>
/// out = a (+ − · /) b with broadcasting. Forward walks the <see cref="BroadcastPlan"/> blocks with TensorPrimitives;
/// backward forms the local gradient for each operand at full output size and sums it over the broadcast dimensions.
/// </summary>
internal sealed class BinaryOp : Op
{
    private readonly BinaryKind _kind;
    private readonly BroadcastPlan _plan;
    private float[]? _scratch; // full-size local gradient for backward when broadcasting or for mul/div

    public BinaryOp(BinaryKind kind, Tensor a, Tensor b) : base(a, b)
    {
        _kind = kind;
        _plan = new BroadcastPlan(a.Shape, b.Shape, kind.ToString());
        Output = new Tensor(_plan.Out);
        bool needScratch = kind is BinaryKind.Mul or BinaryKind.Div || a.Shape != _plan.Out || b.Shape != _plan.Out;
        if (needScratch && (a.RequiresGrad || b.RequiresGrad)) _scratch = new float[_plan.Out.Size];
    }

    private float[] Scratch => _scratch ??= new float[_plan.Out.Size];

    public override string Name => _kind.ToString();

    public override void Forward()
    {
        ReadOnlySpan<float> a = Inputs[0].Span, b = Inputs[1].Span;
        Span<float> o = Output.Span;
        int n = _plan.Inner;
        for (int k = 0; k < _plan.Outer; k++)
        {
            var ok = o.Slice(k * n, n);
            int ia = _plan.OffsetA[k], ib = _plan.OffsetB[k];
            bool va = _plan.StrideA == 1 && n > 1, vb = _plan.StrideB == 1 && n > 1;
            if (va && vb) Vv(a.Slice(ia, n), b.Slice(ib, n), ok);
            else if (va) Vs(a.Slice(ia, n), b[ib], ok);
            else if (vb) Sv(a[ia], b.Slice(ib, n), ok);
            else ok.Fill(Apply(a[ia], b[ib]));
        }
    }

    private void Vv(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> o)
    {
        switch (_kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, o); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, o); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(a, b, o); break;
            default: TensorPrimitives.Divide(a, b, o); break;
        }
    }

    private void Vs(ReadOnlySpan<float> a, float b, Span<float> o)
    {
        switch (_kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, o); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, o); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(a, b, o); break;
            default: TensorPrimitives.Divide(a, b, o); break;
        }
    }

    private void Sv(float a, ReadOnlySpan<float> b, Span<float> o)
    {
        switch (_kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(b, a, o); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, o); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(b, a, o); break;
            default: TensorPrimitives.Divide(a, b, o); break;
        }
    }

    private float Apply(float a, float b) => _kind switch
    {
        BinaryKind.Add => a + b,
        BinaryKind.Sub => a - b,
        BinaryKind.Mul => a * b,
        _ => a / b,
    };

    public override void Backward()
    {
        ReadOnlySpan<float> g = OutGrad;
        Tensor a = Inputs[0], b = Inputs[1];
        if (a.RequiresGrad) AccumulateOperand(g, a, b, isA: true);
        if (b.RequiresGrad) AccumulateOperand(g, a, b, isA: false);
    }

    // d out / d a and d out / d b, each multiplied by g at output size, then reduced onto the operand's shape.
    private void AccumulateOperand(ReadOnlySpan<float> g, Tensor a, Tensor b, bool isA)
    {
        Tensor target = isA ? a : b;
        bool sameShape = target.Shape == _plan.Out;
        Span<float> local;
        switch (_kind)
        {
            case BinaryKind.Add:
            case BinaryKind.Sub when isA:
                if (sameShape) { var t = GradSpan(target); TensorPrimitives.Add(t, g, t); return; }
                local = Scratch; g.CopyTo(local);
                break;
            case BinaryKind.Sub:
                if (sameShape) { var t = GradSpan(target); TensorPrimitives.Subtract(t, g, t); return; }
                local = Scratch; TensorPrimitives.Negate(g, local);
                break;
            case BinaryKind.Mul:
                local = Scratch;
                MultiplyBroadcast(g, isA ? b : a, !isA, local); // g · other
                break;
            default:
                local = Scratch;
                if (isA) DivideBroadcast(g, b, local); // g / b
                else
                {
                    // d(a/b)/db = −a/b² = −out/b
                    DivideBroadcast(g, b, local);
                    TensorPrimitives.Multiply(local, Output.Span, local);
                    TensorPrimitives.Negate(local, local);
                }
                break;
        }
        if (sameShape) { var t = GradSpan(target); TensorPrimitives.Add(t, local, t); }
        else _plan.AccumulateReduced(local, GradSpan(target), isA);
    }

    // local = g · other, where other is operand A (otherIsA) or B, broadcast to the output.
    private void MultiplyBroadcast(ReadOnlySpan<float> g, Tensor other, bool otherIsA, Span<float> local)
    {
        ReadOnlySpan<float> o = other.Span;
        int n = _plan.Inner;
        int stride = otherIsA ? _plan.StrideA : _plan.StrideB;
        var offs = otherIsA ? _plan.OffsetA : _plan.OffsetB;
        for (int k = 0; k < _plan.Outer; k++)
        {
            var gk = g.Slice(k * n, n);
            var lk = local.Slice(k * n, n);
            if (stride == 1) TensorPrimitives.Multiply(gk, o.Slice(offs[k], n), lk);
            else TensorPrimitives.Multiply(gk, o[offs[k]], lk);
        }
    }

    private void DivideBroadcast(ReadOnlySpan<float> g, Tensor b, Span<float> local)
    {
        ReadOnlySpan<float> o = b.Span;
        int n = _plan.Inner;
        for (int k = 0; k < _plan.Outer; k++)
        {
            var gk = g.Slice(k * n, n);
            var lk = local.Slice(k * n, n);
            if (_plan.StrideB == 1) TensorPrimitives.Divide(gk, o.Slice(_plan.OffsetB[k], n), lk);
            else TensorPrimitives.Divide(gk, o[_plan.OffsetB[k]], lk);
        }
    }
}
