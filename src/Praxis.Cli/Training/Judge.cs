using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Praxis.Callbacks;
using Praxis.Cli.Recipes;
using Praxis.Models;

namespace Praxis.Cli.Training;

/// <summary>
/// The judge of generated digits: Keras' simple MNIST convnet (the <c>mnist-cnn</c> recipe's model) trained on the real
/// MNIST training set. It is trained once per epoch count and cached under the runs directory
/// (<c>.judge/mnist-convnet-e{epochs}-s{seed}.praxis</c>, written atomically by <see cref="Model.Save"/>), so later runs
/// and <c>praxis evaluate</c> score with the very same weights.
/// </summary>
/// <remarks>
/// The judge's seed is fixed (<see cref="Seed"/>), not the GAN run's <c>--seed</c>, so runs with different seeds are scored
/// by one classifier and their figures compare. It always trains on the full training set, also when a GAN run trains
/// on <c>--samples N</c> images: the judge measures the digits, not the run's data budget.
/// </remarks>
public static class Judge
{
    /// <summary>Epochs the judge trains for unless <c>--judge-epochs</c> says otherwise.</summary>
    public const int DefaultEpochs = 12;

    /// <summary>The judge's random seed (weights and shuffling), the same for every run.</summary>
    public const int Seed = 42;

    /// <summary>How many generated digits each score is over.</summary>
    public const int ScoredSamples = 1000;

    /// <summary>A sample counts as confidently recognised at this top-class probability or above.</summary>
    public const float ConfidentAt = 0.9f;

    /// <summary>Where the judge trained for <paramref name="epochs"/> epochs is cached under <paramref name="runsDirectory"/>.</summary>
    public static string CachePath(string runsDirectory, int epochs) =>
        Path.Combine(runsDirectory, ".judge", $"mnist-convnet-e{epochs}-s{Seed}.praxis");

    /// <summary>
    /// Trains the judge: the mnist-cnn recipe's convnet (Adam 1e-3, categorical cross-entropy, batch 128) on the first
    /// <paramref name="samples"/> training images (all when null), with the random seed set to <see cref="Seed"/>.
    /// </summary>
    public static Model Train(ImageData data, int epochs, int? samples = null, IReadOnlyList<Callback>? callbacks = null)
    {
        var recipe = new MnistCnnRecipe();
        Keras.SetRandomSeed(Seed);
        var x = data.TrainX;
        var y = data.TrainY;
        if (samples is int s && s < x.Shape[0]) { x = x.SliceRows(0, s); y = y.SliceRows(0, s); }
        var model = recipe.Build(new RecipeSettings(recipe.DefaultLearningRate));
        model.Fit(recipe.PrepareInputs(x), recipe.PrepareTargets(y, data.ClassNames.Count), epochs: epochs, batchSize: recipe.DefaultBatchSize,
            verbose: 0, callbacks: callbacks?.ToList());
        return model;
    }

    /// <summary>Loads the cached judge at <paramref name="path"/>, or trains it on the full training set and caches it there.</summary>
    /// <returns>The judge and, when it was trained now, the seconds that took.</returns>
    public static (Model Model, double? TrainSeconds) LoadOrTrain(string path, ImageData data, int epochs, IReadOnlyList<Callback>? callbacks = null)
    {
        if (File.Exists(path)) return (Model.Load(path), null);
        var clock = Stopwatch.StartNew();
        var model = Train(data, epochs, callbacks: callbacks);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        model.Save(path);
        return (model, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The judge's accuracy on the dataset's test set.</summary>
    public static double TestAccuracy(Model judge, ImageData data) =>
        judge.Evaluate(JudgeInput(data.TestX), Keras.ToCategorical(data.TestY, data.ClassNames.Count), batchSize: 500)["accuracy"];

    // (N, 28, 28) -> (N, 28, 28, 1), the convnet's input; (N, 28, 28, 1) passes through.
    private static Tensor JudgeInput(Tensor images) => images.Reshape(-1, images.Shape[1], images.Shape[2], 1);

    /// <summary>The judge's class probabilities (N, 10) for images (N, 28, 28) or (N, 28, 28, 1) in [0, 1].</summary>
    public static Tensor Probabilities(Model judge, Tensor images) => judge.Predict(JudgeInput(images), batchSize: 250);

    /// <summary>Scores images (N, 28, 28) or (N, 28, 28, 1) in [0, 1] with the judge.</summary>
    public static JudgeScore Score(Model judge, Tensor images) => JudgeScore.FromProbabilities(Probabilities(judge, images));
}

/// <summary>
/// What the judge thinks of a set of images: the mean top-class probability, the fraction recognised with probability
/// ≥ 0.9, how many classes appear as the top class, and how many images each class got.
/// </summary>
/// <param name="MeanConfidence">Mean over images of the top-class probability.</param>
/// <param name="Confident">Fraction of images whose top-class probability is at least <see cref="Judge.ConfidentAt"/>.</param>
/// <param name="Classes">Number of classes that are the top class of at least one image (10 = every digit drawn).</param>
/// <param name="Histogram">Images per top class.</param>
public sealed record JudgeScore(double MeanConfidence, double Confident, int Classes, int[] Histogram)
{
    /// <summary>The score of class probabilities (N, K).</summary>
    public static JudgeScore FromProbabilities(Tensor probabilities)
    {
        int m = probabilities.Shape[0], k = probabilities.Shape[1];
        var p = probabilities.Span;
        var hist = new int[k];
        double sum = 0;
        int confident = 0;
        for (int i = 0; i < m; i++)
        {
            int best = 0;
            for (int c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
            float conf = p[i * k + best];
            sum += conf;
            if (conf >= Judge.ConfidentAt) confident++;
            hist[best]++;
        }
        int present = 0;
        foreach (int h in hist) if (h > 0) present++;
        return new JudgeScore(m == 0 ? 0 : sum / m, m == 0 ? 0 : (double)confident / m, present, hist);
    }

    /// <summary>The figures as JSON (<c>mean_confidence</c>, <c>confident_0_9</c>, <c>classes</c>, <c>histogram</c>).</summary>
    public JsonObject ToJson() => new()
    {
        ["mean_confidence"] = Math.Round(MeanConfidence, 6),
        ["confident_0_9"] = Math.Round(Confident, 6),
        ["classes"] = Classes,
        ["histogram"] = new JsonArray(Histogram.Select(h => (JsonNode?)h).ToArray()),
    };

    /// <summary>One line for people: <c>57.3% at confidence &gt;= 0.9, mean confidence 0.871, 10 classes [98,112,…]</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{LogFormat.Percent(Confident, 1)} at confidence >= 0.9, mean confidence {MeanConfidence:F3}, {Classes} classes [{string.Join(",", Histogram)}]");
}
