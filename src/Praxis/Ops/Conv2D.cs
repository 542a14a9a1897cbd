using System.Numerics;
using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// 2-D convolution over channels-last data, as Keras' <c>Conv2D</c> computes it (a cross-correlation):
    /// x (N, H, W, C) ⋆ kernel (KH, KW, C, F) + bias (F) → (N, OH, OW, F). Padding "valid" gives
    /// OH = ⌊(H − (KH−1)·d − 1)/s⌋ + 1, "same" gives OH = ⌈H/s⌉ (zero padding, the odd extra row at the bottom), likewise
    /// for the width.
    /// </summary>
    /// <param name="x">Input (N, H, W, C).</param>
    /// <param name="kernel">Kernel (KH, KW, C, F), the layout of Keras' Conv2D kernel.</param>
    /// <param name="bias">Bias (F), or null.</param>
    /// <param name="strides">Strides (default 1).</param>
    /// <param name="padding">"valid" (default) or "same".</param>
    /// <param name="dilation">Dilation rate (default 1).</param>
    public static Tensor Conv2D(Tensor x, Tensor kernel, Tensor? bias = null, Size2? strides = null, string padding = "valid", Size2? dilation = null) =>
        Engine.Record(new Conv2DOp(x, kernel, bias, strides ?? 1, ConvGeometry.ParsePadding(padding, "Conv2D"), dilation ?? 1, relu: false, "Conv2D"));

    /// <summary>Conv2D with an optional fused ReLU (one pass over the output instead of two); <paramref name="who"/> names the caller in errors.</summary>
    internal static Tensor Conv2D(Tensor x, Tensor kernel, Tensor? bias, Size2 strides, Padding padding, Size2 dilation, bool relu, string who) =>
        Engine.Record(new Conv2DOp(x, kernel, bias, strides, padding, dilation, relu, who));
}

/// <summary>
/// y (N, OH, OW, F) = im2col(x) · W + b, optionally followed by ReLU, through SGEMM on chunks of a few samples.
/// Backward, per chunk (dz = dy, masked by y &gt; 0 when ReLU is fused): db += Σ dz; dW += im2col(x)ᵀ · dz (im2col
/// recomputed, cheaper than keeping it); dx += col2im(dz · Wᵀ).
/// </summary>
/// <remarks>
/// A chunk's im2col matrix is sized to stay in the L2 cache between being written and being read by the GEMM. Chunks are
/// grouped in lanes (<see cref="Lanes"/>), each with its own scratch and partial weight gradients, reduced in lane
/// order, so results are reproducible whatever thread runs which lane.
/// </remarks>
internal sealed class Conv2DOp : Op
{
    private readonly ConvGeometry _g;
    private readonly bool _hasBias, _relu, _kMajor, _smallK;
    private readonly ConvWork _work;

