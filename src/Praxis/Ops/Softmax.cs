using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>Softmax along <paramref name="axis"/> (default last), computed stably as exp(x − max) / Σ.</summary>
    public Tensor Softmax(int axis = -1) => Engine.Record(new SoftmaxOp(this, axis, log: false));

    /// <summary>Log-softmax along <paramref name="axis"/> (default last): x − max − log Σ exp(x − max).</summary>
    public Tensor LogSoftmax(int axis = -1) => Engine.Record(new SoftmaxOp(this, axis, log: true));
}

/// <summary>
/// Softmax or log-softmax over one axis, with the input viewed as (outer, n, inner).
/// Backward of softmax: dx = y ⊙ (dy − Σ dy⊙y); of log-softmax: dx = dy − softmax ⊙ Σ dy.
/// </summary>
internal sealed class SoftmaxOp : Op
{
    private readonly int _outer, _n, _inner;
    private readonly bool _log;
    private readonly float[] _column; // one strided slice gathered contiguously when inner > 1

    public SoftmaxOp(Tensor x, int axis, bool log) : base(x)
    {
        int a = x.Shape.NormalizeAxis(axis);
        _outer = x.Shape.SizeOf(0, a);
        _n = x.Shape[a];
        _inner = x.Shape.SizeOf(a + 1, x.Rank);
        _log = log;
        _column = _inner > 1 ? new float[2 * _n] : [];
        Output = new Tensor(x.Shape);
        if (!log && a == x.Rank - 1) { Output.Logits = x; Output.LogitsActivation = LogitsKind.Softmax; }
    }

    public override string Name => _log ? "LogSoftmax" : "Softmax";

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        for (int o = 0; o < _outer; o++)
        {
            if (_inner == 1)
            {
                RowForward(x.Slice(o * _n, _n), y.Slice(o * _n, _n), _log);
                continue;
            }
            Span<float> col = _column.AsSpan(0, _n), res = _column.AsSpan(_n, _n);
            for (int i = 0; i < _inner; i++)
            {
                for (int j = 0; j < _n; j++) col[j] = x[(o * _n + j) * _inner + i];
                RowForward(col, res, _log);
                for (int j = 0; j < _n; j++) y[(o * _n + j) * _inner + i] = res[j];
            }
        }
    }

    /// <summary>Stable softmax or log-softmax of one contiguous row.</summary>
    internal static void RowForward(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        if (log) SoftmaxRow.LogForward(x, y);
        else SoftmaxRow.Forward(x, y);
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        ReadOnlySpan<float> y = Output.Span, gy = OutGrad;
        Span<float> gx = GradSpan(x);
        for (int o = 0; o < _outer; o++)
        {
            if (_inner == 1 && !_log)
            {
                SoftmaxRow.Backward(gy.Slice(o * _n, _n), y.Slice(o * _n, _n), gx.Slice(o * _n, _n), accumulate: true);
                continue;
            }
            for (int i = 0; i < _inner; i++)
            {
                int baseIx = o * _n * _inner + i;
                // s = Σ_j dy_j·y_j (softmax) or Σ_j dy_j (log-softmax)
                float s = 0f;
                for (int j = 0; j < _n; j++)
                {
                    int ix = baseIx + j * _inner;
                    s += _log ? gy[ix] : gy[ix] * y[ix];
                }
                for (int j = 0; j < _n; j++)
                {
                    int ix = baseIx + j * _inner;
                    gx[ix] += _log ? gy[ix] - MathF.Exp(y[ix]) * s : y[ix] * (gy[ix] - s);
                }
            }
        }
    }
}
