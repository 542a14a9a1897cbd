using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Group normalization over channels-last data (Keras <c>GroupNormalization</c>, PyTorch's <c>group_norm</c>):
    /// x (N, …, C) with C split in <paramref name="groups"/> groups of C/G consecutive channels; each sample's group is
    /// normalised by the mean and biased variance of all its elements (every spatial position, every channel of the group),
    /// y = (x − μ)/√(σ² + ε)·γ[c] + β[c]. <paramref name="gamma"/> and <paramref name="beta"/> (C) may be null (1 and 0).
    /// </summary>
    public static Tensor GroupNorm(Tensor x, Tensor? gamma, Tensor? beta, int groups, float epsilon = 1e-3f) =>
        Engine.Record(new GroupNormOp(x, gamma, beta, groups, epsilon, "GroupNorm"));

    internal static Tensor GroupNorm(Tensor x, Tensor? gamma, Tensor? beta, int groups, float epsilon, string who) =>
        Engine.Record(new GroupNormOp(x, gamma, beta, groups, epsilon, who));
}

/// <summary>
/// x viewed as (N, S, C). Forward, per sample: channel sums over S → group means μ; Σ (x − μ)² → group variances and
/// rstd = 1/√(σ² + ε); then y = x·(rstd·γ) + (β − μ·rstd·γ), one fused multiply-add per row of C channels. Backward, with
/// x̂ = (x − μ)·rstd and M = S·C/G elements per group: dβ += Σ dy, dγ += Σ dy·x̂, and
/// dx = rstd·(dy·γ − mean_g(dy·γ) − x̂·mean_g(dy·γ·x̂)). Every loop runs over whole rows of C channels (vectorised)
/// and per-channel vectors, so small groups cost no more than large ones.
/// </summary>
/// <remarks>
/// Samples are split in lanes, each with its own scratch and partial dγ, dβ, reduced in lane order (reproducible).
/// The per-sample μ and rstd, expanded to one value per channel, are kept for backward.
/// </remarks>
internal sealed class GroupNormOp : Op
{
    private readonly int _n, _s, _c, _groups, _cg, _lanes;
    private readonly float _eps;
    private readonly bool _hasGamma, _hasBeta;
    private readonly float[] _mean, _rstd;    // (N, C): the group's statistics at each of its channels
    private readonly float[][] _scratch;      // per lane: 6 rows of C
    private float[][]? _partialGamma, _partialBeta;

    public GroupNormOp(Tensor x, Tensor? gamma, Tensor? beta, int groups, float epsilon, string who) : base(Collect(x, gamma, beta))
    {
        if (x.Rank < 2) throw new ShapeMismatchException($"{who}: expects an input with a batch and a channels axis; got shape {x.Shape}.");
        _c = x.Shape[x.Rank - 1];
        if (groups <= 0 || _c % groups != 0)
            throw new ShapeMismatchException($"{who}: the number of channels ({_c}, last axis of input {x.Shape}) must be a multiple of groups ({groups}).");
        if (gamma is not null && (gamma.Rank != 1 || gamma.Shape[0] != _c))
            throw new ShapeMismatchException($"{who}: gamma shape {gamma.Shape} does not match {_c} channels (input {x.Shape}).");
        if (beta is not null && (beta.Rank != 1 || beta.Shape[0] != _c))
            throw new ShapeMismatchException($"{who}: beta shape {beta.Shape} does not match {_c} channels (input {x.Shape}).");
        if (!(epsilon >= 0f)) throw new ArgumentOutOfRangeException(nameof(epsilon), $"{who}: epsilon must be >= 0; got {epsilon}.");
        _n = x.Shape[0];
        _s = x.Shape.SizeOf(1, x.Rank - 1);
        _groups = groups;
        _cg = _c / groups;
        _eps = epsilon;
        (_hasGamma, _hasBeta) = (gamma is not null, beta is not null);
        _mean = new float[_n * _c];
        _rstd = new float[_n * _c];
        _lanes = Lanes.Count(_n);
        _scratch = new float[_lanes][];
        for (int i = 0; i < _lanes; i++) _scratch[i] = new float[6 * _c];
        Output = new Tensor(x.Shape);
    }

