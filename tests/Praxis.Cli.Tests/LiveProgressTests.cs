using Praxis.Cli.Training;
using Praxis.Layers;
using Praxis.Models;
using static Praxis.Keras;

namespace Praxis.Cli.Tests;

public class LiveProgressTests
{
    private static string Train(int width, bool colour)
    {
        SetRandomSeed(1);
        var x = Tensor.RandomUniform(new Shape(640, 8));
        var y = ToCategorical(Tensor.FromArray(Enumerable.Range(0, 640).Select(i => (float)(i % 3)).ToArray()), 3);
        var model = new Sequential([new Dense(3, activation: "softmax")]);
        model.Compile("adam", "categorical_crossentropy", ["accuracy"]);
        var sw = new StringWriter();
        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, validationSplit: 0.25, callbacks: [new LiveProgress(sw, width, colour, 1e-3, validation: true)]);
        return sw.ToString();
    }

    [Theory]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(140)]
    public void EachRedrawFitsTheTerminalAndEachEpochEndsWithItsOwnLine(int width)
    {
        string output = Train(width, colour: false);
        var epochs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, epochs.Length); // a finished epoch leaves one line
        foreach (var draw in output.Split('\r', '\n').Where(d => d.Length > 0))
            Assert.True(draw.TrimEnd().Length < width, $"{draw.TrimEnd().Length} columns drawn in a {width}-column terminal: '{draw}'");
        string last = epochs[1].Split('\r')[^1];
        Assert.StartsWith("Epoch 2/2 ", last);
        Assert.Contains("60/60", last); // 480 training samples in batches of 8
        Assert.Contains("val_", last);
        Assert.Matches(@"val_acc(uracy)?:? 0\.\d{3}", last); // the validation accuracy survives abbreviation, even at 80 columns
    }

    [Theory]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(140)]
    public void EveryLineOfARunNamesTheMetricsAlikeAndTheBarReadsWithoutColour(int width)
    {
        var draws = Train(width, colour: false).Split('\r', '\n').Where(d => d.Length > 0).ToArray();
        bool full = draws.Any(d => d.Contains("accuracy: ", StringComparison.Ordinal));
        bool abbreviated = draws.Any(d => d.Contains("acc ", StringComparison.Ordinal));
        Assert.True(full != abbreviated, $"at {width} columns some lines say 'accuracy: ' and others 'acc ':\n{string.Join("\n", draws)}");
        // The done and the remaining parts of the bar are different characters: an epoch starts all '─' and ends all '━'.
        Assert.Contains(draws, d => d.Contains('─') && !d.Contains('━'));
        Assert.Contains(draws, d => d.Contains('━') && !d.Contains('─'));
    }

    [Fact]
    public void ColourUsesAnsiCodesAndClearsTheLine()
    {
        string output = Train(120, colour: true);
        Assert.Contains("\u001b[32m", output);
        Assert.Contains("\u001b[K", output);
        Assert.DoesNotContain("\u001b", Train(120, colour: false));
    }
}
