using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Callbacks;
using Praxis.Cli.Journal;
using Praxis.Cli.Plotting;
using Praxis.Cli.Recipes;
using Praxis.Distributed;
using Praxis.Distributed.Mpi;
using Praxis.Models;
using Spectre.Console;

namespace Praxis.Cli.Training;

/// <summary>What <c>praxis train</c> was asked to do; null means the recipe's default.</summary>
public sealed record TrainOptions
{
    /// <summary>Recipe name.</summary>
    public required string Recipe { get; init; }

    /// <summary>Dataset name (<c>--dataset</c>), or null for the recipe's default.</summary>
    public string? Dataset { get; init; }

    /// <summary>Epochs.</summary>
    public int? Epochs { get; init; }

    /// <summary>Batch size.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Learning rate.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Random seed (weights, shuffling).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Compute threads.</summary>
    public int? Threads { get; init; }

    /// <summary>Folder that holds run folders.</summary>
    public required string RunsDirectory { get; init; }

    /// <summary>Use only the first N training samples (quick tries).</summary>
    public int? Samples { get; init; }

    /// <summary>Validation fraction (0 = none).</summary>
    public double? ValidationSplit { get; init; }

    /// <summary>EarlyStopping patience on val_loss (restoring the best weights), or null for none.</summary>
    public int? EarlyStopping { get; init; }

    /// <summary>ReduceLROnPlateau patience on val_loss, or null for none.</summary>
    public int? ReduceLrPatience { get; init; }

    /// <summary>Print only the final result.</summary>
    public bool Quiet { get; init; }

    /// <summary>Print JSON lines only.</summary>
    public bool Json { get; init; }

    /// <summary>Train data parallel over MPI (the process is one rank of an mpirun job); the batch size is per rank.</summary>
    public bool Distributed { get; init; }

    /// <summary>GAN recipes: epochs of the classifier that judges the generated digits (null: <see cref="Judge.DefaultEpochs"/>).</summary>
    public int? JudgeEpochs { get; init; }

    /// <summary>The command line, for the journal.</summary>
    public string CommandLine { get; init; } = "";
}

