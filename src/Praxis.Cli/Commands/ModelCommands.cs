using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Cli.Imaging;
using Praxis.Cli.Journal;
using Praxis.Cli.Plotting;
using Praxis.Cli.Recipes;
using Praxis.Cli.Training;
using Praxis.Models;
using Spectre.Console;

namespace Praxis.Cli.Commands;

/// <summary><c>praxis evaluate</c>, <c>predict</c>, <c>summary</c> and <c>plot</c>: commands over trained runs.</summary>
public static class ModelCommands
{
    /// <summary>
    /// A run's trained model, loaded from its <c>model.praxis</c> with <see cref="Model.Load"/>, and the recipe, which
    /// says how images become inputs.
    /// </summary>
    public static (Recipe Recipe, Model Model) LoadModel(RunFolder run) => (RecipeRegistry.Get(run.Recipe), run.LoadModel());

    /// <summary>The dataset a run trained on: the one its config records (<c>--dataset</c>), else its recipe's default.</summary>
    public static DatasetInfo RunDataset(RunFolder run, Recipe recipe) =>
        run.Config["dataset"] is { } d ? DatasetRegistry.Get(d.GetValue<string>()) : DatasetRegistry.Get(recipe.Dataset);

    private static RunFolder PickRun(string root, string? reference) =>
        reference == null ? RunStore.LatestWithModel(root) : RunStore.Resolve(root, reference);

    /// <summary>Evaluates a run's model on its dataset's test set; optionally writes the confusion matrix and mistakes.</summary>
    public static int Evaluate(CliContext ctx, string root, string? reference, string? picturesDir, bool json)
    {
        var run = PickRun(root, reference);
        if (GanTrainer.IsGanRun(run)) return EvaluateGan(ctx, run, picturesDir, json);
        var (recipe, model) = LoadModel(run);
        Tensor x, targets, labels;
        IReadOnlyList<string> classNames;
        string unit, mistakesFile;
        Action<Classification, string, string> savePictures;
        if (recipe is TextRecipe textRecipe)
        {
            // The vocabulary comes from the run's model file (its StringInput), not from adapting again.
            var text = textRecipe.LoadText();
            x = TextRecipe.Vectorizer(model, recipe.Name).Apply(text.TestText);
            (targets, labels, classNames, unit, mistakesFile) = (recipe.PrepareTargets(text.TestY, text.ClassNames.Count), text.TestY, text.ClassNames, "messages", Trainer.TextMistakesFile);
            savePictures = (a, confusion, mistakes) => a.SaveTextReport(text.TestText, text.ClassNames, "test set", confusion, mistakes);
        }
        else
        {
            var data = RunDataset(run, recipe).Load();
            x = recipe.PrepareInputs(data.TestX);
            (targets, labels, classNames, unit, mistakesFile) = (recipe.PrepareTargets(data.TestY, data.ClassNames.Count), data.TestY, data.ClassNames, "images", RunFolder.MisclassifiedFile);
            savePictures = (a, confusion, mistakes) => a.SavePictures(data.TestX, data.ClassNames, "test set", confusion, mistakes);
        }
        var metrics = model.Evaluate(x, targets, batchSize: 256);
        var analysis = new Classification(model.Predict(x, batchSize: 256), labels);
        if (picturesDir != null)
        {
            Directory.CreateDirectory(picturesDir);
            savePictures(analysis, Path.Combine(picturesDir, RunFolder.ConfusionFile), Path.Combine(picturesDir, mistakesFile));
        }
        if (json)
        {
            var o = new JsonObject { ["run"] = run.Id, ["test_samples"] = analysis.Count };
            foreach (var (k, v) in metrics) o[k] = v;
            var recall = new JsonObject();
            for (int c = 0; c < classNames.Count; c++) recall[classNames[c]] = Recall(analysis, c);
            o["recall"] = recall;
            ctx.Out.WriteLine(o.ToJsonString(RunFolder.Compact));
            return 0;
        }
        ctx.Out.WriteLine($"Run {run.Id} ({recipe.Name}) on the {RunDataset(run, recipe).Name} test set, {analysis.Count:N0} {unit}:");
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy: {LogFormat.Percent(metrics["accuracy"])} - test loss: {metrics["loss"]:F4} ({analysis.Count - analysis.Correct:N0} misclassified)"));
        var table = new Table { Border = ctx.IsTerminal ? TableBorder.Rounded : TableBorder.Ascii2 };
        table.AddColumns("Class", unit == "images" ? "Images" : "Messages", "Recall", "Most often mistaken for");
        for (int c = 0; c < classNames.Count; c++)
        {
            int total = 0, worst = -1;
            for (int j = 0; j < classNames.Count; j++)
            {
                total += analysis.Confusion[c, j];
                if (j != c && analysis.Confusion[c, j] > 0 && (worst < 0 || analysis.Confusion[c, j] > analysis.Confusion[c, worst])) worst = j;
            }
            table.AddRow(classNames[c], total.ToString(CultureInfo.InvariantCulture), LogFormat.Percent(Recall(analysis, c), 1),
                worst < 0 ? "-" : $"{classNames[worst]} ({analysis.Confusion[c, worst]})");
        }
        ctx.Console.Write(table);
        if (picturesDir != null) ctx.Out.WriteLine($"Wrote {Path.Combine(picturesDir, RunFolder.ConfusionFile)} and {Path.Combine(picturesDir, mistakesFile)}.");
        return 0;
    }

