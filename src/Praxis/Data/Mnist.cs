namespace Praxis.Data;

/// <summary>
/// The MNIST handwritten digits (LeCun, Cortes, Burges; CC BY-SA 3.0): 60,000 training and 10,000 test images of
/// 28×28 pixels. The repository ships the original IDX files in <c>data/mnist</c>; copies are looked for as
/// <see cref="DatasetManifest"/> describes (<c>$PRAXIS_DATA/mnist</c>, <c>data/mnist</c> above the program or the
/// working directory, the cache, the system data folders), verified, and otherwise downloaded into the cache.
/// </summary>
public static class Mnist
{
    /// <summary>Where the files are downloaded from when not shipped (the mirror Keras and TensorFlow Datasets use).</summary>
    public const string BaseUrl = "https://storage.googleapis.com/cvdf-datasets/mnist/";

    /// <summary>
    /// The four files: the SHA-256 of each gzip file as published, and of its decompressed IDX data (computed from
    /// the shipped files; the same values are published by others who hash the raw IDX files).
    /// </summary>
    public static readonly DatasetManifest Manifest = new("mnist", "MNIST", BaseUrl,
    [
        new("train-images-idx3-ubyte.gz", "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        new("train-labels-idx1-ubyte.gz", "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        new("t10k-images-idx3-ubyte.gz", "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        new("t10k-labels-idx1-ubyte.gz", "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ]);

    /// <summary>The four files and the SHA-256 of each gzip file (see <see cref="Manifest"/> for the payload hashes).</summary>
    public static IReadOnlyDictionary<string, string> Files => Manifest.Sha256ByName;

    /// <summary>
    /// Loads MNIST as Keras' <c>mnist.load_data()</c>, but with pixels already scaled to [0, 1]:
    /// images (N, 28, 28) and labels (N) holding class ids 0–9.
    /// </summary>
    /// <param name="directory">A folder holding the four files (each verified by its own or its decompressed SHA-256);
    /// when null, the first verified copy found, else a download into the cache.</param>
    public static ((Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Test) LoadData(string? directory = null) => LoadIdxDataset(Manifest, directory, null, null);

    /// <summary>
    /// Loads an MNIST-format dataset described by <paramref name="manifest"/>: verifies the named folder, or locates a
    /// verified copy (downloading when there is none), then reads the train and t10k image/label pairs.
    /// </summary>
    internal static ((Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Test) LoadIdxDataset(DatasetManifest manifest, string? directory, HttpClient? client, string? cacheRoot)
    {
        string dir;
        if (directory != null)
        {
            manifest.VerifyOrThrow(directory);
            dir = directory;
        }
        else dir = manifest.Locate(client, cacheRoot);
        return (Split(dir, "train"), Split(dir, "t10k"));
    }

    private static (Tensor X, Tensor Y) Split(string dir, string prefix) =>
        LoadIdxPair(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"), 28, 28, 10);

    /// <summary>
    /// Loads an image/label IDX pair, checking the image size, matching counts and label range; images are scaled to
    /// [0, 1]. Shared by MNIST-format datasets (Fashion-MNIST too).
    /// </summary>
    public static (Tensor X, Tensor Y) LoadIdxPair(string imagesPath, string labelsPath, int rows, int cols, int classes)
    {
        var img = Idx.Read(imagesPath);
        var lab = Idx.Read(labelsPath);
        if (img.Dims.Length != 3 || img.Dims[1] != rows || img.Dims[2] != cols)
            throw new InvalidDataException($"{imagesPath}: expected images of shape (N, {rows}, {cols}), found ({string.Join(", ", img.Dims)}).");
        if (lab.Dims.Length != 1)
            throw new InvalidDataException($"{labelsPath}: expected a rank-1 label file, found rank {lab.Dims.Length}.");
        if (lab.Dims[0] != img.Dims[0])
            throw new InvalidDataException($"{labelsPath}: {lab.Dims[0]} labels for {img.Dims[0]} images in {imagesPath}.");
        for (int i = 0; i < lab.Data.Length; i++)
            if (lab.Data[i] >= classes) throw new InvalidDataException($"{labelsPath}: label {lab.Data[i]} at index {i} is outside 0–{classes - 1}.");
        return (img.ToTensor(1f / 255f), lab.ToTensor());
    }

    /// <summary>The folder of a verified copy (shipped, <c>$PRAXIS_DATA</c>, cache or system), or of a fresh download into the cache.</summary>
    public static string Locate() => Manifest.Locate();
}