    public Conv2DOp(Tensor x, Tensor kernel, Tensor? bias, Size2 strides, Padding padding, Size2 dilation, bool relu, string who)
        : base(bias is null ? [x, kernel] : [x, kernel, bias])
    {
        strides.RequirePositive("strides");
        dilation.RequirePositive("dilation_rate");
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {x.Shape}.");
        if (kernel.Rank != 4)
            throw new ShapeMismatchException($"{who}: the kernel must be (kernel_height, kernel_width, in_channels, filters); got shape {kernel.Shape}.");
        if (kernel.Shape[2] != x.Shape[3])
            throw new ShapeMismatchException($"{who}: the input has {x.Shape[3]} channels (shape {x.Shape}, channels last) but the kernel {kernel.Shape} expects {kernel.Shape[2]}.");
        int f = kernel.Shape[3];
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != f))
            throw new ShapeMismatchException($"{who}: bias shape {bias.Shape} does not match {f} filters (kernel {kernel.Shape}).");
        _g = ConvGeometry.Create(who, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], (kernel.Shape[0], kernel.Shape[1]), f, strides, dilation, padding);
        _hasBias = bias is not null;
        _relu = relu;
        _kMajor = Im2Col.PreferKMajor(_g);
        _smallK = _kMajor && _g.K == SmallKConv.Taps; // a 3×3 kernel on one channel: direct kernels instead of GEMM
        _work = new ConvWork(_g, colPerSample: _g.IsPointwise ? 0 : _g.OutPixels * _g.K, dzPerSample: relu ? _g.OutPixels * f : 0);
        Output = new Tensor(new Shape(_g.N, _g.OH, _g.OW, f));
    }

    public override string Name => "Conv2D";

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
        int k = g.K, f = g.F, p = g.OutPixels;
        ReadOnlySpan<float> x = X.Span, w = W.Span;
        ReadOnlySpan<float> b = _hasBias ? Inputs[2].Span : default;
        Span<float> y = Output.Span;
        var (c0, c1) = _work.Range(lane);
        for (int chunk = c0; chunk < c1; chunk++)
        {
            var (s0, count) = _work.Samples(chunk);
            int rows = count * p;
            ReadOnlySpan<float> a = Lower(lane, x, s0, count);
            Span<float> yc = y.Slice(s0 * p * f, rows * f);
            if (_smallK)
            {
                SmallKConv.Forward(a, rows, rows, w, b, _relu, yc, f); // bias and ReLU in the same pass
                continue;
            }
            if (_hasBias) for (int r = 0; r < rows; r++) b.CopyTo(yc.Slice(r * f, f));
            // y (rows×F) = col (rows×K) · W (K×F); the K-major col is stored transposed.
            if (_kMajor) Gemm.Sgemm(true, false, rows, f, k, 1f, a, rows, w, f, _hasBias ? 1f : 0f, yc, f);
            else Gemm.Sgemm(false, false, rows, f, k, 1f, a, k, w, f, _hasBias ? 1f : 0f, yc, f);
            if (_relu) TensorPrimitives.Max(yc, 0f, yc);
        }
    }

    /// <summary>
    /// The im2col matrix of samples [s0, s0 + count) in the lane's scratch: (rows × K) row-major, or (K × rows) in the
    /// K-major layout; for a pointwise convolution, the input itself.
    /// </summary>
    private ReadOnlySpan<float> Lower(int lane, ReadOnlySpan<float> x, int s0, int count)
    {
        ref readonly var g = ref _g;
        int k = g.K, p = g.OutPixels, inSample = g.InPixels * g.C, rows = count * p;
        if (g.IsPointwise) return x.Slice(s0 * inSample, rows * k);
        Span<float> col = _work.Col[lane].AsSpan(0, rows * k);
        for (int s = 0; s < count; s++)
        {
            if (_kMajor) Im2Col.ForwardKMajor(g, x.Slice((s0 + s) * inSample, inSample), col, rows, s * p);
            else Im2Col.Forward(g, x.Slice((s0 + s) * inSample, inSample), col.Slice(s * p * k, p * k));
        }
        return col;
    }

    public override void Backward()
    {
        bool gx = X.RequiresGrad, gw = W.RequiresGrad, gb = _hasBias && Inputs[2].RequiresGrad;
        if (!gx && !gw && !gb) return;
        if (gx) _ = GradSpan(X); // created here, outside the lanes
        _work.EnsureBackward(gw, gb ? _g.F : 0);
        var body = new BackwardBody { Op = this, Gx = gx, Gw = gw, Gb = gb };
        Lanes.For(_work.Lanes, ref body);
        if (gw) _work.ReducePartials(_work.PartialW, GradSpan(W));
        if (gb) _work.ReducePartials(_work.PartialB, GradSpan(Inputs[2]));
    }

    private void BackwardLane(int lane, bool gx, bool gw, bool gb)
    {
        ref readonly var g = ref _g;
        int k = g.K, f = g.F, p = g.OutPixels, inSample = g.InPixels * g.C;
        ReadOnlySpan<float> x = X.Span, w = W.Span, y = Output.Span, dy = OutGrad;
        Span<float> dx = gx ? X.Grad!.Span : default;
        Span<float> col = g.IsPointwise ? default : _work.Col[lane];
        Span<float> pw = gw ? _work.PartialW![lane] : default, pb = gb ? _work.PartialB![lane] : default;
        pb.Clear();
        var (c0, c1) = _work.Range(lane);
        for (int chunk = c0; chunk < c1; chunk++)
        {
            var (s0, count) = _work.Samples(chunk);
            int rows = count * p;
            ReadOnlySpan<float> dz = dy.Slice(s0 * p * f, rows * f);
            if (_smallK && gw && !gx)
            {
                // ReLU mask, bias sums and dW in one pass over dy (the usual case: a first layer needs no dx).
                SmallKConv.BackwardWeights(Lower(lane, x, s0, count), rows, rows, y.Slice(s0 * p * f, rows * f), dz, _relu, pw, chunk == c0, pb, f);
                continue;
            }
            if (_relu)
            {
                Span<float> masked = _work.Dz[lane].AsSpan(0, rows * f);
                ConvWork.ReluMask(y.Slice(s0 * p * f, rows * f), dz, masked, f, pb);
                dz = masked;
            }
            else if (gb) ConvWork.AddRowSums(dz, f, pb);
            if (gw)
            {
                // dW (K×F) += colᵀ · dz (im2col recomputed); the first chunk of the lane overwrites its partial.
                ReadOnlySpan<float> a = Lower(lane, x, s0, count);
                if (_kMajor) Gemm.Sgemm(false, false, k, f, rows, 1f, a, rows, dz, f, chunk == c0 ? 0f : 1f, pw, f);
                else Gemm.Sgemm(true, false, k, f, rows, 1f, a, k, dz, f, chunk == c0 ? 0f : 1f, pw, f);
            }
            if (gx)
            {
                if (g.IsPointwise) Gemm.Sgemm(false, true, rows, k, f, 1f, dz, f, w, f, 1f, dx.Slice(s0 * inSample, rows * k), k);
                else if (_kMajor)
                {
                    // dcolᵀ (K×rows) = W · dzᵀ, then scattered back onto each sample's input.
                    Gemm.Sgemm(false, true, k, rows, f, 1f, w, f, dz, f, 0f, col, rows);
                    for (int s = 0; s < count; s++) Im2Col.Col2ImAddKMajor(g, col, rows, s * p, dx.Slice((s0 + s) * inSample, inSample));
                }
                else
                {
                    // dcol (rows×K) = dz · Wᵀ, then scattered back onto each sample's input.
                    Gemm.Sgemm(false, true, rows, k, f, 1f, dz, f, w, f, 0f, col, k);
                    for (int s = 0; s < count; s++) Im2Col.Col2ImAdd(g, col.Slice(s * p * k, p * k), dx.Slice((s0 + s) * inSample, inSample));
                }
            }
        }
    }

    private struct ForwardBody : ILaneBody
    {
        public Conv2DOp Op;
        public readonly void Invoke(int lane) => Op.ForwardLane(lane);
    }

    private struct BackwardBody : ILaneBody
    {
        public Conv2DOp Op;
        public bool Gx, Gw, Gb;
        public readonly void Invoke(int lane) => Op.BackwardLane(lane, Gx, Gw, Gb);
    }
}

