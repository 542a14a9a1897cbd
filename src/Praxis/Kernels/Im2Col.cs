using System.Numerics.Tensors;

namespace Praxis.Kernels;

/// <summary>
/// Lowering of a channels-last convolution to a matrix product. For one sample x (H, W, C), row p = oh·OW + ow of
/// the im2col matrix (OH·OW, KH·KW·C) holds the receptive field of output pixel p in kernel order (kh, kw, c), zeros
/// where the window hangs over the padding. Then y (OH·OW, F) = col · kernel (KH·KW·C, F), and the kernel's Keras
/// layout (KH, KW, C, F) already is that matrix. <see cref="Col2ImAdd"/> is the adjoint: it scatters rows back onto the
/// input, adding where windows overlap.
/// </summary>
/// <remarks>
/// In NHWC the C values of one input pixel are contiguous, and with dilation 1 so are the KW·C values of one kernel row
/// inside the image: the copy runs are as long as the layout allows.
/// </remarks>
internal static class Im2Col
{
    /// <summary>col (OH·OW, K) ← the receptive fields of sample x (H, W, C).</summary>
    public static void Forward(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> col)
    {
        int c = g.C, kwc = g.KW * c, k = g.K;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int ih0 = oh * g.SH - g.PadTop;
            for (int ow = 0; ow < g.OW; ow++)
            {
                Span<float> row = col.Slice((oh * g.OW + ow) * k, k);
                int iw0 = ow * g.SW - g.PadLeft;
                bool rowInside = g.DW == 1 && iw0 >= 0 && iw0 + g.KW <= g.W;
                for (int kh = 0; kh < g.KH; kh++)
                {
                    Span<float> seg = row.Slice(kh * kwc, kwc);
                    int ih = ih0 + kh * g.DH;
                    if ((uint)ih >= (uint)g.H) { seg.Clear(); continue; }
                    int rowBase = ih * g.W;
                    if (rowInside)
                    {
                        Copy(x.Slice((rowBase + iw0) * c, kwc), seg);
                        continue;
                    }
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int iw = iw0 + kw * g.DW;
                        Span<float> dst = seg.Slice(kw * c, c);
                        if ((uint)iw >= (uint)g.W) dst.Clear();
                        else Copy(x.Slice((rowBase + iw) * c, c), dst);
                    }
                }
            }
        }
    }

    /// <summary>dx (H, W, C) += the rows of col (OH·OW, K) scattered back to their receptive fields.</summary>
    public static void Col2ImAdd(in ConvGeometry g, ReadOnlySpan<float> col, Span<float> dx)
    {
        int c = g.C, kwc = g.KW * c, k = g.K;
        for (int oh = 0; oh < g.OH; oh++)
        {
            int ih0 = oh * g.SH - g.PadTop;
            for (int ow = 0; ow < g.OW; ow++)
            {
                ReadOnlySpan<float> row = col.Slice((oh * g.OW + ow) * k, k);
                int iw0 = ow * g.SW - g.PadLeft;
                bool rowInside = g.DW == 1 && iw0 >= 0 && iw0 + g.KW <= g.W;
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int ih = ih0 + kh * g.DH;
                    if ((uint)ih >= (uint)g.H) continue;
                    ReadOnlySpan<float> seg = row.Slice(kh * kwc, kwc);
                    int rowBase = ih * g.W;
                    if (rowInside)
                    {
                        Add(seg, dx.Slice((rowBase + iw0) * c, kwc));
                        continue;
                    }
                    for (int kw = 0; kw < g.KW; kw++)
                    {
                        int iw = iw0 + kw * g.DW;
                        if ((uint)iw < (uint)g.W) Add(seg.Slice(kw * c, c), dx.Slice((rowBase + iw) * c, c));
                    }
                }
            }
        }
    }

    /// <summary>
    /// True when the K-major layout (<see cref="ForwardKMajor"/>) is the better one: a single input channel with unit
    /// horizontal stride (the first layer of a grayscale convnet), where a row-major im2col row is made of runs of
    /// KW floats but a K-major row is a run of OW consecutive pixels.
    /// </summary>
    public static bool PreferKMajor(in ConvGeometry g) => g.C == 1 && g.SW == 1 && !g.IsPointwise;

    /// <summary>
    /// colT (K, ld) ← the transposed im2col matrix of one sample, written to columns [column, column + OH·OW): entry
    /// (kh·KW + kw, p) is the input under tap (kh, kw) of output pixel p. Only for C = 1 and unit horizontal stride.
    /// </summary>
    public static void ForwardKMajor(in ConvGeometry g, ReadOnlySpan<float> x, Span<float> colT, int ld, int column)
    {
        for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
            {
                Span<float> row = colT.Slice((kh * g.KW + kw) * ld + column, g.OutPixels);
                int shift = kw * g.DW - g.PadLeft;               // iw = ow + shift
                int lo = Math.Clamp(-shift, 0, g.OW), hi = Math.Clamp(g.W - shift, lo, g.OW); // ow range inside the image
                for (int oh = 0; oh < g.OH; oh++)
                {
                    Span<float> dst = row.Slice(oh * g.OW, g.OW);
                    int ih = oh * g.SH - g.PadTop + kh * g.DH;
                    if ((uint)ih >= (uint)g.H) { dst.Clear(); continue; }
                    dst[..lo].Clear();
                    x.Slice(ih * g.W + lo + shift, hi - lo).CopyTo(dst[lo..hi]);
                    dst[hi..].Clear();
                }
            }
    }

    /// <summary>dx (H, W, 1) += the columns [column, column + OH·OW) of colT (K, ld) scattered back; the adjoint of <see cref="ForwardKMajor"/>.</summary>
    public static void Col2ImAddKMajor(in ConvGeometry g, ReadOnlySpan<float> colT, int ld, int column, Span<float> dx)
    {
        for (int kh = 0; kh < g.KH; kh++)
            for (int kw = 0; kw < g.KW; kw++)
            {
                ReadOnlySpan<float> row = colT.Slice((kh * g.KW + kw) * ld + column, g.OutPixels);
                int shift = kw * g.DW - g.PadLeft;
                int lo = Math.Clamp(-shift, 0, g.OW), hi = Math.Clamp(g.W - shift, lo, g.OW);
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int ih = oh * g.SH - g.PadTop + kh * g.DH;
                    if ((uint)ih >= (uint)g.H || hi == lo) continue;
                    Span<float> d = dx.Slice(ih * g.W + lo + shift, hi - lo);
                    TensorPrimitives.Add(d, row.Slice(oh * g.OW + lo, hi - lo), d);
                }
            }
    }

    // Runs are as short as one float (a grayscale image's pixel): a plain loop beats a memmove call below ~16.
    private static void Copy(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (src.Length >= 16) { src.CopyTo(dst); return; }
        for (int i = 0; i < src.Length; i++) dst[i] = src[i];
    }

    private static void Add(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (src.Length >= 16) { TensorPrimitives.Add(dst, src, dst); return; }
        for (int i = 0; i < src.Length; i++) dst[i] += src[i];
    }
}
