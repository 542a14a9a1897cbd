using Praxis.Callbacks;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

[Collection("Global state")]
public class ModelTests
{
    /// <summary>A small learnable problem: the class is which of 4 features is largest.</summary>
    internal static (Tensor X, Tensor Y) ArgMaxData(int n, int seed)
    {
        var rng = new Rng(seed);
        var x = Tensor.RandomUniform(new Shape(n, 4), 0, 1, rng);
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int j = 1; j < 4; j++) if (x[i, j] > x[i, best]) best = j;
            labels[i] = best;
        }
        return (x, Tensor.FromArray(labels));
    }

    [Fact]
    public void FunctionalModelLearnsAndReportsHistory()
    {
        SetRandomSeed(5);
        var (x, labels) = ArgMaxData(512, 1);
        var y = ToCategorical(labels, 4);
        var inputs = Input(shape: [4]);
        var h = new Dense(16, activation: "relu").Apply(inputs);
        var outputs = new Dense(4, activation: "softmax").Apply(h);
        var model = new Model(inputs, outputs);
        model.Compile(new Adam(0.01f), "categorical_crossentropy", ["accuracy"]);
        var history = model.Fit(x, y, epochs: 30, batchSize: 32, verbose: 0, validationSplit: 0.25);
        Assert.Equal(30, history.Epochs.Count);
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.Metrics.Keys.ToArray());
        Assert.True(history["loss"][^1] < history["loss"][0] / 2, "loss should fall");
        Assert.True(history["val_accuracy"][^1] > 0.85, $"val accuracy {history["val_accuracy"][^1]}");
        var eval = model.Evaluate(x, y);
        Assert.True(eval["accuracy"] > 0.85);
        var p = model.Predict(x, batchSize: 100);
        Assert.Equal(new Shape(512, 4), p.Shape);
        for (int i = 0; i < 4; i++) Assert.Equal(1f, p.SliceRows(i, 1).Sum().Item(), 4);
    }

    [Fact]
    public void SequentialBuildsFromDataWithSparseLabels()
    {
        SetRandomSeed(6);
        var (x, labels) = ArgMaxData(400, 2);
        var model = new Sequential([new Dense(16, activation: "tanh"), new Dense(4, activation: "softmax")]);
        model.Compile(new Adam(0.02f), "sparse_categorical_crossentropy", ["accuracy"]);
        var history = model.Fit(x, labels, epochs: 25, batchSize: 50, verbose: 0);
        Assert.True(history["accuracy"][^1] > 0.85, $"accuracy {history["accuracy"][^1]}");
        Assert.Equal(2, model.Layers.Count);
        Assert.Equal(16 * 4 + 16 + 16 * 4 + 4, model.CountParams());
        Assert.DoesNotContain("InputLayer", model.SummaryString());
    }

    [Fact]
    public void SequentialWithInputLayerIsBuiltImmediately()
    {
        var model = new Sequential([new InputLayer([3]), new Dense(2)]);
        Assert.True(model.HasGraph);
        Assert.Equal(8, model.CountParams());
        model.Add(new Dense(5));
        Assert.Equal(8 + 15, model.CountParams());
        Assert.Equal(new Shape(-1, 5), model.Outputs[0].Shape);
    }

    [Fact]
    public void RegressionWithMseAndSgd()
    {
        SetRandomSeed(7);
        var rng = new Rng(3);
        var x = Tensor.RandomUniform(new Shape(256, 3), -1, 1, rng);
        var w = Tensor.FromArray([2f, -1f, 0.5f], 3, 1);
        var y = Tensor.MatMul(x, w) + 0.3f;
        var model = new Sequential([new InputLayer([3]), new Dense(1)]);
        model.Compile(new SGD(0.1f, momentum: 0.9f), "mse", ["mae"]);
        var h = model.Fit(x, y, epochs: 40, batchSize: 16, verbose: 0);
        Assert.True(h["loss"][^1] < 1e-4, $"mse {h["loss"][^1]}");
        var dense = (Dense)model.Layers[0];
        Assert.Equal(2f, dense.Kernel[0, 0], 2);
        Assert.Equal(0.3f, dense.Bias![0], 2);
    }

    [Fact]
    public void TwoInputModelAndLayerReuse()
    {
        SetRandomSeed(8);
        var a = Input(shape: [3], name: "a");
        var b = Input(shape: [3], name: "b");
        var shared = new Dense(4, activation: "tanh");
        var sum = new AddLayer().Apply(shared.Apply(a), shared.Apply(b));
        var outputs = new Dense(1).Apply(sum);
        var model = new Model([a, b], [outputs]);
        Assert.Equal(16 + 5, model.CountParams());
        var rng = new Rng(1);
        var xa = Tensor.RandomUniform(new Shape(64, 3), 0, 1, rng);
        var xb = Tensor.RandomUniform(new Shape(64, 3), 0, 1, rng);
        var y = (xa.Sum(1, keepDims: true) + xb.Sum(1, keepDims: true)).Detach();
        model.Compile(new Adam(0.03f), "mse");
        var h = model.Fit([xa, xb], y, epochs: 100, batchSize: 16, verbose: 0);
        Assert.True(h["loss"][^1] < 0.05, $"loss {h["loss"][^1]}");
        Assert.Equal(new Shape(64, 1), model.Predict([xa, xb]).Shape);
    }

    /// <summary>A minimal two-input layer for the test.</summary>
    private sealed class AddLayer : Layer
    {
        public override Tensor[] Call(Tensor[] inputs, bool training) => [inputs[0] + inputs[1]];

        public override void Build(Shape[] inputShapes) => Built = true;
    }

    [Fact]
    public void TrainOnBatchMatchesAManualLoop()
    {
        Model Make()
        {
            SetRandomSeed(9);
            ClearSession();
            var i = Input(shape: [4]);
            return new Model(i, new Dense(3, activation: "softmax").Apply(new Dense(5, activation: "relu").Apply(i)));
        }
        var (x, labels) = ArgMaxData(32, 3);
        var y = ToCategorical(labels, 4).Reshape(32, 4);
        var yy = Tensor.FromArray(y.ToArray().Select((v, k) => k % 4 == 3 ? 0f : v).ToArray(), 32, 4); // 3 classes
        var y3 = Tensor.Zeros(32, 3);
        for (int r = 0; r < 32; r++) for (int c = 0; c < 3; c++) y3[r, c] = yy[r, c];

        var m1 = Make();
        m1.Compile(new Adam(0.05f), "categorical_crossentropy");
        var losses1 = Enumerable.Range(0, 3).Select(_ => m1.TrainOnBatch(x, y3)["loss"]).ToArray();

        var m2 = Make();
        var opt = new Adam(0.05f);
        var loss = new Praxis.Losses.CategoricalCrossentropy();
        var losses2 = new double[3];
        for (int s = 0; s < 3; s++)
        {
            var pred = m2.Apply(x, training: true);
            var l = loss.Compute(y3, pred);
            opt.ZeroGrad(m2.TrainableWeights);
            l.Backward();
            opt.Step(m2.TrainableWeights);
            losses2[s] = l.Item();
        }
        for (int s = 0; s < 3; s++) Assert.Equal(losses2[s], losses1[s], 2e-5f); // a tolerance, not rounding: two roundings can straddle a boundary
        var w1 = m1.GetWeights();
        var w2 = m2.GetWeights();
        for (int i = 0; i < w1.Count; i++) Assert.Equal(w2[i], w1[i]);
    }

    [Fact]
    public void CallbacksSeeEpochsAndCanStopTraining()
    {
        SetRandomSeed(10);
        var (x, labels) = ArgMaxData(64, 4);
        var model = new Sequential([new Dense(4, activation: "softmax")]);
        model.Compile("sgd", "sparse_categorical_crossentropy", ["accuracy"]);
        var stopper = new StopAfter(2);
        var h = model.Fit(x, labels, epochs: 10, batchSize: 16, verbose: 0, callbacks: [stopper]);
        Assert.Equal(2, h.Epochs.Count);
        Assert.Equal(8, stopper.Batches);
    }

    private sealed class StopAfter(int epochs) : Callback
    {
        public int Batches;

        public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => Batches++;

        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
        {
            Assert.True(logs.ContainsKey("loss") && logs.ContainsKey("accuracy"));
            if (epoch + 1 >= epochs) Model.StopTraining = true;
        }
    }

    [Fact]
    public void ProgressInAPipeIsOneLinePerEpochWithoutControlCharacters()
    {
        SetRandomSeed(11);
        var (x, labels) = ArgMaxData(64, 5);
        var model = new Sequential([new Dense(4, activation: "softmax")]);
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"]);
        var sw = new StringWriter();
        model.Fit(x, labels, epochs: 2, batchSize: 16, verbose: 0, callbacks: [new ProgressLogger(1, sw)]);
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("Epoch 1/2", lines[0]);
        Assert.StartsWith("4/4 [====================]", lines[1]);
        Assert.Contains("loss: ", lines[1]);
        Assert.DoesNotContain(sw.ToString(), c => c is '\r' or '\u001b');
    }

    [Fact]
    public void SameSeedGivesSameWeightsAfterTraining()
    {
        List<float[]> Run()
        {
            SetRandomSeed(1234);
            ClearSession();
            var (x, labels) = ArgMaxData(200, 6);
            var i = Input(shape: [4]);
            var model = new Model(i, new Dense(4, activation: "softmax").Apply(new Dense(8, activation: "relu").Apply(i)));
            model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"]);
            model.Fit(x, labels, epochs: 3, batchSize: 16, verbose: 0);
            return model.GetWeights();
        }
        var a = Run();
        var b = Run();
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void FrozenLayerDoesNotChange()
    {
        SetRandomSeed(12);
        var (x, labels) = ArgMaxData(64, 7);
        var first = new Dense(8, activation: "relu");
        var model = new Sequential([new InputLayer([4]), first, new Dense(4, activation: "softmax")]);
        first.Trainable = false;
        Assert.Equal(8 * 4 + 8, model.NonTrainableWeights.Sum(w => w.Size));
        var before = first.Kernel.ToArray();
        model.Compile("adam", "sparse_categorical_crossentropy");
        model.Fit(x, labels, epochs: 2, verbose: 0);
        Assert.Equal(before, first.Kernel.ToArray());
        Assert.Contains("Non-trainable params: 40", model.SummaryString());
        first.Trainable = true;
        model.Fit(x, labels, epochs: 1, verbose: 0);
        Assert.NotEqual(before, first.Kernel.ToArray());
    }
}
