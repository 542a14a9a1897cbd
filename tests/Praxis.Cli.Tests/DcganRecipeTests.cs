using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Praxis.Cli.Recipes;
using Praxis.Cli.Training;
using Praxis.Models;

namespace Praxis.Cli.Tests;

/// <summary>
/// A journal with a small judge in its cache (one epoch on 2,000 images, under a second) and one short dcgan run
/// (256 images, one epoch: four adversarial steps), shared by the dcgan tests.
/// </summary>
public sealed class DcganRun : IDisposable
{
    public DcganRun()
    {
        Root = Directory.CreateTempSubdirectory("praxis-cli-dcgan-").FullName;
        var data = new MnistDataset().Load();
        var small = data with { TrainX = data.TrainX.SliceRows(0, 2000), TrainY = data.TrainY.SliceRows(0, 2000) };
        JudgePath = Judge.CachePath(Root, 1);
        (_, JudgeTrainSeconds) = Judge.LoadOrTrain(JudgePath, small, epochs: 1);
        (_, JudgeReloadSeconds) = Judge.LoadOrTrain(JudgePath, small, epochs: 1);
        Train = CliHarness.Run("train", "dcgan", "--epochs", "1", "--samples", "256", "--judge-epochs", "1", "--runs-dir", Root);
        Dir = Directory.GetDirectories(Root).Single(d => !Path.GetFileName(d).StartsWith('.'));
    }

    public string Root { get; }
    public string Dir { get; }
    public string JudgePath { get; }
    public double? JudgeTrainSeconds { get; }
    public double? JudgeReloadSeconds { get; }
    internal CliHarness.Result Train { get; }

    public JsonNode Json(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, file)))!;

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