    /// <summary>
    /// A GAN run has no test set to classify: its generator draws the run's judged digits again (the same latents) and
    /// the judge it was trained with scores them. <paramref name="picturesDir"/> gets <c>judged.png</c>, the first 64 with
    /// the judge's class and confidence.
    /// </summary>
    private static int EvaluateGan(CliContext ctx, RunFolder run, string? picturesDir, bool json)
    {
        var (score, judgeAccuracy, samples, probabilities) = GanTrainer.Rescore(run, note => ctx.Error.WriteLine($"note: {note}"));
        string? picture = null;
        if (picturesDir != null)
        {
            Directory.CreateDirectory(picturesDir);
            picture = Path.Combine(picturesDir, "judged.png");
            var p = probabilities.ToArray();
            int k = probabilities.Shape[1], count = Math.Min(64, samples.Shape[0]), row = samples.Size / samples.Shape[0];
            var tiles = new List<Charts.Tile>();
            for (int i = 0; i < count; i++)
            {
                int best = ArgMax(p, i, k);
                var pixels = new float[row];
                samples.CopyTo(pixels, i * row);
                tiles.Add(new Charts.Tile(pixels, samples.Shape[1], samples.Shape[2], best.ToString(CultureInfo.InvariantCulture),
                    LogFormat.Percent(p[i * k + best], 1)));
            }
            Charts.SaveImageGrid(tiles, $"{run.Id} · generated digits: the judge's class and confidence", picture);
        }
        if (json)
        {
            var o = new JsonObject { ["run"] = run.Id, ["recipe"] = run.Recipe, ["judge_test_accuracy"] = judgeAccuracy, ["samples"] = samples.Shape[0] };
            foreach (var (key, value) in score.ToJson()) o[key] = value?.DeepClone();
            ctx.Out.WriteLine(o.ToJsonString(RunFolder.Compact));
            return 0;
        }
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Run {run.Id} ({run.Recipe}): the generator drew {samples.Shape[0]:N0} digits from the run's fixed latents; the judge (test accuracy {LogFormat.Percent(judgeAccuracy)}) says:"));
        ctx.Out.WriteLine($"  {score}");
        if (run.Result["final"] is JsonObject final && final["confident_0_9"] is { } recorded)
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  (training recorded {LogFormat.Percent(recorded.GetValue<double>(), 1)} at confidence >= 0.9 after epoch {final["epoch"]})"));
        if (picture != null) ctx.Out.WriteLine($"Wrote {picture}.");
        return 0;
    }

    private static double Recall(Classification a, int c)
    {
        int total = 0;
        for (int j = 0; j < a.Confusion.GetLength(1); j++) total += a.Confusion[c, j];
        return total == 0 ? 0 : (double)a.Confusion[c, c] / total;
    }

