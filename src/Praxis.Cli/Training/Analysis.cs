using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Json.Nodes;
using Praxis.Cli.Journal;
using Praxis.Cli.Plotting;

namespace Praxis.Cli.Training;

/// <summary>Class predictions of a classifier over a labelled set: predicted class, confidence, confusion matrix.</summary>
public sealed class Classification
{
    /// <summary>
    /// Builds the analysis from probabilities (N, K) and labels (N) holding class ids. A single sigmoid column (N, 1)
    /// is a binary classifier: p is class 1's probability and 1 − p class 0's.
    /// </summary>
    public Classification(Tensor probabilities, Tensor labels)
    {
        if (probabilities.Rank != 2) throw new ArgumentException($"Expected class probabilities of shape (N, K); got {probabilities.Shape}.");
        probabilities = ClassProbabilities(probabilities);
        int n = probabilities.Shape[0], k = probabilities.Shape[1];
        if (labels.Size != n) throw new ArgumentException($"{n} predictions but {labels.Size} labels.");
        var p = probabilities.ToArray();
        var y = labels.ToArray();
        Labels = new int[n];
        Predicted = new int[n];
        Confidence = new float[n];
        Confusion = new int[k, k];
        for (int i = 0; i < n; i++)
        {
            var row = p.AsSpan(i * k, k);
            int best = 0;
            for (int j = 1; j < k; j++) if (row[j] > row[best]) best = j;
            Labels[i] = (int)y[i];
            Predicted[i] = best;
            Confidence[i] = row[best];
            Confusion[Labels[i], best]++;
            if (best == Labels[i]) Correct++;
        }
    }

    /// <summary>True class ids.</summary>
    public int[] Labels { get; }

    /// <summary>Predicted class ids (argmax).</summary>
    public int[] Predicted { get; }

    /// <summary>Probability of the predicted class.</summary>
    public float[] Confidence { get; }

    /// <summary>Counts: [true, predicted].</summary>
    public int[,] Confusion { get; }

    /// <summary>Number of correct predictions.</summary>
    public int Correct { get; }

    /// <summary>Number of samples.</summary>
    public int Count => Labels.Length;

    /// <summary>Fraction correct.</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;

