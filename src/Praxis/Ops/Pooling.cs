using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Max pooling over channels-last data (Keras <c>MaxPooling2D</c>): x (N, H, W, C) → (N, OH, OW, C), each output the
    /// maximum of its window. Strides default to the pool size; "same" padding ignores the padded positions.
    /// </summary>
    public Tensor MaxPool2D(Size2 poolSize, Size2? strides = null, string padding = "valid") =>
        Engine.Record(new MaxPool2DOp(this, poolSize, strides ?? poolSize, ConvGeometry.ParsePadding(padding, "MaxPool2D"), "MaxPool2D"));

    /// <summary>
    /// Average pooling over channels-last data (Keras <c>AveragePooling2D</c>): the mean of each window; with "same"
    /// padding the mean is over the positions inside the input only, as TensorFlow computes it.
    /// </summary>
    public Tensor AvgPool2D(Size2 poolSize, Size2? strides = null, string padding = "valid") =>
        Engine.Record(new AvgPool2DOp(this, poolSize, strides ?? poolSize, ConvGeometry.ParsePadding(padding, "AvgPool2D"), "AvgPool2D"));

    /// <summary>Mean over the spatial axes (Keras <c>GlobalAveragePooling2D</c>): (N, H, W, C) → (N, C), or (N, 1, 1, C) with <paramref name="keepDims"/>.</summary>
    public Tensor GlobalAvgPool2D(bool keepDims = false) => Engine.Record(new GlobalPool2DOp(this, max: false, keepDims, "GlobalAvgPool2D"));

    /// <summary>Maximum over the spatial axes (Keras <c>GlobalMaxPooling2D</c>): (N, H, W, C) → (N, C), or (N, 1, 1, C) with <paramref name="keepDims"/>.</summary>
    public Tensor GlobalMaxPool2D(bool keepDims = false) => Engine.Record(new GlobalPool2DOp(this, max: true, keepDims, "GlobalMaxPool2D"));

    internal Tensor MaxPool2D(Size2 poolSize, Size2 strides, Padding padding, string who) => Engine.Record(new MaxPool2DOp(this, poolSize, strides, padding, who));

    internal Tensor AvgPool2D(Size2 poolSize, Size2 strides, Padding padding, string who) => Engine.Record(new AvgPool2DOp(this, poolSize, strides, padding, who));

    internal Tensor GlobalPool2D(bool max, bool keepDims, string who) => Engine.Record(new GlobalPool2DOp(this, max, keepDims, who));
}

/// <summary>Shared by the windowed pooling ops: geometry, and the split of the batch into lanes of whole samples.</summary>
internal abstract class Pool2DOp : Op
{
    protected readonly ConvGeometry G;
    protected readonly int Lanes;

    protected Pool2DOp(Tensor x, Size2 poolSize, Size2 strides, Padding padding, string who) : base(x)
    {
        poolSize.RequirePositive("pool_size");
        strides.RequirePositive("strides");
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {x.Shape}.");
        G = ConvGeometry.Create(who, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], poolSize, 1, strides, 1, padding, "pool");
        Lanes = Kernels.Lanes.Count(G.N);
        Output = new Tensor(new Shape(G.N, G.OH, G.OW, G.C));
    }

    protected Tensor X => Inputs[0];

    /// <summary>The valid window rows [h0, h1) and columns [w0, w1) of output pixel (oh, ow).</summary>
    protected (int H0, int H1, int W0, int W1) Window(int oh, int ow)
    {
        int h0 = oh * G.SH - G.PadTop, w0 = ow * G.SW - G.PadLeft;
        return (Math.Max(h0, 0), Math.Min(h0 + G.KH, G.H), Math.Max(w0, 0), Math.Min(w0 + G.KW, G.W));
    }

    public override void Forward()
    {
        var body = new Body { Op = this, Backward = false };
        Kernels.Lanes.For(Lanes, ref body);
    }

    public override void Backward()
    {
        if (!X.RequiresGrad) return;
        _ = GradSpan(X);
        var body = new Body { Op = this, Backward = true };
        Kernels.Lanes.For(Lanes, ref body);
    }

    private void RunLane(int lane, bool backward)
    {
        var (s0, s1) = Kernels.Lanes.Range(lane, Lanes, G.N);
        int inSample = G.InPixels * G.C, outSample = G.OutPixels * G.C;
        for (int n = s0; n < s1; n++)
        {
            if (backward) BackwardSample(n, OutGrad.Slice(n * outSample, outSample), X.Grad!.Span.Slice(n * inSample, inSample));
            else ForwardSample(n, X.Span.Slice(n * inSample, inSample), Output.Span.Slice(n * outSample, outSample));
        }
    }

    /// <summary>y (OH, OW, C) of sample <paramref name="n"/> from x (H, W, C).</summary>
    protected abstract void ForwardSample(int n, ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx (H, W, C) += the pooling adjoint of dy (OH, OW, C) for sample <paramref name="n"/>.</summary>
    protected abstract void BackwardSample(int n, ReadOnlySpan<float> dy, Span<float> dx);

    private struct Body : ILaneBody
    {
        public Pool2DOp Op;
        public bool Backward;
        public readonly void Invoke(int lane) => Op.RunLane(lane, Backward);
    }
}

