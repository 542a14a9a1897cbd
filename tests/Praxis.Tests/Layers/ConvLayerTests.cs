using Praxis.Layers;
using Praxis.Models;

namespace Praxis.Tests.Layers;

/// <summary>The image layers: Keras shapes, configs and errors; gradients through layers; training vs inference.</summary>
[Collection("Global state")]
public class ConvLayerTests
{
    private readonly Rng _rng = new(17);

    // Expected sizes worked out from Keras' conv_output_length: valid ⌊(in − k_eff)/s⌋ + 1, same ⌈in/s⌉.
    [Theory]
    [InlineData(28, 3, 1, 1, "valid", 26)]
    [InlineData(28, 3, 1, 1, "same", 28)]
    [InlineData(28, 3, 2, 1, "valid", 13)]
    [InlineData(28, 3, 2, 1, "same", 14)]
    [InlineData(7, 3, 2, 1, "valid", 3)]
    [InlineData(7, 3, 2, 1, "same", 4)]
    [InlineData(10, 3, 1, 2, "valid", 6)]
    [InlineData(10, 3, 1, 2, "same", 10)]
    [InlineData(5, 5, 1, 1, "valid", 1)]
    [InlineData(5, 4, 3, 1, "valid", 1)]
    [InlineData(5, 4, 3, 1, "same", 2)]
    [InlineData(1, 3, 1, 1, "same", 1)]
    [InlineData(9, 1, 4, 1, "valid", 3)]
    public void Conv2DOutputShapeMatchesKerasFormula(int size, int kernel, int stride, int dilation, string padding, int expected)
    {
        // Height and width differ so the two axes cannot be confused.
        var layer = new Conv2D(4, (kernel, 1), strides: (stride, 1), padding: padding, dilationRate: (dilation, 1));
        var symbolic = layer.Apply(Keras.Input([size, 6, 2]));
        Assert.Equal(new Shape(-1, expected, padding == "same" ? 6 : 6, 4), symbolic.Shape);
        var y = layer.Apply(GradCheck.Rand(_rng, 2, size, 6, 2));
        Assert.Equal(new Shape(2, expected, 6, 4), y.Shape);
    }

    [Fact]
    public void KerasMnistConvnetSummary()
    {
        Keras.ClearSession();
        var model = MnistConvnet();
        // Keras' "simple MNIST convnet" summary: the same shapes, parameter counts and names.
        string s = model.SummaryString();
        Assert.Contains("conv2d (Conv2D)", s);
        Assert.Contains("(None, 26, 26, 32)", s);
        Assert.Contains("max_pooling2d (MaxPooling2D)", s);
        Assert.Contains("(None, 13, 13, 32)", s);
        Assert.Contains("conv2d_1 (Conv2D)", s);
        Assert.Contains("(None, 11, 11, 64)", s);
        Assert.Contains("(None, 5, 5, 64)", s);
        Assert.Contains("(None, 1600)", s);
        Assert.Contains("Total params: 34,826", s);
        var conv = (Conv2D)model.GetLayer("conv2d_1");
        Assert.Equal(new Shape(3, 3, 32, 64), conv.Kernel.Shape);
        Assert.Equal(18_496, conv.CountParams());
    }

    internal static Sequential MnistConvnet(float dropout = 0.5f) => new(
    [
        new InputLayer([28, 28, 1]),
        new Conv2D(32, kernelSize: (3, 3), activation: "relu"),
        new MaxPooling2D(poolSize: (2, 2)),
        new Conv2D(64, kernelSize: (3, 3), activation: "relu"),
        new MaxPooling2D(poolSize: (2, 2)),
        new Flatten(),
        new Dropout(dropout),
        new Dense(10, activation: "softmax"),
    ]);

