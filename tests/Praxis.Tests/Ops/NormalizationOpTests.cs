namespace Praxis.Tests.Ops;

/// <summary>Dropout and batch normalization ops: statistics, training vs inference, gradients.</summary>
[Collection("Global state")]
public class NormalizationOpTests
{
    private readonly Rng _rng = new(3);

    [Fact]
    public void DropoutZeroesAboutRateAndScalesSurvivors()
    {
        var x = Tensor.Ones(100, 200);
        var y = x.Dropout(0.3f, new Rng(1));
        int zeros = 0;
        foreach (float v in y.Span)
        {
            if (v == 0f) zeros++;
            else Assert.Equal(1f / 0.7f, v, 6);
        }
        // 20,000 Bernoulli(0.3) draws: mean 6,000, standard deviation ~65.
        Assert.InRange(zeros, 5700, 6300);
    }

    [Fact]
    public void DropoutGradientIsTheMaskAndEachReplayDrawsAFreshMask()
    {
        var x = GradCheck.Rand(_rng, 4, 50);
        x.RequiresGrad = true;
        var y = x.Dropout(0.5f, new Rng(9));
        y.Sum().Backward();
        for (int i = 0; i < x.Size; i++) Assert.Equal(y.Span[i] == 0f ? 0f : 2f, x.Grad!.Span[i]);
        // Replaying the op (as Fit does) draws a new mask.
        var first = y.ToArray();
        y.GradFn!.Forward();
        Assert.NotEqual(first, y.ToArray());
        // Finite differences hold for a fixed mask: check through a fresh op with a fixed seed per evaluation.
        GradCheck.Check(t => t[0].Dropout(0.4f, new Rng(5)), GradCheck.Rand(_rng, 3, 7));
    }

    [Fact]
    public void DropoutIsReproducibleFromTheGlobalSeed()
    {
        Keras.SetRandomSeed(77);
        var a = Tensor.Ones(1000).Dropout(0.5f).ToArray();
        Keras.SetRandomSeed(77);
        var b = Tensor.Ones(1000).Dropout(0.5f).ToArray();
        Assert.Equal(a, b);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Ones(3).Dropout(1f));
    }

    [Fact]
    public void BatchNormTrainingNormalizesAndUpdatesMovingStatistics()
    {
        var x = Tensor.RandomNormal(new Shape(8, 5, 5, 3), 2f, 3f, _rng);
        var mm = Tensor.Zeros(3);
        var mv = Tensor.Ones(3);
        var y = Tensor.BatchNorm(x, null, null, mm, mv, training: true);
        for (int c = 0; c < 3; c++)
        {
            double s = 0, s2 = 0, xs = 0, xs2 = 0;
            int m = 0;
            for (int i = c; i < y.Size; i += 3)
            {
                s += y.Span[i]; s2 += y.Span[i] * y.Span[i];
                xs += x.Span[i]; xs2 += (double)x.Span[i] * x.Span[i];
                m++;
            }
            double mean = xs / m, var = xs2 / m - mean * mean;
            Assert.Equal(0, s / m, 4);
            Assert.Equal(var / (var + 1e-3), s2 / m, 3); // ε = 1e-3 keeps the variance just under 1
            // Keras: moving = moving·0.99 + batch·0.01, with the biased batch variance.
            Assert.Equal(0.01 * mean, mm[c], 4);
            Assert.Equal(0.99 + 0.01 * var, mv[c], 3);
        }
    }

    [Fact]
    public void BatchNormInferenceUsesMovingStatistics()
    {
        var x = GradCheck.Rand(_rng, 4, 3);
        var mm = Tensor.FromArray([0.5f, -1f, 2f]);
        var mv = Tensor.FromArray([4f, 0.25f, 1f]);
        var g = Tensor.FromArray([2f, 1f, -1f]);
        var b = Tensor.FromArray([0.1f, 0.2f, 0.3f]);
        var y = Tensor.BatchNorm(x, g, b, mm, mv, training: false);
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(g[c] * (x[r, c] - mm[c]) / MathF.Sqrt(mv[c] + 1e-3f) + b[c], y[r, c], 1e-5f); // a tolerance: rounding to 5 places can split two values 1e-7 apart
        Assert.Equal([0.5f, -1f, 2f], mm.ToArray()); // untouched
    }

    [Fact]
    public void BatchNormGradients()
    {
        var mm = Tensor.Zeros(3);
        var mv = Tensor.Ones(3);
        // Channels last, training: the batch statistics depend on x, so the full gradient is checked.
        GradCheck.Check(t => Tensor.BatchNorm(t[0], t[1], t[2], mm, mv, training: true), GradCheck.Rand(_rng, 4, 2, 2, 3), GradCheck.RandPositive(_rng, 3), GradCheck.Rand(_rng, 3));
        GradCheck.Check(t => Tensor.BatchNorm(t[0], null, null, mm, mv, training: true), GradCheck.Rand(_rng, 6, 3));
        // Channels first (axis 1 with trailing axes), training and inference.
        GradCheck.Check(t => Tensor.BatchNorm(t[0], t[1], t[2], mm, mv, training: true, axis: 1), GradCheck.Rand(_rng, 3, 3, 2, 2), GradCheck.RandPositive(_rng, 3), GradCheck.Rand(_rng, 3));
        var mv2 = GradCheck.RandPositive(_rng, 3);
        GradCheck.Check(t => Tensor.BatchNorm(t[0], t[1], t[2], mm, mv2, training: false, axis: 1), GradCheck.Rand(_rng, 2, 3, 4), GradCheck.RandPositive(_rng, 3), GradCheck.Rand(_rng, 3));
        GradCheck.Check(t => Tensor.BatchNorm(t[0], t[1], null, mm, mv2, training: false), GradCheck.Rand(_rng, 2, 2, 3), GradCheck.RandPositive(_rng, 3));
    }

    [Fact]
    public void BatchNormShapeErrors()
    {
        var e = Assert.Throws<ShapeMismatchException>(() => Tensor.BatchNorm(Tensor.Zeros(2, 4), null, null, Tensor.Zeros(3), Tensor.Ones(3), true));
        Assert.Contains("moving_mean shape (3,)", e.Message);
        Assert.Contains("4 channels", e.Message);
    }
}