/// <summary>
/// y = max over the window; the flat input index of each maximum (within its sample) is kept, so backward is a
/// scatter: dx[argmax] += dy. Ties go to the first position in window order.
/// </summary>
internal sealed class MaxPool2DOp : Pool2DOp
{
    private readonly int[] _argmax; // (N, OH, OW, C): index into the sample's (H, W, C) elements

    public MaxPool2DOp(Tensor x, Size2 poolSize, Size2 strides, Padding padding, string who) : base(x, poolSize, strides, padding, who) =>
        _argmax = new int[Output.Size];

    public override string Name => "MaxPool2D";

    protected override void ForwardSample(int n, ReadOnlySpan<float> x, Span<float> y)
    {
        int c = G.C, vc = Vector<float>.Count;
        Span<int> arg = _argmax.AsSpan(n * G.OutPixels * c, G.OutPixels * c);
        bool vectors = Vector.IsHardwareAccelerated && Vector<int>.Count == vc;
        int cv = vectors ? c - c % vc : 0; // channels done a vector at a time; the rest one by one
        if (x.Length < G.InPixels * c || y.Length < G.OutPixels * c) throw new ArgumentException("MaxPool2D: sample buffers shorter than the geometry.");
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref int a0 = ref MemoryMarshal.GetReference(arg);
        for (int oh = 0; oh < G.OH; oh++)
            for (int ow = 0; ow < G.OW; ow++)
            {
                int o = (oh * G.OW + ow) * c;
                var (h0, h1, w0, w1) = Window(oh, ow);
                int first = (h0 * G.W + w0) * c;
                // The running maximum and its index stay in registers over the window. The window [h0, h1) × [w0, w1) lies
                // inside the sample and j + vc ≤ c, so every load below is in range: read through refs, no bounds checks.
                for (int j = 0; j < cv; j += vc)
                {
                    var best = LoadF(ref x0, first + j);
                    var at = new Vector<int>(first + j) + Vector<int>.Indices;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++)
                        {
                            int p = (ih * G.W + iw) * c + j;
                            var v = LoadF(ref x0, p);
                            var gt = Vector.GreaterThan(v, best);
                            best = Vector.ConditionalSelect(gt, v, best);
                            at = Vector.ConditionalSelect(gt, new Vector<int>(p) + Vector<int>.Indices, at);
                        }
                    StoreF(best, ref y0, o + j);
                    Unsafe.WriteUnaligned(ref Unsafe.As<int, byte>(ref Unsafe.Add(ref a0, o + j)), at);
                }
                for (int j = cv; j < c; j++)
                {
                    float best = x[first + j];
                    int at = first + j;
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++)
                        {
                            int p = (ih * G.W + iw) * c + j;
                            if (x[p] > best) { best = x[p]; at = p; }
                        }
                    y[o + j] = best;
                    arg[o + j] = at;
                }
            }
    }

    protected override void BackwardSample(int n, ReadOnlySpan<float> dy, Span<float> dx)
    {
        ReadOnlySpan<int> arg = _argmax.AsSpan(n * dy.Length, dy.Length);
        int c = G.C, vc = Vector<int>.Count;
        bool disjoint = G.SH >= G.KH && G.SW >= G.KW;
        if (!disjoint || !Vector.IsHardwareAccelerated || Vector<float>.Count != vc || c % vc != 0)
        {
            for (int i = 0; i < dy.Length; i++) dx[arg[i]] += dy[i];
            return;
        }
        // Windows do not overlap: each input position belongs to one window, so instead of scattering, every position of
        // every window takes dy where it was the argmax and 0 elsewhere, a vector at a time (refs: all in range, as forward).
        if (dx.Length < G.InPixels * c) throw new ArgumentException("MaxPool2D: sample gradient shorter than the geometry.");
        ref float d0 = ref MemoryMarshal.GetReference(dx);
        ref float g0 = ref MemoryMarshal.GetReference(dy);
        ref int a0 = ref MemoryMarshal.GetReference(arg);
        for (int oh = 0; oh < G.OH; oh++)
            for (int ow = 0; ow < G.OW; ow++)
            {
                int o = (oh * G.OW + ow) * c;
                var (h0, h1, w0, w1) = Window(oh, ow);
                for (int j = 0; j < c; j += vc)
                {
                    var a = Unsafe.ReadUnaligned<Vector<int>>(ref Unsafe.As<int, byte>(ref Unsafe.Add(ref a0, o + j)));
                    var g = LoadF(ref g0, o + j);
                    for (int ih = h0; ih < h1; ih++)
                        for (int iw = w0; iw < w1; iw++)
                        {
                            int p = (ih * G.W + iw) * c + j;
                            var hit = Vector.Equals(a, new Vector<int>(p) + Vector<int>.Indices);
                            StoreF(LoadF(ref d0, p) + Vector.ConditionalSelect(hit, g, Vector<float>.Zero), ref d0, p);
                        }
                }
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> LoadF(ref float at, int offset) => Unsafe.ReadUnaligned<Vector<float>>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref at, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreF(Vector<float> v, ref float at, int offset) => Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref at, offset)), v);
}

