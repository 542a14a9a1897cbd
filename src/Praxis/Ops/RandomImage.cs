using Praxis.Autograd;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Flips each NHWC image left-right (<paramref name="horizontal"/>) and/or top-bottom (<paramref name="vertical"/>),
    /// each with probability ½ and independently per image and axis, drawn inside the op's forward pass (so every
    /// replayed step draws afresh) from <paramref name="rng"/> or the global generator. The <c>RandomFlip</c> layer
    /// calls it in training only.
    /// </summary>
    public Tensor RandomFlip(bool horizontal = true, bool vertical = true, Rng? rng = null) =>
        Engine.Record(new RandomFlipOp(this, horizontal, vertical, rng, "RandomFlip"));

    /// <summary>
    /// Per image, a contrast factor f uniform in [<paramref name="low"/>, <paramref name="high"/>) (drawn in the forward
    /// pass): y = clip((x − mean) · f + mean, valueRange), the mean per image and channel (Keras <c>RandomContrast</c>).
    /// </summary>
    public Tensor RandomContrast(float low, float high, (float Low, float High) valueRange, Rng? rng = null) =>
        Engine.Record(new RandomContrastOp(this, low, high, valueRange, rng, "RandomContrast"));

    /// <summary>
    /// A (height, width) window of every NHWC image, at one random offset for the whole batch drawn in the forward pass
    /// (Keras <c>RandomCrop</c> in training). The images must be at least that large.
    /// </summary>
    public Tensor RandomCrop(int height, int width, Rng? rng = null) =>
        Engine.Record(new RandomCropOp(this, height, width, rng, "RandomCrop"));
}

/// <summary>Which random affine map <see cref="RandomImageTransformOp"/> draws.</summary>
internal enum RandomTransformKind { Rotation, Zoom, Translation }

/// <summary>
/// Draws a (N, 8) batch of Keras affine transforms (output → input pixel coordinates, see
/// <see cref="Tensor.AffineTransform"/>) inside <see cref="Forward"/>, one per image, from the given generator or the
/// global one as it is at each step. Keras 3's maps for an H×W image:
/// rotation by θ (counter-clockwise on screen for θ &gt; 0) about the centre ((W−1)/2, (H−1)/2):
/// [cos θ, −sin θ, ((W−1) − (cos θ·(W−1) − sin θ·(H−1)))/2, sin θ, cos θ, ((H−1) − (sin θ·(W−1) + cos θ·(H−1)))/2, 0, 0];
/// zoom by (zx, zy) about the centre (z &gt; 1 samples a wider window: zooms out): [zx, 0, (W−1)/2·(1 − zx), 0, zy, (H−1)/2·(1 − zy), 0, 0];
/// translation by (dx, dy) pixels (positive: right, down): [1, 0, −dx, 0, 1, −dy, 0, 0].
/// No inputs, so no gradient.
/// </summary>
internal sealed class RandomImageTransformOp : Op
{
    private readonly RandomTransformKind _kind;
    private readonly int _n, _h, _w;
    private readonly double _lo0, _hi0, _lo1, _hi1;
    private readonly bool _second;
    private readonly Rng? _rng;

    /// <param name="kind">The map.</param>
    /// <param name="n">Images in the batch.</param>
    /// <param name="h">Image height.</param>
    /// <param name="w">Image width.</param>
    /// <param name="range0">Rotation: the angle range in radians; zoom: the height zoom (1 + factor); translation: the height shift as a fraction of H.</param>
    /// <param name="range1">Zoom: the width zoom, or null to reuse the height zoom; translation: the width shift as a fraction of W.</param>
    /// <param name="rng">The layer's generator, or null for the global one.</param>
    public RandomImageTransformOp(RandomTransformKind kind, int n, int h, int w, (double Lo, double Hi) range0, (double Lo, double Hi)? range1, Rng? rng)
    {
        _kind = kind;
        _n = n; _h = h; _w = w;
        (_lo0, _hi0) = range0;
        _second = range1 is not null;
        (_lo1, _hi1) = range1 ?? (0, 0);
        _rng = rng;
        Output = new Tensor(new Shape(n, 8));
    }

    public override string Name => "Random" + _kind;

