using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using Praxis.Cli.Commands;
using Praxis.Cli.Imaging;
using Praxis.Cli.Recipes;
using Praxis.Cli.Training;

namespace Praxis.Cli;

/// <summary>
/// The <c>praxis</c> command: <c>train</c>, <c>evaluate</c>, <c>predict</c>, <c>summary</c>, <c>plot</c>, <c>runs</c>
/// and <c>datasets</c>. Run it with <c>dotnet run --project src/Praxis.Cli -- train seed-mlp</c>.
/// </summary>
public static class PraxisCli
{
    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    public static int Run(string[] args, CliContext ctx)
    {
        var root = Build(ctx);
        var config = new InvocationConfiguration
        {
            Output = ctx.Out,
            Error = ctx.Error,
            ProcessTerminationTimeout = null, // train handles Ctrl+C itself: it stops after the batch and saves the run
        };
        return root.Parse(args).Invoke(config);
    }

    /// <summary>Builds the command tree, each action writing to <paramref name="ctx"/>.</summary>
    public static Command Build(CliContext ctx)
    {
        var runsDir = new Option<string>("--runs-dir")
        {
            Description = "Folder of run folders [default: $PRAXIS_RUNS or ./runs]",
            HelpName = "dir",
            Recursive = true,
        };
        // A plain Command rather than RootCommand, whose name would be the entry assembly's (Praxis.Cli), not "praxis".
        var root = new Command("praxis", "Praxis: train, inspect and compare deep-learning models; every training run is kept in a journal (./runs).")
        {
            new HelpOption { Recursive = true },
            new VersionOption(),
        };
        root.Options.Add(runsDir);
        root.Subcommands.Add(TrainCommand(ctx, runsDir));
        root.Subcommands.Add(EvaluateCommand(ctx, runsDir));
        root.Subcommands.Add(PredictCommand(ctx, runsDir));
        root.Subcommands.Add(SummaryCommand(ctx, runsDir));
        root.Subcommands.Add(PlotCommand(ctx, runsDir));
        root.Subcommands.Add(ExportCommand(ctx, runsDir));
        root.Subcommands.Add(RunsCommand(ctx, runsDir));
        root.Subcommands.Add(DatasetsCommand(ctx));
        root.Subcommands.Add(GenerateCommand(ctx));
        return root;
    }

