using System.Text.Json.Nodes;
using Praxis.Cli.Journal;
using Praxis.Models;

namespace Praxis.Cli.Tests;

[Collection(TrainedRuns.Collection)]
public class JournalTests(TrainedRuns runs)
{
    [Fact]
    public void RunsListsEveryRunWithBestMetricsAndCumulativeTime()
    {
        var r = CliHarness.Run("runs", "--runs-dir", runs.Root);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(Path.GetFileName(runs.FirstDir), r.Out);
        Assert.Contains(Path.GetFileName(runs.SecondDir), r.Out);
        var row = r.Lines.Single(l => l.Contains($"| {Path.GetFileName(runs.SecondDir)} |"));
        Assert.Contains("| completed ", row);
        Assert.Contains("| 3/3 ", row);
        double acc = JsonNode.Parse(File.ReadAllText(Path.Combine(runs.SecondDir, "result.json")))!["test"]!["accuracy"]!.GetValue<double>();
        Assert.Contains($"{100 * acc:F2}%", row);
        double hours = RunStore.List(runs.Root).Sum(x => x.TrainSeconds) / 3600;
        Assert.Contains($"2 runs in {runs.Root}; cumulative training time {hours:F3} h", r.Out);
        Assert.DoesNotContain(r.Out, c => c == '\u001b');
    }

