using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Autograd;
using Praxis.Callbacks;
using Praxis.Cli.Journal;
using Praxis.Cli.Plotting;
using Praxis.Cli.Recipes;
using Praxis.IO;
using Praxis.Models;
using Spectre.Console;

namespace Praxis.Cli.Training;

/// <summary>
/// <c>praxis train</c> for a <see cref="GanRecipe"/>: the adversarial loop of <c>examples/Dcgan</c> (PyTorch-style
/// ZeroGrad / Backward / Step, the discriminator frozen during the generator's step, the graph captured on the first
/// step and replayed), with the run-folder conventions of <see cref="Trainer"/>.
/// </summary>
/// <remarks>
/// A run folder holds config.json, environment.json, summary.txt (both models), metrics.csv (one row per epoch:
/// <see cref="MetricColumns"/>), <c>samples/epoch_NNN.png</c> (8×8 digits from one fixed latent batch), result.json
/// (with the <see cref="Judge"/>'s figures), curves.png, the generator as <c>model.praxis</c> and the discriminator as
/// <c>discriminator.praxis</c>. Latents are fixed per seed: training noise from <c>Rng(seed + 1)</c>, the grids from
/// <c>Rng(seed + 2)</c>, the judged samples from <c>Rng(seed + 3)</c>, as in the example.
/// </remarks>
public static class GanTrainer
{
    /// <summary>The discriminator's model file in a run folder (the generator is <see cref="RunFolder.ModelFile"/>).</summary>
    public const string DiscriminatorFile = "discriminator.praxis";

    /// <summary>The folder of per-epoch sample grids in a run folder.</summary>
    public const string SamplesFolder = "samples";

    /// <summary>The columns of a GAN run's metrics.csv after <c>epoch</c>, <c>batches</c> and <c>steps</c> (see <see cref="MetricsLog"/>).</summary>
    public static readonly IReadOnlyList<string> MetricColumns =
        ["d_loss", "g_loss", "d_real", "d_fake", "mean_confidence", "confident_0_9", "classes", "seconds"];

