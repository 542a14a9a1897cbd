using System.Numerics;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Resamples a batch of NHWC images through per-image affine maps (Keras <c>ops.image.affine_transform</c>).
    /// <paramref name="transform"/> is (N, 8) or (8,) (one map for every image) in Keras' layout
    /// [a0, a1, a2, b0, b1, b2, c0, c1]: output pixel (x, y) reads the input at
    /// (a0·x + a1·y + a2, b0·x + b1·y + b2), pixel centres at integer coordinates. Only affine maps are supported:
    /// c0 and c1 must be 0 (a projective one throws). The transform is read in <c>Forward</c>, so a recorded step
    /// resamples with whatever values it holds then. Gradients flow to the images, not to the transform.
    /// </summary>
    /// <param name="transform">(N, 8) or (8,) maps from output to input coordinates; must not require grad.</param>
    /// <param name="interpolation">"bilinear" (default) or "nearest" (round half to even).</param>
    /// <param name="fillMode">How points outside the input are read: "constant" (default; <paramref name="fillValue"/>),
    /// "reflect" (d c b a | a b c d | d c b a), "wrap" (a b c d | a b c d | a b c d) or "nearest" (a a a a | a b c d | d d d d).</param>
    /// <param name="fillValue">The value outside the input in "constant" mode (default 0).</param>
    public Tensor AffineTransform(Tensor transform, string interpolation = "bilinear", string fillMode = "constant", float fillValue = 0f) =>
        Engine.Record(new AffineTransformOp(this, transform, -1, -1, AffineTransformOp.ParseInterpolation(interpolation, "AffineTransform"),
            AffineTransformOp.ParseFillMode(fillMode, "AffineTransform"), fillValue, "AffineTransform"));
}

/// <summary>How an affine resampler reads points outside its input (Keras' <c>fill_mode</c>).</summary>
internal enum FillMode { Reflect, Wrap, Constant, Nearest }

/// <summary>
/// y[n, oy, ox, c] = Σₖ wₖ · x[n, iyₖ, ixₖ, c] over the 2×2 (bilinear) or single (nearest) input pixels around
/// (sx, sy) = A_n·(ox, oy, 1), each index mapped into the image by the fill mode (per corner, as Keras' JAX/NumPy
/// <c>map_coordinates</c>), or read as the fill value in "constant" mode. x is (N, H, W, C), the transform (N, 8) or
/// (8,), y (N, Ho, Wo, C). Forward stores every output pixel's four input offsets and weights; backward scatters
/// dy with the same weights: dx[n, iyₖ, ixₖ, c] += wₖ · dy[n, oy, ox, c]. Samples run in parallel (each writes only
/// its own images), so results do not depend on the thread count.
/// </summary>
internal sealed class AffineTransformOp : Op
{
    private readonly int _n, _h, _w, _c, _ho, _wo;
    private readonly bool _broadcast, _nearest;
    private readonly FillMode _fill;
    private readonly float _fillValue;
    private readonly string _who;
    private readonly int[] _index;      // (N, Ho·Wo, 4) input pixel offsets (y·W + x) within a sample; −1 = fill value
    private readonly float[] _weight;   // (N, Ho·Wo, 4) their interpolation weights