    [Fact]
    public void OtherLayersOutputShapes()
    {
        var x = Keras.Input([9, 7, 3]);
        Assert.Equal(new Shape(-1, 5, 4, 3), new MaxPooling2D(2, padding: "same").Apply(x).Shape);
        Assert.Equal(new Shape(-1, 4, 3, 3), new AveragePooling2D().Apply(x).Shape);
        Assert.Equal(new Shape(-1, 7, 5, 3), new MaxPooling2D(3, strides: 1).Apply(x).Shape);
        Assert.Equal(new Shape(-1, 3), new GlobalAveragePooling2D().Apply(x).Shape);
        Assert.Equal(new Shape(-1, 1, 1, 3), new GlobalMaxPooling2D(keepdims: true).Apply(x).Shape);
        Assert.Equal(new Shape(-1, 189), new Flatten().Apply(x).Shape);
        Assert.Equal(new Shape(-1, 21, 9), new Reshape([-1, 9]).Apply(x).Shape);
        Assert.Equal(new Shape(-1, 18, 21, 3), new UpSampling2D((2, 3)).Apply(x).Shape);
        Assert.Equal(new Shape(-1, 19, 15, 8), new Conv2DTranspose(8, 3, strides: 2).Apply(x).Shape);
        Assert.Equal(new Shape(-1, 18, 14, 8), new Conv2DTranspose(8, 3, strides: 2, padding: "same").Apply(x).Shape);
        Assert.Equal(new Shape(-1, 18, 14, 8), new Conv2DTranspose(8, 3, strides: 2, padding: "same", outputPadding: 1).Apply(x).Shape);
        Assert.Equal(new Shape(-1, 9, 7, 3), new BatchNormalization().Apply(x).Shape);
        // The concrete outputs agree with the symbolic ones.
        var t = GradCheck.Rand(_rng, 2, 9, 7, 3);
        Assert.Equal(new Shape(2, 19, 15, 8), new Conv2DTranspose(8, 3, strides: 2).Apply(t).Shape);
        Assert.Equal(new Shape(2, 18, 14, 8), new Conv2DTranspose(8, 3, strides: 2, padding: "same", outputPadding: 1).Apply(t).Shape);
        Assert.Equal(new Shape(2, 21, 9), new Reshape([-1, 9]).Apply(t).Shape);
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        // Rank 3: a grayscale batch without the channels axis.
        var e = Assert.Throws<ShapeMismatchException>(() => new Conv2D(8, 3, name: "c1").Apply(Keras.Input([28, 28])));
        Assert.Contains("'c1' (Conv2D)", e.Message);
        Assert.Contains("4-D input", e.Message);
        Assert.Contains("(None, 28, 28)", e.Message);
        Assert.Contains("(None, 28, 28, 1)", e.Message);
        // A kernel larger than the (unpadded) input.
        e = Assert.Throws<ShapeMismatchException>(() => new Conv2D(8, 5, name: "c2").Apply(Keras.Input([4, 9, 1])));
        Assert.Contains("'c2' (Conv2D)", e.Message);
        Assert.Contains("input height 4 is smaller than the kernel height 5", e.Message);
        new Conv2D(8, 5, padding: "same").Apply(Keras.Input([4, 9, 1])); // fine once padded
        e = Assert.Throws<ShapeMismatchException>(() => new MaxPooling2D(3, name: "p").Apply(Keras.Input([2, 9, 1])));
        Assert.Contains("input height 2 is smaller than the pool height 3", e.Message);
        // NCHW-looking data.
        e = Assert.Throws<ShapeMismatchException>(() => new Conv2D(8, 3, name: "c3").Apply(Keras.Input([1, 28, 28])));
        Assert.Contains("'c3' (Conv2D)", e.Message);
        Assert.Contains("channels-first", e.Message);
        Assert.Contains("(None, 28, 28, 1)", e.Message);
        e = Assert.Throws<ShapeMismatchException>(() => new Conv2D(8, 3).Apply(GradCheck.Rand(_rng, 2, 3, 32, 32)));
        Assert.Contains("(None, 32, 32, 3)", e.Message);
        // Built for 1 channel, then fed 3.
        var conv = new Conv2D(4, 3, name: "c4");
        conv.Apply(Keras.Input([8, 8, 1]));
        e = Assert.Throws<ShapeMismatchException>(() => conv.Apply(GradCheck.Rand(_rng, 2, 8, 8, 3)));
        Assert.Contains("'c4'", e.Message);
        // Model-level: data of the wrong layout for a model declared channels-last.
        var model = MnistConvnet();
        model.Compile("adam", "categorical_crossentropy");
        e = Assert.Throws<ShapeMismatchException>(() => model.Predict(Tensor.Zeros(4, 1, 28, 28)));
        Assert.Contains("(None, 28, 28, 1)", e.Message);
        Assert.Contains("(4, 1, 28, 28)", e.Message);
        // Bad arguments.
        Assert.Throws<ArgumentException>(() => new Conv2D(8, 3, padding: "causal"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(4, (3, 0)));
        Assert.Throws<ArgumentException>(() => new Conv2DTranspose(4, 3, strides: 2, outputPadding: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5f));
    }

    [Fact]
    public void GradientsThroughLayers()
    {
        var conv = new Conv2D(3, (3, 2), strides: (2, 1), padding: "same", activation: "tanh");
        var x = GradCheck.Rand(_rng, 2, 5, 4, 2);
        conv.Apply(x);
        GradCheck.Check(t => conv.Apply(t[0]), x, conv.Kernel, conv.Bias!);
        var dilated = new Conv2D(2, 2, dilationRate: 2, useBias: false);
        dilated.Apply(x);
        GradCheck.Check(t => dilated.Apply(t[0]), x, dilated.Kernel);
        var convT = new Conv2DTranspose(2, 3, strides: 2, padding: "same", activation: "sigmoid");
        convT.Apply(x);
        GradCheck.Check(t => convT.Apply(t[0]), x, convT.Kernel, convT.Bias!);
        GradCheck.Check(t => new AveragePooling2D(2, 1).Apply(t[0]), GradCheck.Rand(_rng, 1, 4, 4, 2));
        GradCheck.Check(t => new MaxPooling2D(2, padding: "same").Apply(t[0]), GradCheck.Rand(_rng, 1, 5, 5, 2));
        GradCheck.Check(t => new GlobalMaxPooling2D().Apply(t[0]), GradCheck.Rand(_rng, 2, 3, 3, 2));
        GradCheck.Check(t => new GlobalAveragePooling2D(keepdims: true).Apply(t[0]), GradCheck.Rand(_rng, 2, 3, 3, 2));
        GradCheck.Check(t => new UpSampling2D(2, "bilinear").Apply(t[0]), GradCheck.Rand(_rng, 1, 3, 2, 2));
        GradCheck.Check(t => new Flatten().Apply(t[0]) * new Reshape([12]).Apply(t[0]), GradCheck.Rand(_rng, 2, 2, 3, 2));
        var bn = new BatchNormalization();
        var xb = GradCheck.Rand(_rng, 4, 2, 2, 3);
        bn.Apply(xb);
        GradCheck.Check(t => bn.Apply(t[0], training: true), xb, bn.Gamma!, bn.Beta!);
        GradCheck.Check(t => bn.Apply(t[0], training: false), xb, bn.Gamma!, bn.Beta!);
    }

    [Fact]
    public void ActivationLayers()
    {
        var x = GradCheck.Rand(_rng, 3, 8);
        var s = x.Span;
        for (int i = 0; i < s.Length; i++) if (MathF.Abs(s[i]) < 0.05f || MathF.Abs(s[i] - 0.2f) < 0.05f || MathF.Abs(s[i] - 0.6f) < 0.05f) s[i] = 0.4f;
        GradCheck.Check(t => new ReLU(maxValue: 0.6f, negativeSlope: 0.1f, threshold: 0.2f).Apply(t[0]), x);
        GradCheck.Check(t => new ReLU().Apply(t[0]), x);
        GradCheck.Check(t => new LeakyReLU().Apply(t[0]), x);
        GradCheck.Check(t => new ELU(0.5f).Apply(t[0]), x);
        GradCheck.Check(t => new Softmax().Apply(t[0]), x);
        var prelu = new PReLU(alphaInitializer: "random_uniform", sharedAxes: [1]);
        var xi = GradCheck.Rand(_rng, 2, 3, 4);
        for (int i = 0; i < xi.Size; i++) if (MathF.Abs(xi.Span[i]) < 0.05f) xi.Span[i] = 0.3f;
        prelu.Apply(xi);
        Assert.Equal(new Shape(1, 4), prelu.Alpha.Shape);
        GradCheck.Check(t => prelu.Apply(t[0]), xi, prelu.Alpha);

        // Values: Keras' ReLU(max_value=6, negative_slope=0.5, threshold=1) and LeakyReLU's default slope 0.3.
        var v = Tensor.FromArray([-2f, 0.5f, 1f, 3f, 8f]);
        Assert.Equal([-1.5f, -0.25f, 1f, 3f, 6f], new ReLU(6f, 0.5f, 1f).Apply(v).ToArray());
        Assert.Equal(-0.6f, new LeakyReLU().Apply(v).ToArray()[0], 6);
        Assert.Equal("leaky_re_lu", Layer.DefaultName(nameof(LeakyReLU)));
        // The activation strings of the issue all resolve, as strings and through the Activation layer.
        foreach (var name in new[] { "leaky_relu", "elu", "gelu", "swish", "softplus", "tanh", "sigmoid", "relu" })
            GradCheck.Check(t => new Activation(name).Apply(t[0]), x);
    }

    [Fact]
    public void ConfigsCarryEveryConstructorArgument()
    {
        var c = new Conv2D(16, (3, 5), strides: 2, padding: "same", dilationRate: 1, activation: "relu", useBias: false, kernelInitializer: "he_normal").GetConfig();
        Assert.Equal(16, c["filters"]);
        Assert.Equal(new[] { 3, 5 }, c["kernel_size"]);
        Assert.Equal(new[] { 2, 2 }, c["strides"]);
        Assert.Equal("same", c["padding"]);
        Assert.Equal(new[] { 1, 1 }, c["dilation_rate"]);
        Assert.Equal("relu", c["activation"]);
        Assert.Equal(false, c["use_bias"]);
        Assert.Equal("he_normal", c["kernel_initializer"]);
        Assert.Equal("zeros", c["bias_initializer"]);
        var t = new Conv2DTranspose(4, 3, strides: 2, outputPadding: 1).GetConfig();
        Assert.Equal(new[] { 1, 1 }, t["output_padding"]);
        var p = new MaxPooling2D(3).GetConfig();
        Assert.Equal(new[] { 3, 3 }, p["pool_size"]);
        Assert.Equal(new[] { 3, 3 }, p["strides"]);
        Assert.Equal("valid", p["padding"]);
        var bn = new BatchNormalization(momentum: 0.9f, center: false).GetConfig();
        Assert.Equal(0.9f, bn["momentum"]);
        Assert.Equal(1e-3f, bn["epsilon"]);
        Assert.Equal(false, bn["center"]);
        Assert.Equal(true, bn["scale"]);
        Assert.Equal(-1, bn["axis"]);
        Assert.Equal("ones", bn["moving_variance_initializer"]);
        Assert.Equal(0.25f, new Dropout(0.25f, seed: 3).GetConfig()["rate"]);
        Assert.Equal(3, new Dropout(0.25f, seed: 3).GetConfig()["seed"]);
        Assert.Equal(new[] { 7, -1 }, new Reshape([7, -1]).GetConfig()["target_shape"]);
        Assert.Equal("bilinear", new UpSampling2D(2, "bilinear").GetConfig()["interpolation"]);
        Assert.Equal(0.3f, new LeakyReLU().GetConfig()["negative_slope"]);
        Assert.Equal(false, new GlobalAveragePooling2D().GetConfig()["keepdims"]);
    }

    // ------------------------------------------------------------------ training vs inference

    [Fact]
    public void DropoutActsOnlyInTraining()
    {
        var layer = new Dropout(0.5f, seed: 1);
        var x = Tensor.Ones(8, 100);
        Assert.Same(x, layer.Apply(x, training: false));
        var y = layer.Apply(x, training: true).ToArray();
        Assert.Contains(0f, y);
        Assert.Contains(2f, y);

        // Through a model: Predict is deterministic and equals the model without dropout; a training step is not.
        Keras.SetRandomSeed(4);
        var inputs = Keras.Input([20]);
        var dense = new Dense(5);
        var model = new Model(inputs, dense.Apply(new Dropout(0.5f).Apply(inputs)));
        model.Compile("sgd", "mse");
        var data = GradCheck.Rand(_rng, 6, 20);
        var p1 = model.Predict(data).ToArray();
        Assert.Equal(p1, model.Predict(data).ToArray());
        Assert.Equal(Tensor.Linear(data, dense.Kernel, dense.Bias).ToArray(), p1);
        var eval = model.Evaluate(data, Tensor.Zeros(6, 5), batchSize: 6)["loss"];
        var trainLoss = model.TrainOnBatch(data, Tensor.Zeros(6, 5))["loss"]; // forward with a mask, before the update
        Assert.NotEqual(eval, trainLoss, 6);
    }

    [Fact]
    public void BatchNormalizationTrainingAndInferenceDiffer()
    {
        var x = Tensor.RandomNormal(new Shape(16, 3), 5f, 2f, _rng);
        var bn = new BatchNormalization();
        var inference = bn.Apply(x, training: false); // moving mean 0, variance 1: nearly the identity
        for (int i = 0; i < x.Size; i++) Assert.Equal(x.Span[i] / MathF.Sqrt(1f + 1e-3f), inference.Span[i], 4);
        Assert.Equal(new float[3], bn.MovingMean.ToArray());
        var training = bn.Apply(x, training: true); // batch statistics: zero mean per channel
        for (int c = 0; c < 3; c++)
        {
            float mean = 0;
            for (int r = 0; r < 16; r++) mean += training[r, c];
            Assert.Equal(0f, mean / 16, 4);
            Assert.NotEqual(0f, bn.MovingMean[c]);
        }
        Assert.Equal(4, bn.Weights.Count);
        Assert.Equal(2, bn.TrainableWeights.Count);
        Assert.Equal(["batch_normalization/gamma", "batch_normalization/beta", "batch_normalization/moving_mean", "batch_normalization/moving_variance"],
            bn.Weights.Select(w => w.Name!.Replace(bn.Name, "batch_normalization")));
    }

    [Fact]
    public void BatchNormalizationMovingStatisticsFollowFitAndStayFixedInEvaluate()
    {
        // One fixed batch per epoch: after E training steps the moving mean is μ·(1 − 0.99^E) exactly.
        var inputs = Keras.Input([2]);
        var bn = new BatchNormalization();
        var model = new Model(inputs, new Dense(1).Apply(bn.Apply(inputs)));
        model.Compile("sgd", "mse");
        var x = Tensor.FromArray([1f, 10f, 3f, 20f, 5f, 30f, 7f, 40f], 4, 2);
        var y = Tensor.Zeros(4, 1);
        model.Fit(x, y, epochs: 5, batchSize: 4, verbose: 0, shuffle: false);
        float decay = 1 - MathF.Pow(0.99f, 5);
        Assert.Equal(4f * decay, bn.MovingMean[0], 4);
        Assert.Equal(25f * decay, bn.MovingMean[1], 3);
        // Biased batch variance: 5 and 125.
        Assert.Equal(MathF.Pow(0.99f, 5) + 5f * decay, bn.MovingVariance[0], 4);
        Assert.Equal(MathF.Pow(0.99f, 5) + 125f * decay, bn.MovingVariance[1], 2);
        var before = bn.MovingMean.ToArray();
        model.Evaluate(x, y, batchSize: 4);
        model.Predict(x);
        Assert.Equal(before, bn.MovingMean.ToArray());
        // A frozen layer runs in inference mode even in Fit, as in Keras.
        bn.Trainable = false;
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        Assert.Equal(before, bn.MovingMean.ToArray());
    }

    [Fact]
    public void ConvnetFitAllocatesNothingPerStep()
    {
        // Every new op replays without allocating: conv (both im2col layouts, fused ReLU), pooling, batch norm, dropout.
        Keras.SetRandomSeed(5);
        var x = Tensor.RandomUniform(new Shape(16 * 30, 12, 12, 1));
        var labels = Tensor.Zeros(16 * 30);
        for (int i = 0; i < labels.Size; i++) labels.Span[i] = i % 10;
        var y = Keras.ToCategorical(labels, 10);
        var model = new Sequential(
        [
            new InputLayer([12, 12, 1]),
            new Conv2D(8, 3, activation: "relu"),
            new BatchNormalization(),
            new MaxPooling2D(2),
            new Conv2D(16, 3, padding: "same", activation: "relu"),
            new AveragePooling2D(2),
            new Conv2DTranspose(4, 2, strides: 2),
            new UpSampling2D(2),
            new GlobalMaxPooling2D(),
            new Dropout(0.3f),
            new Dense(10, activation: "softmax"),
        ]);
        model.Compile("adam", "categorical_crossentropy", ["accuracy"]);
        var probe = new AllocationProbe(5, 15, 25);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, callbacks: [probe]);
        double perStep = probe.PerStep;
        Assert.True(perStep < 16, $"{perStep} bytes allocated per training step after warm-up");
    }

