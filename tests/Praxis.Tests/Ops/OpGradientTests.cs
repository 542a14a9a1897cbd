namespace Praxis.Tests.Ops;

/// <summary>Every differentiable op of the foundation against central finite differences.</summary>
public class OpGradientTests
{
    private readonly Rng _rng = new(7);

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 3, 4 })]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 3, 1 }, new[] { 1, 4 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 3, 1 })]
    [InlineData(new[] { 2, 3 }, new int[0])]
    public void BinaryOpsBroadcast(int[] sa, int[] sb)
    {
        GradCheck.Check(t => t[0] + t[1], GradCheck.Rand(_rng, sa), GradCheck.Rand(_rng, sb));
        GradCheck.Check(t => t[0] - t[1], GradCheck.Rand(_rng, sa), GradCheck.Rand(_rng, sb));
        GradCheck.Check(t => t[0] * t[1], GradCheck.Rand(_rng, sa), GradCheck.Rand(_rng, sb));
        GradCheck.Check(t => t[0] / t[1], GradCheck.Rand(_rng, sa), GradCheck.RandPositive(_rng, sb));
    }

    [Fact]
    public void SameTensorTwiceAccumulates() => GradCheck.Check(t => t[0] * t[0] + t[0], GradCheck.Rand(_rng, 3, 2));

    [Fact]
    public void Unary()
    {
        GradCheck.Check(t => t[0].Exp(), GradCheck.Rand(_rng, 2, 5));
        GradCheck.Check(t => t[0].Log(), GradCheck.RandPositive(_rng, 2, 5));
        GradCheck.Check(t => t[0].Sqrt(), GradCheck.RandPositive(_rng, 2, 5));
        GradCheck.Check(t => t[0].Square(), GradCheck.Rand(_rng, 2, 5));
        GradCheck.Check(t => -t[0], GradCheck.Rand(_rng, 2, 5));
        GradCheck.Check(t => t[0].Sigmoid(), GradCheck.Rand(_rng, 2, 5));
        GradCheck.Check(t => t[0].Tanh(), GradCheck.Rand(_rng, 2, 5));
    }

    private Tensor AwayFromKink(params int[] shape)
    {
        var x = GradCheck.Rand(_rng, shape);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) if (MathF.Abs(s[i]) < 0.05f) s[i] = -0.3f;
        return x;
    }

    [Fact]
    public void ReluAwayFromKink()
    {
        var x = GradCheck.Rand(_rng, 4, 6);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) if (MathF.Abs(s[i]) < 0.05f) s[i] = 0.3f; // finite differences need |x| > eps
        GradCheck.Check(t => t[0].Relu(), x);
        GradCheck.Check(t => t[0].Relu(), AwayFromKink(3, 16)); // vectorised backward
        GradCheck.Check(t => t[0].Abs(), x);
        GradCheck.Check(t => t[0].Clip(-0.5f, 0.5f), x);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void SumAndMean(int axis)
    {
        GradCheck.Check(t => t[0].Sum(axis), GradCheck.Rand(_rng, 2, 3, 4));
        GradCheck.Check(t => t[0].Mean(axis, keepDims: true), GradCheck.Rand(_rng, 2, 3, 4));
        GradCheck.Check(t => t[0].Sum(), GradCheck.Rand(_rng, 2, 3, 4));
        GradCheck.Check(t => t[0].Mean(), GradCheck.Rand(_rng, 2, 3, 4));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1)]
    [InlineData(0)]
    public void SoftmaxAndLogSoftmax(int axis)
    {
        GradCheck.Check(t => t[0].Softmax(axis), GradCheck.Rand(_rng, 3, 4, 5));
        GradCheck.Check(t => t[0].LogSoftmax(axis), GradCheck.Rand(_rng, 3, 4, 5));
    }

    [Fact]
    public void MatMulAndLinear()
    {
        GradCheck.Check(t => Tensor.MatMul(t[0], t[1]), GradCheck.Rand(_rng, 3, 5), GradCheck.Rand(_rng, 5, 4));
        GradCheck.Check(t => Tensor.MatMul(t[0], t[1]), GradCheck.Rand(_rng, 2, 3, 5), GradCheck.Rand(_rng, 2, 5, 4));
        GradCheck.Check(t => Tensor.MatMul(t[0], t[1]), GradCheck.Rand(_rng, 2, 3, 5), GradCheck.Rand(_rng, 5, 4));
        GradCheck.Check(t => Tensor.Linear(t[0], t[1], t[2]), GradCheck.Rand(_rng, 3, 5), GradCheck.Rand(_rng, 5, 4), GradCheck.Rand(_rng, 4));
        GradCheck.Check(t => Tensor.Linear(t[0], t[1]), GradCheck.Rand(_rng, 2, 3, 5), GradCheck.Rand(_rng, 5, 4));
    }

    [Fact]
    public void LinearWithFusedRelu()
    {
        // Keep pre-activations away from the kink so finite differences are valid: small weights, a large bias.
        var x = GradCheck.Rand(_rng, 6, 5);
        var w = Tensor.RandomUniform(new Shape(5, 7), -0.05f, 0.05f, _rng);
        var b = Tensor.FromArray([0.5f, -0.5f, 0.6f, -0.7f, 0.4f, -0.4f, 0.3f]);
        GradCheck.Check(t => Tensor.Linear(t[0], t[1], t[2], relu: true), x, w, b);
        var fused = Tensor.Linear(x, w, b, relu: true).ToArray();
        var plain = Tensor.Linear(x, w, b).Relu().ToArray();
        Assert.Equal(plain, fused);
    }

    [Fact]
    public void Reshape() => GradCheck.Check(t => t[0].Reshape(4, -1) * t[0].Reshape(4, 3), GradCheck.Rand(_rng, 2, 6));

    [Fact]
    public void SoftmaxCrossEntropy()
    {
        var y = Tensor.RandomUniform(new Shape(4, 5), 0f, 1f, _rng);
        GradCheck.Check(t => Tensor.SoftmaxCrossEntropy(t[0], t[1]), GradCheck.Rand(_rng, 4, 5), y);
        var labels = Tensor.FromArray([0, 4, 2, 1], 4);
        GradCheck.Check(t => Tensor.SparseSoftmaxCrossEntropy(t[0], labels), GradCheck.Rand(_rng, 4, 5));
    }
}

