using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Cli.Journal;

namespace Praxis.Cli.Tests;

[Collection(TrainedRuns.Collection)]
public class TrainCommandTests(TrainedRuns runs)
{
    [Fact]
    public void TrainInAPipePrintsOneLinePerEpochWithoutControlCharacters()
    {
        var r = runs.First;
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Err);
        Assert.DoesNotContain(r.Out, c => c == '\r' || c == '\u001b' || (char.IsControl(c) && c != '\n'));
        var epochLines = r.Lines.Where(l => l.StartsWith("Epoch ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, epochLines.Length);
        Assert.StartsWith("Epoch 1/2 - 169/169 - ", epochLines[0]); // 5,400 training images (10% held out) in batches of 32
        Assert.Contains(" - loss: ", epochLines[0]);
        Assert.Contains(" - val_accuracy: ", epochLines[1]);
        Assert.Contains(r.Lines, l => l.StartsWith("Test accuracy: ", StringComparison.Ordinal));
        Assert.Contains(r.Lines, l => l.StartsWith("Run saved to ", StringComparison.Ordinal));
    }

    [Fact]
    public void TrainWritesTheRunFolder()
    {
        string dir = runs.FirstDir;
        Assert.Matches(@"^\d{8}-\d{6}-seed-mlp$", Path.GetFileName(dir));
        foreach (var f in new[] { "config.json", "environment.json", "result.json", "metrics.csv", "summary.txt", "curves.png", "confusion.png", "misclassified.png", "model.praxis" })
            Assert.True(File.Exists(Path.Combine(dir, f)), $"{f} missing");

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("seed-mlp", config["recipe"]!.GetValue<string>());
        Assert.Equal(2, config["epochs"]!.GetValue<int>());
        Assert.Equal(32, config["batch_size"]!.GetValue<int>());
        Assert.Equal(0.001, config["learning_rate"]!.GetValue<double>());
        Assert.Equal(42, config["seed"]!.GetValue<int>());
        Assert.Equal(5400, config["train_samples"]!.GetValue<int>());
        Assert.Equal(50890, config["params"]!.GetValue<long>());

        var env = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "environment.json")))!;
        Assert.Equal(PraxisInfo.Version, env["praxis_version"]!.GetValue<string>());
        Assert.Equal(Environment.ProcessorCount, env["logical_cores"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(env["cpu"]!.GetValue<string>()));

        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!;
        Assert.Equal("completed", result["status"]!.GetValue<string>());
        Assert.Equal(2, result["epochs_run"]!.GetValue<int>());
        Assert.True(result["train_seconds"]!.GetValue<double>() > 0);
        double acc = result["test"]!["accuracy"]!.GetValue<double>();
        Assert.InRange(acc, 0.85, 1.0); // 6,000 images, 2 epochs
        Assert.Equal((int)Math.Round((1 - acc) * 10000), result["test_misclassified"]!.GetValue<int>());

        // Epochs numbered from 1, as result.json, `praxis runs` and the plots number them; every batch of each epoch trained.
        var csv = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
        Assert.Equal("epoch,batches,steps,accuracy,learning_rate,loss,val_accuracy,val_loss", csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("1,169,169,", csv[1]);
        Assert.StartsWith("2,169,169,", csv[2]);
        Assert.Equal(2, result["final"]!["epoch"]!.GetValue<int>());
        Assert.Equal(result["final"]!["val_loss"]!.GetValue<double>(), double.Parse(csv[2].Split(',')[7], CultureInfo.InvariantCulture));
        Assert.Null(result["partial_epoch"]);
        Assert.Null(result["final"]!["partial"]);
        Assert.Contains(runs.First.Lines, l => l.StartsWith("Trained 2 epochs in ", StringComparison.Ordinal));
    }

    [Fact]
    public void JsonModePrintsOnlyJsonRecords()
    {
        string root = Directory.CreateTempSubdirectory("praxis-cli-json-").FullName;
        try
        {
            var r = CliHarness.Run("train", "seed-mlp", "--epochs", "2", "--samples", "2000", "--json", "--runs-dir", root);
            Assert.Equal(0, r.ExitCode);
            var records = r.Lines.Select(l => JsonNode.Parse(l)!).ToArray(); // throws if any line is not JSON
            Assert.Equal(["start", "epoch", "epoch", "end"], records.Select(x => x["event"]!.GetValue<string>()));
            Assert.Equal(2, records[2]["epoch"]!.GetValue<int>());
            Assert.True(records[1]["loss"]!.GetValue<double>() > 0);
            Assert.Equal("completed", records[3]["result"]!["status"]!.GetValue<string>());
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void QuietPrintsOnlyTheResult()
    {
        string root = Directory.CreateTempSubdirectory("praxis-cli-quiet-").FullName;
        try
        {
            var r = CliHarness.Run("train", "seed-mlp", "--epochs", "1", "--samples", "1000", "-q", "--runs-dir", root);
            Assert.Equal(0, r.ExitCode);
            var line = Assert.Single(r.Lines);
            Assert.Matches(@"^Test accuracy: \d+\.\d\d% \(loss \d\.\d{4}; .*\)\. Run: .*seed-mlp$", line);
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void BadArgumentsGiveClearErrors()
    {
        var r = CliHarness.Run("train", "no-such-recipe", "--runs-dir", runs.Root);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("unknown recipe 'no-such-recipe'. Known recipes: seed-mlp, mnist-cnn, dcgan, text-cnn.", r.Err);

        r = CliHarness.Run("train", "seed-mlp", "--epochs", "0", "--runs-dir", runs.Root);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--epochs must be at least 1; got 0.", r.Err);

        r = CliHarness.Run("train", "seed-mlp", "--early-stopping", "2", "--validation-split", "0", "--runs-dir", runs.Root);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--early-stopping watches val_loss, but --validation-split is 0", r.Err);

        r = CliHarness.Run("train", "seed-mlp", "--validation-split", "1.5", "--runs-dir", runs.Root);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("--validation-split must be in [0, 1)", r.Err);
    }

    [Fact]
    public void AnEpochCutShortIsMarkedPartialEverywhereTheJournalShowsIt()
    {
        // A loss that overflows at once: TerminateOnNaN leaves the first epoch after a few of its 32 batches.
        string root = Directory.CreateTempSubdirectory("praxis-cli-partial-").FullName;
        try
        {
            var r = CliHarness.Run("train", "seed-mlp", "--epochs", "1", "--samples", "1000", "--lr", "1e30", "--runs-dir", root);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains(r.Lines, l => l.StartsWith("Training seed-mlp: 1 epoch, ", StringComparison.Ordinal)); // not "1 epochs"
            string dir = Directory.GetDirectories(root).Single();
            var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!;
            Assert.Equal("diverged", result["status"]!.GetValue<string>());
            var partial = result["partial_epoch"]!;
            Assert.Equal(1, partial["epoch"]!.GetValue<int>());
            int batches = partial["batches"]!.GetValue<int>();
            Assert.Equal(29, partial["steps"]!.GetValue<int>()); // 900 training images in batches of 32
            Assert.InRange(batches, 1, 28);
            Assert.Equal(batches, result["final"]!["partial"]!["batches"]!.GetValue<int>());
            Assert.Contains(r.Lines, l => l.StartsWith($"Trained {batches}/29 batches of epoch 1 in ", StringComparison.Ordinal));

            var csv = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.StartsWith($"1,{batches},29,", csv[1]);
            var table = MetricsTable.Read(Path.Combine(dir, "metrics.csv"));
            Assert.True(table.IsPartial(0));
            Assert.Equal(new PartialEpoch(1, batches, 29), table.PartialEpoch);

            var list = CliHarness.Run("runs", "--runs-dir", root);
            Assert.Contains("1*/1", list.Out);
            Assert.Contains("*: the last epoch ended early", string.Join(" ", list.Out.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries)));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void OlderJournalsNumberedFromZeroAreReadFromOne()
    {
        string dir = Directory.CreateTempSubdirectory("praxis-cli-oldcsv-").FullName;
        try
        {
            string path = Path.Combine(dir, "metrics.csv");
            File.WriteAllText(path, "epoch,loss,val_loss\n0,0.5,0.6\n1,0.4,0.5\n");
            var table = MetricsTable.Read(path);
            Assert.Equal([1, 2], table.Epochs);
            Assert.Equal([0.5, 0.4], table.Columns["loss"]);
            Assert.Null(table.PartialEpoch);

            File.WriteAllText(path, "epoch,batches,steps,loss\n1,12,10,0.5\n");
            Assert.Contains("12 batches of an epoch of 10", Assert.Throws<CliException>(() => MetricsTable.Read(path)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
