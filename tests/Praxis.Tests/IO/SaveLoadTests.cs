using System.Text.Json;
using Praxis.Data;
using Praxis.Initializers;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

[Collection("Global state")]
public class SaveLoadTests
{
    internal static Model SeedMlp()
    {
        var inputs = Input(shape: [784]);
        var hidden = new Dense(64, activation: "relu").Apply(inputs);
        var outputs = new Dense(10, activation: "softmax").Apply(hidden);
        var model = new Model(inputs, outputs);
        model.Compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"]);
        return model;
    }

    internal static (Tensor X, Tensor Y) MnistSlice(int n)
    {
        var ((x, y), _) = Mnist.LoadData();
        return (x.SliceRows(0, n).Reshape(-1, 784), ToCategorical(y.SliceRows(0, n), 10));
    }

    internal static void AssertBitIdentical(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape, b.Shape);
        var x = a.ToArray();
        var y = b.ToArray();
        for (int i = 0; i < x.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(x[i]) == BitConverter.SingleToInt32Bits(y[i]), $"element {i}: {x[i]:R} vs {y[i]:R}");
    }

    private static void AssertSameWeights(Model a, Model b)
    {
        var wa = a.Weights;
        var wb = b.Weights;
        Assert.Equal(wa.Select(w => w.Name), wb.Select(w => w.Name));
        for (int i = 0; i < wa.Count; i++) AssertBitIdentical(wa[i], wb[i]);
    }

    [Fact]
    public void SeedMlpSaveLoadGivesBitIdenticalPredictions()
    {
        SetRandomSeed(1);
        ClearSession();
        var (x, y) = MnistSlice(512);
        var model = SeedMlp();
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0);
        using var dir = new TempDir();
        string path = dir.File("mlp.praxis");
        model.Save(path);

        var loaded = Model.Load(path);
        Assert.Equal(model.Name, loaded.Name);
        Assert.Equal(model.Layers.Select(l => l.Name), loaded.Layers.Select(l => l.Name));
        AssertSameWeights(model, loaded);
        AssertBitIdentical(model.Predict(x), loaded.Predict(x));
        Assert.Equal(model.SummaryString(), loaded.SummaryString());
        Assert.IsType<Adam>(loaded.Optimizer);
        Assert.Equal(model.Optimizer!.Iterations, loaded.Optimizer!.Iterations);
        Assert.Equal("categorical_crossentropy", loaded.Loss!.Name);
        Assert.Equal(["accuracy"], loaded.Metrics.Select(m => m.Name));
        Assert.Equal(model.Evaluate(x, y)["accuracy"], loaded.Evaluate(x, y)["accuracy"]);
        // Loading runs no initializer: the global generator is untouched.
        string before = Rng.Global.GetState();
        Model.Load(path);
        Assert.Equal(before, Rng.Global.GetState());
    }

    [Fact]
    public void FitAfterLoadContinuesExactlyAsAnUninterruptedRun()
    {
        var (x, y) = MnistSlice(256);
        // Uninterrupted: 3 epochs.
        SetRandomSeed(11);
        ClearSession();
        var straight = SeedMlp();
        straight.Fit(x, y, epochs: 3, batchSize: 32, verbose: 0);

        // Interrupted after 1 epoch: save, wreck the global generator, load in a "new process", resume.
        SetRandomSeed(11);
        ClearSession();
        var first = SeedMlp();
        first.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0);
        using var dir = new TempDir();
        first.Save(dir.File("ckpt.praxis"));
        SetRandomSeed(999);
        ClearSession();
        var resumed = Model.Load(dir.File("ckpt.praxis"), restoreRandomState: true);
        resumed.Fit(x, y, epochs: 3, batchSize: 32, verbose: 0, initialEpoch: 1);

        Assert.Equal(straight.Optimizer!.Iterations, resumed.Optimizer!.Iterations);
        AssertSameWeights(straight, resumed);
        // Without restoring the random state, the shuffles differ and so do the weights: the test can fail.
        var other = Model.Load(dir.File("ckpt.praxis"));
        other.Fit(x, y, epochs: 3, batchSize: 32, verbose: 0, initialEpoch: 1);
        Assert.NotEqual(straight.Weights[0].ToArray(), other.Weights[0].ToArray());
    }

    [Fact]
    public void SequentialNestedAndSharedLayerGraphsRoundTrip()
    {
        SetRandomSeed(3);
        ClearSession();
        var seq = new Sequential([new InputLayer([6]), new Dense(6, activation: "tanh"), new Activation("gelu")], name: "block");
        var a = Input(shape: [6], name: "a");
        var b = Input(shape: [6], name: "b");
        var shared = new Dense(6, activation: "swish", name: "shared");
        var ya = shared.Apply(seq.Apply(shared.Apply(a)));     // shared layer called twice, nested Sequential
        var yb = shared.Apply(b);
        var outA = new Dense(3, activation: "softmax", useBias: false, kernelInitializer: new RandomNormal(0f, 0.3f), name: "head").Apply(ya);
        var model = new Model([a, b], [outA, yb], name: "two_towers");
        model.GetLayer("head").Trainable = false;

        using var dir = new TempDir();
        model.Save(dir.File("m.praxis"));
        var loaded = Model.Load(dir.File("m.praxis"));
        var xa = Tensor.RandomNormal(new Shape(4, 6), rng: new Rng(1));
        var xb = Tensor.RandomNormal(new Shape(4, 6), rng: new Rng(2));
        var p = model.PredictMany([xa, xb]);
        var q = loaded.PredictMany([xa, xb]);
        AssertBitIdentical(p[0], q[0]);
        AssertBitIdentical(p[1], q[1]);
        Assert.False(loaded.GetLayer("head").Trainable);
        Assert.Equal(model.TrainableWeights.Count, loaded.TrainableWeights.Count);
        var head = (Dense)loaded.GetLayer("head");
        Assert.Equal(0.3f, ((RandomNormal)head.KernelInitializer).Stddev);
        Assert.IsType<Sequential>(loaded.GetLayer("block"));
        Assert.Equal(model.ToJson(), loaded.ToJson());
    }

    [Fact]
    public void SequentialWithoutFunctionalWrapperRoundTrips()
    {
        SetRandomSeed(4);
        ClearSession();
        var model = new Sequential([new InputLayer([3]), new Dense(4, activation: "elu"), new Dense(2, activation: "log_softmax")]);
        model.Compile(new SGD(0.05f, momentum: 0.9f, nesterov: true), "mse");
        var x = Tensor.RandomNormal(new Shape(8, 3), rng: new Rng(5));
        var y = Tensor.RandomNormal(new Shape(8, 2), rng: new Rng(6));
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        using var dir = new TempDir();
        model.Save(dir.File("s.praxis"));
        var loaded = Model.Load(dir.File("s.praxis"));
        Assert.IsType<Sequential>(loaded);
        AssertBitIdentical(model.Predict(x), loaded.Predict(x));
        var sgd = Assert.IsType<SGD>(loaded.Optimizer);
        Assert.True(sgd.Nesterov);
        Assert.Equal(0.9f, sgd.Momentum);
        // Momentum buffers came back: one more identical step on each gives identical weights.
        model.TrainOnBatch(x, y);
        loaded.TrainOnBatch(x, y);
        AssertSameWeights(model, loaded);
    }

    /// <summary>
    /// One sample per registered class. A layer added to <see cref="LayerRegistry"/> without a sample here fails
    /// <see cref="EveryRegisteredLayerRoundTrips"/>: add one (built on an input it accepts) with the new layer.
    /// </summary>
    internal static readonly Dictionary<string, Func<(int[] Input, Layer Layer)>> Samples = new()
    {
        ["InputLayer"] = () => ([3], new Activation("linear")),
        ["Dense"] = () => ([5], new Dense(4, activation: "relu", useBias: false, kernelInitializer: "he_normal", biasInitializer: new Constant(0.5f))),
        ["Activation"] = () => ([5], new Activation("leaky_relu")),
        ["Functional"] = () => ([4], SmallFunctional()),
        ["Sequential"] = () => ([4], new Sequential([new InputLayer([4]), new Dense(2)])),
        // Images
        ["Conv2D"] = () => ([7, 6, 2], new Conv2D(3, (3, 2), strides: (2, 1), padding: "same", dilationRate: 1, activation: "relu", biasInitializer: "ones")),
        ["Conv2DTranspose"] = () => ([4, 5, 2], new Conv2DTranspose(3, 3, strides: 2, padding: "same", outputPadding: (1, 0), activation: "tanh")),
        ["MaxPooling2D"] = () => ([5, 5, 2], new MaxPooling2D(3, strides: 2, padding: "same")),
        ["AveragePooling2D"] = () => ([6, 4, 2], new AveragePooling2D((2, 1))),
        ["GlobalAveragePooling2D"] = () => ([3, 4, 2], new GlobalAveragePooling2D(keepdims: true)),
        ["GlobalMaxPooling2D"] = () => ([3, 4, 2], new GlobalMaxPooling2D()),
        ["Flatten"] = () => ([3, 4, 2], new Flatten()),
        ["Reshape"] = () => ([3, 4, 2], new Reshape([4, -1])),
        ["UpSampling2D"] = () => ([3, 2, 2], new UpSampling2D((2, 3), interpolation: "bilinear")),
        ["Dropout"] = () => ([5], new Dropout(0.3f, seed: 4)),
        ["BatchNormalization"] = () => ([3, 3, 4], new BatchNormalization(momentum: 0.9f, epsilon: 1e-2f, center: false, movingVarianceInitializer: new Constant(2f))),
        ["ReLU"] = () => ([5], new ReLU(maxValue: 0.5f, negativeSlope: 0.1f, threshold: -0.2f)),
        ["LeakyReLU"] = () => ([5], new LeakyReLU(0.05f)),
        ["ELU"] = () => ([5], new ELU(0.7f)),
        ["Softmax"] = () => ([3, 4], new Softmax(axis: 1)),
        ["PReLU"] = () => ([3, 4, 2], new PReLU(new RandomUniform(-1f, 1f), sharedAxes: [1, 2])),
    };

    private static Model SmallFunctional()
    {
        var i = Input(shape: [4]);
        return new Model(i, new Dense(3, activation: "sigmoid").Apply(i));
    }

    [Fact]
    public void EveryRegisteredLayerRoundTrips()
    {
        var missing = LayerRegistry.BuiltInClassNames.Where(c => !Samples.ContainsKey(c) && !SequenceIoTests.Samples.ContainsKey(c) && !Sequence1DIoTests.Samples.ContainsKey(c) && !Sequence1DIoTests.StringSamples.ContainsKey(c) && !ImageIoTests.Samples.ContainsKey(c) && !AugmentationIoTests.Samples.ContainsKey(c) && c != "Model").ToList();
        Assert.True(missing.Count == 0, $"Registered layers without a round-trip sample in SaveLoadTests.Samples or SequenceIoTests.Samples: {string.Join(", ", missing)}");
        using var dir = new TempDir();
        foreach (var (cls, make) in Samples)
        {
            SetRandomSeed(8);
            ClearSession();
            var (shape, layer) = make();
            var input = Input(shape: shape);
            var model = new Model(input, layer.Apply(input));
            string path = dir.File(cls + ".praxis");
            model.Save(path);
            var loaded = Model.Load(path);
            var original = model.Layers[^1];
            var copy = loaded.Layers[^1];
            Assert.Equal(original.GetType(), copy.GetType());
            Assert.Equal(LayerRegistry.GetClassName(original), cls == "InputLayer" ? LayerRegistry.GetClassName(copy) : cls);
            // Same config (JSON text) and same outputs, bit for bit.
            Assert.Equal(model.ToJson(), loaded.ToJson());
            var x = Tensor.RandomNormal(new Shape([2, .. shape]), rng: new Rng(3));
            AssertBitIdentical(model.Predict(x), loaded.Predict(x));
        }
    }

    [Fact]
    public void ConfigJsonIsKerasShaped()
    {
        ClearSession();
        var model = SeedMlp();
        using var doc = JsonDocument.Parse(model.ToJson());
        var root = doc.RootElement;
        Assert.Equal("Functional", root.GetProperty("class_name").GetString());
        var layers = root.GetProperty("config").GetProperty("layers");
        Assert.Equal(3, layers.GetArrayLength());
        var dense = layers[1];
        Assert.Equal("Dense", dense.GetProperty("class_name").GetString());
        Assert.Equal("dense", dense.GetProperty("name").GetString());
        Assert.Equal(64, dense.GetProperty("config").GetProperty("units").GetInt32());
        Assert.Equal("relu", dense.GetProperty("config").GetProperty("activation").GetString());
        Assert.Equal("glorot_uniform", dense.GetProperty("config").GetProperty("kernel_initializer").GetString());
        Assert.Equal("[[[\"input_layer\",0,0]]]", dense.GetProperty("inbound_nodes").GetRawText());
        Assert.Equal("[[\"dense_1\",0,0]]", root.GetProperty("config").GetProperty("output_layers").GetRawText());
        // Rebuilt from JSON alone: same architecture, fresh weights.
        var again = Model.FromJson(model.ToJson());
        Assert.Equal(model.SummaryString(), again.SummaryString());
    }

    private sealed class Scale(float factor, string? name = null) : Layer(name)
    {
        public float Factor { get; } = factor;
        public override Tensor Call(Tensor input, bool training) => input * Factor;
        public override Dictionary<string, object?> GetConfig()
        {
            var c = base.GetConfig();
            c["factor"] = Factor;
            return c;
        }
    }

    private sealed class Twice(Layer inner, string? name = null) : Layer(name)
    {
        public Layer Inner { get; } = inner;
        public override void Build(Shape inputShape) { Inner.Apply(new Tensor(inputShape.With(0, 1))); Built = true; }
        public override Tensor Call(Tensor input, bool training) => Inner.Call(Inner.Call(input, training), training);
        public override IReadOnlyList<Tensor> TrainableWeights => Inner.TrainableWeights;
        public override Dictionary<string, object?> GetConfig()
        {
            var c = base.GetConfig();
            c["layer"] = new Dictionary<string, object?> { ["class_name"] = LayerRegistry.GetClassName(Inner), ["config"] = Inner.GetConfig() };
            return c;
        }
    }

    [Fact]
    public void WrapperLayersRebuildTheirInnerLayerThroughTheRegistry()
    {
        ClearSession();
        LayerRegistry.Register("TestTwice", c => new Twice(c.GetLayer("layer")!, c.Name));
        var i = Input(shape: [3]);
        var model = new Model(i, new Twice(new Dense(3, activation: "tanh", name: "inner"), "twice").Apply(i));
        using var dir = new TempDir();
        model.Save(dir.File("t.praxis"));
        var loaded = Model.Load(dir.File("t.praxis"));
        var x = Tensor.RandomNormal(new Shape(2, 3), rng: new Rng(4));
        AssertBitIdentical(model.Predict(x), loaded.Predict(x));
        var bad = model.ToJson().Replace("\"class_name\":\"Dense\"", "\"class_name\":\"Nope\"");
        var e = Assert.Throws<InvalidDataException>(() => Model.FromJson(bad));
        Assert.Contains("class 'Nope', which is not registered", e.Message);
    }

    [Fact]
    public void CustomLayersRegisterAndUnregisteredOnesFailClearly()
    {
        ClearSession();
        var i = Input(shape: [2]);
        var model = new Model(i, new Scale(2.5f, "scale").Apply(i));
        using var dir = new TempDir();
        var e = Assert.Throws<NotSupportedException>(() => model.Save(dir.File("c.praxis")));
        Assert.Contains("Layer 'scale'", e.Message);
        Assert.Contains("LayerRegistry.Register", e.Message);

        LayerRegistry.Register("TestScale", c => new Scale(c.GetFloat("factor"), c.Name));
        model.Save(dir.File("c.praxis"));
        var loaded = Model.Load(dir.File("c.praxis"));
        Assert.Equal([2.5f, -5f], loaded.Predict(Tensor.FromArray([1f, -2f], 1, 2)).ToArray());
        Assert.Contains("\"class_name\":\"TestScale\"", loaded.ToJson());
    }

    [Fact]
    public void LoadWeightsListsMissingUnexpectedAndMisshapedTensors()
    {
        ClearSession();
        var model = SeedMlp();
        using var dir = new TempDir();
        model.SaveWeights(dir.File("w.safetensors"));
        var copy = SeedMlp(); // names dense_2, dense_3: nothing matches by name
        var e = Assert.Throws<InvalidDataException>(() => copy.LoadWeights(dir.File("w.safetensors")));
        Assert.Contains("missing from the file: dense_2/kernel, dense_2/bias, dense_3/kernel, dense_3/bias", e.Message);
        Assert.Contains("not in the model: dense/kernel, dense/bias, dense_1/kernel, dense_1/bias", e.Message);

        var i = Input(shape: [784]);
        var other = new Model(i, new Dense(10, name: "dense_1").Apply(new Dense(32, name: "dense").Apply(i)));
        var before = other.Weights[0].ToArray();
        e = Assert.Throws<InvalidDataException>(() => other.LoadWeights(dir.File("w.safetensors")));
        Assert.Contains("shape differs: dense/kernel (file [784, 64], model [784, 32]), dense/bias (file [64], model [32]), dense_1/kernel (file [64, 10], model [32, 10])", e.Message);
        Assert.Equal(["dense/kernel (file [784, 64], model [784, 32])", "dense/bias (file [64], model [32])", "dense_1/kernel (file [64, 10], model [32, 10])"], (string[])e.Data["misshaped"]!);
        Assert.Equal(before, other.Weights[0].ToArray()); // nothing assigned

        // Same names and shapes: loads; a model file is also a weights source.
        ClearSession();
        var twin = SeedMlp();
        twin.LoadWeights(dir.File("w.safetensors"));
        AssertSameWeights(model, twin);
        model.Save(dir.File("m.praxis"));
        twin.LoadWeights(dir.File("m.praxis"));
        var weightsOnly = Assert.Throws<InvalidDataException>(() => Model.Load(dir.File("w.safetensors")));
        Assert.Contains("holds weights only", weightsOnly.Message);
    }

    [Fact]
    public void DamagedModelFilesGiveClearErrorsNamingTheFile()
    {
        ClearSession();
        var model = SeedMlp();
        using var dir = new TempDir();
        string good = dir.File("good.praxis");
        model.Save(good);
        var bytes = File.ReadAllBytes(good);
        int headerLength = (int)BitConverter.ToUInt64(bytes, 0);

        void Expect(string name, byte[] content, string fault)
        {
            string path = dir.File(name);
            File.WriteAllBytes(path, content);
            var e = Assert.Throws<InvalidDataException>(() => Model.Load(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Contains(fault, e.Message);
        }

        Expect("truncated.praxis", bytes[..(bytes.Length - 1000)], "file truncated?");
        var flipped = (byte[])bytes.Clone();
        flipped[8 + headerLength + 12345] ^= 0x04;
        Expect("flipped.praxis", flipped, "checksum mismatch");
        var oversized = (byte[])bytes.Clone();
        BitConverter.GetBytes(1UL << 40).CopyTo(oversized, 0);
        Expect("oversized.praxis", oversized, "over the 100000000-byte limit");
        // Wrong dtypes in an otherwise consistent file, resealed with a correct checksum (the documented algorithm:
        // SHA-256 of the whole file with the checksum's 64 hex digits set to '0').
        Expect("i32.praxis", Reseal(ReplaceInHeader(bytes, "\"dense/bias\":{\"dtype\":\"F32\"", "\"dense/bias\":{\"dtype\":\"I32\"")),
            "tensor 'dense/bias' has dtype I32; weights must be floating point");
        Expect("f33.praxis", Reseal(ReplaceInHeader(bytes, "\"dense/bias\":{\"dtype\":\"F32\"", "\"dense/bias\":{\"dtype\":\"F33\"")),
            "unknown dtype 'F33'");
        // And the resealing itself is right: an unchanged file resealed still loads.
        File.WriteAllBytes(dir.File("resealed.praxis"), Reseal(bytes));
        Model.Load(dir.File("resealed.praxis"));
    }

    private static byte[] ReplaceInHeader(byte[] file, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        var f = (byte[])file.Clone();
        int at = f.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(from));
        Assert.True(at > 0, $"'{from}' not in the header");
        System.Text.Encoding.UTF8.GetBytes(to).CopyTo(f, at);
        return f;
    }

    private static byte[] Reseal(byte[] file)
    {
        var f = (byte[])file.Clone();
        var key = "\"checksum_sha256\":\""u8.ToArray();
        int at = f.AsSpan().IndexOf(key) + key.Length;
        f.AsSpan(at, 64).Fill((byte)'0');
        var sum = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f));
        System.Text.Encoding.ASCII.GetBytes(sum).CopyTo(f, at);
        return f;
    }

    [Fact]
    public void HostileConfigsCannotAllocateHugeWeights()
    {
        ClearSession();
        var model = SeedMlp();
        string json = model.ToJson().Replace("\"units\":64", "\"units\":2000000000");
        var e = Assert.Throws<InvalidDataException>(() => Model.FromJson(json));
        Assert.Contains("would create weight 'kernel'", e.Message);
        string unknown = model.ToJson().Replace("\"class_name\":\"Dense\"", "\"class_name\":\"System.IO.File\"");
        e = Assert.Throws<InvalidDataException>(() => Model.FromJson(unknown));
        Assert.Contains("class 'System.IO.File', which is not registered", e.Message);
    }

    private sealed class OwnRng(int seed, string? name = null) : Layer(name), IRandomStateful
    {
        public Rng Random { get; } = new(seed);
        public Rng? OwnRandom => Random;
        public int Seed { get; } = seed;
        public override Tensor Call(Tensor input, bool training) => input;
        public override Dictionary<string, object?> GetConfig()
        {
            var c = base.GetConfig();
            c["seed"] = Seed;
            return c;
        }
    }

    [Fact]
    public void LayersWithTheirOwnGeneratorResumeIt()
    {
        ClearSession();
        LayerRegistry.Register("TestOwnRng", c => new OwnRng(c.GetInt("seed"), c.Name));
        var i = Input(shape: [2]);
        var layer = new OwnRng(5, "noise");
        var model = new Model(i, layer.Apply(i));
        for (int k = 0; k < 7; k++) layer.Random.NextDouble();
        using var dir = new TempDir();
        model.Save(dir.File("r.praxis"));
        var expected = layer.Random.NextDouble();
        // The layer's generator is layer state: a plain Load resumes it (it does not restart from the seed), and so does
        // a Load that also restores the global generator.
        var loaded = (OwnRng)Model.Load(dir.File("r.praxis")).GetLayer("noise");
        Assert.Equal(expected, loaded.Random.NextDouble());
        Assert.NotEqual(expected, new Rng(5).NextDouble()); // what restarting from the seed would give
        var resumed = (OwnRng)Model.Load(dir.File("r.praxis"), restoreRandomState: true).GetLayer("noise");
        Assert.Equal(expected, resumed.Random.NextDouble());
    }

    [Fact]
    public void RngStateRoundTripsAndRejectsGarbage()
    {
        var a = new Rng(123);
        for (int i = 0; i < 5; i++) a.Normal();
        var b = new Rng(1);
        b.SetState(a.GetState());
        for (int i = 0; i < 100; i++) Assert.Equal(a.Normal(), b.Normal());
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
        Assert.Throws<FormatException>(() => b.SetState("xoshiro256**:0:0"));
        Assert.Throws<FormatException>(() => b.SetState("xoshiro256**:0000000000000000:0000000000000000:0000000000000000:0000000000000000:0000000000000000:0"));
        // Same seed, same sequence; NextInt stays in range and covers it.
        var c = new Rng(42);
        var d = new Rng(42);
        var seen = new bool[7];
        for (int i = 0; i < 1000; i++)
        {
            int v = c.NextInt(7);
            Assert.Equal(v, d.NextInt(7));
            seen[v] = true;
        }
        Assert.All(seen, Assert.True);
    }
}
