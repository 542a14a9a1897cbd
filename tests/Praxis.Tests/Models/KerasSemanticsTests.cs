using Praxis.Initializers;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>Pins the Keras behaviour the seed program relies on.</summary>
[Collection("Global state")]
public class KerasSemanticsTests
{
    internal static Model SeedModel()
    {
        ClearSession();
        var inputs = Input(shape: [784]);
        var hidden = new Dense(64, activation: "relu").Apply(inputs);
        var outputs = new Dense(10, activation: "softmax").Apply(hidden);
        return new Model(inputs, outputs);
    }

    [Fact]
    public void SeedModelHas50890ParametersAndAKerasSummary()
    {
        var model = SeedModel();
        Assert.Equal(50890, model.CountParams());
        Assert.Equal(50240, model.GetLayer("dense").CountParams());
        Assert.Equal(650, model.GetLayer("dense_1").CountParams());
        string s = model.SummaryString();
        Assert.Contains("Model: \"functional\"", s);
        Assert.Contains(" input_layer (InputLayer)        (None, 784)                          0", s);
        Assert.Contains(" dense (Dense)                   (None, 64)                      50,240", s);
        Assert.Contains(" dense_1 (Dense)                 (None, 10)                         650", s);
        Assert.Contains("Total params: 50,890 (198.79 KB)", s);
        Assert.Contains("Trainable params: 50,890 (198.79 KB)", s);
        Assert.Contains("Non-trainable params: 0 (0.00 B)", s);
    }

    [Fact]
    public void DenseDefaultsAreGlorotUniformKernelAndZeroBias()
    {
        var model = SeedModel();
        var dense = (Dense)model.GetLayer("dense");
        Assert.IsType<GlorotUniform>(dense.KernelInitializer);
        Assert.All(dense.Bias!.ToArray(), b => Assert.Equal(0f, b));
        double limit = Math.Sqrt(6.0 / (784 + 64));
        var k = dense.Kernel.ToArray();
        Assert.All(k, v => Assert.InRange(v, -limit, limit));
        // U(−l, l) has variance l²/3; with 50,176 draws the sample variance is within a few percent.
        double mean = k.Average(v => (double)v), variance = k.Average(v => (v - mean) * (v - mean));
        Assert.InRange(variance / (limit * limit / 3), 0.97, 1.03);
        Assert.InRange(k.Max(), 0.99 * limit, limit);
    }

    [Theory]
    [InlineData("he_uniform", 6.0, 0)]
    [InlineData("lecun_uniform", 3.0, 0)]
    [InlineData("glorot_uniform", 6.0, 1)]
    public void UniformVarianceScalingLimits(string name, double numerator, int avg)
    {
        var t = Initializer.Get(name).Create(new Shape(100, 50), new Rng(1));
        double fan = avg == 1 ? (100 + 50) / 2.0 * 2 : 100; // glorot: 6/(fan_in+fan_out)
        double limit = Math.Sqrt(numerator / fan);
        Assert.All(t.ToArray(), v => Assert.InRange(v, -limit, limit));
        Assert.True(t.ToArray().Max() > 0.95 * limit);
    }

    [Fact]
    public void NormalInitializersAreTruncatedAtTwoSigma()
    {
        var t = new HeNormal().Create(new Shape(200, 100), new Rng(2));
        double sigma = Math.Sqrt(2.0 / 200) / 0.87962566103423978;
        Assert.All(t.ToArray(), v => Assert.InRange(v, -2 * sigma, 2 * sigma));
        double sd = Math.Sqrt(t.ToArray().Average(v => (double)v * v));
        Assert.InRange(sd / Math.Sqrt(2.0 / 200), 0.97, 1.03); // the corrected σ gives the intended variance
    }

    [Fact]
    public void OrthogonalInitializerGivesOrthonormalColumns()
    {
        var t = new Orthogonal().Create(new Shape(8, 5), new Rng(3));
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
            {
                double dot = 0;
                for (int r = 0; r < 8; r++) dot += t[r, i] * t[r, j];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }
    }

