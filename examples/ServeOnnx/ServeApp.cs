using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ServeOnnx;

/// <summary>
/// An image classifier exported to ONNX: feeds float images (pixels in [0, 1], batch first, in the model's own input
/// shape, e.g. (N, 784) or (N, 28, 28, 1)) and returns one row of class scores per image.
/// </summary>
public sealed class OnnxClassifier : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string _input;
    private readonly int[] _sampleDims;

    /// <summary>Loads the model; one intra-op thread, so results do not depend on the machine's core count.</summary>
    public OnnxClassifier(string path)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(path, options);
        if (_session.InputMetadata.Count != 1) throw new InvalidDataException($"{path}: expected one input, found {_session.InputMetadata.Count}.");
        var (name, meta) = _session.InputMetadata.First();
        _input = name;
        _sampleDims = meta.Dimensions[1..];
        if (_sampleDims.Any(d => d <= 0)) throw new InvalidDataException($"{path}: input '{name}' has a symbolic size after the batch ({Describe(meta.Dimensions)}).");
        Description = $"input '{name}' {Describe(meta.Dimensions)}, output '{_session.OutputMetadata.Keys.First()}' {Describe(_session.OutputMetadata.Values.First().Dimensions)}";
    }

    /// <summary>The input and output names and shapes.</summary>
    public string Description { get; }

    /// <summary>Values per sample the model takes (e.g. 784).</summary>
    public int SampleSize => _sampleDims.Aggregate(1, (a, b) => a * b);

    /// <summary>Scores for <paramref name="count"/> samples laid out one after another in <paramref name="samples"/>, in batches.</summary>
    public float[][] Predict(float[] samples, int count, int batchSize = 256)
    {
        int size = SampleSize;
        if (samples.Length < (long)count * size) throw new ArgumentException($"{count} samples of {size} values need {(long)count * size} values; got {samples.Length}.");
        var rows = new float[count][];
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            var input = new DenseTensor<float>(samples.AsMemory(start * size, n * size), [n, .. _sampleDims]);
            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_input, input)]);
            var scores = results.First().AsTensor<float>().ToArray();
            int classes = scores.Length / n;
            for (int i = 0; i < n; i++) rows[start + i] = scores.AsSpan(i * classes, classes).ToArray();
        }
        return rows;
    }

    /// <summary>The index of the largest score.</summary>
    public static int ArgMax(float[] scores)
    {
        int best = 0;
        for (int i = 1; i < scores.Length; i++) if (scores[i] > scores[best]) best = i;
        return best;
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    private static string Describe(int[] dims) => "(" + string.Join(", ", dims.Select(d => d < 0 ? "N" : d.ToString(CultureInfo.InvariantCulture))) + ")";
}

/// <summary>The console app: classifies IDX images with an exported model and prints the classes and the accuracy.</summary>
public static class ServeApp
{
    /// <summary>Runs the app with <paramref name="args"/>, writing to <paramref name="output"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            output.WriteLine("usage: ServeOnnx MODEL.onnx [--images IDX] [--labels IDX] [--count N]");
            return 2;
        }
        string model = args[0];
        string images = Option(args, "--images") ?? MnistFile("t10k-images-idx3-ubyte.gz");
        string? labels = Option(args, "--labels") ?? (Option(args, "--images") is null ? MnistFile("t10k-labels-idx1-ubyte.gz") : null);
        using var classifier = new OnnxClassifier(model);
        var (dims, pixels) = Idx.Read(images);
        int count = Math.Min(dims[0], Option(args, "--count") is { } c ? int.Parse(c, CultureInfo.InvariantCulture) : dims[0]);
        int size = pixels.Length / dims[0];
        if (size != classifier.SampleSize) throw new InvalidDataException($"{images}: images of {size} pixels; the model takes {classifier.SampleSize} values per sample.");
        // Praxis' MNIST models were trained on pixels times 1/255 (its loader's multiply, so these are the same floats).
        var x = new float[count * size];
        for (int i = 0; i < x.Length; i++) x[i] = pixels[i] * (1f / 255f);
        var scores = classifier.Predict(x, count);
        var predicted = scores.Select(OnnxClassifier.ArgMax).ToArray();
        output.WriteLine($"{model}: {classifier.Description}");
        output.WriteLine($"Predicted classes of the first {Math.Min(count, 20)}: {string.Join(' ', predicted.Take(20))}");
        if (labels != null)
        {
            var (_, truth) = Idx.Read(labels);
            int correct = 0;
            for (int i = 0; i < count; i++) if (predicted[i] == truth[i]) correct++;
            output.WriteLine($"Labels of the first {Math.Min(count, 20)}:            {string.Join(' ', truth.Take(Math.Min(count, 20)))}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Accuracy: {100.0 * correct / count:F2} % ({correct:N0} of {count:N0} images)"));
        }
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>A file of the MNIST copy shipped in <c>data/mnist</c>, found by walking up from here and from the app.</summary>
    private static string MnistFile(string name)
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "data", "mnist", name))) return Path.Combine(d.FullName, "data", "mnist", name);
        throw new FileNotFoundException($"data/mnist/{name} not found above {Environment.CurrentDirectory}; pass --images and --labels.");
    }
}