/// <summary>Runs <c>praxis train</c>: trains a recipe, reports progress, and writes the run's folder in the journal.</summary>
public static class Trainer
{
    /// <summary>Trains and returns the exit code (0 success, 1 diverged or failed, 130 interrupted).</summary>
    public static int Run(TrainOptions o, CliContext ctx)
    {
        var recipe = RecipeRegistry.Get(o.Recipe);
        var dataset = recipe.ResolveDataset(o.Dataset); // before anything else, so a wrong --dataset fails fast for every recipe
        if (recipe is GanRecipe gan) return GanTrainer.Run(o, gan, ctx); // a GAN trains two models with its own loop, not Fit
        if (o.JudgeEpochs != null) throw new CliException($"--judge-epochs is for GAN recipes (dcgan); recipe '{recipe.Name}' has no judge.");
        int epochs = o.Epochs ?? recipe.DefaultEpochs;
        int batchSize = o.BatchSize ?? recipe.DefaultBatchSize;
        double lr = o.LearningRate ?? recipe.DefaultLearningRate;
        double split = o.ValidationSplit ?? recipe.DefaultValidationSplit;
        int threads = ThreadSettings.Apply(o.Threads);
        if (split == 0 && (o.EarlyStopping != null || o.ReduceLrPatience != null))
            throw new CliException($"{(o.EarlyStopping != null ? "--early-stopping" : "--reduce-lr")} watches val_loss, but --validation-split is 0; give a validation fraction such as 0.1.");
        bool human = !o.Json && !o.Quiet;
        var wallClock = Stopwatch.StartNew();

        Keras.SetRandomSeed(o.Seed);
        Model model;
        Prepared data;
        if (recipe is TextRecipe textRecipe)
        {
            // The vectorizer belongs to the model (its StringInput), so the model comes first; adapting draws nothing.
            model = recipe.Build(new RecipeSettings(lr));
            data = PrepareText(textRecipe, model, o.Samples, split);
        }
        else
        {
            data = PrepareImages(recipe, dataset, o.Samples);
            model = recipe.Build(new RecipeSettings(lr));
        }
        var (xTrain, yTrain, xTest, yTest) = (data.XTrain, data.YTrain, data.XTest, data.YTest);
        int n = xTrain.Shape[0], nVal = ValidationCount(n, split);

        // ---- --distributed: every rank trains (same data, model and arguments); rank 0 alone reports and keeps the run
        using var world = o.Distributed ? JoinMpi(ctx) : null;
        if (world != null)
        {
            // Ranks sharing a machine split its cores, unless --threads chose for them.
            if (o.Threads == null) threads = ThreadSettings.Apply(world.SuggestedNumThreads);
            model.Distribution = new DataParallel(world);
            if (world.Rank > 0) return FollowRankZero(o, model, xTrain, yTrain, epochs, batchSize, split);
        }
        int ranks = world?.Size ?? 1;
        var run = RunFolder.Create(o.RunsDirectory, recipe.Name, DateTime.Now);
        var started = DateTime.UtcNow;
        var config = Config(o, recipe, dataset, model, epochs, batchSize, lr, split, n - nVal, nVal, xTest.Shape[0]);
        if (world != null) config["distributed"] = new JsonObject { ["engine"] = "mpi", ["ranks"] = ranks, ["global_batch_size"] = batchSize * ranks };
        run.WriteJson(RunFolder.ConfigFile, config);
        run.WriteJson(RunFolder.EnvironmentFile, RunEnvironment.Describe(threads, o.Threads));
        File.WriteAllText(run.File(RunFolder.SummaryFile), model.SummaryString());
        run.WriteJson(RunFolder.ResultFile, new JsonObject { ["status"] = "running", ["started_at"] = started.ToString("O") });

        if (o.Json)
            ctx.Out.WriteLine(new JsonObject { ["event"] = "start", ["run"] = run.Path, ["recipe"] = recipe.Name, ["epochs"] = epochs, ["batch_size"] = batchSize, ["learning_rate"] = lr, ["seed"] = o.Seed }.ToJsonString(RunFolder.Compact));
        else if (human)
        {
            ctx.Out.Write(model.SummaryString());
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Data: {dataset.Name}, {n - nVal:N0} train / {nVal:N0} validation / {xTest.Shape[0]:N0} test {data.Unit}"));
            string onRanks = world == null ? "" : $" per rank, on {ranks} MPI rank{(ranks == 1 ? "" : "s")} (global batch {batchSize * ranks})";
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Training {recipe.Name}: {LogFormat.Count(epochs, "epoch")}, batch {batchSize}, learning rate {lr:G4}, seed {o.Seed}, {threads} thread{(threads == 1 ? "" : "s")}{onRanks}"));
        }

        // Callback messages (early stopping, NaN) must not break a live display: collect them and print afterwards.
        var messages = new StringWriter();
        var stop = new StopOnRequest();
        var nan = new TerminateOnNaN(messages);
        var clock = new EpochClock();
        EarlyStopping? early = o.EarlyStopping is int p ? new EarlyStopping("val_loss", patience: p, restoreBestWeights: true, verbose: 1, output: messages) : null;
        // LogLearningRate first: an epoch's row records the rate it trained with, before ReduceLROnPlateau lowers it.
        var callbacks = new List<Callback> { new LogLearningRate(), stop, nan };
        if (early != null) callbacks.Add(early);
        if (o.ReduceLrPatience is int rp) callbacks.Add(new ReduceLROnPlateau("val_loss", factor: 0.5, patience: rp, verbose: 1, output: messages));
        var metricsLog = new MetricsLogger(run.File(RunFolder.MetricsFile));
        callbacks.Add(metricsLog);
        callbacks.Add(clock);

        var ctrlC = StopOnCtrlC(stop);
        var trainClock = Stopwatch.StartNew();
        History history;
        try
        {
            if (o.Json) callbacks.Add(new JsonProgress(ctx.Out));
            if (human && ctx.IsTerminal)
            {
                var profile = ctx.Console.Profile;
                callbacks.Add(new LiveProgress(ctx.Out, profile.Width, profile.Capabilities.Ansi, lr, validation: split > 0));
                history = Fit(model, xTrain, yTrain, epochs, batchSize, split, callbacks);
            }
            else
            {
                if (human) callbacks.Add(new PlainProgress(ctx.Out, lr));
                history = Fit(model, xTrain, yTrain, epochs, batchSize, split, callbacks);
            }
        }
        catch (Exception e)
        {
            WriteFailure(run, e, started, trainClock.Elapsed.TotalSeconds);
            throw;
        }
        finally
        {
            ctrlC.Dispose();
        }
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        if (human && messages.GetStringBuilder().Length > 0) ctx.Out.Write(messages.ToString());

        string status = nan.TerminatedAtBatch != null ? "diverged" : stop.Requested ? "interrupted" : early is { StoppedEpoch: > 0 } ? "stopped early" : "completed";
        var result = new JsonObject
        {
            ["status"] = status,
            ["started_at"] = started.ToString("O"),
            ["train_seconds"] = Math.Round(trainSeconds, 3),
            ["epochs_run"] = history.Epochs.Count,
            ["epoch_seconds"] = new JsonArray(clock.Seconds.Select(x => (JsonNode?)Math.Round(x, 3)).ToArray()),
            ["final"] = LastEpoch(history, metricsLog.PartialEpoch),
            ["best"] = BestEpoch(history, metricsLog.PartialEpoch),
        };
        if (metricsLog.PartialEpoch is { } partial) result["partial_epoch"] = partial.ToJson();
        if (early is { StoppedEpoch: > 0 }) result["stopped_epoch"] = early.StoppedEpoch + 1;
        if (early is { RestoreBestWeights: true }) result["restored_epoch"] = early.BestEpoch + 1;

        // Test set, pictures and the model: even an interrupted run is worth a look; a diverged one has nothing to show.
        Classification? analysis = null;
        if (status != "diverged" && history.Epochs.Count > 0)
        {
            var test = model.Evaluate(xTest, yTest, batchSize: 256);
            analysis = new Classification(model.Predict(xTest, batchSize: 256), data.TestLabels);
            result["test"] = Metrics(test);
            result["test_misclassified"] = analysis.Count - analysis.Correct;
            run.SaveModel(model);
            try
            {
                Charts.SaveCurves(run.ReadMetrics(), $"{recipe.Name} · {run.Id} · test accuracy {LogFormat.Percent(analysis.Accuracy)}", run.File(RunFolder.CurvesFile));
                data.SavePictures(analysis, "test set", run.File(RunFolder.ConfusionFile), run.File(data.MisclassifiedFile));
            }
            catch (Exception e) when (e is not CliException)
            {
                ctx.Error.WriteLine($"warning: could not draw the run's pictures: {e.Message}");
            }
        }
        result["finished_at"] = DateTime.UtcNow.ToString("O");
        result["total_seconds"] = Math.Round(wallClock.Elapsed.TotalSeconds, 3);
        result["peak_memory_mib"] = PeakMemoryMib();
        run.WriteJson(RunFolder.ResultFile, result);

        Report(ctx, o, run, status, history.Epochs.Count, metricsLog.PartialEpoch, analysis, result, trainSeconds, data);
        return status switch { "diverged" => 1, "interrupted" => 130, _ => 0 };
    }