    [Fact]
    public void AdamStepMatchesTheKerasFormula()
    {
        var w = Tensor.FromArray([0.5f, -1f, 2f]);
        w.RequiresGrad = true;
        var adam = new Adam();
        Assert.Equal(1e-3f, adam.LearningRate);
        Assert.Equal(0.9f, adam.Beta1);
        Assert.Equal(0.999f, adam.Beta2);
        Assert.Equal(1e-7f, adam.Epsilon);
        double[] m = new double[3], v = new double[3], expected = [0.5, -1, 2];
        float[][] grads = [[0.1f, -0.2f, 0.3f], [0.05f, 0.4f, -1f]];
        for (int t = 1; t <= 2; t++)
        {
            w.Grad = Tensor.FromArray(grads[t - 1]);
            adam.Step([w]);
            // Keras: α = lr·√(1−β₂ᵗ)/(1−β₁ᵗ); m += (g−m)(1−β₁); v += (g²−v)(1−β₂); w −= α·m/(√v + ε)
            double alpha = 1e-3 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            for (int i = 0; i < 3; i++)
            {
                double g = grads[t - 1][i];
                m[i] += (g - m[i]) * 0.1;
                v[i] += (g * g - v[i]) * 0.001;
                expected[i] -= alpha * m[i] / (Math.Sqrt(v[i]) + 1e-7);
            }
        }
        var got = w.ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], got[i], 6);
        Assert.Equal(2, adam.Iterations);
    }

    [Fact]
    public void SgdMomentumAndNesterovMatchKeras()
    {
        foreach (bool nesterov in new[] { false, true })
        {
            var w = Tensor.FromArray([1f]);
            w.RequiresGrad = true;
            var sgd = new SGD(0.1f, momentum: 0.9f, nesterov: nesterov);
            double vel = 0, expected = 1;
            foreach (float g in new[] { 0.5f, -0.25f, 1f })
            {
                w.Grad = Tensor.FromArray([g]);
                sgd.Step([w]);
                vel = 0.9 * vel - 0.1 * g;
                expected += nesterov ? 0.9 * vel - 0.1 * g : vel;
            }
            Assert.Equal(expected, w.Item(), 6);
        }
        Assert.Equal(0.01f, new SGD().LearningRate);
    }

    [Fact]
    public void StringsResolveToKerasObjects()
    {
        Assert.IsType<Adam>((Optimizer)"adam");
        Assert.IsType<SGD>((Optimizer)"sgd");
        Assert.IsType<Praxis.Losses.MeanSquaredError>((Praxis.Losses.Loss)"mse");
        Assert.IsType<Praxis.Losses.SparseCategoricalCrossentropy>((Praxis.Losses.Loss)"sparse_categorical_crossentropy");
        var ex = Assert.Throws<ArgumentException>(() => (Optimizer)"adamax9");
        Assert.Contains("adam", ex.Message);
    }

    [Fact]
    public void AccuracyResolvesFromTheLoss()
    {
        var model = SeedModel();
        var acc = new Praxis.Metrics.Accuracy();
        model.Compile("adam", "categorical_crossentropy", [acc]);
        Assert.IsType<Praxis.Metrics.CategoricalAccuracy>(acc.Variant);
        var acc2 = new Praxis.Metrics.Accuracy();
        model.Compile("adam", "sparse_categorical_crossentropy", [acc2]);
        Assert.IsType<Praxis.Metrics.SparseCategoricalAccuracy>(acc2.Variant);
    }

    [Fact]
    public void SoftmaxOutputWithCrossEntropyIsComputedFromLogits()
    {
        // With probabilities clipped at 1e-7 the loss of a confident wrong answer would saturate at −log(1e-7) ≈ 16.1;
        // from logits it is exact.
        var logits = Tensor.FromArray([0f, 40f], 1, 2);
        var y = Tensor.FromArray([1f, 0f], 1, 2);
        var loss = ((Praxis.Losses.Loss)"categorical_crossentropy").Compute(y, logits.Softmax());
        Assert.Equal(40f, loss.Item(), 3);
        var viaProbs = ((Praxis.Losses.Loss)"categorical_crossentropy").Compute(y, Tensor.FromArray([4.2e-18f, 1f], 1, 2));
        Assert.Equal(-MathF.Log(1e-7f), viaProbs.Item(), 2);
    }

    [Fact]
    public void LayerNamesFollowKeras()
    {
        ClearSession();
        Assert.Equal("dense", new Dense(2).Name);
        Assert.Equal("dense_1", new Dense(2).Name);
        Assert.Equal("max_pooling2d", Layer.DefaultName("MaxPooling2D"));
        Assert.Equal("conv2d", Layer.DefaultName("Conv2D"));
        Assert.Equal("batch_normalization", Layer.DefaultName("BatchNormalization"));
        Assert.Equal("lstm", Layer.DefaultName("LSTM"));
        Assert.Equal("gru", Layer.DefaultName("GRU"));
        Assert.Equal("simple_rnn", Layer.DefaultName("SimpleRNN"));
    }
}

/// <summary>Tests that reseed the global generator or reset layer names must not run in parallel with each other.</summary>
[CollectionDefinition("Global state", DisableParallelization = true)]
public class GlobalStateCollection { }
