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
        return DepthwiseConv1D(x, kernel, stride, pad, dilation, "DepthwiseConv1D");
    }

    /// <summary>
    /// The 1-D depthwise convolution is the 2-D one (<see cref="DepthwiseConv2DOp"/>) on images of height 1: x viewed as
    /// (N, 1, T, C) and the kernel as (1, K, C, M), both views; "causal" is a <see cref="Pad(int, int, int)"/> of (K − 1)·d zeros ahead of
    /// the sequence followed by "valid".
    /// </summary>
    internal static Tensor DepthwiseConv1D(Tensor x, Tensor kernel, int stride, Conv1DPadding.Mode padding, int dilation, string who)
    {
        if (stride <= 0 || dilation <= 0) throw new ArgumentOutOfRangeException(nameof(stride), $"{who}: strides and dilation_rate must be positive; got {stride} and {dilation}.");
        if (x.Rank != 3) throw new ShapeMismatchException($"{who}: expects a 3-D input (batch, steps, channels); got shape {x.Shape}.");
        if (kernel.Rank != 3 || kernel.Shape[1] != x.Shape[2])
            throw new ShapeMismatchException($"{who}: the depthwise kernel must be (kernel_size, {x.Shape[2]}, depth_multiplier) for input {x.Shape}; got {kernel.Shape}.");
        int n = x.Shape[0], c = x.Shape[2], k = kernel.Shape[0], m = kernel.Shape[2];
        var (ot, _) = Conv1DPadding.OutputLength(who, x.Shape[1], k, stride, dilation, padding); // a too-short input is named as a length
        if (padding == Conv1DPadding.Mode.Causal) x = x.Pad(1, (k - 1) * dilation, 0);
        var pad = padding == Conv1DPadding.Mode.Same ? Padding.Same : Padding.Valid;
        var y = DepthwiseConv2D(x.Reshape(n, 1, x.Shape[1], c), kernel.Reshape(1, k, c, m), null, (1, stride), pad, (1, dilation), who);
        return y.Reshape(n, ot, c * m);
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
