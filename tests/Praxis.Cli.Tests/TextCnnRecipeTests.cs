using System.Text.Json.Nodes;
using Praxis.Layers;
using Praxis.Models;

namespace Praxis.Cli.Tests;

/// <summary>
/// The text-cnn recipe trained for 2 epochs on 1,600 SpamAssassin messages (about 10 s), and evaluate/predict on raw text from the
/// run's model file (its TextVectorization and vocabulary come back with it).
/// </summary>
public sealed class TextCnnRecipeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("praxis-cli-text-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void TextCnnTrainsAndEvaluateAndPredictTakeRawText()
    {
        var r = CliHarness.Run("train", "text-cnn", "--epochs", "2", "--samples", "1600", "--runs-dir", _root);
        Assert.True(r.ExitCode == 0, r.Err + r.Out);
        Assert.Equal("", r.Err);
        Assert.StartsWith("Epoch 2/2 - 45/45 - ", r.Lines.Last(l => l.StartsWith("Epoch ", StringComparison.Ordinal))); // 1,440 messages, batch 32
        Assert.Contains(r.Lines, l => l.StartsWith("Data: spam-assassin, 1,440 train / 160 validation / 1,193 test messages", StringComparison.Ordinal));
        string dir = Assert.Single(Directory.GetDirectories(_root));
        var result = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "result.json")))!;
        double accuracy = result["test"]!["accuracy"]!.GetValue<double>();
        Assert.InRange(accuracy, 0.8, 1.0); // 70 % of the test set is ham (all-ham scores 0.702); 2 epochs on 1,440 reach about 0.875
        Assert.True(File.Exists(Path.Combine(dir, "confusion.png")));
        string mistakes = File.ReadAllText(Path.Combine(dir, "misclassified.txt"));
        Assert.Contains("# spam: precision", mistakes);

        // The model file keeps the adapted vectorizer: Model.Load predicts on strings.
        var model = Model.Load(Path.Combine(dir, "model.praxis"));
        var vectorizer = Assert.IsType<TextVectorization>(model.StringInput);
        Assert.True(vectorizer.VocabularySize > 1000);

        // evaluate reloads it and reproduces the recorded test accuracy.
        var eval = CliHarness.Run("evaluate", "--json", "--runs-dir", _root);
        Assert.True(eval.ExitCode == 0, eval.Err);
        Assert.Equal(accuracy, JsonNode.Parse(eval.Out)!["accuracy"]!.GetValue<double>());
        var evalText = CliHarness.Run("evaluate", "--runs-dir", _root);
        Assert.Contains("1,193 messages", evalText.Out);

        // predict: a line of text, and a file, give the loaded model's sigmoid as (ham, spam).
        const string line = "Subject: FREE money!!! Click here to claim your prize, limited offer, unsubscribe";
        float direct = model.Predict([line]).ToArray()[0];
        var p = CliHarness.Run("predict", line, "--json", "--runs-dir", _root);
        Assert.True(p.ExitCode == 0, p.Err);
        var prediction = JsonNode.Parse(p.Out)!["predictions"]![0]!;
        Assert.InRange(prediction["probabilities"]!["spam"]!.GetValue<double>() - direct, -1e-6, 1e-6);
        Assert.InRange(prediction["probabilities"]!["ham"]!.GetValue<double>() - (1 - direct), -1e-6, 1e-6);
        string file = Path.Combine(_root, "mail.txt");
        File.WriteAllText(file, line);
        var pf = CliHarness.Run("predict", file, "--runs-dir", _root);
        Assert.True(pf.ExitCode == 0, pf.Err);
        Assert.StartsWith($"{file}: {(direct >= 0.5f ? "spam" : "ham")} (", pf.Out);
    }
}