    public AffineTransformOp(Tensor x, Tensor transform, int outHeight, int outWidth, bool nearest, FillMode fill, float fillValue, string who)
        : base(x, transform)
    {
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who} expects a batch of images (batch, height, width, channels); got shape {x.Shape}.");
        _n = x.Shape[0]; _h = x.Shape[1]; _w = x.Shape[2]; _c = x.Shape[3];
        if (_h < 1 || _w < 1) throw new ShapeMismatchException($"{who} needs images of at least 1×1; got shape {x.Shape}.");
        _broadcast = transform.Rank == 1 || (transform.Rank == 2 && transform.Shape[0] == 1 && _n != 1);
        bool ok = transform.Rank == 1 ? transform.Shape[0] == 8 : transform.Rank == 2 && transform.Shape[1] == 8 && (transform.Shape[0] == _n || transform.Shape[0] == 1);
        if (!ok) throw new ShapeMismatchException($"{who}: the transform must be (8,) or ({_n}, 8) for images of shape {x.Shape}; got shape {transform.Shape}.");
        if (transform.RequiresGrad)
            throw new NotSupportedException($"{who}: no gradient flows to the transform; pass a tensor that does not require grad (Detach it).");
        _ho = outHeight < 0 ? _h : outHeight;
        _wo = outWidth < 0 ? _w : outWidth;
        _nearest = nearest;
        _fill = fill;
        _fillValue = fillValue;
        _who = who;
        _index = new int[_n * _ho * _wo * 4];
        _weight = new float[_index.Length];
        Output = new Tensor(new Shape(_n, _ho, _wo, _c));
    }

    public override string Name => "AffineTransform";

    internal static bool ParseInterpolation(string interpolation, string who) => interpolation switch
    {
        "bilinear" => false,
        "nearest" => true,
        _ => throw new ArgumentException($"{who}: interpolation must be \"bilinear\" or \"nearest\"; got \"{interpolation}\"."),
    };

    internal static FillMode ParseFillMode(string fillMode, string who) => fillMode switch
    {
        "reflect" => FillMode.Reflect,
        "wrap" => FillMode.Wrap,
        "constant" => FillMode.Constant,
        "nearest" => FillMode.Nearest,
        _ => throw new ArgumentException($"{who}: fill_mode must be \"reflect\", \"wrap\", \"constant\" or \"nearest\"; got \"{fillMode}\"."),
    };

    internal static string FillModeName(FillMode m) => m switch
    {
        FillMode.Reflect => "reflect",
        FillMode.Wrap => "wrap",
        FillMode.Nearest => "nearest",
        _ => "constant",
    };

    public override void Forward()
    {
        ReadOnlySpan<float> t = Inputs[1].Span;
        for (int r = 0; r < t.Length; r += 8)
            if (t[r + 6] != 0f || t[r + 7] != 0f)
                throw new NotSupportedException($"{_who}: only affine transforms are supported (c0 = c1 = 0); row {r / 8} has c0 = {t[r + 6]}, c1 = {t[r + 7]}.");
        var body = new Body { Op = this, Backward = false };
        Run(ref body);
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        GradSpan(x); // created before the samples run in parallel
        var body = new Body { Op = this, Backward = true };
        Run(ref body);
    }

    private void Run(ref Body body)
    {
        if (_n > 1 && KernelPool.MaxParallelism > 1) KernelPool.For(_n, ref body);
        else for (int i = 0; i < _n; i++) body.Invoke(i);
    }

    private struct Body : IParallelBody
    {
        public AffineTransformOp Op;
        public bool Backward;

        public readonly void Invoke(int index)
        {
            if (Backward) Op.BackwardSample(index);
            else Op.ForwardSample(index);
        }
    }

    /// <summary>An integer coordinate mapped into [0, len) by the fill mode, or −1 for the fill value.</summary>
    private int MapIndex(long i, int len)
    {
        if ((ulong)i < (ulong)len) return (int)i;
        switch (_fill)
        {
            case FillMode.Nearest: return i < 0 ? 0 : len - 1;
            case FillMode.Wrap: { long m = i % len; return (int)(m < 0 ? m + len : m); }
            case FillMode.Reflect:
            {
                // Half-sample symmetric (the edge pixel repeats): period 2·len, mirrored in its second half.
                long p = 2L * len, m = i % p;
                if (m < 0) m += p;
                return (int)(m < len ? m : p - 1 - m);
            }
            default: return -1;
        }
    }

    private void ForwardSample(int s)
    {
        ReadOnlySpan<float> t = Inputs[1].Span.Slice(_broadcast ? 0 : s * 8, 8);
        double a0 = t[0], a1 = t[1], a2 = t[2], b0 = t[3], b1 = t[4], b2 = t[5];
        int c = _c, pixels = _ho * _wo;
        ReadOnlySpan<float> x = Inputs[0].Span.Slice(s * _h * _w * c, _h * _w * c);
        Span<float> y = Output.Span.Slice(s * pixels * c, pixels * c);
        Span<int> index = _index.AsSpan(s * pixels * 4, pixels * 4);
        Span<float> weight = _weight.AsSpan(s * pixels * 4, pixels * 4);
        for (int oy = 0, o = 0; oy < _ho; oy++)
            for (int ox = 0; ox < _wo; ox++, o++)
            {
                double sx = a0 * ox + a1 * oy + a2, sy = b0 * ox + b1 * oy + b2;
                var id = index.Slice(o * 4, 4);
                var wt = weight.Slice(o * 4, 4);
                if (_nearest)
                {
                    int ix = MapIndex(Clip(Math.Round(sx)), _w), iy = MapIndex(Clip(Math.Round(sy)), _h);
                    id[0] = ix < 0 || iy < 0 ? -1 : iy * _w + ix;
                    wt[0] = 1f;
                    id[1] = id[2] = id[3] = -1;
                    wt[1] = wt[2] = wt[3] = 0f;
                }
                else
                {
                    double fx0 = Math.Floor(sx), fy0 = Math.Floor(sy);
                    float fx = (float)(sx - fx0), fy = (float)(sy - fy0);
                    long lx = Clip(fx0), ly = Clip(fy0);
                    int x0 = MapIndex(lx, _w), x1 = MapIndex(lx + 1, _w), y0 = MapIndex(ly, _h), y1 = MapIndex(ly + 1, _h);
                    id[0] = x0 < 0 || y0 < 0 ? -1 : y0 * _w + x0;
                    id[1] = x1 < 0 || y0 < 0 ? -1 : y0 * _w + x1;
                    id[2] = x0 < 0 || y1 < 0 ? -1 : y1 * _w + x0;
                    id[3] = x1 < 0 || y1 < 0 ? -1 : y1 * _w + x1;
                    wt[0] = (1f - fy) * (1f - fx); wt[1] = (1f - fy) * fx; wt[2] = fy * (1f - fx); wt[3] = fy * fx;
                }
                Gather(x, y.Slice(o * c, c), id, wt);
            }
    }

    /// <summary>A coordinate as a long, far-off (or NaN) ones pinned well outside any image so the index maps stay exact.</summary>
    private static long Clip(double v) => double.IsNaN(v) ? -(1L << 40) : (long)Math.Clamp(v, -(1L << 40), 1L << 40);

    /// <summary>dst[c] = Σₖ wₖ · x[idₖ·C + c] (+ wₖ · fill for idₖ = −1).</summary>
    private void Gather(ReadOnlySpan<float> x, Span<float> dst, ReadOnlySpan<int> id, ReadOnlySpan<float> wt)
    {
        int c = dst.Length;
        float fill = 0f;
        for (int k = 0; k < 4; k++) if (id[k] < 0) fill += wt[k];
        fill *= _fillValue;
        if (c == 1)
        {
            float v = fill;
            for (int k = 0; k < 4; k++) if (id[k] >= 0) v += wt[k] * x[id[k]];
            dst[0] = v;
            return;
        }
        dst.Fill(fill);
        for (int k = 0; k < 4; k++)
        {
            if (id[k] < 0 || wt[k] == 0f) continue;
            AddScaled(dst, x.Slice(id[k] * c, c), wt[k]);
        }
    }

    /// <summary>dst += w · src over the channels, in SIMD lanes where there are enough of them.</summary>
    private static void AddScaled(Span<float> dst, ReadOnlySpan<float> src, float w)
    {
        int i = 0, lanes = Vector<float>.Count;
        if (dst.Length >= lanes)
        {
            var vw = new Vector<float>(w);
            for (; i <= dst.Length - lanes; i += lanes)
                (new Vector<float>(dst.Slice(i)) + vw * new Vector<float>(src.Slice(i))).CopyTo(dst.Slice(i));
        }
        for (; i < dst.Length; i++) dst[i] += w * src[i];
    }

    private void BackwardSample(int s)
    {
        int c = _c, pixels = _ho * _wo;
        Span<float> gx = Inputs[0].Grad!.Span.Slice(s * _h * _w * c, _h * _w * c);
        ReadOnlySpan<float> gy = OutGrad.Slice(s * pixels * c, pixels * c);
        ReadOnlySpan<int> index = _index.AsSpan(s * pixels * 4, pixels * 4);
        ReadOnlySpan<float> weight = _weight.AsSpan(s * pixels * 4, pixels * 4);
        for (int o = 0; o < pixels; o++)
        {
            var g = gy.Slice(o * c, c);
            for (int k = 0; k < 4; k++)
            {
                int id = index[o * 4 + k];
                float w = weight[o * 4 + k];
                if (id < 0 || w == 0f) continue;
                if (c == 1) gx[id] += w * g[0];
                else AddScaled(gx.Slice(id * c, c), g, w);
            }
        }
    }
}
