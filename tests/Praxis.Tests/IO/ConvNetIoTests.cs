using Praxis.Callbacks;
using Praxis.Initializers;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using Xunit.Abstractions;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>The MNIST convnet and every image layer: save/load bit for bit, exact resume, ONNX Runtime to 1e-5.</summary>
[Collection("Global state")]
public class ConvNetIoTests(ITestOutputHelper output)
{
    /// <summary>The Keras MNIST convnet (examples/MnistCnn), compiled as there.</summary>
    internal static Sequential ConvNet()
    {
        var model = new Sequential(
        [
            new InputLayer([28, 28, 1]),
            new Conv2D(32, kernelSize: (3, 3), activation: "relu"),
            new MaxPooling2D(poolSize: (2, 2)),
            new Conv2D(64, kernelSize: (3, 3), activation: "relu"),
            new MaxPooling2D(poolSize: (2, 2)),
            new Flatten(),
            new Dropout(0.5f),
            new Dense(10, activation: "softmax"),
        ]);
        model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
        return model;
    }

    private static (Tensor X, Tensor Y) Images(int n)
    {
        var (x, y) = SaveLoadTests.MnistSlice(n);
        return (x.Reshape(-1, 28, 28, 1), y);
    }

    [Fact]
    public void ConvNetSaveLoadIsBitIdenticalAndRunsInOnnxRuntime()
    {
        SetRandomSeed(12);
        ClearSession();
        var (x, y) = Images(256);
        var model = ConvNet();
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0);
        using var dir = new TempDir();
        model.Save(dir.File("cnn.praxis"));
        var loaded = Model.Load(dir.File("cnn.praxis"));
        Assert.Equal(model.ToJson(), loaded.ToJson());
        var p = model.Predict(x).ToArray();
        var q = loaded.Predict(x).ToArray();
        Assert.True(p.AsSpan().SequenceEqual(q), "Predict after Load differs");

