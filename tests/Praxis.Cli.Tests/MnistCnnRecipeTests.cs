using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Data;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;

namespace Praxis.Cli.Tests;

/// <summary>
/// The mnist-cnn recipe, trained for one epoch on 1,000 images (a few seconds), and the commands that work off the run's
/// model file: evaluate, predict and export load it with Model.Load, never rebuilding the convnet from the recipe.
/// </summary>
public sealed class MnistCnnRecipeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("praxis-cli-cnn-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void MnistCnnTrainsAndEvaluatePredictAndExportWorkOffItsModelFile()
    {
        var r = CliHarness.Run("train", "mnist-cnn", "--epochs", "1", "--samples", "1000", "--runs-dir", _root);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Err);
        Assert.StartsWith("Epoch 1/1 - 8/8 - ", Assert.Single(r.Lines, l => l.StartsWith("Epoch ", StringComparison.Ordinal))); // 900 images, batch 128
        string dir = Assert.Single(Directory.GetDirectories(_root));
        Assert.Matches(@"^\d{8}-\d{6}-mnist-cnn$", Path.GetFileName(dir));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
        Assert.Equal(128, config["batch_size"]!.GetValue<int>());
        Assert.Equal(34826, config["params"]!.GetValue<long>()); // Keras' summary of the same convnet
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!;
        double accuracy = result["test"]!["accuracy"]!.GetValue<double>();
        Assert.InRange(accuracy, 0.3, 1.0); // chance is 0.1; one epoch on 900 images reaches about 0.6

        // The run keeps a real model file (no raw weights), and Model.Load gives back the convnet, compiled as trained.
        Assert.False(File.Exists(Path.Combine(dir, "weights.bin")));
        var model = Model.Load(Path.Combine(dir, "model.praxis"));
        Assert.Equal(["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"],
            model.Layers.Where(l => l is not InputLayer).Select(l => l.GetType().Name));
        Assert.IsType<Adam>(model.Optimizer);
        Assert.Equal("categorical_crossentropy", model.Loss!.Name);

        // evaluate reloads it and reproduces the test result that training recorded.
        var eval = CliHarness.Run("evaluate", "--json", "--runs-dir", _root);
        Assert.Equal(0, eval.ExitCode);
        Assert.Equal(accuracy, JsonNode.Parse(eval.Out)!["accuracy"]!.GetValue<double>());

        // predict on a PNG of a test digit gives the loaded model's probabilities on the (N, 28, 28, 1) tensor.
        var (_, (xTest, _)) = Mnist.LoadData();
        var direct = model.Predict(xTest.SliceRows(0, 1).Reshape(-1, 28, 28, 1)).ToArray();
        var pixels = new float[784];
        xTest.CopyTo(pixels, 0);
        string png = PictureTests.WriteDigitPng(_root, pixels, 0);
        var p = CliHarness.Run("predict", png, "--json", "--runs-dir", _root);
        Assert.Equal(0, p.ExitCode);
        var probabilities = JsonNode.Parse(p.Out)!["predictions"]![0]!["probabilities"]!;
        for (int c = 0; c < 10; c++)
            Assert.InRange(probabilities[c.ToString(CultureInfo.InvariantCulture)]!.GetValue<double>() - direct[c], -1e-6, 1e-6); // JSON keeps 6 decimals

        // export writes ONNX from the same file.
        var ex = CliHarness.Run("export", "--runs-dir", _root);
        Assert.Equal(0, ex.ExitCode);
        Assert.True(new FileInfo(Path.Combine(dir, "model.onnx")).Length > 34826 * 4, "the ONNX file cannot hold the weights");

        // Without summary.txt, summary describes the run from its model file.
        File.Delete(Path.Combine(dir, "summary.txt"));
        var summary = CliHarness.Run("summary", "latest", "--runs-dir", _root);
        Assert.Equal(0, summary.ExitCode);
        Assert.Contains("conv2d_1 (Conv2D)", summary.Out);
        Assert.Contains("Total params: 34,826", summary.Out);

        // A damaged model file is an error that names it, from every command that loads it.
        string modelFile = Path.Combine(dir, "model.praxis");
        var bytes = File.ReadAllBytes(modelFile);
        bytes[^100] ^= 0x40; // one weight's bits: only the checksum can tell
        File.WriteAllBytes(modelFile, bytes);
        foreach (var args in new[] { new[] { "evaluate" }, ["predict", png], ["export"] })
        {
            var bad = CliHarness.Run([.. args, "--runs-dir", _root]);
            Assert.Equal(1, bad.ExitCode);
            Assert.StartsWith($"error: {modelFile}: checksum mismatch", bad.Err);
        }
    }
}