public class ActivationGradientTests
{
    private readonly Rng _rng = new(11);

    private Tensor AwayFromZero(params int[] shape)
    {
        var x = GradCheck.Rand(_rng, shape);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) if (MathF.Abs(s[i]) < 0.05f) s[i] = -0.4f;
        return x;
    }

    [Fact]
    public void SmoothActivations()
    {
        GradCheck.Check(t => t[0].Gelu(), GradCheck.Rand(_rng, 3, 7));
        GradCheck.Check(t => t[0].Gelu(approximate: true), GradCheck.Rand(_rng, 3, 7));
        GradCheck.Check(t => t[0].Swish(), GradCheck.Rand(_rng, 3, 7));
        GradCheck.Check(t => t[0].Softplus(), GradCheck.Rand(_rng, 3, 7));
    }

    [Fact]
    public void PiecewiseActivations()
    {
        GradCheck.Check(t => t[0].LeakyRelu(0.3f), AwayFromZero(3, 7));
        GradCheck.Check(t => t[0].Elu(), AwayFromZero(3, 7));
    }

    [Fact]
    public void GeluMatchesReferenceValues()
    {
        // x·Φ(x) from the exact normal CDF (scipy.stats.norm.cdf), to float precision.
        var x = Tensor.FromArray([-3f, -1f, -0.5f, 0f, 0.5f, 1f, 3f]);
        float[] expected = [-0.0040496f, -0.1586553f, -0.1542687f, 0f, 0.3457313f, 0.8413447f, 2.9959504f];
        var y = x.Gelu().ToArray();
        for (int i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 5);
    }
}