/// <summary>y = mean over the window's positions inside the input; dx += dy / count on each of them.</summary>
internal sealed class AvgPool2DOp(Tensor x, Size2 poolSize, Size2 strides, Padding padding, string who) : Pool2DOp(x, poolSize, strides, padding, who)
{
    public override string Name => "AvgPool2D";

    protected override void ForwardSample(int n, ReadOnlySpan<float> x, Span<float> y)
    {
        int c = G.C;
        for (int oh = 0; oh < G.OH; oh++)
            for (int ow = 0; ow < G.OW; ow++)
            {
                Span<float> yo = y.Slice((oh * G.OW + ow) * c, c);
                yo.Clear();
                var (h0, h1, w0, w1) = Window(oh, ow);
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) TensorPrimitives.Add(yo, x.Slice((ih * G.W + iw) * c, c), yo);
                TensorPrimitives.Multiply(yo, 1f / ((h1 - h0) * (w1 - w0)), yo);
            }
    }

    protected override void BackwardSample(int n, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int c = G.C;
        for (int oh = 0; oh < G.OH; oh++)
            for (int ow = 0; ow < G.OW; ow++)
            {
                ReadOnlySpan<float> g = dy.Slice((oh * G.OW + ow) * c, c);
                var (h0, h1, w0, w1) = Window(oh, ow);
                float scale = 1f / ((h1 - h0) * (w1 - w0));
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++)
                    {
                        Span<float> d = dx.Slice((ih * G.W + iw) * c, c);
                        TensorPrimitives.MultiplyAdd(g, scale, d, d);
                    }
            }
    }
}

/// <summary>
/// y (N, C) = mean or max of x (N, H, W, C) over H and W. Backward: dy / (H·W) to every position (mean), or dy to
/// the recorded argmax (max).
/// </summary>
internal sealed class GlobalPool2DOp : Op
{
    private readonly bool _max;
    private readonly int _n, _pixels, _c;
    private readonly int[] _argmax;

    public GlobalPool2DOp(Tensor x, bool max, bool keepDims, string who) : base(x)
    {
        if (x.Rank != 4)
            throw new ShapeMismatchException($"{who}: expects a 4-D input (batch, height, width, channels); got shape {x.Shape}.");
        _max = max;
        (_n, _pixels, _c) = (x.Shape[0], x.Shape[1] * x.Shape[2], x.Shape[3]);
        if (_pixels == 0) throw new ShapeMismatchException($"{who}: the input {x.Shape} has no pixels to pool.");
        _argmax = max ? new int[_n * _c] : [];
        Output = new Tensor(keepDims ? new Shape(_n, 1, 1, _c) : new Shape(_n, _c));
    }

    public override string Name => _max ? "GlobalMaxPool2D" : "GlobalAvgPool2D";

    public override void Forward()
    {
        ReadOnlySpan<float> x = Inputs[0].Span;
        Span<float> y = Output.Span;
        for (int n = 0; n < _n; n++)
        {
            ReadOnlySpan<float> xs = x.Slice(n * _pixels * _c, _pixels * _c);
            Span<float> yn = y.Slice(n * _c, _c);
            xs[.._c].CopyTo(yn);
            if (_max)
            {
                Span<int> arg = _argmax.AsSpan(n * _c, _c);
                for (int i = 0; i < _c; i++) arg[i] = i;
                for (int p = 1; p < _pixels; p++)
                {
                    ReadOnlySpan<float> v = xs.Slice(p * _c, _c);
                    for (int i = 0; i < _c; i++)
                        if (v[i] > yn[i]) { yn[i] = v[i]; arg[i] = p * _c + i; }
                }
            }
            else
            {
                for (int p = 1; p < _pixels; p++) TensorPrimitives.Add(yn, xs.Slice(p * _c, _c), yn);
                TensorPrimitives.Multiply(yn, 1f / _pixels, yn);
            }
        }
    }

    public override void Backward()
    {
        var x = Inputs[0];
        if (!x.RequiresGrad) return;
        Span<float> dx = GradSpan(x);
        ReadOnlySpan<float> dy = OutGrad;
        for (int n = 0; n < _n; n++)
        {
            Span<float> dxs = dx.Slice(n * _pixels * _c, _pixels * _c);
            ReadOnlySpan<float> g = dy.Slice(n * _c, _c);
            if (_max)
            {
                ReadOnlySpan<int> arg = _argmax.AsSpan(n * _c, _c);
                for (int i = 0; i < _c; i++) dxs[arg[i]] += g[i];
            }
            else
            {
                float scale = 1f / _pixels;
                for (int p = 0; p < _pixels; p++)
                {
                    Span<float> d = dxs.Slice(p * _c, _c);
                    TensorPrimitives.MultiplyAdd(g, scale, d, d);
                }
            }
        }
    }
}
