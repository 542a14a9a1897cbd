using Praxis.Models;

namespace Praxis.Cli.Tests;

/// <summary><c>praxis export</c> over the shared trained runs.</summary>
[Collection(TrainedRuns.Collection)]
public class ExportCommandTests(TrainedRuns runs)
{
    [Fact]
    public void ExportsARunAsOnnxAndAsAModelFileThatReloadsIdentically()
    {
        using var dir = new TempFolder();
        string onnx = Path.Combine(dir.Path, "seed.onnx");
        var r = CliHarness.Run("export", "2", "-o", onnx, "--runs-dir", runs.Root);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"Exported run {Path.GetFileName(runs.SecondDir)} to {onnx} (ONNX opset 26, ", r.Out);
        var bytes = File.ReadAllBytes(onnx);
        Assert.Equal(0x08, bytes[0]); // ModelProto field 1 (ir_version), varint
        Assert.True(bytes.AsSpan().IndexOf("praxis"u8) > 0, "producer_name 'praxis' not in the file");
        Assert.True(bytes.AsSpan().IndexOf("Softmax"u8) > 0, "no Softmax node in the file");

        // A run already keeps its model file; --format praxis says where, or copies it elsewhere with -o.
        string kept = Path.Combine(runs.SecondDir, "model.praxis");
        var saved = CliHarness.Run("export", "2", "--format", "praxis", "--runs-dir", runs.Root);
        Assert.Equal(0, saved.ExitCode);
        Assert.StartsWith($"Run {Path.GetFileName(runs.SecondDir)} already keeps its model in {kept} (", saved.Out);
        string copy = Path.Combine(dir.Path, "copy.praxis");
        saved = CliHarness.Run("export", "2", "--format", "praxis", "-o", copy, "--runs-dir", runs.Root);
        Assert.Equal(0, saved.ExitCode);
        var x = Tensor.RandomUniform(new Shape(5, 784), 0, 1, new Rng(1));
        Assert.Equal(Model.Load(kept).Predict(x).ToArray(), Model.Load(copy).Predict(x).ToArray());
        var again = CliHarness.Run("export", copy, "--runs-dir", runs.Root);
        Assert.Equal(0, again.ExitCode);
        Assert.True(File.Exists(Path.ChangeExtension(copy, ".onnx")));
    }

    [Fact]
    public void BadSourcesAndOptionsAreClearErrors()
    {
        using var dir = new TempFolder();
        string corrupt = Path.Combine(dir.Path, "bad.praxis");
        File.WriteAllBytes(corrupt, [1, 2, 3]);
        var r = CliHarness.Run("export", corrupt, "--runs-dir", runs.Root);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"error: {corrupt}: the file is 3 bytes", r.Err);
        var opset = CliHarness.Run("export", "2", "--opset", "11", "--runs-dir", runs.Root);
        Assert.NotEqual(0, opset.ExitCode);
        Assert.Contains("--opset must be in 13..26; got 11.", opset.Err + opset.Out);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("praxis-export-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