        double worst = OnnxExportTests.AssertMatches(loaded, dir.File("cnn.onnx"), 17, x.SliceRows(0, 64));
        output.WriteLine($"MNIST convnet: max |Praxis - ONNX Runtime| = {worst:E2} over 64 images");
    }

    [Fact]
    public void ConvNetWithDropoutResumesExactlyAfterAnInterruption()
    {
        var (x, y) = Images(160);
        SetRandomSeed(31);
        ClearSession();
        var straight = ConvNet();
        straight.Fit(x, y, epochs: 3, batchSize: 32, verbose: 0);

        using var dir = new TempDir();
        SetRandomSeed(31);
        ClearSession();
        var first = ConvNet();
        var backup = new BackupAndRestore(dir.Path);
        Assert.Throws<IOException>(() => first.Fit(x, y, epochs: 3, batchSize: 32, verbose: 0, callbacks: [backup, new StopAt(2)]));
        SetRandomSeed(5);
        ClearSession();
        var second = ConvNet();
        second.Fit(x, y, epochs: 3, batchSize: 32, verbose: 0, callbacks: [backup]);
        Assert.Equal(2, backup.ResumedFromEpoch);
        for (int i = 0; i < straight.Weights.Count; i++)
            Assert.True(straight.Weights[i].ToArray().AsSpan().SequenceEqual(second.Weights[i].ToArray()), $"weight {straight.Weights[i].Name} differs");
    }

    private sealed class StopAt(int epoch) : Callback
    {
        public override void OnEpochBegin(int e, IReadOnlyDictionary<string, double> logs)
        {
            if (e == epoch) throw new IOException("simulated crash");
        }
    }

    /// <summary>Each image layer alone (and in the combinations that stress layouts) against ONNX Runtime.</summary>
    public static TheoryData<string> LayerCases => new(Cases.Keys);

    private static readonly Dictionary<string, Func<(int[] Input, Layer[] Layers)>> Cases = new()
    {
        ["conv valid"] = () => ([9, 8, 3], [new Conv2D(4, 3)]),
        ["conv same stride 2"] = () => ([9, 8, 3], [new Conv2D(4, (3, 2), strides: 2, padding: "same", activation: "relu")]),
        ["conv same even kernel"] = () => ([8, 7, 2], [new Conv2D(3, 4, padding: "same", useBias: false)]),
        ["conv dilated"] = () => ([10, 9, 2], [new Conv2D(3, 3, dilationRate: (2, 3), padding: "same", activation: "sigmoid")]),
        ["conv transpose valid"] = () => ([4, 5, 3], [new Conv2DTranspose(2, 3)]),
        ["conv transpose stride 2 same"] = () => ([4, 5, 3], [new Conv2DTranspose(2, 3, strides: 2, padding: "same", activation: "relu")]),
        ["conv transpose kernel < stride"] = () => ([3, 4, 2], [new Conv2DTranspose(2, 2, strides: 3)]),
        ["conv transpose output padding"] = () => ([4, 4, 2], [new Conv2DTranspose(3, 3, strides: 2, padding: "same", outputPadding: (0, 1))]),
        ["max pool same"] = () => ([7, 5, 2], [new MaxPooling2D(3, strides: 2, padding: "same")]),
        ["avg pool same"] = () => ([7, 5, 2], [new AveragePooling2D(2, strides: 2, padding: "same")]),
        ["avg pool valid"] = () => ([6, 6, 3], [new AveragePooling2D((3, 2))]),
        ["global avg"] = () => ([5, 4, 3], [new GlobalAveragePooling2D()]),
        ["global max keepdims"] = () => ([5, 4, 3], [new GlobalMaxPooling2D(keepdims: true)]),
        ["flatten + dense"] = () => ([4, 3, 2], [new Conv2D(3, 2), new Flatten(), new Dense(4, activation: "softmax")]),
        ["reshape"] = () => ([4, 3, 2], [new Reshape([6, -1]), new Dense(3)]),
        ["upsampling nearest"] = () => ([3, 4, 2], [new UpSampling2D((2, 3))]),
        ["upsampling bilinear"] = () => ([3, 4, 2], [new UpSampling2D(2, interpolation: "bilinear")]),
        ["dropout"] = () => ([6], [new Dropout(0.5f), new Dense(3)]),
        ["batch norm images"] = () => ([4, 3, 5], [new BatchNormalization(movingMeanInitializer: new RandomNormal(0f, 1f), movingVarianceInitializer: new RandomUniform(0.5f, 2f), betaInitializer: new RandomNormal(0f, 1f), gammaInitializer: new RandomNormal(1f, 0.5f))]),
        ["batch norm vectors no scale"] = () => ([6], [new BatchNormalization(scale: false, center: false, movingMeanInitializer: new RandomNormal(0f, 1f))]),
        ["batch norm axis 1"] = () => ([4, 3, 5], [new BatchNormalization(axis: 1, movingVarianceInitializer: new RandomUniform(0.5f, 2f))]),
        ["relu plain"] = () => ([6], [new ReLU()]),
        ["relu capped leaky thresholded"] = () => ([6], [new ReLU(maxValue: 0.7f, negativeSlope: 0.2f, threshold: 0.1f)]),
        ["relu6"] = () => ([6], [new ReLU(maxValue: 6f)]),
        ["leaky relu"] = () => ([6], [new LeakyReLU()]),
        ["elu"] = () => ([6], [new ELU(0.5f)]),
        ["softmax axis 1"] = () => ([3, 4], [new Softmax(axis: 1)]),
        ["prelu shared"] = () => ([3, 4, 2], [new PReLU(new RandomUniform(-1f, 1f), sharedAxes: [1, 2])]),
        ["prelu full"] = () => ([5], [new PReLU(new RandomUniform(-1f, 1f))]),
    };

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void ImageLayerMatchesOnnxRuntime(string name)
    {
        SetRandomSeed(6);
        ClearSession();
        var (shape, layers) = Cases[name]();
        var input = Input(shape: shape);
        var x = input;
        foreach (var l in layers) x = l.Apply(x);
        var model = new Model(input, x);
        using var dir = new TempDir();
        var data = Tensor.RandomNormal(new Shape([3, .. shape]), 0, 2, new Rng(9));
        double worst = OnnxExportTests.AssertMatches(model, dir.File("layer.onnx"), 17, data);
        output.WriteLine($"{name}: max |diff| {worst:E2}");
        // And the same model survives save/load bit for bit.
        model.Save(dir.File("layer.praxis"));
        Assert.True(model.Predict(data).ToArray().AsSpan().SequenceEqual(Model.Load(dir.File("layer.praxis")).Predict(data).ToArray()));
    }
}