/// <summary>
/// The batch split and scratch buffers of a convolution op: chunks of whole samples sized so a chunk's im2col matrix
/// fits in L2, grouped in lanes, each lane with its own buffers (allocated once, reused by every replayed step).
/// </summary>
internal sealed class ConvWork
{
    /// <summary>Target im2col chunk: 96K floats (384 KB), about a third of a modern L2, leaving room for GEMM packing.</summary>
    private const int TargetChunkFloats = 96 * 1024;

    private readonly int _n, _samplesPerChunk, _kf;

    public ConvWork(in ConvGeometry g, int colPerSample, int dzPerSample)
    {
        _n = g.N;
        _kf = g.K * g.F;
        int perSample = Math.Max(Math.Max(colPerSample, dzPerSample), 1);
        _samplesPerChunk = Math.Clamp(TargetChunkFloats / perSample, 1, Math.Max(_n, 1));
        Chunks = (_n + _samplesPerChunk - 1) / _samplesPerChunk;
        Lanes = Kernels.Lanes.Count(Chunks);
        Col = new float[Lanes][];
        Dz = new float[Lanes][];
        for (int i = 0; i < Lanes; i++)
        {
            Col[i] = colPerSample > 0 ? new float[colPerSample * _samplesPerChunk] : [];
            Dz[i] = dzPerSample > 0 ? new float[dzPerSample * _samplesPerChunk] : [];
        }
    }

    public int Chunks { get; }
    public int Lanes { get; }
    public float[][] Col { get; }
    public float[][] Dz { get; }
    public float[][]? PartialW { get; private set; }
    public float[][]? PartialB { get; private set; }

    public (int Start, int End) Range(int lane) => Kernels.Lanes.Range(lane, Lanes, Chunks);

    /// <summary>First sample and sample count of a chunk.</summary>
    public (int Start, int Count) Samples(int chunk)
    {
        int s0 = chunk * _samplesPerChunk;
        return (s0, Math.Min(_samplesPerChunk, _n - s0));
    }

    /// <summary>Creates the per-lane partial gradients on the first backward pass (inference never needs them).</summary>
    public void EnsureBackward(bool weights, int biasSize)
    {
        if (weights && PartialW == null) PartialW = NewLanes(_kf);
        if (biasSize > 0 && PartialB == null) PartialB = NewLanes(biasSize);
    }

    private float[][] NewLanes(int size)
    {
        var a = new float[Lanes][];
        for (int i = 0; i < Lanes; i++) a[i] = new float[size];
        return a;
    }

    /// <summary>grad += Σ over lanes of the partials, in lane order.</summary>
    public void ReducePartials(float[][]? partials, Span<float> grad)
    {
        for (int i = 0; i < Lanes; i++) TensorPrimitives.Add(grad, partials![i], grad);
    }

    /// <summary>
    /// dz = dy where y &gt; 0, else 0 (the ReLU derivative, read from the output), over rows of <paramref name="f"/>
    /// channels; when <paramref name="sums"/> is not empty it also gets the column sums of dz (the bias gradient), in the
    /// same pass.
    /// </summary>
    public static void ReluMask(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dz, int f, Span<float> sums)
    {
        Elementwise.ReluMask(y, dy, dz);
        if (!sums.IsEmpty) AddRowSums(dz, f, sums);
    }

    /// <summary>sums (F) += Σ over the rows of m (R×F).</summary>
    public static void AddRowSums(ReadOnlySpan<float> m, int f, Span<float> sums)
    {
        int vc = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated && f % vc == 0)
        {
            for (int r = 0; r < m.Length; r += f)
                for (int j = 0; j < f; j += vc)
                    (new Vector<float>(sums.Slice(j)) + new Vector<float>(m.Slice(r + j))).CopyTo(sums.Slice(j));
            return;
        }
        for (int r = 0; r < m.Length; r += f) TensorPrimitives.Add(sums, m.Slice(r, f), sums);
    }
}
