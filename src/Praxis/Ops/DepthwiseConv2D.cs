using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Depthwise 2-D convolution over channels-last images (Keras <c>DepthwiseConv2D</c>, the first half of
    /// <c>SeparableConv2D</c>): x (N, H, W, C) with kernel (KH, KW, C, M) and optional bias (C·M) → (N, OH, OW, C·M),
    /// output channel c·M + m convolving input channel c alone with kernel[:, :, c, m] (PyTorch's <c>conv2d</c> with
    /// <c>groups = C</c>). Output sizes and "same" padding as <see cref="Conv2D(Tensor, Tensor, Tensor?, Size2?, string, Size2?)"/>.
    /// </summary>
    /// <param name="x">Input (N, H, W, C).</param>
    /// <param name="kernel">Kernel (KH, KW, C, M), the layout of Keras' depthwise kernel.</param>
    /// <param name="bias">Bias (C·M), or null.</param>
    /// <param name="strides">Strides (default 1).</param>
    /// <param name="padding">"valid" (default) or "same".</param>
    /// <param name="dilation">Dilation rate (default 1).</param>
    public static Tensor DepthwiseConv2D(Tensor x, Tensor kernel, Tensor? bias = null, Size2? strides = null, string padding = "valid", Size2? dilation = null) =>
        Engine.Record(new DepthwiseConv2DOp(x, kernel, bias, strides ?? 1, ConvGeometry.ParsePadding(padding, "DepthwiseConv2D"), dilation ?? 1, "DepthwiseConv2D"));

    /// <summary>DepthwiseConv2D with the padding already parsed; <paramref name="who"/> names the caller in errors.</summary>
    internal static Tensor DepthwiseConv2D(Tensor x, Tensor kernel, Tensor? bias, Size2 strides, Padding padding, Size2 dilation, string who) =>
        Engine.Record(new DepthwiseConv2DOp(x, kernel, bias, strides, padding, dilation, who));
}

/// <summary>
/// y[n, oh, ow, j] = b[j] + Σ_{kh, kw} x[n, oh·sh + kh·dh − pt, ow·sw + kw·dw − pl, j / M] · w[kh, kw, j] with w viewed
/// as (KH, KW, C·M): per output pixel and tap, one fused multiply-add over a row of C·M channels (for M &gt; 1 the input
/// row is first widened to C·M, each channel repeated M times). Backward over the same taps: dx[.., c] += Σ_m dy · w,
/// dw += x · dy, db += dy.
/// </summary>
/// <remarks>
/// The batch is split in lanes (<see cref="Lanes"/>): each lane owns its samples' rows of dx and has its own partial
/// dw and db, reduced in lane order, so results do not depend on which thread ran which lane. The 1-D depthwise
/// convolution (<c>SeparableConv1D</c>) is this op on images of height 1.
/// </remarks>
internal sealed class DepthwiseConv2DOp : Op
{
    private readonly ConvGeometry _g;
    private readonly int _m, _lanes;
    private readonly bool _hasBias;
    private readonly float[][] _wide; // per lane: an input row widened to C·M, or dy·w (M > 1 only)
    private float[][]? _partialW, _partialB;

