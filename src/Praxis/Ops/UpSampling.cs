using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Upsamples channels-last images by integer factors (Keras <c>UpSampling2D</c>): x (N, H, W, C) →
    /// (N, H·sh, W·sw, C). "nearest" repeats each pixel; "bilinear" interpolates with half-pixel centres, as
    /// TensorFlow's <c>tf.image.resize</c> does.
    /// </summary>
    public Tensor UpSampling2D(Size2 size, string interpolation = "nearest") => Engine.Record(new UpSampling2DOp(this, size, interpolation, "UpSampling2D"));

    internal Tensor UpSampling2D(Size2 size, string interpolation, string who) => Engine.Record(new UpSampling2DOp(this, size, interpolation, who));
}

/// <summary>
/// Each output pixel is a weighted sum of at most four input pixels: rows (r0, r1) with weight (1 − ly, ly) and
/// columns (c0, c1) with (1 − lx, lx); "nearest" is the special case r0 = r1 = ⌊oh/sh⌋, ly = 0. Backward scatters dy
/// with the same weights.
/// </summary>
internal sealed class UpSampling2DOp : Op
{
    private readonly int _n, _h, _w, _c, _oh, _ow;
    private readonly int[] _r0, _r1, _c0, _c1;
    private readonly float[] _ly, _lx;
    private readonly bool _nearest;

    public UpSampling2DOp(Tensor x, Size2 size, string interpolation, string who) : base(x)
    {
        size.RequirePositive("size");
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {x.Shape}.");
        _nearest = interpolation.ToLowerInvariant() switch
        {
            "nearest" => true,
            "bilinear" => false,
            _ => throw new ArgumentException($"{who}: interpolation must be 'nearest' or 'bilinear'; got '{interpolation}'."),
        };
        (_n, _h, _w, _c) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        (_oh, _ow) = (_h * size.Height, _w * size.Width);
        (_r0, _r1, _ly) = Weights(_h, _oh, size.Height, _nearest);
        (_c0, _c1, _lx) = Weights(_w, _ow, size.Width, _nearest);
        Output = new Tensor(new Shape(_n, _oh, _ow, _c));
    }

    public override string Name => "UpSampling2D";

    // TensorFlow's half-pixel rule: source = (o + 0.5)/scale − 0.5; lower = max(⌊source⌋, 0), upper = min(⌈source⌉, in − 1).
    private static (int[] Lo, int[] Hi, float[] Frac) Weights(int inLen, int outLen, int scale, bool nearest)
    {
        var lo = new int[outLen];
        var hi = new int[outLen];
        var frac = new float[outLen];
        for (int o = 0; o < outLen; o++)
        {
            if (nearest) { lo[o] = hi[o] = o / scale; continue; }
            double src = (o + 0.5) / scale - 0.5;
            double fl = Math.Floor(src);
            lo[o] = Math.Max((int)fl, 0);
            hi[o] = Math.Min((int)Math.Ceiling(src), inLen - 1);
            frac[o] = (float)(src - fl);
        }
        return (lo, hi, frac);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int c = _c;
        for (int n = 0; n < _n; n++)
        {
            ReadOnlySpan<float> xs = x.Slice(n * _h * _w * c, _h * _w * c);
            Span<float> ys = y.Slice(n * _oh * _ow * c, _oh * _ow * c);
            for (int oh = 0; oh < _oh; oh++)
                for (int ow = 0; ow < _ow; ow++)
                {
                    Span<float> yo = ys.Slice((oh * _ow + ow) * c, c);
                    if (_nearest)
                    {
                        xs.Slice((_r0[oh] * _w + _c0[ow]) * c, c).CopyTo(yo);
                        continue;
                    }
                    float ly = _ly[oh], lx = _lx[ow];
                    yo.Clear();
                    Accumulate(xs, _r0[oh], _c0[ow], (1 - ly) * (1 - lx), yo);
                    Accumulate(xs, _r0[oh], _c1[ow], (1 - ly) * lx, yo);
                    Accumulate(xs, _r1[oh], _c0[ow], ly * (1 - lx), yo);
                    Accumulate(xs, _r1[oh], _c1[ow], ly * lx, yo);
                }
        }
    }

    private void Accumulate(ReadOnlySpan<float> xs, int r, int col, float weight, Span<float> yo)
    {
        if (weight != 0f) TensorPrimitives.MultiplyAdd(xs.Slice((r * _w + col) * _c, _c), weight, yo, yo);
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> dx = GradSpan(x);
        ReadOnlySpan<float> dy = OutGrad;
        int c = _c;
        for (int n = 0; n < _n; n++)
        {
            Span<float> dxs = dx.Slice(n * _h * _w * c, _h * _w * c);
            ReadOnlySpan<float> dys = dy.Slice(n * _oh * _ow * c, _oh * _ow * c);
            for (int oh = 0; oh < _oh; oh++)
                for (int ow = 0; ow < _ow; ow++)
                {
                    ReadOnlySpan<float> g = dys.Slice((oh * _ow + ow) * c, c);
                    float ly = _ly[oh], lx = _lx[ow];
                    Scatter(g, _r0[oh], _c0[ow], (1 - ly) * (1 - lx), dxs);
                    if (_nearest) continue;
                    Scatter(g, _r0[oh], _c1[ow], (1 - ly) * lx, dxs);
                    Scatter(g, _r1[oh], _c0[ow], ly * (1 - lx), dxs);
                    Scatter(g, _r1[oh], _c1[ow], ly * lx, dxs);
                }
        }
    }

    private void Scatter(ReadOnlySpan<float> g, int r, int col, float weight, Span<float> dxs)
    {
        if (weight == 0f) return;
        Span<float> d = dxs.Slice((r * _w + col) * _c, _c);
        TensorPrimitives.MultiplyAdd(g, weight, d, d);
    }
}
