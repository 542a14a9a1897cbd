using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Batch normalization over every axis but <paramref name="axis"/> (the channels): y = γ·(x − μ)/√(σ² + ε) + β.
    /// In training, μ and σ² are the batch mean and (biased) variance, and the moving statistics are updated in place
    /// as Keras does: moving = moving·momentum + batch·(1 − momentum). In inference the moving statistics are used.
    /// </summary>
    /// <param name="x">Input of any rank ≥ 1.</param>
    /// <param name="gamma">Scale (C), or null for 1.</param>
    /// <param name="beta">Offset (C), or null for 0.</param>
    /// <param name="movingMean">Moving mean (C), read in inference and updated in training.</param>
    /// <param name="movingVariance">Moving variance (C), read in inference and updated in training.</param>
    /// <param name="training">Batch statistics (and moving-average updates) when true; moving statistics when false.</param>
    /// <param name="axis">The channel axis (default −1, channels last).</param>
    /// <param name="momentum">Moving-average momentum (Keras' default 0.99).</param>
    /// <param name="epsilon">Added to the variance (Keras' default 1e-3).</param>
    public static Tensor BatchNorm(Tensor x, Tensor? gamma, Tensor? beta, Tensor movingMean, Tensor movingVariance, bool training,
        int axis = -1, float momentum = 0.99f, float epsilon = 1e-3f) =>
        Engine.Record(new BatchNormOp(x, gamma, beta, movingMean, movingVariance, training, axis, momentum, epsilon));
}

/// <summary>
/// y = x·a + b per channel with a = γ/√(var + ε), b = β − mean·a, where (mean, var) are the batch statistics in training
/// and the moving ones in inference. Elements are viewed as (outer, C, inner) around the channel axis.
/// Backward in training (M = outer·inner elements per channel, x̂ = (x − mean)/√(var + ε)):
/// dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/√(var + ε) · (dy − dβ/M − x̂·dγ/M). In inference the statistics are constants:
/// dx = a·dy.
/// </summary>
internal sealed class BatchNormOp : Op
{
    private readonly bool _training;
    private readonly int _gi, _bi; // indices of gamma and beta in Inputs, or -1
    private readonly Tensor _movingMean, _movingVar;
    private readonly float _momentum, _eps;
    private readonly int _outer, _c, _inner;
    private readonly float[] _mean, _invStd, _a, _b, _k1, _k2, _k3, _row, _block;
    private readonly double[] _sum, _sum2;

    public BatchNormOp(Tensor x, Tensor? gamma, Tensor? beta, Tensor movingMean, Tensor movingVar, bool training, int axis, float momentum, float eps)
        : base(Build(x, gamma, beta))
    {
        int ax = x.Shape.NormalizeAxis(axis);
        _c = x.Shape[ax];
        foreach (var (t, what) in new[] { (gamma, "gamma"), (beta, "beta"), (movingMean, "moving_mean"), (movingVar, "moving_variance") })
            if (t is not null && (t.Rank != 1 || t.Shape[0] != _c))
                throw new ShapeMismatchException($"BatchNorm: {what} shape {t.Shape} does not match the {_c} channels of input {x.Shape} (axis {axis}).");
        if (!(eps > 0f)) throw new ArgumentOutOfRangeException(nameof(eps), $"BatchNorm: epsilon must be positive; got {eps}.");
        _outer = x.Shape.SizeOf(0, ax);
        _inner = x.Shape.SizeOf(ax + 1, x.Rank);
        if (training && _outer * _inner == 0) throw new ShapeMismatchException($"BatchNorm: no elements per channel to take batch statistics over in {x.Shape}.");
        _training = training;
        _gi = gamma is null ? -1 : 1;
        _bi = beta is null ? -1 : gamma is null ? 1 : 2;
        _movingMean = movingMean;
        _movingVar = movingVar;
        _momentum = momentum;
        _eps = eps;
        _mean = new float[_c]; _invStd = new float[_c]; _a = new float[_c]; _b = new float[_c];
        _k1 = new float[_c]; _k2 = new float[_c]; _k3 = new float[_c]; _block = new float[_c];
        _sum = new double[_c]; _sum2 = new double[_c];
        _row = new float[_inner == 1 ? _c : _inner];
        Output = new Tensor(x.Shape);
    }