public class DcganRecipeTests(DcganRun run) : IClassFixture<DcganRun>
{
    [Fact]
    public void TheJudgeIsTrainedOnceAndThenLoadedFromTheCache()
    {
        Assert.NotNull(run.JudgeTrainSeconds);
        Assert.Null(run.JudgeReloadSeconds);
        Assert.EndsWith(Path.Combine(".judge", "mnist-convnet-e1-s42.praxis"), run.JudgePath);
        Assert.True(File.Exists(run.JudgePath));
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(run.JudgePath)!), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        // The run used the cached judge rather than training one; `praxis runs` does not mistake the cache for a run.
        var judge = run.Json("result.json")["judge"]!;
        Assert.False(judge["trained_now"]!.GetValue<bool>());
        Assert.Equal(Path.GetFullPath(run.JudgePath), judge["path"]!.GetValue<string>());
        Assert.InRange(judge["test_accuracy"]!.GetValue<double>(), 0.4, 1.0); // chance is 0.1; one epoch on 2,000 images reaches about 0.7
    }

    [Fact]
    public void TrainInAPipeWritesOnePlainLinePerEpochAndTheRunFolder()
    {
        var r = run.Train;
        Assert.Equal("", r.Err);
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain(r.Out, c => c == '\r' || c == '\u001b' || (char.IsControl(c) && c != '\n'));
        var epoch = Assert.Single(r.Lines, l => l.StartsWith("Epoch ", StringComparison.Ordinal));
        Assert.Matches(@"^Epoch 1/1 - 4/4 - .* - d_loss: \d\.\d{4} - g_loss: \d\.\d{4} - d_real: .* - confident_0_9: \d\.\d{4} - classes: \d+$", epoch);
        Assert.Contains(r.Lines, l => l.StartsWith("Judge on 1,000 generated digits: ", StringComparison.Ordinal));
        Assert.Matches(@"^\d{8}-\d{6}-dcgan$", Path.GetFileName(run.Dir));
        foreach (var f in new[] { "config.json", "environment.json", "summary.txt", "metrics.csv", "result.json", "curves.png", "model.praxis", "discriminator.praxis", "samples/epoch_001.png" })
            Assert.True(File.Exists(Path.Combine(run.Dir, f)), $"{f} missing");
        string summary = File.ReadAllText(Path.Combine(run.Dir, "summary.txt"));
        Assert.Contains("Model: \"generator\"", summary);
        Assert.Contains("Model: \"discriminator\"", summary);

        var config = run.Json("config.json");
        Assert.Equal("dcgan", config["recipe"]!.GetValue<string>());
        Assert.Equal(1, config["epochs"]!.GetValue<int>());
        Assert.Equal(64, config["batch_size"]!.GetValue<int>());
        Assert.Equal(2e-4, config["learning_rate"]!.GetValue<double>());
        Assert.Equal(4e-4, config["discriminator_learning_rate"]!.GetValue<double>());
        Assert.Equal(0.5, config["optimizer"]!["beta_1"]!.GetValue<double>());
        Assert.Equal(0.5, config["discriminator_optimizer"]!["beta_1"]!.GetValue<double>());
        Assert.True(config["loss_config"]!["from_logits"]!.GetValue<bool>());
        Assert.Equal(2330945, config["generator_params"]!.GetValue<long>());
        Assert.Equal(138561, config["discriminator_params"]!.GetValue<long>());
        Assert.Equal(256, config["train_samples"]!.GetValue<int>());
        Assert.Equal(1, config["judge"]!["epochs"]!.GetValue<int>());

        var csv = File.ReadAllLines(Path.Combine(run.Dir, "metrics.csv"));
        // Epoch numbered from 1 and every batch of it trained (256 images in batches of 64), as the journal writes every run.
        Assert.Equal("epoch,batches,steps,d_loss,g_loss,d_real,d_fake,mean_confidence,confident_0_9,classes,seconds", csv[0]);
        Assert.Equal(2, csv.Length);
        var row = csv[1].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1, row[0]);
        Assert.Equal(4, row[1]);
        Assert.Equal(4, row[2]);
        Assert.InRange(row[5], 0, 1); // D(real)
        Assert.InRange(row[6], 0, 1); // D(fake)
        Assert.InRange(row[7], 0.1, 1); // mean top-class confidence: at least 1/10
        Assert.InRange(row[9], 1, 10);

        var result = run.Json("result.json");
        Assert.Equal("completed", result["status"]!.GetValue<string>());
        Assert.Equal(1, result["epochs_run"]!.GetValue<int>());
        Assert.True(result["train_seconds"]!.GetValue<double>() > 0);
        Assert.True(result["peak_memory_mib"]!.GetValue<double>() > 0);
        Assert.Equal(row[8], result["final"]!["confident_0_9"]!.GetValue<double>());
        Assert.Equal(1000, result["final"]!["histogram"]!.AsArray().Sum(h => h!.GetValue<int>()));
        Assert.Equal(10, result["judge"]!["real_test_digits"]!["histogram"]!.AsArray().Count);

        // The grid: 8×8 digits of 28×28 with a 1-pixel border.
        var png = File.ReadAllBytes(Path.Combine(run.Dir, "samples", "epoch_001.png"));
        Assert.Equal(8 * 29 + 1, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(8 * 29 + 1, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    [Fact]
    public void TheGeneratorFileMapsLatentsToImagesAndExportsToOnnx()
    {
        var generator = Model.Load(Path.Combine(run.Dir, "model.praxis"));
        var z = Tensor.RandomNormal(new Shape(5, 100), rng: new Rng(3));
        var images = generator.Predict(z);
        Assert.Equal(new Shape(5, 28, 28, 1), images.Shape);
        Assert.All(images.ToArray(), v => Assert.InRange(v, -1f, 1f));
        var discriminator = Model.Load(Path.Combine(run.Dir, "discriminator.praxis"));
        Assert.Equal(new Shape(5, 1), discriminator.Predict(images).Shape);

        // export writes ONNX that ONNX Runtime runs to the same images.
        string onnx = Path.Combine(run.Root, "generator.onnx");
        var ex = CliHarness.Run("export", Path.GetFileName(run.Dir), "-o", onnx, "--runs-dir", run.Root);
        Assert.Equal(0, ex.ExitCode);
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(onnx, options);
        string input = session.InputMetadata.Keys.Single();
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(z.ToArray(), [5, 100]))]);
        var actual = outputs.Single().AsTensor<float>().ToArray();
        var expected = images.ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.InRange(actual[i] - expected[i], -1e-5f, 1e-5f);
    }

    [Fact]
    public void EvaluateRescoresTheGeneratorWithTheRunsJudge()
    {
        var eval = CliHarness.Run("evaluate", "--json", "--runs-dir", run.Root);
        Assert.Equal(0, eval.ExitCode);
        var o = JsonNode.Parse(eval.Out)!;
        var final = run.Json("result.json")["final"]!;
        Assert.Equal(1000, o["samples"]!.GetValue<int>());
        Assert.Equal(final["confident_0_9"]!.GetValue<double>(), o["confident_0_9"]!.GetValue<double>(), 6);
        Assert.Equal(final["mean_confidence"]!.GetValue<double>(), o["mean_confidence"]!.GetValue<double>(), 6);
        Assert.Equal(final["classes"]!.GetValue<int>(), o["classes"]!.GetValue<int>());

        string pictures = Path.Combine(run.Root, "pictures");
        var text = CliHarness.Run("evaluate", Path.GetFileName(run.Dir), "-p", pictures, "--runs-dir", run.Root);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("the generator drew 1,000 digits", text.Out);
        Assert.True(new FileInfo(Path.Combine(pictures, "judged.png")).Length > 1000);
    }

    [Fact]
    public void RunsPlotAndSummaryWorkOnADcganRunAndPredictRefusesIt()
    {
        string id = Path.GetFileName(run.Dir);
        var list = CliHarness.Run("runs", "--runs-dir", run.Root);
        Assert.Equal(0, list.ExitCode);
        var line = Assert.Single(list.Lines, l => l.Contains(id, StringComparison.Ordinal));
        Assert.Matches(@"\| completed \| 1/1 +\| - +\| - +\| - +\|", line);
        Assert.Equal(0, CliHarness.Run("runs", "--json", "--runs-dir", run.Root).ExitCode);
        var show = CliHarness.Run("runs", "show", id, "--runs-dir", run.Root);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("discriminator.praxis", show.Out);
        var compare = CliHarness.Run("runs", "compare", id, id, "--runs-dir", run.Root);
        Assert.Equal(0, compare.ExitCode);
        Assert.Contains("| judged >= 0.9 ", compare.Out);
        Assert.DoesNotContain("| test accuracy ", compare.Out);

        string plot = Path.Combine(run.Root, "plot.png");
        var p = CliHarness.Run("plot", id, "-o", plot, "--runs-dir", run.Root);
        Assert.Equal(0, p.ExitCode);
        Assert.True(new FileInfo(plot).Length > 1000);

        var summary = CliHarness.Run("summary", "dcgan", "--runs-dir", run.Root);
        Assert.Equal(0, summary.ExitCode);
        Assert.Contains("Total params: 2,330,945", summary.Out);
        Assert.Contains("Total params: 138,561", summary.Out);

        string digit = PictureTests.WriteDigitPng(run.Root, new float[784], 0);
        var predict = CliHarness.Run("predict", digit, "--run", id, "--runs-dir", run.Root);
        Assert.Equal(1, predict.ExitCode);
        Assert.StartsWith($"error: run {id} (dcgan) is a generator: it maps latent vectors to images and does not classify pictures.", predict.Err);
    }

    [Fact]
    public void JsonAndQuietModes()
    {
        string root = Directory.CreateTempSubdirectory("praxis-cli-dcgan-json-").FullName;
        try
        {
            // A copy of the fixture's small judge, cached where these runs look for it.
            string judge = Judge.CachePath(root, 1);
            Directory.CreateDirectory(Path.GetDirectoryName(judge)!);
            File.Copy(run.JudgePath, judge);
            var r = CliHarness.Run("train", "dcgan", "--epochs", "1", "--samples", "128", "--judge-epochs", "1", "--json", "--seed", "7", "--runs-dir", root);
            Assert.Equal(0, r.ExitCode);
            var records = r.Lines.Select(l => JsonNode.Parse(l)!).ToArray();
            Assert.Equal(["start", "epoch", "end"], records.Select(x => x["event"]!.GetValue<string>()));
            Assert.True(records[1]["g_loss"]!.GetValue<double>() > 0);
            Assert.InRange(records[1]["confident_0_9"]!.GetValue<double>(), 0, 1);
            Assert.Equal("completed", records[2]["result"]!["status"]!.GetValue<string>());

            var q = CliHarness.Run("train", "dcgan", "--epochs", "1", "--samples", "128", "--judge-epochs", "1", "-q", "--runs-dir", root);
            Assert.Equal(0, q.ExitCode);
            Assert.Matches(@"^Judge on 1,000 generated digits: \d+\.\d% at confidence >= 0\.9, mean confidence 0\.\d{3}, \d+ classes \[[\d,]+\]\. Run: .*dcgan$", Assert.Single(q.Lines));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void ALossThatBecomesNaNEndsTheRunAsDiverged()
    {
        string root = Directory.CreateTempSubdirectory("praxis-cli-dcgan-nan-").FullName;
        try
        {
            string judge = Judge.CachePath(root, 1);
            Directory.CreateDirectory(Path.GetDirectoryName(judge)!);
            File.Copy(run.JudgePath, judge);
            var r = CliHarness.Run("train", "dcgan", "--epochs", "2", "--samples", "128", "--judge-epochs", "1", "--lr", "1e30", "--runs-dir", root);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("a loss became NaN or infinite", r.Out);
            string dir = Directory.GetDirectories(root).Single(d => !Path.GetFileName(d).StartsWith('.'));
            Assert.Equal("diverged", JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!["status"]!.GetValue<string>());
            Assert.False(File.Exists(Path.Combine(dir, "model.praxis")));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public async Task CtrlCStopsAfterTheStepAndKeepsThePartialEpochAsAnInterruptedRun()
    {
        if (OperatingSystem.IsWindows()) return; // SIGINT is sent with kill
        string root = Directory.CreateTempSubdirectory("praxis-cli-dcgan-int-").FullName;
        try
        {
            string judge = Judge.CachePath(root, 1);
            Directory.CreateDirectory(Path.GetDirectoryName(judge)!);
            File.Copy(run.JudgePath, judge);
            // The CLI as a process of its own (Ctrl+C is a signal), on all 60,000 images: an epoch of 937 steps takes tens of seconds.
            var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Praxis.Cli.dll"), "train", "dcgan", "--epochs", "3", "--judge-epochs", "1", "--runs-dir", root })
                psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string? line;
            while ((line = p.StandardOutput.ReadLine()) != null && !line.StartsWith("Training dcgan:", StringComparison.Ordinal)) { }
            Assert.NotNull(line);
            await Task.Delay(1500); // some steps into the first epoch
            using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", p.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
            string rest = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(60_000), "the run did not stop after Ctrl+C");
            Assert.Equal(130, p.ExitCode);
            Assert.Equal("", await stderr);
            Assert.Matches(@"Trained \d+/937 batches of epoch 1 in ", rest);
            Assert.Contains("(interrupted).", rest);

            string dir = Directory.GetDirectories(root).Single(d => !Path.GetFileName(d).StartsWith('.'));
            var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!;
            Assert.Equal("interrupted", result["status"]!.GetValue<string>());
            Assert.Equal(1, result["epochs_run"]!.GetValue<int>());
            var csv = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.Equal(2, csv.Length);
            Assert.Equal(1, result["partial_epoch"]!["epoch"]!.GetValue<int>());
            Assert.StartsWith($"1,{result["partial_epoch"]!["batches"]},937,", csv[1]);
            Assert.True(File.Exists(Path.Combine(dir, "model.praxis")));
            Assert.True(File.Exists(Path.Combine(dir, "samples", "epoch_001.png")));
            Assert.False(File.Exists(Path.Combine(dir, "samples", "epoch_002.png")));
        }
        finally { Directory.Delete(root, true); }
    }

    [Theory]
    [InlineData("--validation-split", "0.1", "--validation-split does not apply to recipe 'dcgan': a GAN has no validation loss")]
    [InlineData("--early-stopping", "2", "--early-stopping does not apply to recipe 'dcgan'")]
    [InlineData("--reduce-lr", "2", "--reduce-lr does not apply to recipe 'dcgan'")]
    [InlineData("--distributed", null, "--distributed does not apply to recipe 'dcgan': its adversarial loop runs in one process")]
    [InlineData("--samples", "10", "recipe 'dcgan' trains on full batches of 64 images, but --samples gives only 10")]
    public void OptionsThatDoNotFitAGanAreClearErrors(string option, string? value, string message)
    {
        string[] args = value == null ? ["train", "dcgan", option] : ["train", "dcgan", option, value];
        var r = CliHarness.Run([.. args, "--runs-dir", run.Root]);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: " + message, r.Err);
    }

    [Fact]
    public void JudgeEpochsIsForGanRecipesOnly()
    {
        var r = CliHarness.Run("train", "seed-mlp", "--judge-epochs", "2", "--runs-dir", run.Root);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--judge-epochs is for GAN recipes (dcgan); recipe 'seed-mlp' has no judge.", r.Err);
    }
}
