using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Depthwise 1-D convolution over channels-last sequences (the first half of Keras' <c>SeparableConv1D</c>):
    /// x (N, T, C) with kernel (K, C, M) → (N, OT, C·M), output channel c·M + m convolving input channel c alone with
    /// kernel[:, c, m]. Padding "valid", "same" or "causal" (zeros ahead of the sequence, as Keras).
    /// </summary>
    public static Tensor DepthwiseConv1D(Tensor x, Tensor kernel, int stride = 1, string padding = "valid", int dilation = 1)
    {
        var (pad, _) = Conv1DPadding.Parse(padding, "DepthwiseConv1D");
        return Engine.Record(new DepthwiseConv1DOp(x, kernel, stride, pad, dilation, "DepthwiseConv1D"));
    }

    internal static Tensor DepthwiseConv1D(Tensor x, Tensor kernel, int stride, Conv1DPadding.Mode padding, int dilation, string who) =>
        Engine.Record(new DepthwiseConv1DOp(x, kernel, stride, padding, dilation, who));
}

/// <summary>
/// y[n, o, j] = Σ_k x[n, o·s + k·d − p, j / M] · w[k, j] with w viewed as (K, C·M); a row of C·M outputs at a time, so a
/// depth multiplier of 1 is one fused multiply-add over the channels per tap. Backward: dx[n, t, c] += Σ dy · w and
/// dw[k, j] += x · dy over the same taps.
/// </summary>
/// <remarks>Single-threaded: its cost is K·C·M per output step, far below the pointwise GEMM that follows it in a separable convolution.</remarks>
internal sealed class DepthwiseConv1DOp : Op
{
    private readonly int _n, _t, _c, _k, _m, _s, _d, _padBefore, _ot;

    public DepthwiseConv1DOp(Tensor x, Tensor kernel, int stride, Conv1DPadding.Mode padding, int dilation, string who) : base(x, kernel)
    {
        if (stride <= 0 || dilation <= 0) throw new ArgumentOutOfRangeException(nameof(stride), $"{who}: strides and dilation_rate must be positive; got {stride} and {dilation}.");
        if (x.Rank != 3) throw new ShapeMismatchException($"{who}: expects a 3-D input (batch, steps, channels); got shape {x.Shape}.");
        if (kernel.Rank != 3 || kernel.Shape[1] != x.Shape[2])
            throw new ShapeMismatchException($"{who}: the depthwise kernel must be (kernel_size, {x.Shape[2]}, depth_multiplier) for input {x.Shape}; got {kernel.Shape}.");
        (_n, _t, _c) = (x.Shape[0], x.Shape[1], x.Shape[2]);
        (_k, _m, _s, _d) = (kernel.Shape[0], kernel.Shape[2], stride, dilation);
        (_ot, _padBefore) = Conv1DPadding.OutputLength(who, _t, _k, stride, dilation, padding);
        Output = new Tensor(new Shape(_n, _ot, _c * _m));
    }

    public override string Name => "DepthwiseConv1D";

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span, w = Inputs[1].Span;
        Span<float> y = Output.Span;
        int cm = _c * _m;
        for (int n = 0; n < _n; n++)
            for (int o = 0; o < _ot; o++)
            {
                Span<float> yo = y.Slice((n * _ot + o) * cm, cm);
                yo.Clear();
                for (int k = 0; k < _k; k++)
                {
                    int t = o * _s + k * _d - _padBefore;
                    if ((uint)t >= (uint)_t) continue;
                    ReadOnlySpan<float> xt = x.Slice((n * _t + t) * _c, _c), wk = w.Slice(k * cm, cm);
                    if (_m == 1) TensorPrimitives.MultiplyAdd(xt, wk, yo, yo);
                    else for (int j = 0; j < cm; j++) yo[j] += xt[j / _m] * wk[j];
                }
            }
    }

    public override void Backward()
    {
        Tensor x = Inputs[0], w = Inputs[1];
        bool gx = x.RequiresGrad, gw = w.RequiresGrad;
        if (!gx && !gw) return;
        ReadOnlySpan<float> xs = x.Span, ws = w.Span, dy = OutGrad;
        Span<float> dx = gx ? GradSpan(x) : default, dw = gw ? GradSpan(w) : default;
        int cm = _c * _m;
        for (int n = 0; n < _n; n++)
            for (int o = 0; o < _ot; o++)
            {
                ReadOnlySpan<float> g = dy.Slice((n * _ot + o) * cm, cm);
                for (int k = 0; k < _k; k++)
                {
                    int t = o * _s + k * _d - _padBefore;
                    if ((uint)t >= (uint)_t) continue;
                    int xo = (n * _t + t) * _c;
                    if (_m == 1)
                    {
                        if (gx) { var d = dx.Slice(xo, _c); TensorPrimitives.MultiplyAdd(g, ws.Slice(k * cm, cm), d, d); }
                        if (gw) { var d = dw.Slice(k * cm, cm); TensorPrimitives.MultiplyAdd(xs.Slice(xo, _c), g, d, d); }
                        continue;
                    }
                    for (int j = 0; j < cm; j++)
                    {
                        if (gx) dx[xo + j / _m] += g[j] * ws[k * cm + j];
                        if (gw) dw[k * cm + j] += xs[xo + j / _m] * g[j];
                    }
                }
            }
    }
}

/// <summary>Keras' 1-D padding modes, including "causal", and the output length they give (shared by the 1-D layers and ops).</summary>
internal static class Conv1DPadding
{
    /// <summary>"valid", "same" or "causal".</summary>
    public enum Mode { Valid, Same, Causal }

    /// <summary>Parses a Keras padding string; <paramref name="allowCausal"/> false for pooling, which has no causal mode.</summary>
    public static (Mode Mode, string Name) Parse(string padding, string who, bool allowCausal = true) => padding.ToLowerInvariant() switch
    {
        "valid" => (Mode.Valid, "valid"),
        "same" => (Mode.Same, "same"),
        "causal" when allowCausal => (Mode.Causal, "causal"),
        _ => throw new ArgumentException($"{who}: padding must be {(allowCausal ? "'valid', 'same' or 'causal'" : "'valid' or 'same'")}; got '{padding}'."),
    };

    /// <summary>
    /// Output length and leading zeros: "valid" and "same" as <see cref="ConvGeometry.OutputLength"/>; "causal" pads
    /// (k − 1)·d zeros in front and then runs "valid", so output t sees inputs up to t only.
    /// </summary>
    public static (int Length, int PadBefore) OutputLength(string who, int input, int kernel, int stride, int dilation, Mode mode, string window = "kernel")
    {
        if (mode != Mode.Causal)
            return ConvGeometry.OutputLength(who, "length", input, kernel, stride, dilation, mode == Mode.Valid ? Padding.Valid : Padding.Same, window);
        if (input <= 0) throw new ShapeMismatchException($"{who}: the input length must be positive; got {input}.");
        int pad = (kernel - 1) * dilation;
        return ((input + pad - ((kernel - 1) * dilation + 1)) / stride + 1, pad);
    }

    /// <summary>The output length for shape inference; −1 (unknown) stays unknown.</summary>
    public static int OutputLengthOrUnknown(string who, int input, int kernel, int stride, int dilation, Mode mode, string window = "kernel") =>
        input < 0 ? -1 : OutputLength(who, input, kernel, stride, dilation, mode, window).Length;
}
