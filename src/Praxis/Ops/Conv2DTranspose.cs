using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Transposed 2-D convolution over channels-last data (Keras' <c>Conv2DTranspose</c>, TensorFlow's
    /// <c>conv2d_transpose</c>): the gradient of a <see cref="Conv2D(Tensor, Tensor, Tensor?, Size2?, string, Size2?)"/>
    /// with respect to its input, used to upsample. x (N, H, W, C) with kernel (KH, KW, F, C) → (N, OH, OW, F), where
    /// without <paramref name="outputPadding"/> OH = H·s + max(KH_eff − s, 0) for "valid" and H·s for "same".
    /// </summary>
    /// <param name="x">Input (N, H, W, C).</param>
    /// <param name="kernel">Kernel (KH, KW, filters, C), the layout of Keras' Conv2DTranspose kernel.</param>
    /// <param name="bias">Bias (filters), or null.</param>
    /// <param name="strides">Strides (default 1).</param>
    /// <param name="padding">"valid" (default) or "same".</param>
    /// <param name="outputPadding">Extra rows/columns at the bottom/right of the output (each less than the stride), or null.</param>
    /// <param name="dilation">Dilation rate (default 1).</param>
    public static Tensor Conv2DTranspose(Tensor x, Tensor kernel, Tensor? bias = null, Size2? strides = null, string padding = "valid",
        Size2? outputPadding = null, Size2? dilation = null) =>
        Engine.Record(new Conv2DTransposeOp(x, kernel, bias, strides ?? 1, ConvGeometry.ParsePadding(padding, "Conv2DTranspose"), outputPadding,
            dilation ?? 1, relu: false, "Conv2DTranspose"));

    /// <summary>Conv2DTranspose with an optional fused ReLU; <paramref name="who"/> names the caller in errors.</summary>
    internal static Tensor Conv2DTranspose(Tensor x, Tensor kernel, Tensor? bias, Size2 strides, Padding padding, Size2? outputPadding,
        Size2 dilation, bool relu, string who) =>
        Engine.Record(new Conv2DTransposeOp(x, kernel, bias, strides, padding, outputPadding, dilation, relu, who));
}

/// <summary>
/// The adjoint of <see cref="Conv2DOp"/>. With g the geometry of the forward convolution that maps the transposed
/// op's output (N, OH, OW, F) to its input (N, H, W, C) with kernel (KH·KW·F × C):
/// y = col2im(x · Wᵀ) + b. Backward, per chunk (dz = dy, masked when ReLU is fused): db += Σ dz;
/// dx += im2col(dz) · W; dW += im2col(dz)ᵀ · x.
/// </summary>
internal sealed class Conv2DTransposeOp : Op
{
    private readonly ConvGeometry _g; // the forward convolution: input = this op's output, output = this op's input
    private readonly bool _hasBias, _relu;
    private readonly ConvWork _work;