    /// <summary>
    /// What a run trains and tests on, prepared for the model: inputs and targets, the test labels as class ids, the
    /// class names, what a sample is called in messages, and how the run draws its test-set pictures.
    /// </summary>
    internal sealed record Prepared(Tensor XTrain, Tensor YTrain, Tensor XTest, Tensor YTest, Tensor TestLabels, IReadOnlyList<string> ClassNames,
        string Unit, string MisclassifiedFile, Action<Classification, string, string, string> SavePictures);

    /// <summary>Keras' validation_split: the last fraction of the training samples (as Fit takes them).</summary>
    internal static int ValidationCount(int n, double split) => split > 0 ? n - (int)(n * (1 - split)) : 0;

    private static Prepared PrepareImages(Recipe recipe, DatasetInfo dataset, int? samples)
    {
        var data = dataset.Load();
        var trainImages = data.TrainX;
        var trainLabels = data.TrainY;
        if (samples is int s && s < trainImages.Shape[0])
        {
            trainImages = trainImages.SliceRows(0, s);
            trainLabels = trainLabels.SliceRows(0, s);
        }
        int classes = data.ClassNames.Count;
        return new Prepared(recipe.PrepareInputs(trainImages), recipe.PrepareTargets(trainLabels, classes),
            recipe.PrepareInputs(data.TestX), recipe.PrepareTargets(data.TestY, classes), data.TestY, data.ClassNames, "images", RunFolder.MisclassifiedFile,
            (analysis, set, confusion, mistakes) => analysis.SavePictures(data.TestX, data.ClassNames, set, confusion, mistakes));
    }