    /// <summary>Trains the GAN and returns the exit code (0 success, 1 diverged, 130 interrupted).</summary>
    public static int Run(TrainOptions o, GanRecipe recipe, CliContext ctx)
    {
        RejectFitOptions(o, recipe);
        var dataset = DatasetRegistry.Get(recipe.Dataset);
        int epochs = o.Epochs ?? recipe.DefaultEpochs;
        int batch = o.BatchSize ?? recipe.DefaultBatchSize;
        double gLr = o.LearningRate ?? recipe.DefaultLearningRate;
        double dLr = gLr * recipe.DiscriminatorLearningRateFactor;
        int judgeEpochs = o.JudgeEpochs ?? Judge.DefaultEpochs;
        int threads = ThreadSettings.Apply(o.Threads);
        bool human = !o.Json && !o.Quiet;
        var wallClock = Stopwatch.StartNew();

        var data = dataset.Load();
        var images = data.TrainX;
        if (o.Samples is int limit && limit < images.Shape[0]) images = images.SliceRows(0, limit);
        int n = images.Shape[0];
        if (n < batch)
            throw new CliException($"recipe '{recipe.Name}' trains on full batches of {batch} images, but --samples gives only {n}; use at least {batch} samples or a smaller --batch-size.");
        int steps = n / batch; // full batches only: BatchNormalization and the loss see batch-sized tensors

        // ---- the judge: trained once per epoch count on the full training set, then loaded from the cache
        string judgePath = Judge.CachePath(o.RunsDirectory, judgeEpochs);
        if (human && !File.Exists(judgePath))
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Judge: training the MNIST convnet (the mnist-cnn model) for {judgeEpochs} epoch{(judgeEpochs == 1 ? "" : "s")} on {data.TrainX.Shape[0]:N0} images; cached as {RunsCommandsRel(judgePath)} for later runs"));
        var judgeProgress = human ? new List<Callback> { NewProgress(ctx, 1e-3) } : null;
        var (judge, judgeSeconds) = Judge.LoadOrTrain(judgePath, data, judgeEpochs, judgeProgress);
        double judgeAccuracy = Judge.TestAccuracy(judge, data);
        var realScore = Judge.Score(judge, data.TestX.SliceRows(0, Math.Min(Judge.ScoredSamples, data.TestX.Shape[0])));
        var judgeJson = new JsonObject
        {
            ["model"] = "mnist-cnn convnet", ["path"] = Path.GetFullPath(judgePath), ["epochs"] = judgeEpochs, ["seed"] = Judge.Seed,
            ["train_samples"] = data.TrainX.Shape[0],
        };

        // ---- the GAN, seeded after the judge so that a cached or a freshly trained judge gives the same run
        Keras.SetRandomSeed(o.Seed);
        var (generator, discriminator) = recipe.BuildModels();
        var (optG, optD) = recipe.BuildOptimizers(gLr, dLr);
        var bce = recipe.BuildLoss();
        var xTrain = recipe.PrepareReal(images);
        var gridZ = GridLatents(o.Seed, recipe.LatentDim);
        var evalZ = JudgedLatents(o.Seed, recipe.LatentDim);

        var run = RunFolder.Create(o.RunsDirectory, recipe.Name, DateTime.Now);
        Directory.CreateDirectory(run.File(SamplesFolder));
        var started = DateTime.UtcNow;
        run.WriteJson(RunFolder.ConfigFile, new JsonObject
        {
            ["recipe"] = recipe.Name,
            ["description"] = recipe.Description,
            ["dataset"] = recipe.Dataset,
            ["model"] = generator.Name,
            ["generator_params"] = generator.CountParams(),
            ["discriminator_params"] = discriminator.CountParams(),
            ["latent_dim"] = recipe.LatentDim,
            ["epochs"] = epochs,
            ["batch_size"] = batch,
            ["learning_rate"] = gLr,
            ["discriminator_learning_rate"] = dLr,
            ["optimizer"] = Trainer.OptimizerJson(optG),
            ["discriminator_optimizer"] = Trainer.OptimizerJson(optD),
            ["loss"] = bce.Name,
            ["loss_config"] = Trainer.ConfigJson(bce.GetConfig()),
            ["train_samples"] = n,
            ["steps_per_epoch"] = steps,
            ["seed"] = o.Seed,
            ["judge"] = judgeJson.DeepClone(),
            ["command"] = o.CommandLine,
        });
        run.WriteJson(RunFolder.EnvironmentFile, RunEnvironment.Describe(threads, o.Threads));
        File.WriteAllText(run.File(RunFolder.SummaryFile), generator.SummaryString() + "\n" + discriminator.SummaryString());
        run.WriteJson(RunFolder.ResultFile, new JsonObject { ["status"] = "running", ["started_at"] = started.ToString("O") });

        if (o.Json)
            ctx.Out.WriteLine(new JsonObject
            {
                ["event"] = "start", ["run"] = run.Path, ["recipe"] = recipe.Name, ["epochs"] = epochs, ["batch_size"] = batch, ["learning_rate"] = gLr,
                ["discriminator_learning_rate"] = dLr, ["seed"] = o.Seed, ["judge_test_accuracy"] = judgeAccuracy,
            }.ToJsonString(RunFolder.Compact));
        else if (human)
        {
            ctx.Out.Write(generator.SummaryString());
            ctx.Out.Write(discriminator.SummaryString());
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Data: {dataset.Name}, {n:N0} training images scaled to [{recipe.OutputRange.Low:G}, {recipe.OutputRange.High:G}], {steps:N0} full batches per epoch"));
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Judge: {RunsCommandsRel(judgePath)} ({(judgeSeconds is double js ? $"trained in {LogFormat.Duration(js)}" : "cached")}), test accuracy {LogFormat.Percent(judgeAccuracy)}; on {Judge.ScoredSamples:N0} real test digits: {realScore}"));
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Training {recipe.Name}: {LogFormat.Count(epochs, "epoch")}, batch {batch}, learning rate {gLr:G4} (generator) / {dLr:G4} (discriminator), seed {o.Seed}, {threads} thread{(threads == 1 ? "" : "s")}"));
        }

        var progress = new List<Callback>();
        if (o.Json) { var j = new JsonProgress(ctx.Out); j.Begin(epochs); progress.Add(j); }
        else if (human) progress.Add(NewProgress(ctx, gLr, epochs, steps));

        var stop = new StopOnRequest();
        var loop = new Loop(recipe, generator, discriminator, optG, optD, bce, xTrain, batch, new Rng(o.Seed + 1));
        var epochSeconds = new List<double>();
        JsonObject? final = null, best = null;
        JudgeScore? finalScore = null;
        PartialEpoch? partial = null;
        bool diverged = false;
        var trainClock = Stopwatch.StartNew();
        var ctrlC = Trainer.StopOnCtrlC(stop);
        try
        {
            using var csv = new MetricsLog(run.File(RunFolder.MetricsFile), MetricColumns);
            var logs = new Dictionary<string, double>();
            for (int epoch = 0; epoch < epochs && !stop.Requested && !diverged; epoch++)
            {
                logs.Clear();
                foreach (var cb in progress) cb.OnEpochBegin(epoch, logs);
                var clock = Stopwatch.StartNew();
                loop.Shuffle();
                int done = 0;
                double dLoss = 0, gLoss = 0, dReal = 0, dFake = 0;
                for (int s = 0; s < steps; s++)
                {
                    var (dl, gl, dr, df) = loop.Step(s);
                    if (!double.IsFinite(dl) || !double.IsFinite(gl)) { diverged = true; break; }
                    done++;
                    dLoss += dl; gLoss += gl; dReal += dr; dFake += df;
                    logs["d_loss"] = dLoss / done;
                    logs["g_loss"] = gLoss / done;
                    logs["d_real"] = dReal / done;
                    logs["d_fake"] = dFake / done;
                    foreach (var cb in progress) cb.OnTrainBatchEnd(s, logs);
                    if (stop.Requested) break; // Ctrl+C: the partial epoch is kept, as Keras keeps it
                }
                if (diverged || done == 0) break;
                double seconds = clock.Elapsed.TotalSeconds;
                epochSeconds.Add(seconds);

                Png.SaveGrid(run.File(SampleFile(epoch + 1)), generator.Predict(gridZ, 64), columns: 8, recipe.OutputRange.Low, recipe.OutputRange.High);
                var score = Judge.Score(judge, recipe.ToUnitRange(generator.Predict(evalZ, 250)));
                logs["mean_confidence"] = score.MeanConfidence;
                logs["confident_0_9"] = score.Confident;
                logs["classes"] = score.Classes;
                logs["seconds"] = seconds;
                csv.Write(epoch + 1, done, steps, logs);
                logs.Remove("seconds");
                partial = done < steps ? new PartialEpoch(epoch + 1, done, steps) : null;
                foreach (var cb in progress) cb.OnEpochEnd(epoch, logs);

                final = new JsonObject { ["epoch"] = epoch + 1 };
                Trainer.MarkPartial(final, partial);
                foreach (var c in MetricColumns) final[c] = c == "seconds" ? Math.Round(seconds, 3) : logs[c];
                final["histogram"] = score.ToJson()["histogram"]!.DeepClone();
                finalScore = score;
                if (best == null || score.Confident > best["confident_0_9"]!.GetValue<double>())
                {
                    best = new JsonObject { ["epoch"] = epoch + 1, ["confident_0_9"] = score.Confident, ["mean_confidence"] = score.MeanConfidence, ["classes"] = score.Classes };
                    Trainer.MarkPartial(best, partial);
                }
            }
        }
        catch (Exception e)
        {
            Trainer.WriteFailure(run, e, started, trainClock.Elapsed.TotalSeconds);
            throw;
        }
        finally
        {
            ctrlC.Dispose();
        }
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        string status = diverged ? "diverged" : stop.Requested ? "interrupted" : "completed";

        judgeJson["trained_now"] = judgeSeconds != null;
        if (judgeSeconds is double jt) judgeJson["train_seconds"] = Math.Round(jt, 3);
        judgeJson["test_accuracy"] = judgeAccuracy;
        judgeJson["real_test_digits"] = realScore.ToJson();
        var result = new JsonObject
        {
            ["status"] = status,
            ["started_at"] = started.ToString("O"),
            ["train_seconds"] = Math.Round(trainSeconds, 3),
            ["epochs_run"] = epochSeconds.Count,
            ["epoch_seconds"] = new JsonArray(epochSeconds.Select(x => (JsonNode?)Math.Round(x, 3)).ToArray()),
            ["final"] = final,
            ["best_judged"] = best,
            ["judge"] = judgeJson,
        };
        if (partial != null) result["partial_epoch"] = partial.ToJson();
        // The models and curves: an interrupted run is worth keeping; a diverged one has nothing to show.
        if (!diverged && epochSeconds.Count > 0)
        {
            run.SaveModel(generator);
            discriminator.Save(run.File(DiscriminatorFile));
            result["samples"] = SampleFile(epochSeconds.Count);
            try
            {
                Charts.SaveGanCurves(run.ReadMetrics(), $"{recipe.Name} · {run.Id} · {LogFormat.Percent(finalScore!.Confident, 1)} of judged digits at confidence >= 0.9", run.File(RunFolder.CurvesFile));
            }
            catch (Exception e) when (e is not CliException)
            {
                ctx.Error.WriteLine($"warning: could not draw the run's curves: {e.Message}");
            }
        }
        result["finished_at"] = DateTime.UtcNow.ToString("O");
        result["total_seconds"] = Math.Round(wallClock.Elapsed.TotalSeconds, 3);
        result["peak_memory_mib"] = Trainer.PeakMemoryMib();
        run.WriteJson(RunFolder.ResultFile, result);

        Report(ctx, o, run, status, epochSeconds.Count, partial, finalScore, result, trainSeconds);
        return status switch { "diverged" => 1, "interrupted" => 130, _ => 0 };
    }

