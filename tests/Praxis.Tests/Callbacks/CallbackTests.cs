using System.Globalization;
using Praxis.Callbacks;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using Praxis.Tests.Models;
using static Praxis.Keras;

namespace Praxis.Tests.Callbacks;

/// <summary>
/// The library callbacks in real <c>Fit</c> runs. Where a test needs a particular sequence of monitored values, a
/// <see cref="Script"/> callback placed before the one under test overwrites that log entry (user callbacks run in
/// the order given, as in Keras), so the schedule of improvements is exact while weights really change every epoch.
/// </summary>
[Collection("Global state")]
public class CallbackTests
{
    private static (Sequential Model, Tensor X, Tensor Y) Tiny(int seed, float lr = 0.05f)
    {
        SetRandomSeed(seed);
        var (x, labels) = ModelTests.ArgMaxData(64, seed);
        var model = new Sequential([new Dense(4, activation: "softmax")]);
        model.Compile(new SGD(lr), "sparse_categorical_crossentropy", ["accuracy"]);
        return (model, x, labels);
    }

    /// <summary>Sets logs[key] to values[epoch] and snapshots the weights at each epoch end.</summary>
    private sealed class Script(string key, params double[] values) : Callback
    {
        public readonly List<List<float[]>> Weights = new();

        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
        {
            ((IDictionary<string, double>)logs)[key] = values[epoch];
            Weights.Add(Model.GetWeights());
        }
    }

    private static void AssertSameWeights(List<float[]> expected, List<float[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
    }

    // ------------------------------------------------------------------ EarlyStopping

    [Fact]
    public void EarlyStoppingStopsAfterPatienceAndRestoresTheBestEpoch()
    {
        var (model, x, y) = Tiny(1);
        // best at epoch 1; epochs 2 and 3 do not improve; patience 2 stops after epoch 3.
        var script = new Script("val_loss", 1.0, 0.8, 0.9, 0.85, 0.7, 0.6);
        var es = new EarlyStopping(patience: 2, restoreBestWeights: true);
        var h = model.Fit(x, y, epochs: 6, batchSize: 16, verbose: 0, callbacks: [script, es]);

        Assert.Equal([0, 1, 2, 3], h.Epochs);
        Assert.Equal(3, es.StoppedEpoch);
        Assert.Equal(1, es.BestEpoch);
        Assert.Equal(0.8, es.Best);
        Assert.Equal([1.0, 0.8, 0.9, 0.85], h["val_loss"]); // History runs after user callbacks and sees the scripted value
        AssertSameWeights(script.Weights[1], model.GetWeights());
        Assert.NotEqual(script.Weights[3][0], model.GetWeights()[0]); // training did move the weights after the best epoch
    }

    [Fact]
    public void EarlyStoppingWithoutRestoreKeepsTheLastWeights()
    {
        var (model, x, y) = Tiny(2);
        var script = new Script("val_loss", 1.0, 1.0, 1.0, 1.0);
        var es = new EarlyStopping(); // patience 0: stops at the first epoch without improvement (never epoch 0)
        var h = model.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, callbacks: [script, es]);
        Assert.Equal(2, h.Epochs.Count);
        Assert.Equal(1, es.StoppedEpoch);
        AssertSameWeights(script.Weights[^1], model.GetWeights());
    }