    /// <summary>
    /// Texts: the model's TextVectorization is adapted on the training texts that Fit trains on (not the validation
    /// tail), then turns every text into token ids. The test set's mistakes go to a text file instead of a picture.
    /// </summary>
    internal static Prepared PrepareText(TextRecipe recipe, Model model, int? samples, double split)
    {
        var data = recipe.LoadText();
        var trainText = data.TrainText;
        var trainLabels = data.TrainY;
        if (samples is int s && s < trainText.Count)
        {
            trainText = trainText.Take(s).ToArray();
            trainLabels = trainLabels.SliceRows(0, s);
        }
        var vectorizer = TextRecipe.Vectorizer(model, recipe.Name);
        vectorizer.Adapt(trainText.Take(trainText.Count - ValidationCount(trainText.Count, split)));
        int classes = data.ClassNames.Count;
        return new Prepared(vectorizer.Apply(trainText), recipe.PrepareTargets(trainLabels, classes),
            vectorizer.Apply(data.TestText), recipe.PrepareTargets(data.TestY, classes), data.TestY, data.ClassNames, "messages", TextMistakesFile,
            (analysis, set, confusion, mistakes) => analysis.SaveTextReport(data.TestText, data.ClassNames, set, confusion, mistakes));
    }

    /// <summary>The file a text run lists its most confident test-set mistakes in.</summary>
    public const string TextMistakesFile = "misclassified.txt";