    /// <summary>Class probabilities for an image (PNG, JPEG, …) or every image of an IDX file.</summary>
    public static int Predict(CliContext ctx, string root, string file, string? reference, ImageInput.Invert invert, int limit, bool json)
    {
        var run = PickRun(root, reference);
        if (GanTrainer.IsGanRun(run))
            throw new CliException($"run {run.Id} ({run.Recipe}) is a generator: it maps latent vectors to images and does not classify pictures. " +
                                   "Use a classifier run (praxis train mnist-cnn), or score the generator with: praxis evaluate " + run.Id);
        var (recipe, model) = LoadModel(run);
        if (recipe is TextRecipe) return PredictText(ctx, run, recipe, model, file, json);
        var dataset = RunDataset(run, recipe);
        var (h, w) = dataset.ImageSize;
        var input = ImageInput.Load(file, h, w, invert);
        var probs = model.Predict(recipe.PrepareInputs(input.Images), batchSize: 256);
        int n = probs.Shape[0], k = probs.Shape[1];
        var p = probs.ToArray();
        var names = dataset.ClassNames;
        int nameWidth = Math.Max(3, names.Max(c => c.Length)); // Fashion-MNIST's "T-shirt/top" is longer than a digit

        if (json)
        {
            var items = new JsonArray();
            for (int i = 0; i < n; i++)
            {
                var dist = new JsonObject();
                for (int c = 0; c < k; c++) dist[names[c]] = Math.Round(p[i * k + c], 6);
                items.Add(new JsonObject { ["index"] = i, ["predicted"] = names[ArgMax(p, i, k)], ["confidence"] = Math.Round(p[i * k + ArgMax(p, i, k)], 6), ["probabilities"] = dist });
            }
            ctx.Out.WriteLine(new JsonObject { ["file"] = file, ["format"] = input.Format, ["run"] = run.Id, ["predictions"] = items }.ToJsonString(RunFolder.Compact));
            return 0;
        }

        foreach (var note in input.Notes) ctx.Error.WriteLine($"note: {note}");
        if (n == 1)
        {
            int best = ArgMax(p, 0, k);
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file}: {names[best]} ({LogFormat.Percent(p[best], 1)})   [model: run {run.Id}]"));
            if (ctx.IsTerminal)
            {
                var chart = new BarChart { Width = 60, MaxValue = 100, Label = "[grey]probability of each class, %[/]" };
                for (int c = 0; c < k; c++)
                    chart.AddItem(names[c], Math.Round(100 * p[c], 1), c == best ? Color.Green : Color.Grey);
                ctx.Console.Write(chart);
            }
            else
            {
                for (int c = 0; c < k; c++)
                    ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {names[c].PadRight(nameWidth)} {LogFormat.Percent(p[c]),8}  {new string('#', (int)Math.Round(40 * p[c]))}"));
            }
            return 0;
        }
        ctx.Out.WriteLine($"{file}: {n:N0} images ({input.Format}); model: run {run.Id}");
        var counts = new int[k];
        for (int i = 0; i < n; i++) counts[ArgMax(p, i, k)]++;
        for (int i = 0; i < Math.Min(n, limit); i++)
        {
            int best = ArgMax(p, i, k);
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  #{i,-6} {names[best].PadRight(nameWidth)} ({LogFormat.Percent(p[i * k + best], 1)})"));
        }
        if (n > limit) ctx.Out.WriteLine($"  … {n - limit:N0} more (--limit N shows more, --json gives all)");
        ctx.Out.WriteLine("Predicted classes: " + string.Join(", ", Enumerable.Range(0, k).Select(c => $"{names[c]}: {counts[c]:N0}")));
        return 0;
    }

    /// <summary>
    /// A text model's class probabilities for one text: the contents of <paramref name="textOrFile"/> when it names a
    /// file, otherwise the argument itself (a line of text). The run's own vectorizer (in its model file) tokenizes it.
    /// </summary>
    private static int PredictText(CliContext ctx, RunFolder run, Recipe recipe, Model model, string textOrFile, bool json)
    {
        bool isFile = File.Exists(textOrFile);
        string text = isFile ? File.ReadAllText(textOrFile) : textOrFile;
        var ids = TextRecipe.Vectorizer(model, recipe.Name).Apply([text]);
        var p = Classification.ClassProbabilities(model.Predict(ids)).ToArray();
        var names = RunDataset(run, recipe).ClassNames;
        int k = p.Length, best = ArgMax(p, 0, k);
        string label = isFile ? textOrFile : "text";
        if (json)
        {
            var dist = new JsonObject();
            for (int c = 0; c < k; c++) dist[names[c]] = Math.Round(p[c], 6);
            var o = new JsonObject { [isFile ? "file" : "text"] = isFile ? textOrFile : text, ["format"] = "text", ["run"] = run.Id };
            o["predictions"] = new JsonArray(new JsonObject { ["index"] = 0, ["predicted"] = names[best], ["confidence"] = Math.Round(p[best], 6), ["probabilities"] = dist });
            ctx.Out.WriteLine(o.ToJsonString(RunFolder.Compact));
            return 0;
        }
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: {names[best]} ({LogFormat.Percent(p[best], 1)})   [model: run {run.Id}]"));
        for (int c = 0; c < k; c++)
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {names[c],-5} {LogFormat.Percent(p[c]),8}  {new string('#', (int)Math.Round(40 * p[c]))}"));
        return 0;
    }

    private static int ArgMax(float[] p, int row, int k)
    {
        int best = 0;
        for (int c = 1; c < k; c++) if (p[row * k + c] > p[row * k + best]) best = c;
        return best;
    }

    /// <summary>Model summaries: of a recipe, of a run, or of every recipe.</summary>
    public static int Summary(CliContext ctx, string root, string? what)
    {
        if (what == null)
        {
            foreach (var r in RecipeRegistry.All)
            {
                ctx.Out.WriteLine($"{r.Name}: {r.Description} (dataset {string.Join(" or ", r.Datasets)}; defaults: {LogFormat.Count(r.DefaultEpochs, "epoch")}, batch {r.DefaultBatchSize}, learning rate {r.DefaultLearningRate.ToString("G4", CultureInfo.InvariantCulture)})");
                ctx.Out.Write(RecipeSummary(r));
                ctx.Out.WriteLine();
            }
            return 0;
        }
        var recipe = RecipeRegistry.All.FirstOrDefault(r => string.Equals(r.Name, what, StringComparison.OrdinalIgnoreCase));
        if (recipe != null)
        {
            ctx.Out.WriteLine($"{recipe.Name}: {recipe.Description}");
            ctx.Out.Write(RecipeSummary(recipe));
            return 0;
        }
        RunFolder run;
        try { run = RunStore.Resolve(root, what); }
        catch (CliException e)
        {
            throw new CliException($"'{what}' is neither a recipe ({string.Join(", ", RecipeRegistry.All.Select(r => r.Name))}) nor a run: {e.Message}");
        }
        ctx.Out.WriteLine($"Run {run.Id} ({run.Recipe})");
        string summary = run.File(RunFolder.SummaryFile);
        string model = run.File(RunFolder.ModelFile);
        ctx.Out.Write(File.Exists(summary) ? File.ReadAllText(summary)
            : File.Exists(model) ? Model.Load(model, compile: false).SummaryString()
            : RecipeRegistry.Get(run.Recipe).Build(new RecipeSettings(1e-3)).SummaryString());
        return 0;
    }

    // A GAN recipe has two models; show both.
    private static string RecipeSummary(Recipe r)
    {
        if (r is not GanRecipe gan) return r.Build(new RecipeSettings(r.DefaultLearningRate)).SummaryString();
        var (g, d) = gan.BuildModels();
        return g.SummaryString() + "\n" + d.SummaryString();
    }

    /// <summary>Draws training curves: of one run (into its folder by default), or of several runs overlaid.</summary>
    public static int Plot(CliContext ctx, string root, string[] references, string? output)
    {
        var runs = references.Length == 0 ? [RunStore.Resolve(root, "latest")] : references.Select(r => RunStore.Resolve(root, r)).ToList();
        string path;
        if (runs.Count == 1)
        {
            var r = runs[0];
            // Not the run's own curves.png: the journal keeps what the run drew; a redraw goes to the working folder.
            path = output ?? Path.Combine(Environment.CurrentDirectory, $"curves-{r.Id}.png");
            string acc = r.Test("accuracy") is double a ? " · test accuracy " + LogFormat.Percent(a) : "";
            if (GanTrainer.IsGanRun(r))
            {
                string judged = r.Result["final"]?["confident_0_9"] is { } c ? $" · {LogFormat.Percent(c.GetValue<double>(), 1)} of judged digits at confidence >= 0.9" : "";
                Charts.SaveGanCurves(r.ReadMetrics(), $"{r.Recipe} · {r.Id}{judged}", path);
            }
            else Charts.SaveCurves(r.ReadMetrics(), $"{r.Recipe} · {r.Id}{acc}", path);
        }
        else
        {
            path = output ?? Path.Combine(Environment.CurrentDirectory, "compare.png");
            Charts.SaveComparison(runs.Select(r => (r.Id, r.ReadMetrics())).ToList(), $"{runs.Count} runs compared", path);
        }
        ctx.Out.WriteLine($"Wrote {RunsCommands.Rel(path)}");
        return 0;
    }
}
