using System.Numerics.Tensors;
using Praxis.Autograd;

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
/// </summary>
internal sealed class LayerNormOp : Op
{
    private readonly int _rows, _n;
    private readonly float _eps;
    private readonly Tensor? _gamma, _beta;
    private readonly float[] _mean, _rstd, _scratch;

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
        _scratch = new float[2 * _n];
        Output = new Tensor(x.Shape);
    }

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        ReadOnlySpan<float> g = _gamma is null ? default : _gamma.Span, b = _beta is null ? default : _beta.Span;
        Span<float> y = Output.Span;
        for (int r = 0; r < _rows; r++)
        {
            var xr = x.Slice(r * _n, _n);
            var yr = y.Slice(r * _n, _n);
            float mean = TensorPrimitives.Sum(xr) / _n;
            TensorPrimitives.Subtract(xr, mean, yr);
            float var = TensorPrimitives.SumOfSquares(yr) / _n;
            float rstd = 1f / MathF.Sqrt(var + _eps);
            _mean[r] = mean;
            _rstd[r] = rstd;
            if (_gamma is null) TensorPrimitives.Multiply(yr, rstd, yr);
            else
            {
                // y = (x − μ)·r·γ  (+ β below)
                TensorPrimitives.Multiply(yr, rstd, yr);
                TensorPrimitives.Multiply(yr, g, yr);
            }
            if (_beta is not null) TensorPrimitives.Add(yr, b, yr);
        }
    }

    public override void Backward()
    {
        Tensor x = Inputs[0];
        ReadOnlySpan<float> xs = x.Span, gy = OutGrad;
        ReadOnlySpan<float> g = _gamma is null ? default : _gamma.Span;
        Span<float> gx = x.RequiresGrad ? GradSpan(x) : default;
        Span<float> gg = _gamma is { RequiresGrad: true } ? GradSpan(_gamma) : default;
        Span<float> gb = _beta is { RequiresGrad: true } ? GradSpan(_beta) : default;
        Span<float> xhat = _scratch.AsSpan(0, _n), dn = _scratch.AsSpan(_n, _n);
        for (int r = 0; r < _rows; r++)
        {
            var gyr = gy.Slice(r * _n, _n);
            TensorPrimitives.Subtract(xs.Slice(r * _n, _n), _mean[r], xhat);
            TensorPrimitives.Multiply(xhat, _rstd[r], xhat);
            if (!gb.IsEmpty) TensorPrimitives.Add(gb, gyr, gb);
            if (!gg.IsEmpty) TensorPrimitives.MultiplyAdd(gyr, xhat, gg, gg);
            if (gx.IsEmpty) continue;
            if (_gamma is null) gyr.CopyTo(dn); else TensorPrimitives.Multiply(gyr, g, dn);
            float meanDn = TensorPrimitives.Sum(dn) / _n;
            float meanDnX = TensorPrimitives.Dot(dn, xhat) / _n;
            // dx += r·(dn − mean(dn) − x̂·mean(dn·x̂))
            var gxr = gx.Slice(r * _n, _n);
            TensorPrimitives.Subtract(dn, meanDn, dn);
            TensorPrimitives.MultiplyAdd(xhat, -meanDnX, dn, dn);
            TensorPrimitives.MultiplyAdd(dn, _rstd[r], gxr, gxr);
        }
    }
}