    public override void Forward()
    {
        var rng = _rng ?? Rng.Global;
        Span<float> t = Output.Span;
        double wm = _w - 1, hm = _h - 1;
        for (int i = 0; i < _n; i++)
        {
            var r = t.Slice(i * 8, 8);
            r.Clear();
            double u = _lo0 + (_hi0 - _lo0) * rng.NextDouble();
            switch (_kind)
            {
                case RandomTransformKind.Rotation:
                {
                    double cos = Math.Cos(u), sin = Math.Sin(u);
                    r[0] = (float)cos; r[1] = (float)-sin; r[2] = (float)((wm - (cos * wm - sin * hm)) / 2);
                    r[3] = (float)sin; r[4] = (float)cos; r[5] = (float)((hm - (sin * wm + cos * hm)) / 2);
                    break;
                }
                case RandomTransformKind.Zoom:
                {
                    double zy = u, zx = _second ? _lo1 + (_hi1 - _lo1) * rng.NextDouble() : zy;
                    r[0] = (float)zx; r[2] = (float)(wm / 2 * (1 - zx));
                    r[4] = (float)zy; r[5] = (float)(hm / 2 * (1 - zy));
                    break;
                }
                default:
                {
                    double dy = u * _h, dx = (_lo1 + (_hi1 - _lo1) * rng.NextDouble()) * _w;
                    r[0] = 1f; r[2] = (float)-dx;
                    r[4] = 1f; r[5] = (float)-dy;
                    break;
                }
            }
        }
    }

    public override void Backward() { }
}

/// <summary>
/// y[n] = x[n] flipped on W when hₙ and on H when vₙ, the bits drawn per image in <see cref="Forward"/>. The map is a
/// permutation that is its own inverse, so backward applies it to dy and adds.
/// </summary>
internal sealed class RandomFlipOp : Op
{
    private readonly int _n, _h, _w, _c;
    private readonly bool _horizontal, _vertical;
    private readonly bool[] _flipW, _flipH;
    private readonly Rng? _rng;

    public RandomFlipOp(Tensor x, bool horizontal, bool vertical, Rng? rng, string who) : base(x)
    {
        if (x.Rank != 4) throw new ShapeMismatchException($"{who} expects a batch of images (batch, height, width, channels); got shape {x.Shape}.");
        _n = x.Shape[0]; _h = x.Shape[1]; _w = x.Shape[2]; _c = x.Shape[3];
        _horizontal = horizontal;
        _vertical = vertical;
        _rng = rng;
        _flipW = new bool[_n];
        _flipH = new bool[_n];
        Output = new Tensor(x.Shape);
    }

    public override string Name => "RandomFlip";

    public override void Forward()
    {
        var rng = _rng ?? Rng.Global;
        for (int i = 0; i < _n; i++)
        {
            _flipW[i] = _horizontal && rng.NextDouble() < 0.5;
            _flipH[i] = _vertical && rng.NextDouble() < 0.5;
        }
        Apply(Inputs[0].Span, Output.Span, accumulate: false);
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (x.RequiresGrad) Apply(OutGrad, GradSpan(x), accumulate: true);
    }

    /// <summary>dst[n, y, x] = (or +=) src[n, y', x'] with y', x' flipped per image.</summary>
    private void Apply(ReadOnlySpan<float> src, Span<float> dst, bool accumulate)
    {
        int row = _w * _c, image = _h * row;
        for (int i = 0; i < _n; i++)
            for (int y = 0; y < _h; y++)
            {
                int sy = _flipH[i] ? _h - 1 - y : y;
                var s = src.Slice(i * image + sy * row, row);
                var d = dst.Slice(i * image + y * row, row);
                if (!_flipW[i])
                {
                    if (accumulate) System.Numerics.Tensors.TensorPrimitives.Add(d, s, d);
                    else s.CopyTo(d);
                    continue;
                }
                for (int x = 0; x < _w; x++)
                {
                    var sp = s.Slice((_w - 1 - x) * _c, _c);
                    var dp = d.Slice(x * _c, _c);
                    if (accumulate) for (int k = 0; k < _c; k++) dp[k] += sp[k];
                    else sp.CopyTo(dp);
                }
            }
    }
}

/// <summary>
/// y = clip((x − m) · f + m, lo, hi) with f per image drawn in <see cref="Forward"/> and m the mean of each image's
/// channel over H·W. With p the pass mask of the clip (lo ≤ pre ≤ hi) and g = dy · p, the mean's share gives
/// dx_j = f · g_j + (1 − f)/(H·W) · Σ_k g_k over the same image and channel.
/// </summary>
internal sealed class RandomContrastOp : Op
{
    private readonly int _n, _hw, _c;
    private readonly float _low, _high, _min, _max;
    private readonly float[] _factor, _mean, _sum;
    private readonly Rng? _rng;

    public RandomContrastOp(Tensor x, float low, float high, (float Low, float High) valueRange, Rng? rng, string who) : base(x)
    {
        if (x.Rank != 4) throw new ShapeMismatchException($"{who} expects a batch of images (batch, height, width, channels); got shape {x.Shape}.");
        if (!(high >= low)) throw new ArgumentException($"{who}: the factor range must have low <= high; got [{low}, {high}].");
        if (!(valueRange.High >= valueRange.Low)) throw new ArgumentException($"{who}: value_range must be (low, high) with low <= high; got ({valueRange.Low}, {valueRange.High}).");
        _n = x.Shape[0]; _hw = x.Shape[1] * x.Shape[2]; _c = x.Shape[3];
        (_low, _high, _min, _max) = (low, high, valueRange.Low, valueRange.High);
        _rng = rng;
        _factor = new float[_n];
        _mean = new float[_n * _c];
        _sum = new float[_c];
        Output = new Tensor(x.Shape);
    }