    [Fact]
    public void CompareShowsConfigDifferencesAndResultsSideBySide()
    {
        var r = CliHarness.Run("runs", "compare", "1", "2", "--runs-dir", runs.Root);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"A = {Path.GetFileName(runs.FirstDir)}", r.Lines[0]);
        Assert.Matches(@"\| learning_rate\s+\| 0\.001\s+\| 0\.003\s+\| differs", r.Out);
        Assert.Matches(@"\| epochs\s+\| 2\s+\| 3\s+\| differs", r.Out);
        Assert.Matches(@"\| seed\s+\| 42\s+\| 7\s+\| differs", r.Out);
        Assert.DoesNotMatch(@"\| batch_size ", r.Out); // identical settings are hidden unless --all
        Assert.Matches(@"\| test accuracy\s+\| \d+\.\d\d%\s+\| \d+\.\d\d%\s+\| [+-]\d+\.\d\d pp", r.Out);
        Assert.Matches(@"\| 3\s+\| -\s+\| \d\.\d{4}", r.Out); // epoch 3 exists only in B
        Assert.Contains("| batch_size", CliHarness.Run("runs", "compare", "1", "2", "--all", "--runs-dir", runs.Root).Out);
    }

    [Fact]
    public void RunReferencesResolveByNumberNamePartAndLatest()
    {
        string first = Path.GetFileName(runs.FirstDir), second = Path.GetFileName(runs.SecondDir);
        Assert.Equal(first, RunStore.Resolve(runs.Root, "1").Id);
        Assert.Equal(second, RunStore.Resolve(runs.Root, "-1").Id);
        Assert.Equal(second, RunStore.Resolve(runs.Root, "latest").Id);
        Assert.Equal(first, RunStore.Resolve(runs.Root, first).Id);
        Assert.Equal(second, RunStore.Resolve(runs.Root, runs.SecondDir).Id);
        var e = Assert.Throws<CliException>(() => RunStore.Resolve(runs.Root, "seed-mlp"));
        Assert.Contains("matches 2 runs", e.Message);
        e = Assert.Throws<CliException>(() => RunStore.Resolve(runs.Root, "nothing-like-this"));
        Assert.Contains("no run matches 'nothing-like-this'", e.Message);
    }

    [Fact]
    public void EvaluateReloadsTheSavedModelAndReproducesTheTestResult()
    {
        var r = CliHarness.Run("evaluate", "2", "--json", "--runs-dir", runs.Root);
        Assert.Equal(0, r.ExitCode);
        var eval = JsonNode.Parse(r.Out)!;
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(runs.SecondDir, "result.json")))!;
        Assert.Equal(result["test"]!["accuracy"]!.GetValue<double>(), eval["accuracy"]!.GetValue<double>());
        Assert.Equal(result["test"]!["loss"]!.GetValue<double>(), eval["loss"]!.GetValue<double>(), 6);

        var text = CliHarness.Run("evaluate", "--runs-dir", runs.Root); // newest trained run
        Assert.Contains("Test accuracy: ", text.Out);
        Assert.Contains("| Class | Images | Recall", text.Out);
    }

    [Fact]
    public void DamagedModelFileGivesAClearErrorNamingIt()
    {
        string copy = CopyRun(runs.FirstDir, "zz-damaged-copy");
        try
        {
            string model = Path.Combine(copy, RunFolder.ModelFile);
            var bytes = File.ReadAllBytes(model);
            File.WriteAllBytes(model, bytes[..1000]);
            var r = CliHarness.Run("evaluate", copy, "--runs-dir", runs.Root);
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith($"error: {model}: ", r.Err);
            Assert.Contains("truncated", r.Err);

            bytes[^8] ^= 0x01; // the last weight's bits
            File.WriteAllBytes(model, bytes);
            r = CliHarness.Run("evaluate", copy, "--runs-dir", runs.Root);
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith($"error: {model}: checksum mismatch", r.Err);

            File.Delete(model);
            r = CliHarness.Run("evaluate", copy, "--runs-dir", runs.Root);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("run zz-damaged-copy has no trained model (model.praxis)", r.Err);
        }
        finally { Directory.Delete(copy, true); }
    }

    [Fact]
    public void ARunFromBeforeModelFilesGetsAnErrorNamingItsWeightsBin()
    {
        string copy = CopyRun(runs.SecondDir, "zz-legacy-copy");
        try
        {
            // What praxis train wrote before runs kept model.praxis; this version no longer reads it.
            File.WriteAllBytes(Path.Combine(copy, RunFolder.LegacyWeightsFile), "PRXW\u0001\0\0\0"u8.ToArray());
            File.Delete(Path.Combine(copy, RunFolder.ModelFile));
            var r = CliHarness.Run("evaluate", copy, "--runs-dir", runs.Root);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("weights.bin", r.Err);
            Assert.Contains("no longer reads; train it again (praxis train", r.Err);
        }
        finally { Directory.Delete(copy, true); }
    }

    private string CopyRun(string from, string name)
    {
        string copy = Path.Combine(runs.Root, name);
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        return copy;
    }

    [Fact]
    public void SummaryShowsRecipesAndRuns()
    {
        var r = CliHarness.Run("summary", "seed-mlp");
        Assert.Contains("Total params: 50,890", r.Out);
        r = CliHarness.Run("summary", "1", "--runs-dir", runs.Root);
        Assert.Contains($"Run {Path.GetFileName(runs.FirstDir)}", r.Out);
        Assert.Contains("dense_1 (Dense)", r.Out);
    }

    [Fact]
    public void DatasetsListAndVerifyTheShippedMnist()
    {
        var r = CliHarness.Run("datasets", "list");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("mnist", r.Out);
        Assert.Contains("shipped: ", r.Out);
        r = CliHarness.Run("datasets", "verify", "mnist");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("ok        train-images-idx3-ubyte.gz", r.Out);
        Assert.Matches(@"\d+ files verified\.", r.Out);
    }

    [Theory]
    // The long fuzz run's nine journal failures: a key twice inside a nested object threw ArgumentException when read.
    [InlineData("{\"status\":\"completed\",\"final\":{\"accuracy\":0.9,\"accuracy\":0.8}}", "not valid JSON")]
    [InlineData("{\"status\":\"completed\",\"final\":{\"note\":\"\\ud800\"}}", "a string in it is not valid text")]
    [InlineData("{\"status\":\"\\udc00\"}", "a string in it is not valid text")]
    public void ADamagedResultJsonNamesTheFile(string json, string fault)
    {
        string dir = Directory.CreateTempSubdirectory("praxis-cli-badjson-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, RunFolder.ConfigFile), "{\"recipe\":\"seed-mlp\"}");
            File.WriteAllText(Path.Combine(dir, RunFolder.ResultFile), json);
            var run = RunFolder.Open(dir);
            var e = Assert.Throws<CliException>(() => run.Result);
            Assert.True(e.Message.StartsWith(Path.Combine(dir, RunFolder.ResultFile) + ": " + fault, StringComparison.Ordinal), e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
