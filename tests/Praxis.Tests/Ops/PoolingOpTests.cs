namespace Praxis.Tests.Ops;

/// <summary>Pooling and upsampling ops against direct references and finite differences.</summary>
public class PoolingOpTests
{
    private readonly Rng _rng = new(5);

    /// <summary>Direct max/mean pooling; "same" windows are clipped to the input (TensorFlow's rule for both).</summary>
    private static Tensor Reference(Tensor x, int ph, int pw, int sh, int sw, bool same, bool max)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        int oh = same ? (h + sh - 1) / sh : (h - ph) / sh + 1;
        int ow = same ? (w + sw - 1) / sw : (w - pw) / sw + 1;
        int pt = same ? Math.Max((oh - 1) * sh + ph - h, 0) / 2 : 0;
        int pl = same ? Math.Max((ow - 1) * sw + pw - w, 0) / 2 : 0;
        var y = new Tensor(new Shape(n, oh, ow, c));
        for (int i = 0; i < n; i++)
            for (int r = 0; r < oh; r++)
                for (int q = 0; q < ow; q++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float best = float.NegativeInfinity, sum = 0;
                        int count = 0;
                        for (int u = 0; u < ph; u++)
                            for (int v = 0; v < pw; v++)
                            {
                                int ih = r * sh - pt + u, iw = q * sw - pl + v;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                best = Math.Max(best, x[i, ih, iw, ch]);
                                sum += x[i, ih, iw, ch];
                                count++;
                            }
                        y[i, r, q, ch] = max ? best : sum / count;
                    }
        return y;
    }

    // n, h, w, c, ph, pw, sh, sw, same
    public static TheoryData<int, int, int, int, int, int, int, int, bool> Cases => new()
    {
        { 2, 4, 4, 3, 2, 2, 2, 2, false },
        { 2, 5, 5, 3, 2, 2, 2, 2, false },
        { 2, 5, 5, 3, 2, 2, 2, 2, true },
        { 1, 7, 6, 9, 3, 3, 2, 2, true },
        { 1, 7, 6, 2, 3, 2, 1, 1, false },
        { 1, 5, 7, 17, 3, 3, 1, 2, true },
        { 2, 6, 6, 16, 2, 2, 2, 2, false }, // channels a multiple of the vector width: the vectorised paths
        { 1, 5, 7, 8, 2, 2, 2, 2, true },
        { 1, 7, 7, 8, 2, 3, 3, 3, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxAndAveragePooling(int n, int h, int w, int c, int ph, int pw, int sh, int sw, bool same)
    {
        string pad = same ? "same" : "valid";
        var x = GradCheck.Rand(_rng, n, h, w, c); // distinct values: no ties for finite differences to trip on
        ConvOpTests.AssertClose(Reference(x, ph, pw, sh, sw, same, max: true), x.MaxPool2D((ph, pw), (sh, sw), pad), 0);
        ConvOpTests.AssertClose(Reference(x, ph, pw, sh, sw, same, max: false), x.AvgPool2D((ph, pw), (sh, sw), pad), 1e-6f);
        GradCheck.Check(t => t[0].MaxPool2D((ph, pw), (sh, sw), pad), x);
        GradCheck.Check(t => t[0].AvgPool2D((ph, pw), (sh, sw), pad), x);
    }

    [Fact]
    public void MaxPoolStridesDefaultToPoolSizeAndOverlappingWindowsAccumulate()
    {
        var x = GradCheck.Rand(_rng, 2, 6, 6, 3);
        Assert.Equal(new Shape(2, 3, 3, 3), x.MaxPool2D(2).Shape);
        Assert.Equal(new Shape(2, 2, 2, 3), x.MaxPool2D(3).Shape);
        // One large value wins every overlapping window that contains it: its gradient is the sum over those windows.
        var z = Tensor.Zeros(1, 3, 3, 1);
        z[0, 1, 1, 0] = 5f;
        z.RequiresGrad = true;
        z.MaxPool2D(2, 1).Sum().Backward();
        Assert.Equal(4f, z.Grad![0, 1, 1, 0]);
        Assert.Equal(0f, z.Grad![0, 0, 0, 0]);
    }

    [Fact]
    public void GlobalPooling()
    {
        var x = GradCheck.Rand(_rng, 2, 3, 4, 5);
        var avg = x.GlobalAvgPool2D();
        var max = x.GlobalMaxPool2D(keepDims: true);
        Assert.Equal(new Shape(2, 5), avg.Shape);
        Assert.Equal(new Shape(2, 1, 1, 5), max.Shape);
        ConvOpTests.AssertClose(Reference(x, 3, 4, 1, 1, false, max: false).Reshape(2, 5), avg, 1e-6f);
        ConvOpTests.AssertClose(Reference(x, 3, 4, 1, 1, false, max: true), max, 0);
        GradCheck.Check(t => t[0].GlobalAvgPool2D(), x);
        GradCheck.Check(t => t[0].GlobalMaxPool2D(), x);
    }

    [Fact]
    public void PoolingErrors()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(2, 8, 8).MaxPool2D(2));
        Assert.Contains("4-D input", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(1, 1, 8, 2).MaxPool2D(2));
        Assert.Contains("smaller than the pool height 2", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(1, 4, 4, 1).AvgPool2D(0));
    }

    [Fact]
    public void UpSamplingNearestRepeatsPixels()
    {
        var x = Tensor.FromArray([1, 2, 3, 4], 1, 2, 2, 1);
        var y = x.UpSampling2D((2, 3));
        Assert.Equal(new Shape(1, 4, 6, 1), y.Shape);
        Assert.Equal([1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4], y.ToArray());
        GradCheck.Check(t => t[0].UpSampling2D((2, 3)), GradCheck.Rand(_rng, 2, 3, 2, 3));
    }

    [Fact]
    public void UpSamplingBilinearMatchesTensorFlowResize()
    {
        // tf.image.resize([[1, 2], [3, 4]], (4, 4), "bilinear") with half-pixel centres.
        var x = Tensor.FromArray([1, 2, 3, 4], 1, 2, 2, 1);
        float[] expected = [1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4];
        var y = x.UpSampling2D(2, "bilinear").ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], y[i], 5);
        GradCheck.Check(t => t[0].UpSampling2D((3, 2), "bilinear"), GradCheck.Rand(_rng, 2, 3, 4, 2));
        Assert.Throws<ArgumentException>(() => x.UpSampling2D(2, "bicubic"));
    }
}