    /// <summary>The relative path of epoch <paramref name="epoch"/>'s (1-based) sample grid inside a run folder.</summary>
    public static string SampleFile(int epoch) => $"{SamplesFolder}/epoch_{epoch.ToString("D3", CultureInfo.InvariantCulture)}.png";

    /// <summary>The fixed latents of a run's 8×8 sample grids.</summary>
    public static Tensor GridLatents(int seed, int latentDim) => Tensor.RandomNormal(new Shape(64, latentDim), rng: new Rng(seed + 2));

    /// <summary>The fixed latents of the <see cref="Judge.ScoredSamples"/> digits the judge scores after each epoch.</summary>
    public static Tensor JudgedLatents(int seed, int latentDim) => Tensor.RandomNormal(new Shape(Judge.ScoredSamples, latentDim), rng: new Rng(seed + 3));

    /// <summary>Whether a run was made by a GAN recipe.</summary>
    public static bool IsGanRun(RunFolder run) =>
        RecipeRegistry.All.FirstOrDefault(r => r.Name == run.Recipe) is GanRecipe || run.Config["discriminator_params"] != null;

    /// <summary>
    /// Scores a GAN run's saved generator again with the judge it was trained with (re-training that judge into the cache
    /// if it is gone): the same latents as the run's last epoch, so a finished run reproduces its final figures.
    /// </summary>
    /// <returns>The score, the judge's test accuracy, the judged samples (N, 28, 28, 1) in [0, 1] and the judge's probabilities (N, 10).</returns>
    public static (JudgeScore Score, double JudgeAccuracy, Tensor Samples, Tensor Probabilities) Rescore(RunFolder run, Action<string>? note = null)
    {
        if (RecipeRegistry.Get(run.Recipe) is not GanRecipe recipe) throw new CliException($"run {run.Id} ({run.Recipe}) is not a GAN run.");
        if (!File.Exists(run.File(RunFolder.ModelFile)))
            throw new CliException($"run {run.Id} has no trained generator ({RunFolder.ModelFile}); it did not finish an epoch.");
        var generator = Model.Load(run.File(RunFolder.ModelFile));
        int seed = run.Config["seed"]?.GetValue<int>() ?? 42;
        int judgeEpochs = run.Config["judge"]?["epochs"]?.GetValue<int>() ?? Judge.DefaultEpochs;
        string judgePath = run.Config["judge"]?["path"]?.GetValue<string>() ?? Judge.CachePath(Path.GetDirectoryName(run.Path)!, judgeEpochs);
        var data = DatasetRegistry.Get(recipe.Dataset).Load();
        if (!File.Exists(judgePath))
            note?.Invoke($"the run's judge {judgePath} is gone; training it again ({LogFormat.Count(judgeEpochs, "epoch")}, seed {Judge.Seed}) into the cache");
        var (judge, _) = Judge.LoadOrTrain(judgePath, data, judgeEpochs);
        var samples = recipe.ToUnitRange(generator.Predict(JudgedLatents(seed, recipe.LatentDim), 250));
        var probabilities = Judge.Probabilities(judge, samples);
        return (JudgeScore.FromProbabilities(probabilities), Judge.TestAccuracy(judge, data), samples, probabilities);
    }