    private static Tensor[] Collect(Tensor x, Tensor? gamma, Tensor? beta)
    {
        var list = new List<Tensor>(3) { x };
        if (gamma is not null) list.Add(gamma);
        if (beta is not null) list.Add(beta);
        return [.. list];
    }

    public override string Name => "GroupNorm";

    private Tensor? Gamma => _hasGamma ? Inputs[1] : null;
    private Tensor? Beta => _hasBeta ? Inputs[_hasGamma ? 2 : 1] : null;

    public override void Forward()
    {
        var body = new ForwardBody { Op = this };
        Lanes.For(_lanes, ref body);
    }

    /// <summary>Sums each group's channels of <paramref name="perChannel"/>, scales by <paramref name="factor"/>, and writes the result back to every channel of the group.</summary>
    private void GroupAverage(Span<float> perChannel, float factor)
    {
        for (int g = 0; g < _groups; g++)
        {
            var part = perChannel.Slice(g * _cg, _cg);
            part.Fill(TensorPrimitives.Sum(part) * factor);
        }
    }

    private void ForwardLane(int lane)
    {
        int c = _c, rowCount = _s;
        float inv = 1f / ((float)_s * _cg);
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span, scratch = _scratch[lane];
        Span<float> acc = scratch.Slice(0, c), row = scratch.Slice(c, c), scale = scratch.Slice(2 * c, c), shift = scratch.Slice(3 * c, c);
        var (n0, n1) = Lanes.Range(lane, _lanes, _n);
        for (int n = n0; n < n1; n++)
        {
            ReadOnlySpan<float> xs = x.Slice(n * rowCount * c, rowCount * c);
            Span<float> mean = _mean.AsSpan(n * c, c), rstd = _rstd.AsSpan(n * c, c);
            // Two passes (mean, then squared deviations) rather than E[x²] − μ², which cancels badly for large means.
            mean.Clear();
            for (int s = 0; s < rowCount; s++) TensorPrimitives.Add(mean, xs.Slice(s * c, c), mean);
            GroupAverage(mean, inv);
            acc.Clear();
            for (int s = 0; s < rowCount; s++)
            {
                TensorPrimitives.Subtract(xs.Slice(s * c, c), mean, row);
                TensorPrimitives.MultiplyAdd(row, row, acc, acc);
            }
            GroupAverage(acc, inv);
            for (int j = 0; j < c; j++) rstd[j] = 1f / MathF.Sqrt(acc[j] + _eps);
            // y = x·scale + shift with scale = rstd·γ, shift = β − μ·scale.
            if (_hasGamma) TensorPrimitives.Multiply(rstd, Gamma!.Span, scale);
            else rstd.CopyTo(scale);
            TensorPrimitives.Multiply(mean, scale, shift);
            if (_hasBeta) TensorPrimitives.Subtract(Beta!.Span, shift, shift);
            else TensorPrimitives.Negate(shift, shift);
            Span<float> ys = y.Slice(n * rowCount * c, rowCount * c);
            for (int s = 0; s < rowCount; s++) TensorPrimitives.MultiplyAdd(xs.Slice(s * c, c), scale, shift, ys.Slice(s * c, c));
        }
    }

    public override void Backward()
    {
        var x = Inputs[0];
        bool gx = x.RequiresGrad, gg = _hasGamma && Gamma!.RequiresGrad, gb = _hasBeta && Beta!.RequiresGrad;
        if (!gx && !gg && !gb) return;
        if (gx) _ = GradSpan(x); // created here, outside the lanes
        if (gg && _partialGamma == null) _partialGamma = NewLanes();
        if (gb && _partialBeta == null) _partialBeta = NewLanes();
        var body = new BackwardBody { Op = this, Gx = gx, Gg = gg, Gb = gb };
        Lanes.For(_lanes, ref body);
        if (gg) Reduce(_partialGamma!, GradSpan(Gamma!));
        if (gb) Reduce(_partialBeta!, GradSpan(Beta!));
    }

    private float[][] NewLanes()
    {
        var a = new float[_lanes][];
        for (int i = 0; i < _lanes; i++) a[i] = new float[_c];
        return a;
    }

