using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Layer normalization over the trailing axes covered by <paramref name="gamma"/>/<paramref name="beta"/> (or the
    /// last <paramref name="normalizedRank"/> axes when both are null): y = (x − mean) / √(var + ε) · γ + β, with the
    /// biased variance, as Keras <c>LayerNormalization</c> and PyTorch <c>layer_norm</c>. One fused op: forward caches
    /// the mean and 1/σ of each row, backward is the closed form (llm.c's layernorm_backward).
    /// </summary>
    public Tensor LayerNorm(Tensor? gamma, Tensor? beta, float epsilon, int normalizedRank = 1) =>
        Engine.Record(new LayerNormOp(this, gamma, beta, epsilon, normalizedRank));
}

/// <summary>
/// x viewed as (rows, n): x̂ = (x − μ)·r with r = 1/√(σ² + ε); y = x̂·γ + β.
/// Backward: dβ += Σ_rows dy; dγ += Σ_rows dy·x̂; with g = dy·γ, dx += r·(g − mean(g) − x̂·mean(g·x̂)).
/// Each row is two passes forward (mean, then variance and output) and two backward (the sums, then dx), in 512-bit
/// lanes with a scalar tail.
/// </summary>
internal sealed class LayerNormOp : Op
{
    private readonly int _rows, _n;
    private readonly float _eps;
    private readonly Tensor? _gamma, _beta;
    private readonly float[] _mean, _rstd, _ones, _zeros;

    public LayerNormOp(Tensor x, Tensor? gamma, Tensor? beta, float eps, int normalizedRank)
        : base(new[] { x, gamma, beta }.Where(t => t is not null).ToArray()!)
    {
        _gamma = gamma; _beta = beta; _eps = eps;
        var param = gamma ?? beta;
        int k = param?.Rank ?? normalizedRank;
        if (k < 1 || k > x.Rank)
            throw new ShapeMismatchException($"LayerNorm: cannot normalize the last {k} axes of a tensor of shape {x.Shape}.");
        var trailing = new Shape(x.Shape.Dims[(x.Rank - k)..]);
        foreach (var p in new[] { gamma, beta })
            if (p is not null && p.Shape != trailing)
                throw new ShapeMismatchException($"LayerNorm: parameter shape {p.Shape} does not match the normalized axes {trailing} of input {x.Shape}.");
        if (eps < 0) throw new ArgumentOutOfRangeException(nameof(eps), $"LayerNorm: epsilon must be >= 0; got {eps}.");
        _n = trailing.Size;
        _rows = x.Size / Math.Max(_n, 1);
        _mean = new float[_rows];
        _rstd = new float[_rows];
        // Stand-ins for a missing γ (ones) or β (zeros), so the kernels have one form.
        _ones = gamma is null ? Enumerable.Repeat(1f, _n).ToArray() : [];
        _zeros = beta is null ? new float[_n] : [];
        Output = new Tensor(x.Shape);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        ReadOnlySpan<float> g = _gamma is null ? _ones : _gamma.Span, b = _beta is null ? _zeros : _beta.Span;
        Span<float> y = Output.Span;
        for (int r = 0; r < _rows; r++)
        {
            var (mean, rstd) = RowForward(x.Slice(r * _n, _n), g, b, y.Slice(r * _n, _n), _eps);
            _mean[r] = mean;
            _rstd[r] = rstd;
        }
    }