    private static void RejectFitOptions(TrainOptions o, GanRecipe recipe)
    {
        string? option = o.ValidationSplit != null ? "--validation-split" : o.EarlyStopping != null ? "--early-stopping"
            : o.ReduceLrPatience != null ? "--reduce-lr" : o.Distributed ? "--distributed" : null;
        if (option == null) return;
        string why = option switch
        {
            "--distributed" => "its adversarial loop runs in one process",
            _ => "a GAN has no validation loss to hold data out for or to watch; its progress is the judge's score per epoch",
        };
        throw new CliException($"{option} does not apply to recipe '{recipe.Name}': {why}.");
    }

    private static Callback NewProgress(CliContext ctx, double lr, int? epochs = null, int? steps = null)
    {
        if (ctx.IsTerminal)
        {
            var live = new LiveProgress(ctx.Out, ctx.Console.Profile.Width, ctx.Console.Profile.Capabilities.Ansi, lr);
            if (epochs != null) live.Begin(epochs.Value, steps!.Value);
            return live;
        }
        var plain = new PlainProgress(ctx.Out, lr);
        if (epochs != null) plain.Begin(epochs.Value, steps!.Value);
        return plain;
    }

    private static string RunsCommandsRel(string path) => Commands.RunsCommands.Rel(path);

