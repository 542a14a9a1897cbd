namespace Praxis.Data;

/// <summary>
/// The MNIST handwritten digits (LeCun, Cortes, Burges; CC BY-SA 3.0): 60,000 training and 10,000 test images of
/// 28×28 pixels. The repository ships the original IDX files in <c>data/mnist</c>; they are found by walking up from
/// the program and the working directory, checked against their SHA-256, and otherwise downloaded into the cache.
/// </summary>
public static class Mnist
{
    /// <summary>Where the files are downloaded from when not shipped (the mirror Keras and TensorFlow Datasets use).</summary>
    public const string BaseUrl = "https://storage.googleapis.com/cvdf-datasets/mnist/";

    /// <summary>The four files and the SHA-256 of each gzip file.</summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
        ["train-labels-idx1-ubyte.gz"] = "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
        ["t10k-images-idx3-ubyte.gz"] = "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
        ["t10k-labels-idx1-ubyte.gz"] = "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
    };

    /// <summary>
    /// Loads MNIST as Keras' <c>mnist.load_data()</c>, but with pixels already scaled to [0, 1]:
    /// images (N, 28, 28) and labels (N) holding class ids 0–9.
    /// </summary>
    /// <param name="directory">A folder holding the four files; when null, the shipped copy or the cache is used.</param>
    public static ((Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Test) LoadData(string? directory = null)
    {
        string dir = directory ?? Locate();
        return (LoadSplit(dir, "train"), LoadSplit(dir, "t10k"));
    }

    private static (Tensor X, Tensor Y) LoadSplit(string dir, string prefix)
    {
        string images = Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz");
        string labels = Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz");
        DatasetCache.Verify(images, Files[Path.GetFileName(images)]);
        DatasetCache.Verify(labels, Files[Path.GetFileName(labels)]);
        return LoadIdxPair(images, labels, 28, 28, 10);
    }

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

    /// <summary>Finds the shipped <c>data/mnist</c> folder, or downloads the files into the cache.</summary>
    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable("PRAXIS_DATA") is { Length: > 0 } env && HasAll(Path.Combine(env, "mnist")))
            return Path.Combine(env, "mnist");
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "data", "mnist");
                if (HasAll(candidate)) return candidate;
            }
        }
        string cached = "";
        try
        {
            foreach (var (file, sha) in Files)
                cached = Path.GetDirectoryName(DatasetCache.Fetch(new Uri(BaseUrl + file), file, sha, "mnist"))!;
        }
        catch (HttpRequestException e)
        {
            throw new FileNotFoundException(
                $"MNIST was not found in a data/mnist folder above {AppContext.BaseDirectory} or {Environment.CurrentDirectory} " +
                $"(or $PRAXIS_DATA/mnist), nor in the cache {Path.Combine(DatasetCache.Root, "mnist")}, and downloading it from {BaseUrl} failed: {e.Message}", e);
        }
        return cached;
    }

    private static bool HasAll(string dir) => Files.Keys.All(f => File.Exists(Path.Combine(dir, f)));
}
