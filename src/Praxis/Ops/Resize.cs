using System.Numerics.Tensors;
using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Resizes channels-last images to (height, width) as Keras 3's <c>Resizing</c> (TensorFlow's <c>tf.image.resize</c>,
    /// <c>antialias=False</c>) does: x (N, H, W, C) → (N, height, width, C). Both modes use half-pixel centres: output o
    /// samples source coordinate (o + ½)·in/out − ½. "bilinear" interpolates the two neighbours on each axis (clamped at
    /// the edges), which is PyTorch's <c>interpolate(mode="bilinear", align_corners=False, antialias=False)</c> and ONNX
    /// Resize's <c>half_pixel</c> linear; "nearest" takes pixel min(⌊(o + ½)·in/out⌋, in − 1), PyTorch's "nearest-exact".
    /// When shrinking there is no antialiasing filter, so pixels between the sampled ones are skipped, as in Keras.
    /// </summary>
    public Tensor Resize(int height, int width, string interpolation = "bilinear") =>
        Engine.Record(new ResizeOp(this, height, width, ResizeOp.ParseInterpolation(interpolation, "Resize"), "Resize", "Resize"));

    internal Tensor Resize(int height, int width, bool nearest, string who) => Engine.Record(new ResizeOp(this, height, width, nearest, who, "Resize"));
}

/// <summary>
/// Each output pixel is a weighted sum of at most four input pixels: rows (r0, r1) with weights (1 − ly, ly) and
/// columns (c0, c1) with (1 − lx, lx), tabulated once per axis in the constructor; "nearest" is the case r0 = r1,
/// ly = 0. Forward runs one fused multiply-add over the C channels per tap; backward scatters dy with the same weights.
/// </summary>
internal sealed class ResizeOp : Op
{
    private readonly int _n, _h, _w, _c, _oh, _ow;
    private readonly int[] _r0, _r1, _c0, _c1;
    private readonly float[] _ly, _lx;
    private readonly bool _nearest;
    private readonly string _name;

    public ResizeOp(Tensor x, int height, int width, bool nearest, string who, string name) : base(x)
    {
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {x.Shape}.");
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"{who}: the output height and width must be positive; got ({height}, {width}).");
        if (x.Shape[1] <= 0 || x.Shape[2] <= 0)
            throw new ShapeMismatchException($"{who}: cannot resize an empty image; got input shape {x.Shape}.");
        _nearest = nearest;
        _name = name;
        (_n, _h, _w, _c) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        (_oh, _ow) = (height, width);
        (_r0, _r1, _ly) = Weights(_h, _oh, nearest);
        (_c0, _c1, _lx) = Weights(_w, _ow, nearest);
        Output = new Tensor(new Shape(_n, _oh, _ow, _c));
    }

    public override string Name => _name;

    /// <summary>"nearest" → true, "bilinear" → false; anything else throws naming the caller.</summary>
    public static bool ParseInterpolation(string interpolation, string who) => interpolation.ToLowerInvariant() switch
    {
        "nearest" => true,
        "bilinear" => false,
        _ => throw new ArgumentException($"{who}: interpolation must be 'nearest' or 'bilinear'; got '{interpolation}'."),
    };

    // TensorFlow's half-pixel rules with scale = in/out. Bilinear: source = (o + ½)·scale − ½, lower = max(⌊source⌋, 0),
    // upper = min(⌈source⌉, in − 1), weight of the upper = source − ⌊source⌋. Nearest: min(⌊(o + ½)·scale⌋, in − 1).
    private static (int[] Lo, int[] Hi, float[] Frac) Weights(int inLen, int outLen, bool nearest)
    {
        var lo = new int[outLen];
        var hi = new int[outLen];
        var frac = new float[outLen];
        double scale = (double)inLen / outLen;
        for (int o = 0; o < outLen; o++)
        {
            if (nearest) { lo[o] = hi[o] = Math.Min((int)Math.Floor((o + 0.5) * scale), inLen - 1); continue; }
            double src = (o + 0.5) * scale - 0.5;
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
                    if (_nearest) { Scatter(g, _r0[oh], _c0[ow], 1f, dxs); continue; }
                    Scatter(g, _r0[oh], _c0[ow], (1 - ly) * (1 - lx), dxs);
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