    private static void Report(CliContext ctx, TrainOptions o, RunFolder run, string status, int epochsRun, PartialEpoch? partial, JudgeScore? score, JsonObject result, double trainSeconds)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, run.Path);
        if (o.Json)
        {
            ctx.Out.WriteLine(new JsonObject { ["event"] = "end", ["run"] = run.Path, ["result"] = result.DeepClone() }.ToJsonString(RunFolder.Compact));
            return;
        }
        string judged = score == null ? "no generated digits to judge"
            : string.Create(CultureInfo.InvariantCulture, $"Judge on {Judge.ScoredSamples:N0} generated digits: {score}");
        if (o.Quiet)
        {
            ctx.Out.WriteLine($"{judged}. Run: {relative}");
            return;
        }
        string statusNote = status switch
        {
            "interrupted" => " (interrupted)",
            "diverged" => " (stopped: a loss became NaN or infinite; try a lower --learning-rate)",
            _ => "",
        };
        string trained = $"Trained {LogFormat.EpochsTrained(epochsRun, partial)} in {LogFormat.Duration(trainSeconds)}{statusNote}.";
        Trainer.WriteOutcome(ctx, judged, succeeded: score != null, trained, relative);
        ctx.Out.WriteLine(score == null
            ? "  config.json metrics.csv result.json"
            : $"  {result["samples"]} curves.png metrics.csv config.json model.praxis (generator) {DiscriminatorFile}");
        ctx.Out.WriteLine("  (list runs: praxis runs; score the generator again: praxis evaluate)");
    }

    /// <summary>
    /// One adversarial step over fixed tensors. Each phase is a <see cref="CapturedGraph"/>: recorded on the first step and
    /// replayed after, so a step builds and allocates nothing, as in <c>examples/Dcgan</c>.
    /// </summary>
    private sealed class Loop
    {
        private readonly Model _g, _d;
        private readonly Praxis.Optimizers.Optimizer _optG, _optD;
        private readonly Praxis.Losses.Loss _loss;
        private readonly Tensor _x, _real, _z, _ones, _zeros;
        private readonly IReadOnlyList<Tensor> _gParams, _dParams;
        private readonly Rng _noise;
        private readonly int[] _order;
        private readonly int _batch, _row;
        private readonly CapturedGraph _dPhase, _gPhase;
        private Tensor _fake = null!, _realLogits = null!, _fakeLogits = null!;

        public Loop(GanRecipe recipe, Model g, Model d, Praxis.Optimizers.Optimizer optG, Praxis.Optimizers.Optimizer optD, Praxis.Losses.Loss loss, Tensor x, int batch, Rng noise)
        {
            (_g, _d, _optG, _optD, _loss, _x, _batch, _noise) = (g, d, optG, optD, loss, x, batch, noise);
            int n = x.Shape[0];
            _row = x.Size / n;
            var imageShape = new int[x.Rank];
            for (int i = 0; i < x.Rank; i++) imageShape[i] = i == 0 ? batch : x.Shape[i];
            _real = new Tensor(new Shape(imageShape));
            _z = new Tensor(new Shape(batch, recipe.LatentDim));
            _ones = Tensor.Ones(batch, 1);
            _zeros = Tensor.Zeros(batch, 1);
            _gParams = g.TrainableWeights;
            _dParams = d.TrainableWeights;
            _order = new int[n];
            for (int i = 0; i < n; i++) _order[i] = i;
            // Discriminator: real -> 1, generated -> 0. Detach keeps this backward out of the generator.
            _dPhase = new CapturedGraph(() =>
            {
                _fake = _g.Apply(_z, training: true);
                _realLogits = _d.Apply(_real, training: true);
                _fakeLogits = _d.Apply(_fake.Detach(), training: true);
                return _loss.Compute(_ones, _realLogits) + _loss.Compute(_zeros, _fakeLogits);
            });
            // Generator: make the just-updated discriminator, frozen (no weight gradients), say 1 for the same fakes.
            _gPhase = new CapturedGraph(() => _loss.Compute(_ones, _d.Apply(_fake, training: true)));
        }

        public void Shuffle() => Rng.Global.Shuffle(_order);

        /// <summary>Step <paramref name="s"/> of the epoch: returns both losses and the discriminator's mean P(real) on real and on generated images.</summary>
        public (double DLoss, double GLoss, double DReal, double DFake) Step(int s)
        {
            var dst = _real.Span;
            for (int i = 0; i < _batch; i++) _x.CopyTo(dst.Slice(i * _row, _row), _order[s * _batch + i] * _row);
            _noise.FillNormal(_z.Span, 0f, 1f);

            var dLoss = _dPhase.Forward();
            _optD.ZeroGrad(_dParams);
            _dPhase.Backward();
            _optD.Step(_dParams);

            _d.Trainable = false;
            Tensor gLoss;
            try
            {
                gLoss = _gPhase.Forward();
                _optG.ZeroGrad(_gParams);
                _gPhase.Backward();
                _optG.Step(_gParams);
            }
            finally
            {
                _d.Trainable = true;
            }
            return (dLoss.Item(), gLoss.Item(), MeanSigmoid(_realLogits), MeanSigmoid(_fakeLogits));
        }

        // The discriminator's mean probability that its inputs are real, from its logits.
        private static double MeanSigmoid(Tensor logits)
        {
            double sum = 0;
            foreach (float v in logits.Span) sum += 1.0 / (1.0 + Math.Exp(-v));
            return sum / logits.Size;
        }
    }
}