    [Fact]
    public void EarlyStoppingMinDeltaModeBaselineAndWarmUp()
    {
        // max mode: +0.005 is not an improvement with minDelta 0.01.
        var (model, x, y) = Tiny(3);
        var es = new EarlyStopping(monitor: "val_accuracy", minDelta: 0.01, patience: 1);
        var h = model.Fit(x, y, epochs: 5, batchSize: 16, verbose: 0, callbacks: [new Script("val_accuracy", 0.5, 0.505, 0.6, 0.6, 0.6), es]);
        Assert.Equal(2, h.Epochs.Count);

        // A baseline that is never beaten: improvements do not reset the wait counter, so the first plateau epoch stops
        // (epoch 3); without the baseline, patience 2 would wait until epoch 4.
        (model, x, y) = Tiny(4);
        es = new EarlyStopping(monitor: "loss", patience: 2, baseline: 0.1);
        h = model.Fit(x, y, epochs: 6, batchSize: 16, verbose: 0, callbacks: [new Script("loss", 0.9, 0.8, 0.7, 0.7, 0.7, 0.7), es]);
        Assert.Equal(4, h.Epochs.Count);
        (model, x, y) = Tiny(4);
        es = new EarlyStopping(monitor: "loss", patience: 2);
        h = model.Fit(x, y, epochs: 6, batchSize: 16, verbose: 0, callbacks: [new Script("loss", 0.9, 0.8, 0.7, 0.7, 0.7, 0.7), es]);
        Assert.Equal(5, h.Epochs.Count);

        // startFromEpoch: the first two epochs are not monitored at all.
        (model, x, y) = Tiny(5);
        es = new EarlyStopping(monitor: "loss", patience: 0, startFromEpoch: 2);
        h = model.Fit(x, y, epochs: 6, batchSize: 16, verbose: 0, callbacks: [new Script("loss", 1, 2, 3, 4, 5, 6), es]);
        Assert.Equal(4, h.Epochs.Count);
        Assert.Equal(3, es.StoppedEpoch);
    }