    [Fact]
    public void SmallConvnetLearnsWithFit()
    {
        // Is the bright 2×2 blob in the left or the right half of a noisy 8×8 image?
        Keras.SetRandomSeed(11);
        var rng = new Rng(2);
        int n = 256;
        var x = Tensor.RandomUniform(new Shape(n, 8, 8, 1), 0f, 0.3f, rng);
        var y = new Tensor(new Shape(n, 2));
        for (int i = 0; i < n; i++)
        {
            int right = rng.NextInt(2), r = rng.NextInt(7), c = rng.NextInt(3) + 4 * right;
            for (int dr = 0; dr < 2; dr++)
                for (int dc = 0; dc < 2; dc++) x[i, r + dr, c + dc, 0] = 1f;
            y[i, right] = 1f;
        }
        var model = new Sequential(
        [
            new InputLayer([8, 8, 1]),
            new Conv2D(8, 3, padding: "same", activation: "relu"),
            new BatchNormalization(),
            new MaxPooling2D(2),
            new Conv2D(8, 3, activation: "relu"),
            new GlobalAveragePooling2D(),
            new Dropout(0.2f),
            new Dense(2, activation: "softmax"),
        ]);
        model.Compile("adam", "categorical_crossentropy", ["accuracy"]);
        var history = model.Fit(x, y, epochs: 15, batchSize: 32, verbose: 0);
        var result = model.Evaluate(x, y);
        Assert.True(result["accuracy"] > 0.95, $"accuracy {result["accuracy"]}; loss history {string.Join(", ", history["loss"])}");
    }
}