    public Conv2DTransposeOp(Tensor x, Tensor kernel, Tensor? bias, Size2 strides, Padding padding, Size2? outputPadding, Size2 dilation, bool relu, string who)
        : base(bias is null ? [x, kernel] : [x, kernel, bias])
    {
        strides.RequirePositive("strides");
        dilation.RequirePositive("dilation_rate");
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {x.Shape}.");
        if (kernel.Rank != 4)
            throw new ShapeMismatchException($"{who}: the kernel must be (kernel_height, kernel_width, filters, in_channels); got shape {kernel.Shape}.");
        if (kernel.Shape[3] != x.Shape[3])
            throw new ShapeMismatchException($"{who}: the input has {x.Shape[3]} channels (shape {x.Shape}, channels last) but the kernel {kernel.Shape} expects {kernel.Shape[3]}.");
        int filters = kernel.Shape[2];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != filters))
            throw new ShapeMismatchException($"{who}: bias shape {bias.Shape} does not match {filters} filters (kernel {kernel.Shape}).");
        if (outputPadding is Size2 op && (op.Height < 0 || op.Width < 0 || op.Height >= strides.Height || op.Width >= strides.Width))
            throw new ArgumentException($"{who}: output_padding {op} must be non-negative and smaller than the strides {strides}.");
        int oh = ConvGeometry.TransposeOutputLength(x.Shape[1], kernel.Shape[0], strides.Height, dilation.Height, padding, outputPadding?.Height);
        int ow = ConvGeometry.TransposeOutputLength(x.Shape[2], kernel.Shape[1], strides.Width, dilation.Width, padding, outputPadding?.Width);
        if (oh <= 0 || ow <= 0)
            throw new ShapeMismatchException($"{who}: input {x.Shape} with kernel {kernel.Shape}, strides {strides} and padding '{ConvGeometry.Name(padding)}' gives an empty output ({oh}×{ow}).");
        _g = ConvGeometry.Create(who, x.Shape[0], oh, ow, filters, (kernel.Shape[0], kernel.Shape[1]), x.Shape[3], strides, dilation, padding);
        if (_g.OH != x.Shape[1] || _g.OW != x.Shape[2])
            throw new ShapeMismatchException($"{who}: output size {oh}×{ow} does not convolve back to the input size {x.Shape[1]}×{x.Shape[2]} with padding '{ConvGeometry.Name(padding)}' (an even kernel with 'same' padding needs output_padding).");
        _hasBias = bias is not null;
        _relu = relu;
        _work = new ConvWork(_g, colPerSample: _g.IsPointwise ? 0 : _g.OutPixels * _g.K, dzPerSample: relu ? _g.InPixels * filters : 0);
        Output = new Tensor(new Shape(_g.N, oh, ow, filters));
    }

    public override string Name => "Conv2DTranspose";

    private Tensor X => Inputs[0];
    private Tensor W => Inputs[1];

    public override void Forward()
    {
        var body = new ForwardBody { Op = this };
        Lanes.For(_work.Lanes, ref body);
    }

    private void ForwardLane(int lane)
    {
        ref readonly var g = ref _g;
        int k = g.K, f = g.F, c = g.C, p = g.OutPixels, outSample = g.InPixels * c;
        ReadOnlySpan<float> x = X.Span, w = W.Span;
        ReadOnlySpan<float> b = _hasBias ? Inputs[2].Span : default;
        Span<float> y = Output.Span;
        var (c0, c1) = _work.Range(lane);
        for (int chunk = c0; chunk < c1; chunk++)
        {
            var (s0, count) = _work.Samples(chunk);
            int rows = count * p;
            ReadOnlySpan<float> xc = x.Slice(s0 * p * f, rows * f);
            Span<float> yc = y.Slice(s0 * outSample, count * outSample);
            if (g.IsPointwise) Gemm.Sgemm(false, true, rows, k, f, 1f, xc, f, w, f, 0f, yc, k);
            else
            {
                // col (rows×K) = x · Wᵀ, then every row added onto its receptive field in the output.
                Span<float> col = _work.Col[lane];
                Gemm.Sgemm(false, true, rows, k, f, 1f, xc, f, w, f, 0f, col, k);
                yc.Clear();
                for (int s = 0; s < count; s++) Im2Col.Col2ImAdd(g, col.Slice(s * p * k, p * k), yc.Slice(s * outSample, outSample));
            }
            if (_hasBias) for (int r = 0; r < yc.Length; r += c) TensorPrimitives.Add(yc.Slice(r, c), b, yc.Slice(r, c));
            if (_relu) TensorPrimitives.Max(yc, 0f, yc);
        }
    }

    public override void Backward()
    {
        bool gx = X.RequiresGrad, gw = W.RequiresGrad, gb = _hasBias && Inputs[2].RequiresGrad;
        if (!gx && !gw && !gb) return;
        if (gx) _ = GradSpan(X);
        _work.EnsureBackward(gw, gb ? _g.C : 0);
        var body = new BackwardBody { Op = this, Gx = gx, Gw = gw, Gb = gb };
        Lanes.For(_work.Lanes, ref body);
        if (gw) _work.ReducePartials(_work.PartialW, GradSpan(W));
        if (gb) _work.ReducePartials(_work.PartialB, GradSpan(Inputs[2]));
    }

    private void BackwardLane(int lane, bool gx, bool gw, bool gb)
    {
        ref readonly var g = ref _g;
        int k = g.K, f = g.F, c = g.C, p = g.OutPixels, outSample = g.InPixels * c;
        ReadOnlySpan<float> x = X.Span, w = W.Span, y = Output.Span, dy = OutGrad;
        Span<float> dx = gx ? X.Grad!.Span : default;
        Span<float> col = g.IsPointwise ? default : _work.Col[lane];
        Span<float> pw = gw ? _work.PartialW![lane] : default;
        Span<float> pb = gb ? _work.PartialB![lane] : default;
        pb.Clear();
        var (c0, c1) = _work.Range(lane);
        for (int chunk = c0; chunk < c1; chunk++)
        {
            var (s0, count) = _work.Samples(chunk);
            int rows = count * p;
            ReadOnlySpan<float> dz = dy.Slice(s0 * outSample, count * outSample);
            if (_relu)
            {
                Span<float> masked = _work.Dz[lane].AsSpan(0, count * outSample);
                ConvWork.ReluMask(y.Slice(s0 * outSample, count * outSample), dz, masked, c, pb);
                dz = masked;
            }
            else if (gb) ConvWork.AddRowSums(dz, c, pb);
            ReadOnlySpan<float> a;
            if (g.IsPointwise) a = dz;
            else
            {
                for (int s = 0; s < count; s++) Im2Col.Forward(g, dz.Slice(s * outSample, outSample), col.Slice(s * p * k, p * k));
                a = col[..(rows * k)];
            }
            ReadOnlySpan<float> xc = x.Slice(s0 * p * f, rows * f);
            if (gx) Gemm.Sgemm(false, false, rows, f, k, 1f, a, k, w, f, 1f, dx.Slice(s0 * p * f, rows * f), f);
            if (gw) Gemm.Sgemm(true, false, k, f, rows, 1f, a, k, xc, f, chunk == c0 ? 0f : 1f, pw, f);
        }
    }

    private struct ForwardBody : ILaneBody
    {
        public Conv2DTransposeOp Op;
        public readonly void Invoke(int lane) => Op.ForwardLane(lane);
    }

    private struct BackwardBody : ILaneBody
    {
        public Conv2DTransposeOp Op;
        public bool Gx, Gw, Gb;
        public readonly void Invoke(int lane) => Op.BackwardLane(lane, Gx, Gw, Gb);
    }
}