    // The row kernels are written once over the SIMD width; a row that fills no vector runs the scalar tail only.
    private static (float Mean, float Rstd) RowForward(ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> y, float eps) =>
        Simd.For(x.Length) switch
        {
            SimdPath.Vector512 => RowForward<Width512, Vector512<float>>(x, g, b, y, eps),
            SimdPath.Vector256 => RowForward<Width256, Vector256<float>>(x, g, b, y, eps),
            SimdPath.Vector128 => RowForward<Width128, Vector128<float>>(x, g, b, y, eps),
            _ => RowForward<Width128, Vector128<float>>(x, g, b, y, eps, scalar: true),
        };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (float Mean, float Rstd) RowForward<TW, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<float> y, float eps,
        bool scalar = false) where TW : IVectorWidth<TV> where TV : struct
    {
        int n = x.Length, w = scalar ? n + 1 : TW.Count, j = 0;
        var acc = TW.Zero;
        for (; j <= n - w; j += w) acc = TW.Add(acc, TW.Load(x, j));
        float sum = scalar ? 0f : TW.Sum(acc);
        for (; j < n; j++) sum += x[j];
        float mean = sum / n;
        var vm = TW.Splat(mean);
        acc = TW.Zero;
        for (j = 0; j <= n - w; j += w)
        {
            var d = TW.Sub(TW.Load(x, j), vm);
            acc = TW.Add(acc, TW.Mul(d, d));
        }
        float ss = scalar ? 0f : TW.Sum(acc);
        for (; j < n; j++) ss += (x[j] - mean) * (x[j] - mean);
        float rstd = 1f / MathF.Sqrt(ss / n + eps);
        var vr = TW.Splat(rstd);
        for (j = 0; j <= n - w; j += w)
        {
            var xh = TW.Mul(TW.Sub(TW.Load(x, j), vm), vr);
            TW.Store(TW.Add(TW.Mul(xh, TW.Load(g, j)), TW.Load(b, j)), y, j);
        }
        for (; j < n; j++) y[j] = (x[j] - mean) * rstd * g[j] + b[j];
        return (mean, rstd);
    }

    public override void Backward()
    {
        Tensor x = Inputs[0];
        ReadOnlySpan<float> xs = x.Span, gy = OutGrad;
        ReadOnlySpan<float> g = _gamma is null ? _ones : _gamma.Span;
        Span<float> gx = x.RequiresGrad ? GradSpan(x) : default;
        Span<float> gg = _gamma is { RequiresGrad: true } ? GradSpan(_gamma) : default;
        Span<float> gb = _beta is { RequiresGrad: true } ? GradSpan(_beta) : default;
        for (int r = 0; r < _rows; r++)
            RowBackward(xs.Slice(r * _n, _n), gy.Slice(r * _n, _n), g, _mean[r], _rstd[r], gx.IsEmpty ? gx : gx.Slice(r * _n, _n), gg, gb);
    }

    private static void RowBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> g, float mean, float rstd,
        Span<float> dx, Span<float> dg, Span<float> db)
    {
        switch (Simd.For(x.Length))
        {
            case SimdPath.Vector512: RowBackward<Width512, Vector512<float>>(x, dy, g, mean, rstd, dx, dg, db); break;
            case SimdPath.Vector256: RowBackward<Width256, Vector256<float>>(x, dy, g, mean, rstd, dx, dg, db); break;
            case SimdPath.Vector128: RowBackward<Width128, Vector128<float>>(x, dy, g, mean, rstd, dx, dg, db); break;
            default: RowBackward<Width128, Vector128<float>>(x, dy, g, mean, rstd, dx, dg, db, scalar: true); break;
        }
    }

    // Pass 1: dβ += dy; dγ += dy·x̂; Σ dy·γ and Σ dy·γ·x̂. Pass 2: dx += r·(dy·γ − mean(dy·γ) − x̂·mean(dy·γ·x̂)).
    private static void RowBackward<TW, TV>(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<float> g, float mean, float rstd,
        Span<float> dx, Span<float> dg, Span<float> db, bool scalar = false) where TW : IVectorWidth<TV> where TV : struct
    {
        int n = x.Length, w = scalar ? n + 1 : TW.Count, j = 0;
        var vm = TW.Splat(mean);
        var vr = TW.Splat(rstd);
        var s1 = TW.Zero;
        var s2 = TW.Zero;
        for (; j <= n - w; j += w)
        {
            var xh = TW.Mul(TW.Sub(TW.Load(x, j), vm), vr);
            var d = TW.Load(dy, j);
            if (!db.IsEmpty) TW.Store(TW.Add(TW.Load(db, j), d), db, j);
            if (!dg.IsEmpty) TW.Store(TW.Add(TW.Load(dg, j), TW.Mul(d, xh)), dg, j);
            var dn = TW.Mul(d, TW.Load(g, j));
            s1 = TW.Add(s1, dn);
            s2 = TW.Add(s2, TW.Mul(dn, xh));
        }
        float sum1 = scalar ? 0f : TW.Sum(s1), sum2 = scalar ? 0f : TW.Sum(s2);
        for (; j < n; j++)
        {
            float xh = (x[j] - mean) * rstd;
            if (!db.IsEmpty) db[j] += dy[j];
            if (!dg.IsEmpty) dg[j] += dy[j] * xh;
            float dn = dy[j] * g[j];
            sum1 += dn;
            sum2 += dn * xh;
        }
        if (dx.IsEmpty) return;
        float m1 = sum1 / n, m2 = sum2 / n;
        var vm1 = TW.Splat(m1);
        var vm2 = TW.Splat(m2);
        for (j = 0; j <= n - w; j += w)
        {
            var xh = TW.Mul(TW.Sub(TW.Load(x, j), vm), vr);
            var dn = TW.Mul(TW.Load(dy, j), TW.Load(g, j));
            TW.Store(TW.Add(TW.Load(dx, j), TW.Mul(vr, TW.Sub(TW.Sub(dn, vm1), TW.Mul(xh, vm2)))), dx, j);
        }
        for (; j < n; j++)
        {
            float xh = (x[j] - mean) * rstd;
            dx[j] += rstd * (dy[j] * g[j] - m1 - xh * m2);
        }
    }
}
