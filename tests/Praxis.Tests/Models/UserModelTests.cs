using Praxis.Callbacks;
using Praxis.Layers;
using Praxis.Losses;
using Praxis.Metrics;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.Models;

/// <summary>
/// A user's own model trains right (issue 14): custom layers that draw random numbers or branch on values, several
/// outputs, a custom train step, subclassed models, and a failed Fit that leaves the model as it was.
/// </summary>
[Collection("Global state")]
public class UserModelTests
{
    // ------------------------------------------------------------------ custom layers under Fit

    /// <summary>keras.io's VAE Sampling layer: z = mean + exp(0.5·logVar)·ε with ε drawn in Call.</summary>
    private sealed class Sampling(bool replaySafe) : Layer
    {
        public override bool ReplaySafe => replaySafe;

        public override Tensor[] Call(Tensor[] inputs, bool training) =>
            [inputs[0] + (0.5f * inputs[1]).Exp() * Tensor.RandomNormal(inputs[0].Shape)];
    }

    /// <summary>A layer whose computation reads values (a data-dependent branch), which no replay can follow.</summary>
    private sealed class SignBranch : Layer
    {
        public override Tensor Call(Tensor input, bool training) => input.Span[0] > 0 ? input * 2f : input * -3f;
    }

    private static Model SamplingModel(bool replaySafe)
    {
        ClearSession();
        var inputs = Input(shape: [3]);
        var mean = new Dense(2).Apply(inputs);
        var logVar = new Dense(2).Apply(inputs);
        var z = new Sampling(replaySafe).Apply(mean, logVar);
        return new Model(inputs, new Dense(1).Apply(z));
    }

    /// <summary>Trains <paramref name="model"/> by hand, batch by batch in order, as an eager PyTorch-style loop.</summary>
    private static void EagerLoop(Model model, Tensor x, Tensor y, int epochs, int batch, Optimizer opt, Loss loss)
    {
        for (int e = 0; e < epochs; e++)
            for (int start = 0; start < x.Shape[0]; start += batch)
            {
                int count = Math.Min(batch, x.Shape[0] - start);
                var l = loss.Compute(y.SliceRows(start, count), model.Apply(x.SliceRows(start, count), training: true));
                var ps = model.TrainableWeights;
                opt.ZeroGrad(ps);
                l.Backward();
                opt.Step(ps);
            }
    }

    private static void AssertSameWeights(Model a, Model b, double tolerance)
    {
        var wa = a.GetWeights();
        var wb = b.GetWeights();
        Assert.Equal(wa.Count, wb.Count);
        for (int i = 0; i < wa.Count; i++)
            for (int j = 0; j < wa[i].Length; j++)
                Assert.True(Math.Abs(wa[i][j] - wb[i][j]) <= tolerance, $"weight {i}[{j}]: {wa[i][j]} vs {wb[i][j]}");
    }

    private static (Tensor X, Tensor Y) Regression(int n, int seed)
    {
        var rng = new Rng(seed);
        var x = Tensor.RandomUniform(new Shape(n, 3), -1, 1, rng);
        var y = new Tensor(new Shape(n, 1));
        for (int i = 0; i < n; i++) y.Span[i] = x[i, 0] - 2 * x[i, 1] + 0.5f * x[i, 2];
        return (x, y);
    }

    [Theory]
    [InlineData(false)] // the default for a user's layer: Fit re-records it eagerly every step
    [InlineData(true)]  // declared replay-safe: Fit replays, and the RandomNormal op draws afresh each replay
    public void RandomnessInACustomLayerIsFreshEveryBatchUnderFit(bool replaySafe)
    {
        var (x, y) = Regression(96, 1);
        SetRandomSeed(7);
        var fitted = SamplingModel(replaySafe);
        fitted.Compile(new SGD(0.05f), "mse");
        fitted.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, shuffle: false);