    private static Tensor[] Build(Tensor x, Tensor? gamma, Tensor? beta)
    {
        var list = new List<Tensor>(3) { x };
        if (gamma is not null) list.Add(gamma);
        if (beta is not null) list.Add(beta);
        return list.ToArray();
    }

    public override string Name => _training ? "BatchNorm(training)" : "BatchNorm";

    private int M => _outer * _inner;

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        if (_training)
        {
            ChannelSums(x, null, _sum);
            for (int c = 0; c < _c; c++) _mean[c] = (float)(_sum[c] / M);
            ChannelSums(x, _mean, _sum2); // Σ (x − mean)², two passes for accuracy
            Span<float> mm = _movingMean.Span, mv = _movingVar.Span;
            for (int c = 0; c < _c; c++)
            {
                float var = (float)(_sum2[c] / M);
                _invStd[c] = 1f / MathF.Sqrt(var + _eps);
                mm[c] = mm[c] * _momentum + _mean[c] * (1f - _momentum);
                mv[c] = mv[c] * _momentum + var * (1f - _momentum);
            }
        }
        else
        {
            ReadOnlySpan<float> mm = _movingMean.Span, mv = _movingVar.Span;
            for (int c = 0; c < _c; c++)
            {
                _mean[c] = mm[c];
                _invStd[c] = 1f / MathF.Sqrt(mv[c] + _eps);
            }
        }
        ReadOnlySpan<float> gamma = _gi >= 0 ? Inputs[_gi].Span : default, beta = _bi >= 0 ? Inputs[_bi].Span : default;
        for (int c = 0; c < _c; c++)
        {
            _a[c] = (_gi >= 0 ? gamma[c] : 1f) * _invStd[c];
            _b[c] = (_bi >= 0 ? beta[c] : 0f) - _mean[c] * _a[c];
        }
        Affine(x, _a, _b, default, null, Output.Span);
    }

    public override void Backward()
    {
        Tensor x = Inputs[0];
        ReadOnlySpan<float> xs = x.Span, dy = OutGrad;
        bool gx = x.RequiresGrad, gg = _gi >= 0 && Inputs[_gi].RequiresGrad, gb = _bi >= 0 && Inputs[_bi].RequiresGrad;
        bool needSums = gg || gb || (gx && _training);
        if (needSums)
        {
            // _sum = Σ dy, _sum2 = Σ dy·(x − mean), per channel.
            ChannelSums(dy, null, _sum);
            ChannelDot(dy, xs, _mean, _sum2);
        }
        if (gb)
        {
            Span<float> g = GradSpan(Inputs[_bi]);
            for (int c = 0; c < _c; c++) g[c] += (float)_sum[c];
        }
        if (gg)
        {
            Span<float> g = GradSpan(Inputs[_gi]);
            for (int c = 0; c < _c; c++) g[c] += (float)(_sum2[c] * _invStd[c]);
        }
        if (!gx) return;
        if (!_training)
        {
            Affine(dy, _a, null, default, null, GradSpan(x), accumulate: true);
            return;
        }
        // dx = a·(dy − Σdy/M − (x − mean)·invStd²·Σdy(x − mean)/M) = k1·dy + k2·x + k3.
        for (int c = 0; c < _c; c++)
        {
            float a = _a[c], s2 = _invStd[c] * _invStd[c];
            float mdb = (float)(_sum[c] / M), mdg = (float)(_sum2[c] / M);
            _k1[c] = a;
            _k2[c] = -a * s2 * mdg;
            _k3[c] = a * (s2 * mdg * _mean[c] - mdb);
        }
        Affine(dy, _k1, _k3, xs, _k2, GradSpan(x), accumulate: true);
    }

    /// <summary>
    /// out = v·a + b + w·k per channel, or out += that when <paramref name="accumulate"/>; b and the extra term are optional.
    /// </summary>
    private void Affine(ReadOnlySpan<float> v, float[] a, float[]? b, ReadOnlySpan<float> w, float[]? k, Span<float> output, bool accumulate = false)
    {
        Span<float> tmp = _row;
        if (_inner == 1)
        {
            for (int r = 0; r < v.Length; r += _c)
            {
                ReadOnlySpan<float> vr = v.Slice(r, _c);
                Span<float> dst = accumulate ? tmp : output.Slice(r, _c);
                if (b is null) TensorPrimitives.Multiply(vr, a, dst);
                else TensorPrimitives.MultiplyAdd(vr, a, b, dst);
                if (k is not null) TensorPrimitives.MultiplyAdd(w.Slice(r, _c), k, dst, dst);
                if (accumulate) TensorPrimitives.Add(output.Slice(r, _c), tmp, output.Slice(r, _c));
            }
            return;
        }
        for (int o = 0; o < _outer; o++)
            for (int c = 0; c < _c; c++)
            {
                int at = (o * _c + c) * _inner;
                ReadOnlySpan<float> vr = v.Slice(at, _inner);
                Span<float> dst = accumulate ? tmp : output.Slice(at, _inner);
                TensorPrimitives.Multiply(vr, a[c], dst);
                if (b is not null) TensorPrimitives.Add(dst, b[c], dst);
                if (k is not null) TensorPrimitives.MultiplyAdd(w.Slice(at, _inner), k[c], dst, dst);
                if (accumulate) TensorPrimitives.Add(output.Slice(at, _inner), tmp, output.Slice(at, _inner));
            }
    }

    /// <summary>sums[c] = Σ v (or Σ (v − center)² when <paramref name="center"/> is given) over channel c, in double.</summary>
    private void ChannelSums(ReadOnlySpan<float> v, float[]? center, double[] sums)
    {
        Array.Clear(sums);
        Span<float> tmp = _row;
        if (_inner == 1)
        {
            // Rows of C channels: float partial sums over blocks of rows, flushed into double.
            float[] block = _block;
            Array.Clear(block);
            int rows = v.Length / _c;
            for (int r = 0; r < rows; r++)
            {
                ReadOnlySpan<float> vr = v.Slice(r * _c, _c);
                if (center is null) TensorPrimitives.Add(block, vr, block);
                else
                {
                    TensorPrimitives.Subtract(vr, center, tmp);
                    TensorPrimitives.MultiplyAdd(tmp, tmp, block, block);
                }
                if ((r & 255) == 255 || r == rows - 1)
                {
                    for (int c = 0; c < _c; c++) sums[c] += block[c];
                    Array.Clear(block);
                }
            }
            return;
        }
        for (int o = 0; o < _outer; o++)
            for (int c = 0; c < _c; c++)
            {
                ReadOnlySpan<float> vr = v.Slice((o * _c + c) * _inner, _inner);
                if (center is null) sums[c] += TensorPrimitives.Sum(vr);
                else
                {
                    TensorPrimitives.Subtract(vr, center[c], tmp);
                    sums[c] += TensorPrimitives.SumOfSquares(tmp);
                }
            }
    }

    /// <summary>sums[c] = Σ dy·(x − center) over channel c, in double.</summary>
    private void ChannelDot(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float[] center, double[] sums)
    {
        Array.Clear(sums);
        Span<float> tmp = _row;
        if (_inner == 1)
        {
            float[] block = _block;
            Array.Clear(block);
            int rows = x.Length / _c;
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Subtract(x.Slice(r * _c, _c), center, tmp);
                TensorPrimitives.MultiplyAdd(tmp, dy.Slice(r * _c, _c), block, block);
                if ((r & 255) == 255 || r == rows - 1)
                {
                    for (int c = 0; c < _c; c++) sums[c] += block[c];
                    Array.Clear(block);
                }
            }
            return;
        }
        for (int o = 0; o < _outer; o++)
            for (int c = 0; c < _c; c++)
            {
                int at = (o * _c + c) * _inner;
                TensorPrimitives.Subtract(x.Slice(at, _inner), center[c], tmp);
                sums[c] += TensorPrimitives.Dot(tmp, dy.Slice(at, _inner));
            }
    }
}