    /// <summary>Indices of wrong predictions, most confident mistakes first.</summary>
    public List<int> Mistakes()
    {
        var list = new List<int>();
        for (int i = 0; i < Count; i++) if (Predicted[i] != Labels[i]) list.Add(i);
        list.Sort((a, b) => Confidence[b].CompareTo(Confidence[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return list;
    }

    /// <summary>Class probabilities (N, K): unchanged, or for a sigmoid output (N, 1) the two columns (1 − p, p).</summary>
    public static Tensor ClassProbabilities(Tensor probabilities)
    {
        if (probabilities.Rank != 2 || probabilities.Shape[1] != 1) return probabilities;
        var p = probabilities.ToArray();
        var two = new float[2 * p.Length];
        for (int i = 0; i < p.Length; i++) (two[2 * i], two[2 * i + 1]) = (1f - p[i], p[i]);
        return Tensor.FromArray(two, p.Length, 2);
    }

    /// <summary>
    /// For a text classifier: writes <c>confusion.png</c> and a text file with precision, recall and F1 per class and
    /// the 40 most confident mistakes (true → predicted, probability, the text's first line that is not a header).
    /// </summary>
    public void SaveTextReport(IReadOnlyList<string> texts, IReadOnlyList<string> classNames, string setName, string confusionPath, string mistakesPath)
    {
        Charts.SaveConfusionMatrix(Confusion, classNames,
            string.Create(CultureInfo.InvariantCulture, $"Confusion matrix: {setName}, {Count:N0} texts, accuracy {LogFormat.Percent(Accuracy)}"), confusionPath);
        using var w = new StreamWriter(mistakesPath);
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {setName}: {Count:N0} texts, accuracy {Accuracy:F4}"));
        int k = classNames.Count;
        for (int c = 0; c < k; c++)
        {
            int tp = Confusion[c, c], predicted = 0, actual = 0;
            for (int j = 0; j < k; j++) (predicted, actual) = (predicted + Confusion[j, c], actual + Confusion[c, j]);
            double precision = predicted == 0 ? 0 : (double)tp / predicted, recall = actual == 0 ? 0 : (double)tp / actual;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {classNames[c]}: precision {precision:F4} recall {recall:F4} f1 {f1:F4} ({actual:N0} texts)"));
        }
        var mistakes = Mistakes();
        w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"# {mistakes.Count:N0} misclassified; the most confident first (index, true -> predicted, p, first line)"));
        foreach (int i in mistakes.Take(40))
            w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"#{i}\t{classNames[Labels[i]]} -> {classNames[Predicted[i]]}\tp={Confidence[i]:F3}\t{Gist(texts[i])}"));
    }

    /// <summary>A mail's Subject, or a text's first non-empty line, clipped to 100 characters.</summary>
    internal static string Gist(string text)
    {
        string? first = null;
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase)) { first = line; break; }
            first ??= line.Length > 0 ? line : null;
        }
        first ??= "";
        return first.Length <= 100 ? first : first[..100] + "…";
    }

    /// <summary>Writes <c>confusion.png</c> and <c>misclassified.png</c> (up to 40 images, most confident mistakes first).</summary>
    public void SavePictures(Tensor images, IReadOnlyList<string> classNames, string setName, string confusionPath, string misclassifiedPath)
    {
        Charts.SaveConfusionMatrix(Confusion, classNames,
            string.Create(CultureInfo.InvariantCulture, $"Confusion matrix: {setName}, {Count:N0} images, accuracy {LogFormat.Percent(Accuracy)}"), confusionPath);
        var mistakes = Mistakes();
        if (mistakes.Count == 0) return;
        int h = images.Shape[1], w = images.Shape[2];
        var tiles = new List<Charts.Tile>();
        foreach (int i in mistakes.Take(40))
        {
            var px = new float[h * w];
            images.CopyTo(px, i * h * w);
            tiles.Add(new Charts.Tile(px, h, w, $"{classNames[Labels[i]]} → {classNames[Predicted[i]]}",
                string.Create(CultureInfo.InvariantCulture, $"#{i}  p={Confidence[i]:F2}")));
        }
        Charts.SaveImageGrid(tiles,
            string.Create(CultureInfo.InvariantCulture, $"Misclassified {setName} images (true → predicted): {tiles.Count} most confident of {mistakes.Count:N0}"),
            misclassifiedPath);
    }
}

/// <summary>Describes the machine a run happened on, for <c>environment.json</c>.</summary>
public static class RunEnvironment
{
    /// <summary>CPU, cores, threads, SIMD width, OS, .NET and Praxis versions.</summary>
    public static JsonObject Describe(int threads, int? threadsRequested) => new()
    {
        ["praxis_version"] = PraxisInfo.Version,
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["os"] = RuntimeInformation.OSDescription,
        ["architecture"] = RuntimeInformation.ProcessArchitecture.ToString(),
        ["cpu"] = CpuName(),
        ["logical_cores"] = Environment.ProcessorCount,
        ["threads"] = threads,
        ["threads_requested"] = threadsRequested,
        ["simd"] = Vector512.IsHardwareAccelerated ? "512-bit" : Vector256.IsHardwareAccelerated ? "256-bit" : Vector128.IsHardwareAccelerated ? "128-bit" : "none",
        ["machine"] = Environment.MachineName,
    };

    /// <summary>The CPU model name (Linux: /proc/cpuinfo), or the architecture when unknown.</summary>
    public static string CpuName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':') is int c and > 0)
                        return line[(c + 1)..].Trim();
        }
        catch (IOException) { }
        return Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? RuntimeInformation.ProcessArchitecture.ToString();
    }
}