    public override string Name => "RandomContrast";

    public override void Forward()
    {
        var rng = _rng ?? Rng.Global;
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int image = _hw * _c;
        for (int i = 0; i < _n; i++)
        {
            float f = _factor[i] = (float)(_low + (_high - _low) * rng.NextDouble());
            var xi = x.Slice(i * image, image);
            var m = _mean.AsSpan(i * _c, _c);
            m.Clear();
            for (int p = 0; p < _hw; p++)
                for (int k = 0; k < _c; k++) m[k] += xi[p * _c + k];
            for (int k = 0; k < _c; k++) m[k] /= _hw;
            var yi = y.Slice(i * image, image);
            for (int p = 0; p < _hw; p++)
                for (int k = 0; k < _c; k++)
                    yi[p * _c + k] = Math.Clamp((xi[p * _c + k] - m[k]) * f + m[k], _min, _max);
        }
    }

    public override void Backward()
    {
        var xt = Inputs[0];
        if (!xt.RequiresGrad) return;
        ReadOnlySpan<float> x = xt.Span, gy = OutGrad;
        Span<float> gx = GradSpan(xt);
        Span<float> sum = _sum;
        int image = _hw * _c;
        for (int i = 0; i < _n; i++)
        {
            float f = _factor[i];
            var m = _mean.AsSpan(i * _c, _c);
            int b = i * image;
            sum.Clear();
            for (int p = 0; p < _hw; p++)
                for (int k = 0; k < _c; k++)
                {
                    int j = b + p * _c + k;
                    float pre = (x[j] - m[k]) * f + m[k];
                    if (pre >= _min && pre <= _max) sum[k] += gy[j];
                }
            for (int k = 0; k < _c; k++) sum[k] *= (1f - f) / _hw;
            for (int p = 0; p < _hw; p++)
                for (int k = 0; k < _c; k++)
                {
                    int j = b + p * _c + k;
                    float pre = (x[j] - m[k]) * f + m[k];
                    gx[j] += (pre >= _min && pre <= _max ? f * gy[j] : 0f) + sum[k];
                }
        }
    }
}

/// <summary>
/// y = x[:, top : top + h, left : left + w, :] with one (top, left) for the batch, drawn uniformly in
/// <see cref="Forward"/>; backward adds dy into that window.
/// </summary>
internal sealed class RandomCropOp : Op
{
    private readonly int _n, _h, _w, _c, _ch, _cw;
    private readonly Rng? _rng;
    private int _top, _left;

    public RandomCropOp(Tensor x, int height, int width, Rng? rng, string who) : base(x)
    {
        if (x.Rank != 4) throw new ShapeMismatchException($"{who} expects a batch of images (batch, height, width, channels); got shape {x.Shape}.");
        _n = x.Shape[0]; _h = x.Shape[1]; _w = x.Shape[2]; _c = x.Shape[3];
        if (height < 1 || width < 1 || height > _h || width > _w)
            throw new ShapeMismatchException($"{who}: a {height}×{width} crop needs images at least that large; got shape {x.Shape}.");
        (_ch, _cw) = (height, width);
        _rng = rng;
        Output = new Tensor(new Shape(_n, height, width, _c));
    }

    public override string Name => "RandomCrop";

    public override void Forward()
    {
        var rng = _rng ?? Rng.Global;
        _top = rng.NextInt(_h - _ch + 1);
        _left = rng.NextInt(_w - _cw + 1);
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        int row = _cw * _c;
        for (int i = 0; i < _n; i++)
            for (int r = 0; r < _ch; r++)
                x.Slice(((i * _h + _top + r) * _w + _left) * _c, row).CopyTo(y.Slice((i * _ch + r) * row, row));
    }

    public override void Backward()
    {
        var xt = Inputs[0];
        if (!xt.RequiresGrad) return;
        Span<float> gx = GradSpan(xt);
        ReadOnlySpan<float> gy = OutGrad;
        int row = _cw * _c;
        for (int i = 0; i < _n; i++)
            for (int r = 0; r < _ch; r++)
            {
                var d = gx.Slice(((i * _h + _top + r) * _w + _left) * _c, row);
                System.Numerics.Tensors.TensorPrimitives.Add(d, gy.Slice((i * _ch + r) * row, row), d);
            }
    }
}