    /// <summary>Until disposed, the first Ctrl+C asks <paramref name="stop"/> to end training after the current step (a second one ends the process).</summary>
    internal static IDisposable StopOnCtrlC(StopOnRequest stop)
    {
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (stop.Requested) return; // a second Ctrl+C ends the process
            e.Cancel = true;
            stop.Request();
        };
        Console.CancelKeyPress += onCancel;
        return new Unsubscribe(() => Console.CancelKeyPress -= onCancel);
    }

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>The process's peak working set so far, in MiB (for result.json).</summary>
    internal static double PeakMemoryMib() => Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024), 1);

    /// <summary>An optimizer's name and configuration as JSON (for config.json).</summary>
    internal static JsonObject OptimizerJson(Praxis.Optimizers.Optimizer opt) => ConfigJson(opt.GetConfig(), new JsonObject { ["name"] = opt.Name });

    /// <summary>A <c>GetConfig()</c> dictionary as JSON, added to <paramref name="into"/> (or a new object).</summary>
    internal static JsonObject ConfigJson(IReadOnlyDictionary<string, object?> config, JsonObject? into = null)
    {
        var optimizer = into ?? new JsonObject();
        foreach (var (k, v) in config) optimizer[k] = v switch
        {
            null => null,
            float f => LogFormat.Clean(f),
            double d => d,
            int i => i,
            bool b => b,
            _ => v.ToString(),
        };
        return optimizer;
    }

    /// <summary>Records a run that ended in an exception as "failed" in its result.json, with the error and the times.</summary>
    internal static void WriteFailure(RunFolder run, Exception e, DateTime started, double trainSeconds) =>
        run.WriteJson(RunFolder.ResultFile, new JsonObject
        {
            ["status"] = "failed", ["error"] = e.Message, ["started_at"] = started.ToString("O"), ["finished_at"] = DateTime.UtcNow.ToString("O"),
            ["train_seconds"] = Math.Round(trainSeconds, 3),
        });

    private static History Fit(Model model, Tensor x, Tensor y, int epochs, int batchSize, double split, List<Callback> callbacks) =>
        model.Fit(x, y, epochs: epochs, batchSize: batchSize, verbose: 0, callbacks: callbacks, validationSplit: split);

    private static MpiProcessGroup JoinMpi(CliContext ctx)
    {
        MpiProcessGroup world;
        try
        {
            world = MpiProcessGroup.Initialize();
        }
        catch (DllNotFoundException e)
        {
            throw new CliException($"--distributed needs Open MPI: {e.Message}");
        }
        if (!MpiProcessGroup.IsLaunchedByMpirun)
            ctx.Error.WriteLine("note: --distributed without mpirun trains on 1 rank; start N ranks with: mpirun -np N praxis train RECIPE --distributed");
        return world;
    }

    /// <summary>
    /// A rank other than 0: trains in step with rank 0 (Fit is collective) with the callbacks that steer training, which
    /// decide alike on every rank from the averaged logs; rank 0 prints, evaluates and writes the run.
    /// </summary>
    private static int FollowRankZero(TrainOptions o, Model model, Tensor x, Tensor y, int epochs, int batchSize, double split)
    {
        var callbacks = new List<Callback> { new LogLearningRate(), new TerminateOnNaN(TextWriter.Null) };
        if (o.EarlyStopping is int p) callbacks.Add(new EarlyStopping("val_loss", patience: p, restoreBestWeights: true, output: TextWriter.Null));
        if (o.ReduceLrPatience is int rp) callbacks.Add(new ReduceLROnPlateau("val_loss", factor: 0.5, patience: rp, output: TextWriter.Null));
        Fit(model, x, y, epochs, batchSize, split, callbacks);
        return 0;
    }

    private static void Report(CliContext ctx, TrainOptions o, RunFolder run, string status, int epochsRun, PartialEpoch? partial, Classification? analysis, JsonObject result, double trainSeconds, Prepared data)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, run.Path);
        if (o.Json)
        {
            ctx.Out.WriteLine(new JsonObject { ["event"] = "end", ["run"] = run.Path, ["result"] = result.DeepClone() }.ToJsonString(RunFolder.Compact));
            return;
        }
        string test = analysis == null ? "no test result" : string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy: {LogFormat.Percent(analysis.Accuracy)} (loss {result["test"]!["loss"]!.GetValue<double>():F4}; {analysis.Count - analysis.Correct:N0} of {analysis.Count:N0} test {data.Unit} misclassified)");
        if (o.Quiet)
        {
            ctx.Out.WriteLine($"{test}. Run: {relative}");
            return;
        }
        string statusNote = status switch
        {
            "completed" => "",
            "stopped early" => $" (stopped early after epoch {result["stopped_epoch"]}; weights from epoch {result["restored_epoch"]})",
            "interrupted" => " (interrupted)",
            "diverged" => " (stopped: the loss became NaN or infinite; try a lower --learning-rate)",
            _ => "",
        };
        string best = result["best"] is JsonObject b && b["val_loss"] is { } bv
            ? string.Create(CultureInfo.InvariantCulture, $"; best val_loss {bv.GetValue<double>():F4} at epoch {b["epoch"]}{(b["partial"] != null ? " (partial)" : "")}") : "";
        string trained = $"Trained {LogFormat.EpochsTrained(epochsRun, partial)} in {LogFormat.Duration(trainSeconds)}{best}{statusNote}.";
        WriteOutcome(ctx, test, succeeded: analysis != null, trained, relative);
        ctx.Out.WriteLine(analysis == null
            ? "  config.json metrics.csv result.json"
            : $"  curves.png confusion.png {data.MisclassifiedFile} metrics.csv config.json model.praxis");
        ctx.Out.WriteLine("  (list runs: praxis runs; compare two: praxis runs compare A B)");
    }

    /// <summary>The last lines of a human-readable run: the headline result (green, or red when there is none), how long it
    /// trained, and where the run is; plain text when the output is not a terminal.</summary>
    internal static void WriteOutcome(CliContext ctx, string headline, bool succeeded, string trained, string relative)
    {
        if (ctx.IsTerminal)
        {
            ctx.Console.MarkupLine(succeeded ? $"[bold green]{Markup.Escape(headline)}[/]" : $"[red]{Markup.Escape(headline)}[/]");
            ctx.Console.MarkupLine(Markup.Escape(trained));
            ctx.Console.MarkupLine($"Run saved to [bold]{Markup.Escape(relative)}[/]");
        }
        else
        {
            ctx.Out.WriteLine(headline);
            ctx.Out.WriteLine(trained);
            ctx.Out.WriteLine($"Run saved to {relative}");
        }
    }

    private static JsonObject Config(TrainOptions o, Recipe recipe, DatasetInfo dataset, Model model, int epochs, int batchSize, double lr, double split, int nTrain, int nVal, int nTest)
    {
        var optimizer = OptimizerJson(model.Optimizer!);
        return new JsonObject
        {
            ["recipe"] = recipe.Name,
            ["description"] = recipe.Description,
            ["dataset"] = dataset.Name,
            ["class_names"] = new JsonArray(dataset.ClassNames.Select(c => (JsonNode?)c).ToArray()),
            ["model"] = model.Name,
            ["params"] = model.CountParams(),
            ["epochs"] = epochs,
            ["batch_size"] = batchSize,
            ["learning_rate"] = lr,
            ["optimizer"] = optimizer,
            ["loss"] = model.Loss!.Name,
            ["metrics"] = new JsonArray(model.Metrics.Select(m => (JsonNode?)m.Name).ToArray()),
            ["validation_split"] = split,
            ["train_samples"] = nTrain,
            ["validation_samples"] = nVal,
            ["test_samples"] = nTest,
            ["seed"] = o.Seed,
            ["early_stopping_patience"] = o.EarlyStopping,
            ["reduce_lr_patience"] = o.ReduceLrPatience,
            ["command"] = o.CommandLine,
        };
    }

    private static JsonObject Metrics(IReadOnlyDictionary<string, double> logs)
    {
        var o = new JsonObject();
        foreach (var (k, v) in logs) o[k] = double.IsFinite(v) ? v : null;
        return o;
    }

    private static JsonObject? LastEpoch(History h, PartialEpoch? partial)
    {
        if (h.Epochs.Count == 0) return null;
        var o = new JsonObject { ["epoch"] = h.Epochs[^1] + 1 };
        MarkPartial(o, partial);
        foreach (var (k, v) in h.Metrics) o[k] = double.IsFinite(v[^1]) ? v[^1] : null;
        return o;
    }

    /// <summary>Marks an epoch's JSON as partial (<c>"partial": {"batches": …, "steps": …}</c>) when it is the epoch that ended early.</summary>
    internal static void MarkPartial(JsonObject epoch, PartialEpoch? partial)
    {
        if (partial != null && epoch["epoch"]?.GetValue<int>() == partial.Epoch)
            epoch["partial"] = new JsonObject { ["batches"] = partial.Batches, ["steps"] = partial.Steps };
    }

    /// <summary>The epoch with the lowest val_loss (or loss without validation), with all its metrics.</summary>
    private static JsonObject? BestEpoch(History h, PartialEpoch? partial)
    {
        string key = h.Metrics.ContainsKey("val_loss") ? "val_loss" : "loss";
        if (!h.Metrics.TryGetValue(key, out var values)) return null;
        int best = -1;
        for (int i = 0; i < values.Count; i++) if (double.IsFinite(values[i]) && (best < 0 || values[i] < values[best])) best = i;
        if (best < 0) return null;
        var o = new JsonObject { ["epoch"] = h.Epochs[best] + 1, ["monitor"] = key };
        MarkPartial(o, partial);
        foreach (var (k, v) in h.Metrics) o[k] = double.IsFinite(v[best]) ? v[best] : null;
        return o;
    }
}

/// <summary>The compute-thread setting of a run.</summary>
public static class ThreadSettings
{
    /// <summary>
    /// Applies a requested thread count to the kernel pool (like <c>torch.set_num_threads</c>) and returns the number
    /// of threads training will use: the request, or the pool's default (one per core) when none was given.
    /// </summary>
    public static int Apply(int? requested)
    {
        if (requested is < 1) throw new CliException($"--threads must be at least 1; got {requested}.");
        if (requested is int t) Praxis.Kernels.KernelPool.NumThreads = t;
        return Praxis.Kernels.KernelPool.NumThreads;
    }
}
