namespace Praxis.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void ShapeFormatsLikePython()
    {
        Assert.Equal("(32, 784)", new Shape(32, 784).ToString());
        Assert.Equal("(5,)", new Shape(5).ToString());
        Assert.Equal("()", new Shape().ToString());
        Assert.Equal("(None, 10)", new Shape(-1, 10).ToString());
    }

    [Fact]
    public void BroadcastMismatchNamesBothShapes()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Tensor.Zeros(3, 4) + Tensor.Zeros(5));
        Assert.Contains("(3, 4)", ex.Message);
        Assert.Contains("(5,)", ex.Message);
    }

    [Fact]
    public void BroadcastValues()
    {
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var b = Tensor.FromArray([10, 20, 30], 3);
        Assert.Equal([11f, 22, 33, 14, 25, 36], (a + b).ToArray());
        var c = Tensor.FromArray([100, 200], 2, 1);
        Assert.Equal([101f, 102, 103, 204, 205, 206], (a + c).ToArray());
        Assert.Equal([2f, 4, 6, 8, 10, 12], (a * 2f).ToArray());
        Assert.Equal([-1f, -2, -3, -4, -5, -6], (-a).ToArray());
        var outer = Tensor.FromArray([1, 2], 2, 1) * Tensor.FromArray([1, 10, 100], 1, 3);
        Assert.Equal(new Shape(2, 3), outer.Shape);
        Assert.Equal([1f, 10, 100, 2, 20, 200], outer.ToArray());
    }

    [Fact]
    public void ReshapeIsAViewAndInfersOneDimension()
    {
        var a = Tensor.Arange(12);
        var b = a.Reshape(3, -1);
        Assert.Equal(new Shape(3, 4), b.Shape);
        a.Span[5] = 42f;
        Assert.Equal(42f, b[1, 1]);
        var ex = Assert.Throws<ShapeMismatchException>(() => a.Reshape(5, -1));
        Assert.Contains("(12,)", ex.Message);
        Assert.Throws<ShapeMismatchException>(() => a.Reshape(2, 5));
    }

    [Fact]
    public void ReductionsAndMatMulValues()
    {
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([5f, 7, 9], a.Sum(0).ToArray());
        Assert.Equal([2f, 5], a.Mean(1).ToArray());
        Assert.Equal(21f, a.Sum().Item());
        var b = Tensor.FromArray([1, 0, 0, 1, 1, 1], 3, 2);
        Assert.Equal([4f, 5, 10, 11], Tensor.MatMul(a, b).ToArray());
        var ex = Assert.Throws<ShapeMismatchException>(() => Tensor.MatMul(a, a));
        Assert.Contains("(2, 3)", ex.Message);
    }

    [Fact]
    public void SoftmaxRowsSumToOneAndStayFiniteOnHugeLogits()
    {
        var x = Tensor.FromArray([1e4f, -1e4f, 0f, 3f, 3f, 3f], 2, 3);
        var p = x.Softmax().ToArray();
        Assert.Equal(1f, p[0], 6);
        Assert.Equal(0f, p[1], 6);
        Assert.All(p, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1f / 3, p[4], 6);
        var lp = x.LogSoftmax().ToArray();
        Assert.Equal(-2e4f, lp[1], 0);
        Assert.All(lp, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void FromArrayChecksSize()
    {
        var ex = Assert.Throws<ShapeMismatchException>(() => Tensor.FromArray([1, 2, 3], 2, 2));
        Assert.Contains("(2, 2)", ex.Message);
    }
}

public class AutogradTests
{
    [Fact]
    public void BackwardFillsLeafGradients()
    {
        var x = Tensor.FromArray([1, 2, 3]);
        x.RequiresGrad = true;
        var y = (x * x).Sum(); // dy/dx = 2x
        y.Backward();
        Assert.Equal([2f, 4, 6], x.Grad!.ToArray());
    }

    [Fact]
    public void LeafGradientsAccumulateAcrossBackwardCalls()
    {
        var x = Tensor.FromArray([1, 2]);
        x.RequiresGrad = true;
        (x * 3f).Sum().Backward();
        (x * 3f).Sum().Backward();
        Assert.Equal([6f, 6], x.Grad!.ToArray());
    }

    [Fact]
    public void NoGradDisconnectsResults()
    {
        var x = Tensor.FromArray([1, 2]);
        x.RequiresGrad = true;
        Tensor y;
        using (Tensor.NoGrad()) y = x * 2f;
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
        Assert.True((x * 2f).RequiresGrad);
    }

    [Fact]
    public void BackwardOnNonScalarNeedsAGradient()
    {
        var x = Tensor.FromArray([1, 2]);
        x.RequiresGrad = true;
        var y = x * 2f;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("(2,)", ex.Message);
        y.Backward(Tensor.FromArray([1, 10]));
        Assert.Equal([2f, 20], x.Grad!.ToArray());
    }

    [Fact]
    public void DeepChainsDoNotOverflowTheStack()
    {
        var x = Tensor.FromArray([1f]);
        x.RequiresGrad = true;
        var y = x;
        for (int i = 0; i < 20000; i++) y = y * 1f;
        y.Sum().Backward();
        Assert.Equal(1f, x.Grad!.Item());
    }

    [Fact]
    public void FusedCrossEntropyMatchesComposedOps()
    {
        var rng = new Rng(3);
        var logits = Tensor.RandomNormal(new Shape(6, 5), 0, 2, rng);
        var labels = Keras.ToCategorical(Tensor.FromArray([0, 1, 4, 2, 3, 3]), 5);
        float fused = Tensor.SoftmaxCrossEntropy(logits, labels).Item();
        float composed = -(labels * logits.LogSoftmax()).Sum(-1).Mean().Item();
        Assert.Equal(composed, fused, 2e-5f); // a tolerance, not rounding: two roundings can straddle a boundary
        float sparse = Tensor.SparseSoftmaxCrossEntropy(logits, Tensor.FromArray([0, 1, 4, 2, 3, 3])).Item();
        Assert.Equal(composed, sparse, 2e-5f); // a tolerance, not rounding: two roundings can straddle a boundary
    }

    [Fact]
    public void SoftmaxCrossEntropyStaysFiniteOnExtremeLogits()
    {
        var logits = Tensor.FromArray([1e4f, -1e4f, 0f, -1e4f, 1e4f, 1e4f], 2, 3);
        logits.RequiresGrad = true;
        var y = Tensor.FromArray([0, 1, 0, 1, 0, 0], 2, 3);
        var loss = Tensor.SoftmaxCrossEntropy(logits, y);
        Assert.True(float.IsFinite(loss.Item()));
        Assert.Equal((2e4f + 2e4f + MathF.Log(2f)) / 2f, loss.Item(), 0); // row 0: lse − z₁ = 2e4; row 1: 1e4 + log 2 − (−1e4)
        loss.Backward();
        Assert.All(logits.Grad!.ToArray(), g => Assert.True(float.IsFinite(g)));
        var sparse = Tensor.SparseSoftmaxCrossEntropy(logits, Tensor.FromArray([1, 0]));
        Assert.True(float.IsFinite(sparse.Item()));
    }
}