        SetRandomSeed(7);
        var eager = SamplingModel(replaySafe);
        EagerLoop(eager, x, y, epochs: 2, batch: 16, new SGD(0.05f), new MeanSquaredError());
        AssertSameWeights(fitted, eager, 1e-5);
    }

    [Fact]
    public void ReplayingAFrozenEpsilonWouldGiveOtherWeights()
    {
        // The check above can fail: with ε fixed at its first draw (what a replay of a non-op would do) training differs.
        var (x, y) = Regression(96, 1);
        SetRandomSeed(7);
        var eager = SamplingModel(false);
        EagerLoop(eager, x, y, epochs: 2, batch: 16, new SGD(0.05f), new MeanSquaredError());
        SetRandomSeed(7);
        var frozen = SamplingModel(false);
        var eps = Tensor.RandomNormal(new Shape(16, 2));
        var ps = frozen.TrainableWeights;
        var opt = new SGD(0.05f);
        var dense = frozen.Layers.OfType<Dense>().ToArray();
        for (int e = 0; e < 2; e++)
            for (int s = 0; s < 96; s += 16)
            {
                var xb = x.SliceRows(s, 16);
                var z = dense[0].Apply(xb, true) + (0.5f * dense[1].Apply(xb, true)).Exp() * eps;
                var l = new MeanSquaredError().Compute(y.SliceRows(s, 16), dense[2].Apply(z, true));
                opt.ZeroGrad(ps);
                l.Backward();
                opt.Step(ps);
            }
        Assert.Throws<Xunit.Sdk.TrueException>(() => AssertSameWeights(eager, frozen, 1e-5));
    }

    [Fact]
    public void ADataDependentBranchInACustomLayerFollowsEveryBatch()
    {
        // Inputs whose first value changes sign between batches: a replay of the first batch's branch would be wrong.
        var x = new Tensor(new Shape(32, 2));
        for (int i = 0; i < 32; i++) { x.Span[2 * i] = (i / 8) % 2 == 0 ? 1f : -1f; x.Span[2 * i + 1] = 0.1f * i; }
        var y = Tensor.Ones(32, 1);
        Model Build()
        {
            ClearSession();
            var inputs = Input(shape: [2]);
            return new Model(inputs, new Dense(1).Apply(new SignBranch().Apply(inputs)));
        }
        SetRandomSeed(3);
        var fitted = Build();
        Assert.False(fitted.ReplaySafe);
        fitted.Compile(new SGD(0.01f), "mse");
        fitted.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0, shuffle: false);
        SetRandomSeed(3);
        var eager = Build();
        EagerLoop(eager, x, y, 1, 8, new SGD(0.01f), new MeanSquaredError());
        AssertSameWeights(fitted, eager, 1e-6);
        // Predict follows the branch per batch as well.
        var p = fitted.Predict(x, batchSize: 8);
        for (int b = 0; b < 4; b++)
        {
            var expected = eager.Apply(x.SliceRows(8 * b, 8));
            for (int i = 0; i < 8; i++) Assert.Equal(expected.Span[i], p.Span[8 * b + i], 5);
        }
    }

    [Fact]
    public void LibraryLayersStayReplaySafe()
    {
        ClearSession();
        var inputs = Input(shape: [4]);
        var model = new Model(inputs, new Dense(2).Apply(new Dropout(0.5f).Apply(new Dense(8, activation: "relu").Apply(inputs))));
        Assert.True(model.ReplaySafe);
        Assert.False(SamplingModel(false).ReplaySafe);
        Assert.True(SamplingModel(true).ReplaySafe);
    }

    [Fact]
    public void ACustomMultiInputLayerNeedsNoBuildOverride()
    {
        ClearSession();
        var a = Input(shape: [2]);
        var b = Input(shape: [2]);
        var z = new Sampling(true).Apply(a, b);
        var model = new Model([a, b], [z]);
        var out0 = model.Predict([Tensor.Ones(4, 2), Tensor.Full(-100f, 4, 2)]);
        for (int i = 0; i < out0.Size; i++) Assert.Equal(1f, out0.Span[i], 3); // exp(-50)·ε ≈ 0
    }

    [Fact]
    public void TheConsumersOfARandomTensorHaveExactGradients()
    {
        // z = mean + exp(0.5·logVar)·ε with a fixed ε: d/dmean and d/dlogVar against finite differences.
        var rng = new Rng(11);
        GradCheck.Check(t => t[0] + (0.5f * t[1]).Exp() * Tensor.RandomNormal(t[0].Shape, rng: new Rng(5)),
            GradCheck.Rand(rng, 4, 3), GradCheck.Rand(rng, 4, 3));
    }

    [Fact]
    public void RandomTensorsAreOpsThatDrawAgainOnEveryReplay()
    {
        var graph = new Praxis.Autograd.CapturedGraph(() => Tensor.RandomUniform(new Shape(64)) * 1f);
        var first = graph.Forward().ToArray();
        var second = graph.Forward().ToArray();
        Assert.NotEqual(first, second);
        Assert.All(second, v => Assert.InRange(v, 0f, 1f));
    }

    // ------------------------------------------------------------------ a failed call leaves the model as it was

    private static Model Classifier()
    {
        ClearSession();
        var inputs = Input(shape: [4]);
        var h = new Dense(8, activation: "relu").Apply(inputs);
        var model = new Model(inputs, new Dense(4, activation: "softmax").Apply(h));
        model.Compile("adam", "categorical_crossentropy", ["accuracy"]);
        return model;
    }

    [Fact]
    public void AFitWithBadTargetsThenAGoodOneTrainsAsIfTheFirstNeverHappened()
    {
        var (x, labels) = ModelTests.ArgMaxData(64, 4);
        var y = ToCategorical(labels, 4);
        SetRandomSeed(9);
        var failed = Classifier();
        var e = Assert.ThrowsAny<Exception>(() => failed.Fit(x, Tensor.Zeros(64), epochs: 1, verbose: 0));
        Assert.Contains("shape", e.Message);
        var history = failed.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0);

        SetRandomSeed(9);
        var clean = Classifier();
        var expected = clean.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0);
        AssertSameWeights(failed, clean, 0);
        Assert.Equal(expected["loss"], history["loss"]);
        Assert.Equal(clean.Optimizer!.Iterations, failed.Optimizer!.Iterations);
        // Later errors quote this call's shapes, not a previous call's.
        var bad = Assert.ThrowsAny<Exception>(() => failed.Fit(x, Tensor.Zeros(64, 3), epochs: 1, verbose: 0));
        Assert.Contains("(32, 3)", bad.Message);
    }

    private sealed class FailAtEpoch(int epoch) : Callback
    {
        public override void OnEpochEnd(int e, IReadOnlyDictionary<string, double> logs)
        {
            if (e == epoch) throw new InvalidOperationException("callback failed");
        }
    }

    [Fact]
    public void AFitThatFailsInACallbackRestoresWeightsOptimizerStateAndRandomState()
    {
        var (x, labels) = ModelTests.ArgMaxData(64, 4);
        var y = ToCategorical(labels, 4);
        SetRandomSeed(10);
        var model = Classifier();
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        var weights = model.GetWeights();
        long iterations = model.Optimizer!.Iterations;
        var slots = model.TrainableWeights.Select(w => model.Optimizer.GetSlots(w)!.Select(s => (float[])s.Clone()).ToArray()).ToArray();
        string rng = Rng.Global.GetState();

        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, callbacks: [new FailAtEpoch(2)]));
        Assert.Equal("callback failed", e.Message);
        var after = model.GetWeights();
        for (int i = 0; i < weights.Count; i++) Assert.Equal(weights[i], after[i]);
        Assert.Equal(iterations, model.Optimizer.Iterations);
        var ws = model.TrainableWeights;
        for (int i = 0; i < ws.Count; i++)
            for (int s = 0; s < slots[i].Length; s++) Assert.Equal(slots[i][s], model.Optimizer.GetSlots(ws[i])![s]);
        Assert.Equal(rng, Rng.Global.GetState());
    }

    private sealed class CancelAtBatch(CancellationTokenSource source, int batch) : Callback
    {
        public List<int> Batches { get; } = [];

        public override void OnTrainBatchEnd(int b, IReadOnlyDictionary<string, double> logs)
        {
            Batches.Add(b);
            if (b == batch) source.Cancel(); // as a Console.CancelKeyPress handler would on Ctrl+C
        }
    }

    [Fact]
    public void ACancelledFitStopsAfterTheBatchInFlightAndLeavesTheModelAsItWas()
    {
        var (x, labels) = ModelTests.ArgMaxData(64, 4);
        var y = ToCategorical(labels, 4);
        SetRandomSeed(13);
        var model = Classifier();
        var weights = model.GetWeights();
        using var cts = new CancellationTokenSource();
        var cancel = new CancelAtBatch(cts, 1);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, callbacks: [cancel], cancellationToken: cts.Token));
        Assert.Equal([0, 1], cancel.Batches);
        var after = model.GetWeights();
        for (int i = 0; i < weights.Count; i++) Assert.Equal(weights[i], after[i]);
        Assert.Equal(0, model.Optimizer!.Iterations);
        // A token cancelled before the call changes nothing either; then an uncancelled Fit trains as a fresh model would.
        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(x, y, verbose: 0, cancellationToken: cts.Token));
        var history = model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
        SetRandomSeed(13);
        var clean = Classifier();
        Assert.Equal(clean.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0)["loss"], history["loss"]);
        AssertSameWeights(model, clean, 0);
    }

    // ------------------------------------------------------------------ several outputs

    private static Model TwoHeads()
    {
        ClearSession();
        var inputs = Input(shape: [4]);
        var h = new Dense(8, activation: "relu").Apply(inputs);
        var value = new Dense(1, name: "value").Apply(h);
        var label = new Dense(4, activation: "softmax", name: "label").Apply(h);
        return new Model([inputs], [value, label]);
    }

    [Fact]
    public void AMultiOutputModelGivenOneTargetNamesItsOutputs()
    {
        var (x, labels) = ModelTests.ArgMaxData(32, 1);
        var model = TwoHeads();
        model.Compile("adam", "mse");
        var e = Assert.Throws<ArgumentException>(() => model.Fit(x, labels.Reshape(-1, 1), verbose: 0));
        Assert.Contains("2 output(s) ('value', 'label')", e.Message);
        Assert.Contains("1 target(s)", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Evaluate(x, labels.Reshape(-1, 1)));
        Assert.Contains("'value', 'label'", e.Message);
    }

    [Fact]
    public void EveryOutputTrainsWithItsLossWeightAndKerasLogNames()
    {
        var (x, labels) = ModelTests.ArgMaxData(256, 2);
        var yValue = labels.Reshape(-1, 1);
        var yLabel = ToCategorical(labels, 4);
        SetRandomSeed(4);
        var model = TwoHeads();
        model.Compile(new Adam(0.01f), ["mse", "categorical_crossentropy"], lossWeights: [0.5f, 2f], metrics: [["mae"], ["accuracy"]]);
        var history = model.Fit(x, [yValue, yLabel], epochs: 30, batchSize: 32, verbose: 0, validationSplit: 0.25);
        Assert.Equal(["loss", "value_loss", "label_loss", "value_mae", "label_accuracy", "val_loss", "val_value_loss", "val_label_loss", "val_value_mae", "val_label_accuracy"],
            history.Metrics.Keys.ToArray());
        Assert.True(history["label_accuracy"][^1] > 0.7, $"label accuracy {history["label_accuracy"][^1]}");
        Assert.True(history["value_loss"][^1] < history["value_loss"][0], "the value head trains too");

        // The total is the weighted sum of the per-output losses (each logged weighted), checked against a hand computation.
        var eval = model.Evaluate(x, [yValue, yLabel], batchSize: 256);
        Assert.Equal(eval["value_loss"] + eval["label_loss"], eval["loss"], 4);
        var outs = model.PredictMany([x]);
        double mse = new MeanSquaredError().Compute(yValue, outs[0]).Item();
        double cce = new CategoricalCrossentropy().Compute(yLabel, outs[1]).Item();
        Assert.Equal(0.5 * mse, eval["value_loss"], 4);
        Assert.Equal(2 * cce, eval["label_loss"], 3);
    }

    [Fact]
    public void TargetsAndLossesByOutputName()
    {
        var (x, labels) = ModelTests.ArgMaxData(128, 3);
        var yLabel = ToCategorical(labels, 4);
        SetRandomSeed(5);
        var model = TwoHeads();
        model.Compile(new Adam(0.01f), new Dictionary<string, Loss> { ["label"] = "categorical_crossentropy" },
            metrics: new Dictionary<string, IReadOnlyList<Metric>> { ["label"] = ["accuracy"] });
        Assert.Null(model.Losses[0]);
        var before = model.GetLayer("value").GetConfig();
        var valueKernel = model.GetLayer("value").Weights[0].ToArray();
        var history = model.Fit([x], new Dictionary<string, Tensor> { ["value"] = labels.Reshape(-1, 1), ["label"] = yLabel }, epochs: 3, verbose: 0);
        Assert.Equal(["loss", "label_loss", "label_accuracy"], history.Metrics.Keys.ToArray());
        Assert.Equal(valueKernel, model.GetLayer("value").Weights[0].ToArray()); // no loss on 'value': untouched
        var e = Assert.Throws<ArgumentException>(() => model.Fit([x], new Dictionary<string, Tensor> { ["labels"] = yLabel }, verbose: 0));
        Assert.Contains("'labels'", e.Message);
        Assert.Contains("'value', 'label'", e.Message);
    }

    [Fact]
    public void AFlatMetricListOnSeveralOutputsAsksForMetricsPerOutput()
    {
        var model = TwoHeads();
        var e = Assert.Throws<ArgumentException>(() => model.Compile("adam", "mse", ["mae"]));
        Assert.Contains("metrics per output", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Compile("adam", ["mse"]));
        Assert.Contains("loss has 1 entries", e.Message);
        Assert.Null(model.Optimizer); // a rejected Compile changes nothing
    }

    [Fact]
    public void PerOutputCompileSettingsSurviveSaveAndLoad()
    {
        var (x, labels) = ModelTests.ArgMaxData(64, 3);
        var model = TwoHeads();
        model.Compile(new Adam(0.01f), ["mse", "categorical_crossentropy"], lossWeights: [0.5f, 2f], metrics: [["mae"], ["accuracy"]]);
        model.Fit(x, [labels.Reshape(-1, 1), ToCategorical(labels, 4)], epochs: 1, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"praxis-two-heads-{Guid.NewGuid():N}.praxis");
        try
        {
            model.Save(path);
            var loaded = Model.Load(path);
            Assert.Equal(["mean_squared_error", "categorical_crossentropy"], loaded.Losses.Select(l => l!.Name).ToArray());
            Assert.Equal([0.5f, 2f], loaded.LossWeights.ToArray());
            var a = model.Evaluate(x, [labels.Reshape(-1, 1), ToCategorical(labels, 4)]);
            var b = loaded.Evaluate(x, [labels.Reshape(-1, 1), ToCategorical(labels, 4)]);
            Assert.Equal(a.Keys.ToArray(), b.Keys.ToArray());
            foreach (var k in a.Keys) Assert.Equal(a[k], b[k], 6);
        }
        finally { File.Delete(path); }
    }

    // ------------------------------------------------------------------ custom train steps and subclassed models

    /// <summary>An autoencoder with its own step: no targets, its own trackers, compiled with an optimizer alone.</summary>
    private sealed class AutoEncoder : Model
    {
        private readonly Dense _encode, _decode;
        private readonly Mean _reconstruction = new("reconstruction_loss");
        private readonly Dictionary<string, double> _logs = new();

        public AutoEncoder() : base("auto_encoder")
        {
            _encode = Track(new Dense(2, activation: "tanh"));
            _decode = Track(new Dense(4));
        }

        public int Steps { get; private set; }

        public override IReadOnlyList<Metric> Metrics => [_reconstruction];

        public override Tensor Call(Tensor input, bool training) => _decode.Apply(_encode.Apply(input, training), training);

        protected override Dictionary<string, double> TrainStep(Batch data)
        {
            Steps++;
            Assert.Empty(data.Y);
            var x = data.Input;
            var loss = (Apply(x, training: true) - x).Square().Mean();
            ApplyGradients(loss);
            _reconstruction.UpdateState(loss);
            _logs["loss"] = _reconstruction.Result();
            return _logs;
        }

        protected override Dictionary<string, double> TestStep(Batch data)
        {
            var x = data.Input;
            _reconstruction.UpdateState((Apply(x) - x).Square().Mean());
            _logs["loss"] = _reconstruction.Result();
            return _logs;
        }
    }

    [Fact]
    public void AModelWithItsOwnTrainStepTrainsWithFitCompiledWithAnOptimizerAlone()
    {
        SetRandomSeed(12);
        var x = Tensor.RandomUniform(new Shape(128, 4), -1, 1, new Rng(2));
        x = x * Tensor.FromArray([1f, 1f, 0f, 0f], 4); // two informative features: a 2-unit code can hold them
        var model = new AutoEncoder();
        model.Compile(new Adam(0.02f));
        var history = model.Fit(x, epochs: 15, batchSize: 32, verbose: 0, validationData: null);
        Assert.Equal(15 * 4, model.Steps);
        Assert.Equal(["loss"], history.Metrics.Keys.ToArray());
        Assert.True(history["loss"][^1] < history["loss"][0] / 3, $"reconstruction loss {history["loss"][0]} → {history["loss"][^1]}");
        // Each epoch's figure is that epoch's mean (trackers reset per epoch): the last epoch's mean is below the first's.
        var eval = model.Evaluate(x);
        Assert.True(eval["loss"] < history["loss"][0]);
        Assert.Equal(new Shape(128, 4), model.Predict(x).Shape);
        Assert.Equal(2 * 4 + 2 + 4 * 2 + 4, model.CountParams());
    }

    [Fact]
    public void DataParallelFitRunsACustomTrainStepAsPlainFitDoes()
    {
        // Over a group of one the general data-parallel path (gradients combined inside ApplyGradients, logs after the
        // step) must be plain Fit exactly; the two-rank run is in Distributed/MpiTrainingTests.
        var x = Tensor.RandomUniform(new Shape(100, 4), -1, 1, new Rng(2));
        History Train(AutoEncoder m, bool dp)
        {
            if (dp) m.Distribution = new Praxis.Distributed.DataParallel(new Praxis.Distributed.SingleProcessGroup());
            m.Compile(new Adam(0.02f));
            return m.Fit(x, epochs: 3, batchSize: 32, verbose: 0, validationSplit: 0.2);
        }
        SetRandomSeed(12);
        var plain = new AutoEncoder();
        var expected = Train(plain, dp: false);
        SetRandomSeed(12);
        var model = new AutoEncoder();
        var actual = Train(model, dp: true);
        Assert.Equal(3 * 3, model.Steps); // 80 training rows: batches of 32, 32, 16
        AssertSameWeights(plain, model, 0);
        foreach (var key in new[] { "loss", "val_loss" })
            for (int e = 0; e < 3; e++) Assert.Equal(expected[key][e], actual[key][e], 6);
    }

    [Fact]
    public void DataParallelFitTrainsEveryOutputAsPlainFitDoes()
    {
        var (x, labels) = ModelTests.ArgMaxData(64, 1);
        var y = new[] { labels.Reshape(-1, 1), ToCategorical(labels, 4) };
        History Train(Model m, bool dp)
        {
            if (dp) m.Distribution = new Praxis.Distributed.DataParallel(new Praxis.Distributed.SingleProcessGroup());
            m.Compile(new Adam(0.01f), ["mse", "categorical_crossentropy"], lossWeights: [0.5f, 2f], metrics: [["mae"], ["accuracy"]]);
            return m.Fit([x], y, epochs: 2, batchSize: 16, verbose: 0);
        }
        SetRandomSeed(3);
        var plain = TwoHeads();
        var expected = Train(plain, dp: false);
        SetRandomSeed(3);
        var model = TwoHeads();
        var actual = Train(model, dp: true);
        AssertSameWeights(plain, model, 0);
        Assert.Equal(expected.Metrics.Keys.ToArray(), actual.Metrics.Keys.ToArray());
        foreach (var key in expected.Metrics.Keys)
            for (int e = 0; e < 2; e++) Assert.Equal(expected[key][e], actual[key][e], 6);
    }

    /// <summary>A custom step that steps its optimizer itself, bypassing ApplyGradients.</summary>
    private sealed class StepsItsOwnOptimizer : Model
    {
        private readonly Dense _dense;

        public StepsItsOwnOptimizer() : base("own_optimizer") => _dense = Track(new Dense(1));

        public override Tensor Call(Tensor input, bool training) => _dense.Apply(input, training);

        protected override Dictionary<string, double> TrainStep(Batch data)
        {
            var loss = Apply(data.Input, training: true).Square().Mean();
            Optimizer!.ZeroGrad(TrainableWeights);
            loss.Backward();
            Optimizer.Step(TrainableWeights);
            return new Dictionary<string, double> { ["loss"] = loss.Item() };
        }
    }

    [Fact]
    public void DataParallelFitRefusesACustomStepThatBypassesApplyGradientsAndKeepsTheWeights()
    {
        var model = new StepsItsOwnOptimizer { Distribution = new Praxis.Distributed.DataParallel(new Praxis.Distributed.SingleProcessGroup()) };
        model.Compile("sgd");
        model.Predict(Tensor.Ones(2, 3)); // builds the weights
        var before = model.GetWeights();
        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(Tensor.Ones(8, 3), verbose: 0));
        Assert.Contains("'own_optimizer' (StepsItsOwnOptimizer) stepped its optimizer 1 time(s)", e.Message);
        Assert.Contains("ApplyGradients", e.Message);
        var after = model.GetWeights();
        for (int i = 0; i < before.Count; i++) Assert.Equal(before[i], after[i]);
        Assert.Equal(0, model.Optimizer!.Iterations);
        model.Distribution = null; // in one process the same step is fine
        model.Fit(Tensor.Ones(8, 3), verbose: 0);
        Assert.Equal(1, model.Optimizer.Iterations);
    }

    [Fact]
    public void TrainStepWithoutALossOrAnOverrideSaysWhatIsMissing()
    {
        var model = Classifier();
        model.Compile("adam");
        var e = Assert.Throws<ArgumentException>(() => model.Fit(Tensor.Ones(4, 4), verbose: 0));
        Assert.Contains("none were given", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Evaluate(Tensor.Ones(4, 4)));
        var e2 = Assert.Throws<InvalidOperationException>(() => model.Fit(Tensor.Ones(4, 4), Tensor.Ones(4, 4), verbose: 0));
        Assert.Contains("without a loss", e2.Message);
    }

    /// <summary>Keras' <c>class MyModel(keras.Model)</c> with a call(): layers made in the constructor.</summary>
    private sealed class TwoLayerNet : Model
    {
        private readonly Dense _hidden, _out;

        public TwoLayerNet(int units, string? name = null) : base(name)
        {
            Units = units;
            _hidden = Track(new Dense(units, activation: "relu"));
            _out = Track(new Dense(4, activation: "softmax"));
        }

        public int Units { get; }

        public override Tensor Call(Tensor input, bool training) => _out.Apply(_hidden.Apply(input, training), training);

        public override Dictionary<string, object?> GetConfig()
        {
            var c = base.GetConfig();
            c["units"] = Units;
            return c;
        }
    }

    [Fact]
    public void ASubclassedModelWithACallOverrideTrainsEvaluatesAndPredicts()
    {
        var (x, labels) = ModelTests.ArgMaxData(512, 6);
        SetRandomSeed(13);
        var model = new TwoLayerNet(16);
        Assert.True(model.IsSubclassed);
        Assert.False(model.ReplaySafe); // a user's class: run eagerly unless it says otherwise
        model.Compile(new Adam(0.02f), "sparse_categorical_crossentropy", ["accuracy"]);
        var history = model.Fit(x, labels, epochs: 20, batchSize: 32, verbose: 0, validationSplit: 0.2);
        Assert.True(history["val_accuracy"][^1] > 0.85, $"val accuracy {history["val_accuracy"][^1]}");
        Assert.Equal(4 * 16 + 16 + 16 * 4 + 4, model.CountParams());
        Assert.Equal(new Shape(512, 4), model.Predict(x, batchSize: 100).Shape);
        // Its Call is C# code: ONNX export says so by name instead of "no inputs yet".
        var path = Path.Combine(Path.GetTempPath(), $"praxis-subclassed-{Guid.NewGuid():N}.onnx");
        var e = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(path));
        Assert.StartsWith($"Model '{model.Name}' (TwoLayerNet) is a subclassed model without a graph", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ASubclassedModelSavesAndLoadsByItsRegisteredClassName()
    {
        Praxis.IO.LayerRegistry.Register("TwoLayerNet", c => new TwoLayerNet(c.GetInt("units"), c.Name));
        var (x, labels) = ModelTests.ArgMaxData(256, 7);
        SetRandomSeed(14);
        var model = new TwoLayerNet(12);
        model.Compile(new Adam(0.02f), "sparse_categorical_crossentropy", ["accuracy"]);
        model.Fit(x, labels, epochs: 3, batchSize: 32, verbose: 0);
        string path = Path.Combine(Path.GetTempPath(), $"praxis-subclassed-{Guid.NewGuid():N}.praxis");
        try
        {
            model.Save(path);
            ClearSession(); // the loaded model's layers get other automatic names: weights are matched by position
            var loaded = Assert.IsType<TwoLayerNet>(Model.Load(path));
            Assert.Equal(12, loaded.Units);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            Assert.Equal(model.Optimizer!.Iterations, loaded.Optimizer!.Iterations);
            // Training continues identically from the saved optimizer state.
            SetRandomSeed(1);
            model.Fit(x, labels, epochs: 1, batchSize: 32, verbose: 0);
            SetRandomSeed(1);
            loaded.Fit(x, labels, epochs: 1, batchSize: 32, verbose: 0);
            AssertSameWeights(model, loaded, 0);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void ASubclassedModelThatIsNotRegisteredSaysHowToRegisterIt()
    {
        var model = new AutoEncoder();
        model.Compile("adam");
        model.Fit(Tensor.Ones(8, 4), epochs: 1, verbose: 0);
        var e = Assert.Throws<NotSupportedException>(() => model.Save(Path.Combine(Path.GetTempPath(), $"praxis-{Guid.NewGuid():N}.praxis")));
        Assert.Contains("LayerRegistry.Register(\"AutoEncoder\"", e.Message);
    }

    [Fact]
    public void ASubclassedModelWithoutACallSaysSo()
    {
        var model = new AutoEncoderWithoutCall();
        model.Compile("adam", "mse");
        var e = Assert.Throws<NotSupportedException>(() => model.Fit(Tensor.Ones(4, 4), Tensor.Ones(4, 4), verbose: 0));
        Assert.Contains("overrides Call(Tensor, bool)", e.Message);
    }

    private sealed class AutoEncoderWithoutCall : Model
    {
        public AutoEncoderWithoutCall() => Track(new Dense(4));
    }
}