    [Fact]
    public void EarlyStoppingRejectsMetricsItCannotOrient()
    {
        var (model, x, y) = Tiny(6);
        var es = new EarlyStopping(monitor: "val_widgets");
        var e = Assert.Throws<ArgumentException>(() => model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [es]));
        Assert.Contains("val_widgets", e.Message);
        Assert.Contains("mode", e.Message);
        Assert.Throws<ArgumentException>(() => new EarlyStopping(mode: "up"));
    }

    [Fact]
    public void EarlyStoppingOnAMissingMetricWarnsAndTrainsOn()
    {
        var (model, x, y) = Tiny(7);
        var err = Console.Error;
        var sw = new StringWriter();
        Console.SetError(sw);
        try
        {
            var h = model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, callbacks: [new EarlyStopping()]); // no validation data
            Assert.Equal(3, h.Epochs.Count);
        }
        finally { Console.SetError(err); }
        Assert.Contains("'val_loss' is not in the logs", sw.ToString());
    }

    // ------------------------------------------------------------------ ReduceLROnPlateau

    [Fact]
    public void ReduceLROnPlateauLowersTheRateAfterPatienceEpochs()
    {
        var (model, x, y) = Tiny(8, lr: 0.1f);
        var script = new Script("val_loss", 1, 1, 1, 1, 1, 1, 1);
        var sw = new StringWriter();
        var cb = new ReduceLROnPlateau(factor: 0.5, patience: 2, verbose: 1, output: sw);
        var h = model.Fit(x, y, epochs: 7, batchSize: 16, verbose: 0, callbacks: [script, cb]);
        // learning_rate is logged before the epoch's reduction: the rate the epoch trained with.
        Assert.Equal([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025], h["learning_rate"].Select(v => Math.Round(v, 6)));
        Assert.Equal(0.0125f, model.Optimizer!.LearningRate, 6);
        Assert.Contains("Epoch 3: ReduceLROnPlateau reducing learning rate to 0.05.", sw.ToString());
    }

    [Fact]
    public void ReduceLROnPlateauHonoursCooldownMinLrAndImprovements()
    {
        var (model, x, y) = Tiny(9, lr: 0.1f);
        var cb = new ReduceLROnPlateau(factor: 0.5, patience: 1, cooldown: 2, minLr: 0.04);
        var h = model.Fit(x, y, epochs: 8, batchSize: 16, verbose: 0, callbacks: [new Script("val_loss", 1, 1, 1, 1, 1, 1, 1, 1), cb]);
        // e1 reduces to 0.05 and starts a cooldown of 2, which Keras decrements before testing: e2 rests, e3 counts
        // again and reduces to max(0.025, 0.04); after that min_lr holds.
        Assert.Equal([0.1, 0.1, 0.05, 0.05, 0.04, 0.04, 0.04, 0.04], h["learning_rate"].Select(v => Math.Round(v, 6)));

        (model, x, y) = Tiny(10, lr: 0.1f);
        cb = new ReduceLROnPlateau(factor: 0.5, patience: 1, minDelta: 0.01);
        // Steady improvements larger than minDelta never trigger; one smaller than minDelta does.
        model.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, callbacks: [new Script("val_loss", 1.0, 0.9, 0.8, 0.795), cb]);
        Assert.Equal(0.05f, model.Optimizer!.LearningRate, 6);

        (model, x, y) = Tiny(11, lr: 0.1f);
        cb = new ReduceLROnPlateau(monitor: "val_accuracy", factor: 0.5, patience: 1); // auto: accuracy is maximised
        model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, callbacks: [new Script("val_accuracy", 0.5, 0.6, 0.7), cb]);
        Assert.Equal(0.1f, model.Optimizer!.LearningRate, 6);

        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1.0));
    }

    // ------------------------------------------------------------------ LearningRateScheduler

    [Fact]
    public void LearningRateSchedulerSetsTheRateEachEpoch()
    {
        var (model, x, y) = Tiny(12, lr: 0.2f);
        var h = model.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0,
            callbacks: [new LearningRateScheduler((epoch, lr) => epoch == 0 ? lr : lr / 2)]);
        Assert.Equal([0.2, 0.1, 0.05, 0.025], h["learning_rate"].Select(v => Math.Round(v, 6)));

        (model, x, y) = Tiny(13);
        h = model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, callbacks: [new LearningRateScheduler(epoch => 0.01 * (epoch + 1))]);
        Assert.Equal([0.01, 0.02, 0.03], h["learning_rate"].Select(v => Math.Round(v, 6)));

        (model, x, y) = Tiny(14);
        var e = Assert.Throws<InvalidOperationException>(() =>
            model.Fit(x, y, epochs: 2, verbose: 0, callbacks: [new LearningRateScheduler(_ => double.NaN)]));
        Assert.Contains("epoch 0", e.Message);
    }

    // ------------------------------------------------------------------ TerminateOnNaN

    [Fact]
    public void TerminateOnNaNStopsAtTheFirstInvalidBatch()
    {
        var (model, x, y) = Tiny(15);
        model.Build([4]);
        var w = model.GetWeights();
        w[0][0] = float.NaN;
        model.SetWeights(w);
        var counter = new BatchCounter();
        var sw = new StringWriter();
        var cb = new TerminateOnNaN(sw);
        var h = model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, callbacks: [cb, counter]);
        Assert.Equal(1, counter.Batches); // 4 batches an epoch, but training left after the first
        Assert.Single(h.Epochs);
        Assert.True(double.IsNaN(h["loss"][0]));
        Assert.Equal(0, cb.TerminatedAtBatch);
        Assert.Equal("Batch 0: Invalid loss, terminating training", sw.ToString().Trim());
    }

    [Fact]
    public void TerminateOnNaNLetsFiniteTrainingRun()
    {
        var (model, x, y) = Tiny(16);
        var counter = new BatchCounter();
        var cb = new TerminateOnNaN(TextWriter.Null);
        model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, callbacks: [cb, counter]);
        Assert.Equal(8, counter.Batches);
        Assert.Null(cb.TerminatedAtBatch);
    }

    private sealed class BatchCounter : Callback
    {
        public int Batches;
        public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => Batches++;
    }

    // ------------------------------------------------------------------ CSVLogger

    [Fact]
    public void CSVLoggerWritesOneRowPerEpochAndAppends()
    {
        string dir = Directory.CreateTempSubdirectory("praxis-csv-").FullName;
        try
        {
            string path = Path.Combine(dir, "log.csv");
            var (model, x, y) = Tiny(17);
            var h = model.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, validationSplit: 0.25, callbacks: [new CSVLogger(path)]);
            var lines = File.ReadAllLines(path);
            Assert.Equal(4, lines.Length);
            Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss", lines[0]);
            for (int e = 0; e < 3; e++)
            {
                var f = lines[e + 1].Split(',');
                Assert.Equal(e.ToString(CultureInfo.InvariantCulture), f[0]);
                Assert.Equal(h["accuracy"][e], double.Parse(f[1], CultureInfo.InvariantCulture)); // full precision
                Assert.Equal(h["loss"][e], double.Parse(f[2], CultureInfo.InvariantCulture));
                Assert.Equal(h["val_loss"][e], double.Parse(f[4], CultureInfo.InvariantCulture));
            }

            // append: two more rows, no second header; a new logger without append starts over.
            model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, validationSplit: 0.25, callbacks: [new CSVLogger(path, append: true)]);
            lines = File.ReadAllLines(path);
            Assert.Equal(6, lines.Length);
            Assert.Single(lines, l => l.StartsWith("epoch", StringComparison.Ordinal));

            model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, callbacks: [new CSVLogger(path, separator: ";")]);
            lines = File.ReadAllLines(path);
            Assert.Equal(2, lines.Length);
            Assert.Equal("epoch;accuracy;loss", lines[0]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void CSVLoggerNamesAnUnwritableFile()
    {
        var (model, x, y) = Tiny(18);
        string path = Path.Combine(Path.GetTempPath(), "praxis-no-such-dir-" + Guid.NewGuid().ToString("N"), "log.csv");
        var e = Assert.Throws<IOException>(() => model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [new CSVLogger(path)]));
        Assert.Contains(path, e.Message);
    }

    // ------------------------------------------------------------------ custom callbacks

    [Fact]
    public void CustomCallbacksSeeEveryHookInKerasOrder()
    {
        var (model, x, y) = Tiny(19);
        var trace = new Trace();
        model.Fit(x, y, epochs: 2, batchSize: 32, verbose: 0, validationSplit: 0.5, callbacks: [trace]);
        Assert.Equal(
            "train_begin epoch_begin:0 batch_begin:0 batch_end:0 epoch_end:0[loss,accuracy,val_loss,val_accuracy] " +
            "epoch_begin:1 batch_begin:0 batch_end:0 epoch_end:1[loss,accuracy,val_loss,val_accuracy] train_end",
            string.Join(' ', trace.Events));
        Assert.Same(model, trace.Model);
        Assert.Equal(2, trace.Params["epochs"]);
        Assert.Equal(1, trace.Params["steps"]);
    }

    private sealed class Trace : Callback
    {
        public readonly List<string> Events = new();
        public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => Events.Add("train_begin");
        public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs) => Events.Add("train_end");
        public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => Events.Add($"epoch_begin:{epoch}");
        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => Events.Add($"epoch_end:{epoch}[{string.Join(',', logs.Keys)}]");
        public override void OnTrainBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) => Events.Add($"batch_begin:{batch}");
        public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => Events.Add($"batch_end:{batch}");
    }

    private sealed class HookRecorder : Callback
    {
        public List<string> Events { get; } = new();
        public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => Events.Add("test_begin");
        public override void OnTestEnd(IReadOnlyDictionary<string, double> logs) => Events.Add($"test_end:{string.Join(",", logs.Keys)}");
        public override void OnPredictBegin(IReadOnlyDictionary<string, double> logs) => Events.Add("predict_begin");
        public override void OnPredictEnd(IReadOnlyDictionary<string, double> logs) => Events.Add("predict_end");
    }

    [Fact]
    public void EvaluatePredictAndFitValidationCallTheTestAndPredictHooks()
    {
        Keras.ClearSession();
        var inputs = Keras.Input(shape: [3]);
        var model = new Praxis.Models.Model(inputs, new Praxis.Layers.Dense(2, activation: "softmax").Apply(inputs));
        model.Compile("adam", "sparse_categorical_crossentropy", ["accuracy"]);
        var x = Tensor.Ones(8, 3);
        var y = Tensor.Zeros(8);
        var hooks = new HookRecorder();
        model.Evaluate(x, y, callbacks: [hooks]);
        model.Predict(x, callbacks: [hooks]);
        Assert.Equal(["test_begin", "test_end:loss,accuracy", "predict_begin", "predict_end"], hooks.Events);
        hooks.Events.Clear();
        model.Fit(x, y, epochs: 2, verbose: 0, validationSplit: 0.25, callbacks: [hooks]);
        Assert.Equal(["test_begin", "test_end:loss,accuracy", "test_begin", "test_end:loss,accuracy"], hooks.Events);
    }
}