    private void Reduce(float[][] partials, Span<float> grad)
    {
        for (int i = 0; i < _lanes; i++) TensorPrimitives.Add(grad, partials[i], grad);
    }

    private void BackwardLane(int lane, bool gx, bool gg, bool gb)
    {
        int c = _c, rowCount = _s;
        float inv = 1f / ((float)_s * _cg);
        ReadOnlySpan<float> x = Inputs[0].Span, dy = OutGrad;
        Span<float> dx = gx ? Inputs[0].Grad!.Span : default, scratch = _scratch[lane];
        Span<float> sumDy = scratch.Slice(0, c), sumDyXhat = scratch.Slice(c, c), row = scratch.Slice(2 * c, c);
        Span<float> p = scratch.Slice(3 * c, c), q = scratch.Slice(4 * c, c), r = scratch.Slice(5 * c, c);
        Span<float> pg = gg ? _partialGamma![lane] : default, pb = gb ? _partialBeta![lane] : default;
        pg.Clear();
        pb.Clear();
        var (n0, n1) = Lanes.Range(lane, _lanes, _n);
        for (int n = n0; n < n1; n++)
        {
            ReadOnlySpan<float> xs = x.Slice(n * rowCount * c, rowCount * c), dys = dy.Slice(n * rowCount * c, rowCount * c);
            ReadOnlySpan<float> mean = _mean.AsSpan(n * c, c), rstd = _rstd.AsSpan(n * c, c);
            // Per channel: Σ dy and Σ dy·x̂ over the sample's positions.
            sumDy.Clear();
            sumDyXhat.Clear();
            for (int s = 0; s < rowCount; s++)
            {
                ReadOnlySpan<float> g = dys.Slice(s * c, c);
                TensorPrimitives.Add(sumDy, g, sumDy);
                TensorPrimitives.Subtract(xs.Slice(s * c, c), mean, row);
                TensorPrimitives.Multiply(row, rstd, row);
                TensorPrimitives.MultiplyAdd(g, row, sumDyXhat, sumDyXhat);
            }
            if (gg) TensorPrimitives.Add(pg, sumDyXhat, pg);
            if (gb) TensorPrimitives.Add(pb, sumDy, pb);
            if (!gx) continue;
            // a = mean_g(dy·γ), b = mean_g(dy·γ·x̂); dx = dy·(rstd·γ) + x̂·(−rstd·b) − rstd·a.
            if (_hasGamma)
            {
                TensorPrimitives.Multiply(sumDy, Gamma!.Span, sumDy);
                TensorPrimitives.Multiply(sumDyXhat, Gamma!.Span, sumDyXhat);
                TensorPrimitives.Multiply(rstd, Gamma!.Span, p);
            }
            else rstd.CopyTo(p);
            GroupAverage(sumDy, inv);
            GroupAverage(sumDyXhat, inv);
            TensorPrimitives.Multiply(rstd, sumDyXhat, q);
            TensorPrimitives.Negate(q, q);
            TensorPrimitives.Multiply(rstd, sumDy, r);
            TensorPrimitives.Negate(r, r);
            Span<float> dxs = dx.Slice(n * rowCount * c, rowCount * c);
            for (int s = 0; s < rowCount; s++)
            {
                var d = dxs.Slice(s * c, c);
                TensorPrimitives.Subtract(xs.Slice(s * c, c), mean, row);
                TensorPrimitives.Multiply(row, rstd, row);                 // x̂
                TensorPrimitives.MultiplyAdd(row, q, r, row);              // x̂·q + r
                TensorPrimitives.MultiplyAdd(dys.Slice(s * c, c), p, row, row);
                TensorPrimitives.Add(d, row, d);
            }
        }
    }

    private struct ForwardBody : ILaneBody
    {
        public GroupNormOp Op;
        public readonly void Invoke(int lane) => Op.ForwardLane(lane);
    }

    private struct BackwardBody : ILaneBody
    {
        public GroupNormOp Op;
        public bool Gx, Gg, Gb;
        public readonly void Invoke(int lane) => Op.BackwardLane(lane, Gx, Gg, Gb);
    }
}