    private static Command TrainCommand(CliContext ctx, Option<string> runsDir)
    {
        var recipes = string.Join(", ", RecipeRegistry.All.Select(r => r.Name));
        var recipe = new Argument<string>("recipe") { Description = $"What to train: {recipes}", HelpName = "recipe" };
        recipe.CompletionSources.Add(RecipeRegistry.All.Select(r => r.Name).ToArray());
        var datasetNames = string.Join(", ", DatasetRegistry.All.Select(d => d.Name));
        var dataset = new Option<string?>("--dataset", "-d")
        {
            Description = "Dataset to train on (default: the recipe's; seed-mlp and mnist-cnn also take fashion-mnist). Known: " + datasetNames,
            HelpName = "name",
        };
        dataset.CompletionSources.Add(DatasetRegistry.All.Select(d => d.Name).ToArray());
        var epochs = Positive(new Option<int?>("--epochs", "-e") { Description = "Passes over the training data (recipe default: seed-mlp 5, mnist-cnn 12, dcgan 20)" });
        var batch = Positive(new Option<int?>("--batch-size", "-b") { Description = "Samples per gradient step (recipe default: seed-mlp 32, mnist-cnn 128, dcgan 64)" });
        var lr = new Option<double?>("--learning-rate", "--lr") { Description = "Optimizer learning rate (recipe default: 0.001; dcgan: 0.0002 for the generator, twice that for the discriminator)" };
        lr.Validators.Add(r => { if (r.GetValue(lr) is double v && !(v > 0 && double.IsFinite(v))) r.AddError($"--learning-rate must be a positive number; got {v}."); });
        var seed = new Option<int>("--seed", "-s") { Description = "Random seed for weights and shuffling", DefaultValueFactory = _ => 42 };
        var threads = Positive(new Option<int?>("--threads", "-t") { Description = "Kernel threads, like torch.set_num_threads (default: one per core; recorded in the run)" });
        var output = new Option<string?>("--output", "-o") { Description = "Folder to put the run folder in (default: --runs-dir)" };
        var samples = Positive(new Option<int?>("--samples") { Description = "Train on only the first N training images (quick tries; a GAN's judge still trains on all)" });
        var split = new Option<double?>("--validation-split") { Description = "Fraction of training data held out for validation curves (default 0.1; 0 = none)" };
        split.Validators.Add(r => { if (r.GetValue(split) is double v && v is < 0 or >= 1) r.AddError($"--validation-split must be in [0, 1); got {v}."); });
        var early = Positive(new Option<int?>("--early-stopping") { Description = "Stop when val_loss has not improved for N epochs; keep the best weights" });
        var reduce = Positive(new Option<int?>("--reduce-lr") { Description = "Halve the learning rate when val_loss has not improved for N epochs" });
        var judgeEpochs = Positive(new Option<int?>("--judge-epochs")
        {
            Description = $"GAN recipes: epochs of the MNIST classifier that judges the generated digits (default {Judge.DefaultEpochs}; trained once, cached in RUNS/.judge)",
        });
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the final result" };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON lines (one per epoch) instead of text" };
        var distributed = new Option<bool>("--distributed")
        {
            Description = "Train data parallel over Open MPI, one rank per process started by mpirun " +
                          "(mpirun -np N praxis train RECIPE --distributed); --batch-size is then per rank; rank 0 reports and keeps the run",
        };
        var cmd = new Command("train", $"Train a built-in recipe and record the run in the journal. Recipes: {recipes}.")
        {
            recipe, dataset, epochs, batch, lr, seed, threads, output, samples, split, early, reduce, judgeEpochs, quiet, json, distributed,
        };
        cmd.SetAction(p => Guard(ctx, () => Trainer.Run(new TrainOptions
        {
            Recipe = p.GetValue(recipe)!,
            Dataset = p.GetValue(dataset),
            Epochs = p.GetValue(epochs),
            BatchSize = p.GetValue(batch),
            LearningRate = p.GetValue(lr),
            Seed = p.GetValue(seed),
            Threads = p.GetValue(threads),
            RunsDirectory = p.GetValue(output) ?? RunsDir(p, runsDir),
            Samples = p.GetValue(samples),
            ValidationSplit = p.GetValue(split),
            EarlyStopping = p.GetValue(early),
            ReduceLrPatience = p.GetValue(reduce),
            Quiet = p.GetValue(quiet),
            Json = p.GetValue(json),
            Distributed = p.GetValue(distributed),
            JudgeEpochs = p.GetValue(judgeEpochs),
            CommandLine = "praxis " + string.Join(' ', p.Tokens.Select(t => t.Value.Contains(' ') ? $"\"{t.Value}\"" : t.Value)),
        }, ctx)));
        return cmd;
    }

    private static Command EvaluateCommand(CliContext ctx, Option<string> runsDir)
    {
        var run = new Argument<string?>("run") { Description = "Run to evaluate (name, part of it, number from 'praxis runs', or path); default: the newest trained run", Arity = ArgumentArity.ZeroOrOne };
        var pictures = new Option<string?>("--pictures", "-p") { Description = "Also write confusion.png and misclassified.png into this folder" };
        var json = new Option<bool>("--json") { Description = "Print the metrics as JSON" };
        var cmd = new Command("evaluate", "Evaluate a trained run's model on its test set") { run, pictures, json };
        cmd.SetAction(p => Guard(ctx, () => ModelCommands.Evaluate(ctx, RunsDir(p, runsDir), p.GetValue(run), p.GetValue(pictures), p.GetValue(json))));
        return cmd;
    }

    private static Command PredictCommand(CliContext ctx, Option<string> runsDir)
    {
        var file = new Argument<string>("file") { Description = "A PNG/JPEG picture (a digit, or for a fashion-mnist run a clothing item), or an IDX image file (N, 28, 28); for a text model (text-cnn) a text file or a line of text" };
        var run = new Option<string?>("--run", "-r") { Description = "Run whose model to use (default: the newest trained run)" };
        var invert = new Option<ImageInput.Invert>("--invert") { Description = "Invert the picture: Auto (when its border is light), Yes or No", DefaultValueFactory = _ => ImageInput.Invert.Auto };
        var limit = Positive(new Option<int?>("--limit") { Description = "For IDX files: how many images to list (default 10)" });
        var json = new Option<bool>("--json") { Description = "Print probabilities as JSON" };
        var cmd = new Command("predict", "Class probabilities for an image file, or for a text model a text file or a line of text") { file, run, invert, limit, json };
        cmd.SetAction(p => Guard(ctx, () => ModelCommands.Predict(ctx, RunsDir(p, runsDir), p.GetValue(file)!, p.GetValue(run), p.GetValue(invert), p.GetValue(limit) ?? 10, p.GetValue(json))));
        return cmd;
    }

    private static Command SummaryCommand(CliContext ctx, Option<string> runsDir)
    {
        var what = new Argument<string?>("recipe-or-run") { Description = "A recipe name or a run; default: every recipe", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("summary", "Print a model's layers, output shapes and parameter counts") { what };
        cmd.SetAction(p => Guard(ctx, () => ModelCommands.Summary(ctx, RunsDir(p, runsDir), p.GetValue(what))));
        return cmd;
    }

    private static Command ExportCommand(CliContext ctx, Option<string> runsDir)
    {
        var source = new Argument<string?>("source") { Description = "A run (number, name part, latest; default: the newest trained run) or a model file saved by Model.Save", Arity = ArgumentArity.ZeroOrOne };
        var output = new Option<string?>("--output", "-o") { Description = "Output file (default: model.onnx or model.praxis in the run's folder, or beside the source file)" };
        var format = new Option<string>("--format", "-f") { Description = "onnx (for ONNX Runtime and other engines) or praxis (a model file for Model.Load)", DefaultValueFactory = _ => "onnx" };
        format.AcceptOnlyFromAmong(ExportCommands.Formats);
        var opset = new Option<int>("--opset") { Description = $"ONNX opset version ({Praxis.IO.Onnx.OnnxExporter.MinOpset} to {Praxis.IO.Onnx.OnnxExporter.MaxOpset}; default {Praxis.IO.Onnx.OnnxExporter.DefaultOpset}, the newest ONNX Runtime 1.31 supports)", DefaultValueFactory = _ => Praxis.IO.Onnx.OnnxExporter.DefaultOpset };
        opset.Validators.Add(r => { if (r.GetValue(opset) is int v && v is < Praxis.IO.Onnx.OnnxExporter.MinOpset or > Praxis.IO.Onnx.OnnxExporter.MaxOpset) r.AddError($"--opset must be in {Praxis.IO.Onnx.OnnxExporter.MinOpset}..{Praxis.IO.Onnx.OnnxExporter.MaxOpset}; got {v}."); });
        var cmd = new Command("export", "Export a trained model as ONNX (or as a Praxis model file)") { source, output, format, opset };
        cmd.SetAction(p => Guard(ctx, () => ExportCommands.Export(ctx, RunsDir(p, runsDir), p.GetValue(source), p.GetValue(output), p.GetValue(format)!, p.GetValue(opset))));
        return cmd;
    }

    private static Command PlotCommand(CliContext ctx, Option<string> runsDir)
    {
        var runs = new Argument<string[]>("runs") { Description = "One run (curves) or several (overlaid); default: the newest run", Arity = ArgumentArity.ZeroOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "PNG to write (default: ./curves-RUN.png, or ./compare.png for several runs; the run's own curves.png is left as it is)" };
        var cmd = new Command("plot", "Draw training curves (loss and metrics per epoch, training vs validation) as PNG") { runs, output };
        cmd.SetAction(p => Guard(ctx, () => ModelCommands.Plot(ctx, RunsDir(p, runsDir), p.GetValue(runs) ?? [], p.GetValue(output))));
        return cmd;
    }

    private static Command RunsCommand(CliContext ctx, Option<string> runsDir)
    {
        var json = new Option<bool>("--json") { Description = "Print the journal as JSON" };
        var cmd = new Command("runs", "The practice journal: every training run with its best metrics and wall time") { json };
        cmd.SetAction(p => Guard(ctx, () => RunsCommands.List(ctx, RunsDir(p, runsDir), p.GetValue(json))));

        var a = new Argument<string>("a") { Description = "First run (name, part of it, number from 'praxis runs', 'latest', or path)" };
        var b = new Argument<string>("b") { Description = "Second run" };
        var all = new Option<bool>("--all") { Description = "Show identical settings too" };
        var compare = new Command("compare", "Show two runs side by side: config differences, results, per-epoch metrics") { a, b, all };
        compare.SetAction(p => Guard(ctx, () => RunsCommands.Compare(ctx, RunsDir(p, runsDir), p.GetValue(a)!, p.GetValue(b)!, p.GetValue(all))));
        cmd.Subcommands.Add(compare);

        var one = new Argument<string>("run") { Description = "The run" };
        var show = new Command("show", "Show one run's config, result and environment") { one };
        show.SetAction(p => Guard(ctx, () => RunsCommands.Show(ctx, RunsDir(p, runsDir), p.GetValue(one)!)));
        cmd.Subcommands.Add(show);
        return cmd;
    }

    private static Command DatasetsCommand(CliContext ctx)
    {
        var cmd = new Command("datasets", "List, download, import and verify datasets");
        var list = new Command("list", "List known datasets and where local copies are");
        list.SetAction(_ => Guard(ctx, () => DatasetCommands.List(ctx)));
        var name = new Argument<string>("name") { Description = $"Dataset: {string.Join(", ", DatasetRegistry.All.Select(d => d.Name))}" };
        var download = new Command("download", "Download a dataset into the cache (~/.praxis/datasets), checking SHA-256") { name };
        download.SetAction(p => Guard(ctx, () => DatasetCommands.Download(ctx, p.GetValue(name)!)));
        var importName = new Argument<string>("name") { Description = name.Description };
        var importDir = new Argument<string>("dir") { Description = "A folder holding the dataset's files (e.g. /usr/share/datasets/fashion-mnist)" };
        var import = new Command("import", "Copy a local copy of a dataset into the cache, verifying every file (re-compressed copies verify by their contents)") { importName, importDir };
        import.SetAction(p => Guard(ctx, () => DatasetCommands.Import(ctx, p.GetValue(importName)!, p.GetValue(importDir)!)));
        var optName = new Argument<string?>("name") { Description = "Dataset (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var verify = new Command("verify", "Check the SHA-256 of every local copy") { optName };
        verify.SetAction(p => Guard(ctx, () => DatasetCommands.Verify(ctx, p.GetValue(optName))));
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(download);
        cmd.Subcommands.Add(import);
        cmd.Subcommands.Add(verify);
        cmd.SetAction(_ => Guard(ctx, () => DatasetCommands.List(ctx)));
        return cmd;
    }

    private static Command GenerateCommand(CliContext ctx)
    {
        var prompt = new Argument<string>("prompt") { Description = "The text to continue (empty: start from <|endoftext|>)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "" };
        var model = new Option<string?>("--model", "-m") { Description = "A Hugging Face GPT-2 directory (config.json + model.safetensors) or a .praxis file saved by Gpt2.Save (default: the tiny random GPT-2 in data/gpt2-tiny)" };
        var pretrained = new Option<string?>("--pretrained") { Description = "Download a hub repository into the cache first, e.g. gpt2 (needs the network)" };
        var count = Positive(new Option<int?>("--max-new-tokens", "-n") { Description = "Tokens to generate (default 50)" });
        var temperature = new Option<float>("--temperature") { Description = "Softmax temperature; 0 is greedy", DefaultValueFactory = _ => 1f };
        temperature.Validators.Add(r => { if (r.GetValue(temperature) is float v && !(v >= 0 && float.IsFinite(v))) r.AddError($"--temperature must be >= 0; got {v}."); });
        var topK = Positive(new Option<int?>("--top-k") { Description = "Sample among the k most likely tokens only" });
        var topP = new Option<float?>("--top-p") { Description = "Nucleus sampling: the most likely tokens up to this probability mass, in (0, 1]" };
        topP.Validators.Add(r => { if (r.GetValue(topP) is float v && !(v > 0 && v <= 1)) r.AddError($"--top-p must be in (0, 1]; got {v}."); });
        var seed = new Option<int?>("--seed", "-s") { Description = "Seed of the sampler (default: random)" };
        var stop = new Option<bool>("--stop-at-eot") { Description = "Stop at <|endoftext|>" };
        var json = new Option<bool>("--json") { Description = "Print the completion, ids and speed as JSON" };
        var cmd = new Command("generate", "Continue a prompt with a GPT-2 text model (key/value cache; prints tokens/s)") { prompt, model, pretrained, count, temperature, topK, topP, seed, stop, json };
        cmd.SetAction(p => Guard(ctx, () => GenerateCommands.Generate(ctx, p.GetValue(model), p.GetValue(pretrained), p.GetValue(prompt) ?? "",
            new Praxis.Models.Gpt2.GenerationOptions
            {
                MaxNewTokens = p.GetValue(count) ?? 50, Temperature = p.GetValue(temperature), TopK = p.GetValue(topK), TopP = p.GetValue(topP),
                Seed = p.GetValue(seed), StopToken = p.GetValue(stop) ? Praxis.Tokenizers.Gpt2Tokenizer.EndOfText : null,
            }, p.GetValue(json))));
        return cmd;
    }

    private static string RunsDir(ParseResult p, Option<string> option) => p.GetValue(option) ?? CliContext.DefaultRunsDirectory;

    private static Option<int?> Positive(Option<int?> option)
    {
        option.Validators.Add(r =>
        {
            if (r.GetValue(option) is int v && v < 1) r.AddError($"{option.Name} must be at least 1; got {v}.");
        });
        return option;
    }

    /// <summary>Runs an action, turning expected failures into <c>error: …</c> and exit code 1.</summary>
    private static int Guard(CliContext ctx, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is CliException or IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException
                                   or ShapeMismatchException or HttpRequestException or InvalidOperationException)
        {
            ctx.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
