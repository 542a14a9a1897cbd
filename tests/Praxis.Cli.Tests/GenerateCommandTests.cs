using System.Text.Json;
using Praxis.Models.Gpt2;

namespace Praxis.Cli.Tests;

/// <summary><c>praxis generate</c> on the tiny random GPT-2 in data/gpt2-tiny.</summary>
public class GenerateCommandTests
{
    [Fact]
    public void GreedyGenerationPrintsThePyTorchReferenceIdsAsJson()
    {
        var r = CliHarness.Run("generate", "Hello, my name is", "-n", "16", "--temperature", "0", "--json");
        Assert.Equal(0, r.ExitCode);
        var o = JsonDocument.Parse(r.Out).RootElement;
        // data/gpt2-tiny/reference.json: PyTorch's greedy continuation of the same five ids.
        var reference = JsonDocument.Parse(File.ReadAllText(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(o.GetProperty("model").GetString()!)!, "gpt2-tiny", "reference.json"))).RootElement;
        Assert.Equal(reference.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()), o.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(5, o.GetProperty("prompt_tokens").GetInt32());
        Assert.True(o.GetProperty("tokens_per_s").GetDouble() > 0);
    }

    [Fact]
    public void TextOutputAndAPraxisFileAndClearErrors()
    {
        using var dir = new TempFolder();
        var r = CliHarness.Run("generate", "Call me Ishmael.", "-n", "5", "--seed", "3", "--top-k", "40", "--top-p", "0.9");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("Call me Ishmael.", r.Out);
        Assert.Contains("5 tokens at", r.Err);
        // The same model through a .praxis file generates the same text with the same seed.
        var r0 = CliHarness.Run("generate", "Call me Ishmael.", "-n", "5", "--seed", "3", "--json");
        string file = System.IO.Path.Combine(dir.Path, "tiny.praxis");
        Gpt2.FromHuggingFace(System.IO.Path.GetFullPath(JsonDocument.Parse(r0.Out).RootElement.GetProperty("model").GetString()!)).Save(file);
        var r1 = CliHarness.Run("generate", "Call me Ishmael.", "-n", "5", "--seed", "3", "--json", "-m", file);
        Assert.Equal(JsonDocument.Parse(r0.Out).RootElement.GetProperty("ids").ToString(), JsonDocument.Parse(r1.Out).RootElement.GetProperty("ids").ToString());
        var bad = CliHarness.Run("generate", "x", "-m", System.IO.Path.Combine(dir.Path, "missing"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("no such file or directory", bad.Err);
        var badP = CliHarness.Run("generate", "x", "--top-p", "1.5");
        Assert.NotEqual(0, badP.ExitCode);
        Assert.Contains("--top-p must be in (0, 1]", badP.Err + badP.Out);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("praxis-generate-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
