namespace Praxis.Kernels;

/// <summary>Keras' padding modes for convolution and pooling.</summary>
internal enum Padding
{
    /// <summary>No padding: windows lie entirely inside the input.</summary>
    Valid,

    /// <summary>Zero padding so that output = ceil(input / stride); the odd extra goes at the bottom/right (TensorFlow's rule).</summary>
    Same,
}

/// <summary>
/// The geometry of one 2-D convolution (or pooling) over channels-last data: input (N, H, W, C), kernel (KH, KW, C, F),
/// output (N, OH, OW, F). Shared by the convolution, transposed-convolution and pooling ops and by the layers' shape
/// formulas, so all of them agree on output sizes and padding.
/// </summary>
internal readonly struct ConvGeometry
{
    public readonly int N, H, W, C;       // input
    public readonly int KH, KW, F;        // kernel (KH, KW, C, F); F is 1 for pooling
    public readonly int SH, SW, DH, DW;   // strides, dilation
    public readonly int PadTop, PadLeft;  // leading padding; the trailing padding is implied by the output size
    public readonly int OH, OW;           // output

    private ConvGeometry(int n, int h, int w, int c, int kh, int kw, int f, int sh, int sw, int dh, int dw, int pt, int pl, int oh, int ow)
    {
        N = n; H = h; W = w; C = c; KH = kh; KW = kw; F = f; SH = sh; SW = sw; DH = dh; DW = dw;
        PadTop = pt; PadLeft = pl; OH = oh; OW = ow;
    }

    /// <summary>Elements of one im2col row: KH·KW·C.</summary>
    public int K => KH * KW * C;

    /// <summary>Output pixels per sample: OH·OW.</summary>
    public int OutPixels => OH * OW;

    /// <summary>Input pixels per sample: H·W.</summary>
    public int InPixels => H * W;

    /// <summary>True for a 1×1 kernel with stride 1 and no padding: the input already is the im2col matrix.</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && SH == 1 && SW == 1 && PadTop == 0 && PadLeft == 0;

    /// <summary>
    /// Geometry of a convolution or pooling window over input (n, h, w, c). Throws, naming <paramref name="who"/>, when a
    /// "valid" window is larger than the input.
    /// </summary>
    public static ConvGeometry Create(string who, int n, int h, int w, int c, Size2 kernel, int filters, Size2 strides, Size2 dilation, Padding padding,
        string window = "kernel")
    {
        var (oh, pt) = OutputLength(who, "height", h, kernel.Height, strides.Height, dilation.Height, padding, window);
        var (ow, pl) = OutputLength(who, "width", w, kernel.Width, strides.Width, dilation.Width, padding, window);
        return new ConvGeometry(n, h, w, c, kernel.Height, kernel.Width, filters, strides.Height, strides.Width,
            dilation.Height, dilation.Width, pt, pl, oh, ow);
    }

    /// <summary>
    /// Keras' output length along one axis and the leading padding: "valid" → ⌊(in − k_eff)/s⌋ + 1,
    /// "same" → ⌈in/s⌉ with padding max((out − 1)·s + k_eff − in, 0) split as TensorFlow does (smaller half first),
    /// where k_eff = (k − 1)·d + 1 is the dilated kernel size.
    /// </summary>
    public static (int Length, int PadBefore) OutputLength(string who, string axis, int input, int kernel, int stride, int dilation, Padding padding,
        string window = "kernel")
    {
        int keff = (kernel - 1) * dilation + 1;
        if (padding == Padding.Valid)
        {
            if (input < keff)
                throw new ShapeMismatchException($"{who}: the input {axis} {input} is smaller than the {(dilation > 1 ? "dilated " : "")}{window} {axis} {keff} with padding 'valid'; use padding 'same', a smaller {window} or a larger input.");
            return ((input - keff) / stride + 1, 0);
        }
        if (input <= 0) throw new ShapeMismatchException($"{who}: the input {axis} must be positive; got {input}.");
        int output = (input + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + keff - input, 0);
        return (output, total / 2);
    }

    /// <summary>Keras' output length for shape inference, where −1 (unknown) stays unknown.</summary>
    public static int OutputLengthOrUnknown(string who, string axis, int input, int kernel, int stride, int dilation, Padding padding, string window = "kernel") =>
        input < 0 ? -1 : OutputLength(who, axis, input, kernel, stride, dilation, padding, window).Length;

    /// <summary>
    /// Keras' output length of a transposed convolution (<c>deconv_output_length</c>): without output padding,
    /// "valid" → in·s + max(k_eff − s, 0) and "same" → in·s; with it, (in − 1)·s + k_eff − 2·pad + output_padding where
    /// pad is k_eff/2 for "same" and 0 for "valid".
    /// </summary>
    public static int TransposeOutputLength(int input, int kernel, int stride, int dilation, Padding padding, int? outputPadding)
    {
        if (input < 0) return -1;
        int keff = (kernel - 1) * dilation + 1;
        if (outputPadding is not int op)
            return padding == Padding.Valid ? input * stride + Math.Max(keff - stride, 0) : input * stride;
        int pad = padding == Padding.Same ? keff / 2 : 0;
        return (input - 1) * stride + keff - 2 * pad + op;
    }

    /// <summary>Parses a Keras padding string ("valid" or "same", any case).</summary>
    public static Padding ParsePadding(string padding, string who) => padding.ToLowerInvariant() switch
    {
        "valid" => Padding.Valid,
        "same" => Padding.Same,
        _ => throw new ArgumentException($"{who}: padding must be 'valid' or 'same'; got '{padding}'."),
    };

    /// <summary>The Keras string of a padding mode.</summary>
    public static string Name(Padding padding) => padding == Padding.Valid ? "valid" : "same";
}