    public DepthwiseConv2DOp(Tensor x, Tensor kernel, Tensor? bias, Size2 strides, Padding padding, Size2 dilation, string who)
        : base(bias is null ? [x, kernel] : [x, kernel, bias])
    {
        strides.RequirePositive("strides");
        dilation.RequirePositive("dilation_rate");
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {x.Shape}.");
        if (kernel.Rank != 4 || kernel.Shape[2] != x.Shape[3])
            throw new ShapeMismatchException($"{who}: the depthwise kernel must be (kernel_height, kernel_width, {x.Shape[3]}, depth_multiplier) for input {x.Shape}; got {kernel.Shape}.");
        _m = kernel.Shape[3];
        int cm = x.Shape[3] * _m;
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != cm))
            throw new ShapeMismatchException($"{who}: bias shape {bias.Shape} does not match {cm} output channels (channels · depth_multiplier).");
        _g = ConvGeometry.Create(who, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], (kernel.Shape[0], kernel.Shape[1]), cm, strides, dilation, padding);
        _hasBias = bias is not null;
        _lanes = Lanes.Count(_g.N);
        _wide = new float[_lanes][];
        for (int i = 0; i < _lanes; i++) _wide[i] = _m > 1 ? new float[cm] : [];
        Output = new Tensor(new Shape(_g.N, _g.OH, _g.OW, cm));
    }

    public override string Name => "DepthwiseConv2D";

    private Tensor X => Inputs[0];
    private Tensor W => Inputs[1];

    public override void Forward()
    {
        var body = new ForwardBody { Op = this };
        Lanes.For(_lanes, ref body);
    }

    private void ForwardLane(int lane)
    {
        ref readonly var g = ref _g;
        int c = g.C, cm = g.F;
        ReadOnlySpan<float> x = X.Span, w = W.Span;
        ReadOnlySpan<float> b = _hasBias ? Inputs[2].Span : default;
        Span<float> y = Output.Span, wide = _wide[lane];
        var (n0, n1) = Lanes.Range(lane, _lanes, g.N);
        for (int n = n0; n < n1; n++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    Span<float> yo = y.Slice(((n * g.OH + oh) * g.OW + ow) * cm, cm);
                    if (_hasBias) b.CopyTo(yo);
                    else yo.Clear();
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = oh * g.SH + kh * g.DH - g.PadTop;
                        if ((uint)ih >= (uint)g.H) continue;
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int iw = ow * g.SW + kw * g.DW - g.PadLeft;
                            if ((uint)iw >= (uint)g.W) continue;
                            ReadOnlySpan<float> xr = x.Slice(((n * g.H + ih) * g.W + iw) * c, c), wk = w.Slice((kh * g.KW + kw) * cm, cm);
                            TensorPrimitives.MultiplyAdd(_m == 1 ? xr : Widen(xr, wide), wk, yo, yo);
                        }
                    }
                }
    }

    /// <summary>Each channel of <paramref name="row"/> repeated M times, so channel c·M + m lines up with its weights.</summary>
    private ReadOnlySpan<float> Widen(ReadOnlySpan<float> row, Span<float> wide)
    {
        for (int c = 0, j = 0; c < row.Length; c++)
            for (int m = 0; m < _m; m++) wide[j++] = row[c];
        return wide;
    }

    public override void Backward()
    {
        bool gx = X.RequiresGrad, gw = W.RequiresGrad, gb = _hasBias && Inputs[2].RequiresGrad;
        if (!gx && !gw && !gb) return;
        if (gx) _ = GradSpan(X); // created here, outside the lanes
        if (gw && _partialW == null) _partialW = NewLanes(W.Size);
        if (gb && _partialB == null) _partialB = NewLanes(_g.F);
        var body = new BackwardBody { Op = this, Gx = gx, Gw = gw, Gb = gb };
        Lanes.For(_lanes, ref body);
        if (gw) Reduce(_partialW!, GradSpan(W));
        if (gb) Reduce(_partialB!, GradSpan(Inputs[2]));
    }

    private float[][] NewLanes(int size)
    {
        var a = new float[_lanes][];
        for (int i = 0; i < _lanes; i++) a[i] = new float[size];
        return a;
    }

    private void Reduce(float[][] partials, Span<float> grad)
    {
        for (int i = 0; i < _lanes; i++) TensorPrimitives.Add(grad, partials[i], grad);
    }

    private void BackwardLane(int lane, bool gx, bool gw, bool gb)
    {
        ref readonly var g = ref _g;
        int c = g.C, cm = g.F;
        ReadOnlySpan<float> x = X.Span, w = W.Span, dy = OutGrad;
        Span<float> dx = gx ? X.Grad!.Span : default, wide = _wide[lane];
        Span<float> pw = gw ? _partialW![lane] : default, pb = gb ? _partialB![lane] : default;
        pw.Clear();
        pb.Clear();
        var (n0, n1) = Lanes.Range(lane, _lanes, g.N);
        for (int n = n0; n < n1; n++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    ReadOnlySpan<float> gy = dy.Slice(((n * g.OH + oh) * g.OW + ow) * cm, cm);
                    if (gb) TensorPrimitives.Add(pb, gy, pb);
                    if (!gx && !gw) continue;
                    for (int kh = 0; kh < g.KH; kh++)
                    {
                        int ih = oh * g.SH + kh * g.DH - g.PadTop;
                        if ((uint)ih >= (uint)g.H) continue;
                        for (int kw = 0; kw < g.KW; kw++)
                        {
                            int iw = ow * g.SW + kw * g.DW - g.PadLeft;
                            if ((uint)iw >= (uint)g.W) continue;
                            int xo = ((n * g.H + ih) * g.W + iw) * c, wo = (kh * g.KW + kw) * cm;
                            if (gw)
                            {
                                var d = pw.Slice(wo, cm);
                                TensorPrimitives.MultiplyAdd(_m == 1 ? x.Slice(xo, c) : Widen(x.Slice(xo, c), wide), gy, d, d);
                            }
                            if (!gx) continue;
                            var dxr = dx.Slice(xo, c);
                            if (_m == 1) { TensorPrimitives.MultiplyAdd(gy, w.Slice(wo, cm), dxr, dxr); continue; }
                            // dx[c] += Σ_m dy[c·M + m] · w[c·M + m]
                            TensorPrimitives.Multiply(gy, w.Slice(wo, cm), wide);
                            for (int ch = 0; ch < c; ch++) dxr[ch] += TensorPrimitives.Sum(wide.Slice(ch * _m, _m));
                        }
                    }
                }
    }

    private struct ForwardBody : ILaneBody
    {
        public DepthwiseConv2DOp Op;
        public readonly void Invoke(int lane) => Op.ForwardLane(lane);
    }

    private struct BackwardBody : ILaneBody
    {
        public DepthwiseConv2DOp Op;
        public bool Gx, Gw, Gb;
        public readonly void Invoke(int lane) => Op.BackwardLane(lane, Gx, Gw, Gb);
    }
}
