using System.Text.Json.Nodes;
using Praxis.Data;
using Praxis.Tests.Data;

namespace Praxis.Cli.Tests;

/// <summary>
/// Fashion-MNIST through the CLI, on Debian's real (re-compressed) copy: <c>praxis datasets</c> finds and imports it,
/// <c>praxis train --dataset fashion-mnist</c> trains seed-mlp and mnist-cnn on it, and the journal, evaluate and
/// predict speak its class names.
/// </summary>
public sealed class FashionMnistCliTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("praxis-cli-fmnist-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Runs <paramref name="action"/> with the dataset cache moved to a fresh folder.</summary>
    private void WithCache(Action<string> action)
    {
        string? saved = Environment.GetEnvironmentVariable("PRAXIS_CACHE");
        string cache = Path.Combine(_root, "cache");
        Environment.SetEnvironmentVariable("PRAXIS_CACHE", cache);
        try { action(cache); }
        finally { Environment.SetEnvironmentVariable("PRAXIS_CACHE", saved); }
    }

    [Fact]
    public void DatasetsListsFashionMnistAndHowToGetIt()
    {
        var r = CliHarness.Run("datasets", "list");
        Assert.Equal(0, r.ExitCode);
        string row = Assert.Single(r.Lines, l => l.StartsWith("| fashion-mnist ", StringComparison.Ordinal));
        Assert.Contains("T-shirt/top", row);
        if (DebianFashionMnist.Directory is { } dir) Assert.Contains($"system: {dir}", row);
        else Assert.Contains("praxis datasets download fashion-mnist", r.Out);
        Assert.Contains("/usr/share/datasets/NAME", r.Out);
    }

    [DebianFashionMnistFact]
    public void ImportCopiesDebiansCopyIntoTheCacheVerifiedAndRefusesADamagedOne()
    {
        string debian = DebianFashionMnist.Require();
        WithCache(cache =>
        {
            // A damaged copy first: refused, naming the file with expected and actual hashes; the cache stays empty.
            string bad = Path.Combine(_root, "bad");
            Directory.CreateDirectory(bad);
            foreach (var f in FashionMnist.Files.Keys) File.Copy(Path.Combine(debian, f), Path.Combine(bad, f));
            string labels = Path.Combine(bad, "train-labels-idx1-ubyte.gz");
            File.WriteAllBytes(labels, File.ReadAllBytes(labels)[..^64]);
            var r = CliHarness.Run("datasets", "import", "fashion-mnist", bad);
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"{labels}: SHA-256 mismatch", r.Err);
            Assert.Contains(FashionMnist.Manifest.Files[1].PayloadSha256!, r.Err);
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(cache, "fashion-mnist")));

            r = CliHarness.Run("datasets", "import", "fashion-mnist", debian);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(4, r.Lines.Count(l => l.Contains("re-compressed; decompressed contents verified", StringComparison.Ordinal)));
            foreach (var f in FashionMnist.Files.Keys)
                Assert.Equal(DatasetCache.Sha256(Path.Combine(debian, f)), DatasetCache.Sha256(Path.Combine(cache, "fashion-mnist", f)));

            r = CliHarness.Run("datasets", "verify", "fashion-mnist");
            Assert.Equal(0, r.ExitCode);
            Assert.Contains($"fashion-mnist (cache: {Path.Combine(cache, "fashion-mnist")})", r.Out);
            Assert.Contains("8 files verified.", r.Out); // the cache copy and Debian's
        });
    }

    [DebianFashionMnistFact]
    public void SeedMlpTrainsOnFashionMnistAndTheRunSpeaksItsClassNames()
    {
        string debian = DebianFashionMnist.Require();
        var r = CliHarness.Run("train", "seed-mlp", "--dataset", "fashion-mnist", "--epochs", "1", "--samples", "3000", "--runs-dir", _root);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Data: fashion-mnist, 2,700 train / 300 validation / 10,000 test images", r.Out);
        string dir = Assert.Single(Directory.GetDirectories(_root));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("fashion-mnist", config["dataset"]!.GetValue<string>());
        Assert.Equal(FashionMnist.ClassNames, config["class_names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("--dataset fashion-mnist", config["command"]!.GetValue<string>());
        Assert.True(new FileInfo(Path.Combine(dir, "confusion.png")).Length > 0);
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!;
        Assert.InRange(result["test"]!["accuracy"]!.GetValue<double>(), 0.5, 1.0); // chance is 0.1; this reaches about 0.7

        // evaluate reads the dataset from the run, not from the recipe's default (MNIST).
        r = CliHarness.Run("evaluate", "--runs-dir", _root, "--json");
        Assert.Equal(0, r.ExitCode);
        var recall = JsonNode.Parse(r.Out)!["recall"]!.AsObject();
        Assert.Equal(FashionMnist.ClassNames, recall.Select(p => p.Key));
        r = CliHarness.Run("evaluate", "--runs-dir", _root);
        Assert.Contains("on the fashion-mnist test set", r.Out);
        Assert.Contains("| Ankle boot ", r.Out);

        // predict names classes: the first test images are an ankle boot, a pullover and two trousers.
        r = CliHarness.Run("predict", Path.Combine(debian, "t10k-images-idx3-ubyte.gz"), "--limit", "4", "--runs-dir", _root, "--json");
        Assert.Equal(0, r.ExitCode);
        var predictions = JsonNode.Parse(r.Out)!["predictions"]!.AsArray();
        Assert.Equal(10000, predictions.Count);
        Assert.Equal(FashionMnist.ClassNames, predictions[0]!["probabilities"]!.AsObject().Select(p => p.Key));
        Assert.Equal("Trouser", predictions[2]!["predicted"]!.GetValue<string>());
        r = CliHarness.Run("predict", Path.Combine(debian, "t10k-images-idx3-ubyte.gz"), "--limit", "4", "--runs-dir", _root);
        Assert.Matches(@"#2\s+Trouser\s+\(", r.Out);
        Assert.Contains("Predicted classes: T-shirt/top: ", r.Out);
    }

    [DebianFashionMnistFact]
    public void MnistCnnTrainsOnFashionMnist()
    {
        DebianFashionMnist.Require();
        var r = CliHarness.Run("train", "mnist-cnn", "-d", "fashion-mnist", "--epochs", "1", "--samples", "1000", "--runs-dir", _root, "--quiet");
        Assert.Equal(0, r.ExitCode);
        string dir = Assert.Single(Directory.GetDirectories(_root));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal("fashion-mnist", config["dataset"]!.GetValue<string>());
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!;
        Assert.InRange(result["test"]!["accuracy"]!.GetValue<double>(), 0.3, 1.0); // chance is 0.1
        r = CliHarness.Run("evaluate", "--runs-dir", _root);
        Assert.Contains("| T-shirt/top ", r.Out);
    }

    [Theory]
    [InlineData("dcgan", "fashion-mnist", "recipe 'dcgan' does not train on 'fashion-mnist' (--dataset); it takes: mnist.")]
    [InlineData("text-cnn", "mnist", "recipe 'text-cnn' does not train on 'mnist' (--dataset); it takes: spam-assassin.")]
    [InlineData("seed-mlp", "cifar10", "unknown dataset 'cifar10'. Known datasets: mnist, fashion-mnist, spam-assassin.")]
    public void ADatasetARecipeCannotTrainOnIsRefusedBeforeARunStarts(string recipe, string dataset, string error)
    {
        var r = CliHarness.Run("train", recipe, "--dataset", dataset, "--runs-dir", _root);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: {error}\n", r.Err);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }
}
