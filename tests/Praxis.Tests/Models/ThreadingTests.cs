using Praxis.Callbacks;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>The threading contract (docs/ARCHITECTURE.md, "Threading"): Predict and Evaluate are safe for concurrent callers; training is single-caller.</summary>
[Collection("Global state")]
public class ThreadingTests
{
    private static Model Convnet()
    {
        ClearSession();
        SetRandomSeed(31);
        var inputs = Input(shape: [8, 8, 1]);
        var x = new Conv2D(4, 3, activation: "relu").Apply(inputs);
        x = new Flatten().Apply(new MaxPooling2D(2).Apply(x));
        var model = new Model(inputs, new Dense(3, activation: "softmax").Apply(new Dropout(0.3f).Apply(x)));
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"]);
        return model;
    }

    [Fact]
    public void EightThreadsPredictingAtOnceGetWhatOneThreadGets()
    {
        var model = Convnet();
        var inputs = Enumerable.Range(0, 8).Select(i => Tensor.RandomUniform(new Shape(37, 8, 8, 1), 0, 1, new Rng(i))).ToArray();
        var expected = inputs.Select(x => model.Predict(x, batchSize: 8).ToArray()).ToArray();
        var start = new Barrier(8);
        var results = new float[8][][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            var mine = new float[20][];
            for (int r = 0; r < 20; r++) mine[r] = model.Predict(inputs[(t + r) % 8], batchSize: 8).ToArray();
            results[t] = mine;
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        for (int t = 0; t < 8; t++)
            for (int r = 0; r < 20; r++) Assert.Equal(expected[(t + r) % 8], results[t][r]);
    }

    [Fact]
    public void ConcurrentEvaluateCallsEachGetTheirOwnFigures()
    {
        var model = Convnet();
        var data = Enumerable.Range(0, 4).Select(i => (X: Tensor.RandomUniform(new Shape(40, 8, 8, 1), 0, 1, new Rng(10 + i)),
            Y: Tensor.FromArray(Enumerable.Range(0, 40).Select(j => (float)((i + j) % 3)).ToArray()))).ToArray();
        var expected = data.Select(d => model.Evaluate(d.X, d.Y, batchSize: 16)).ToArray();
        var results = new Dictionary<string, double>[4];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => results[i] = model.Evaluate(data[i].X, data[i].Y, batchSize: 16));
        for (int i = 0; i < 4; i++)
            foreach (var (k, v) in expected[i]) Assert.Equal(v, results[i][k]);
    }

    private sealed class TryToTrainAgain(Model model, Tensor x, Tensor y) : Callback
    {
        public Exception? Caught { get; private set; }

        public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (batch != 0 || Caught != null) return;
            var other = new Thread(() => { try { model.Fit(x, y, verbose: 0); } catch (Exception e) { Caught = e; } });
            other.Start();
            other.Join();
        }
    }

    [Fact]
    public void TrainingIsSingleCallerAndSaysSo()
    {
        var model = Convnet();
        var x = Tensor.RandomUniform(new Shape(32, 8, 8, 1));
        var y = Tensor.Zeros(32);
        var probe = new TryToTrainAgain(model, x, y);
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, callbacks: [probe]);
        var e = Assert.IsType<InvalidOperationException>(probe.Caught);
        Assert.Contains("already training", e.Message);
        Assert.Contains("single-caller", e.Message);
    }

    [Fact]
    public void FreezingOneModelDoesNotInvalidateAnother()
    {
        var a = Convnet();
        var b = Convnet();
        long va = a.StructureVersion, vb = b.StructureVersion;
        a.Layers[1].Trainable = false;
        Assert.NotEqual(va, a.StructureVersion);
        Assert.Equal(vb, b.StructureVersion);
    }
}
