namespace Praxis.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul, Vollgraf; Zalando Research; MIT licence): 60,000 training and 10,000 test grayscale
/// images of 28×28 pixels in 10 clothing classes, in MNIST's IDX format. The files are downloaded from Zalando's
/// standard location into the dataset cache (<see cref="DatasetCache.Root"/>, subfolder <c>fashion-mnist</c>) and
/// checked against their SHA-256 before use.
/// </summary>
/// <remarks>
/// The SHA-256 values are those TensorFlow Datasets registers for these URLs (<c>url_checksums/fashion_mnist.txt</c>),
/// with sizes 26,421,880 / 29,515 / 4,422,102 / 5,148 bytes. Zalando's README publishes MD5s for the same files:
/// 8d4fb7e6c68d591d4c3dfef9ec88bf0d, 25c81989df183df01b3e8a0aad5dffbe, bef4ecab320f06d8554ea6380940ec79,
/// bb300cfdad3c16e7a12a480ee83cd310 (train images, train labels, test images, test labels).
/// </remarks>
public static class FashionMnist
{
    /// <summary>Zalando's download location.</summary>
    public const string BaseUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>The cache subfolder.</summary>
    public const string CacheSubdirectory = "fashion-mnist";

    /// <summary>The four files and the SHA-256 of each gzip file.</summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>
    {
        ["train-images-idx3-ubyte.gz"] = "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        ["train-labels-idx1-ubyte.gz"] = "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        ["t10k-images-idx3-ubyte.gz"] = "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        ["t10k-labels-idx1-ubyte.gz"] = "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    };

    /// <summary>Class names by label, as in Keras' documentation.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads Fashion-MNIST as Keras' <c>fashion_mnist.load_data()</c>, with pixels scaled to [0, 1]: images (N, 28, 28)
    /// and labels (N) holding class ids 0–9.
    /// </summary>
    /// <param name="directory">A folder holding the four files (checked against their SHA-256); when null, the files
    /// are taken from <c>$PRAXIS_DATA/fashion-mnist</c> or the cache, downloading whatever is missing.</param>
    /// <param name="client">The HTTP client for downloads (a shared one when null).</param>
    public static ((Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Test) LoadData(string? directory = null, HttpClient? client = null) =>
        Load(directory, Files, new Uri(BaseUrl), client, cacheRoot: null);

    /// <summary>The loader with its sources as parameters, so tests can serve small generated files.</summary>
    internal static ((Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Test) Load(string? directory, IReadOnlyDictionary<string, string> files,
        Uri baseUrl, HttpClient? client, string? cacheRoot)
    {
        string dir = directory ?? Locate(files, baseUrl, client, cacheRoot);
        foreach (var (file, sha) in files) DatasetCache.Verify(Path.Combine(dir, file), sha);
        return (Split(dir, "train"), Split(dir, "t10k"));
    }

    private static (Tensor X, Tensor Y) Split(string dir, string prefix) =>
        Mnist.LoadIdxPair(Path.Combine(dir, $"{prefix}-images-idx3-ubyte.gz"), Path.Combine(dir, $"{prefix}-labels-idx1-ubyte.gz"), 28, 28, 10);

    private static string Locate(IReadOnlyDictionary<string, string> files, Uri baseUrl, HttpClient? client, string? cacheRoot)
    {
        if (Environment.GetEnvironmentVariable("PRAXIS_DATA") is { Length: > 0 } env)
        {
            string local = Path.Combine(env, CacheSubdirectory);
            if (files.Keys.All(f => File.Exists(Path.Combine(local, f)))) return local;
        }
        string dir = "";
        foreach (var (file, sha) in files)
            dir = Path.GetDirectoryName(DatasetCache.Fetch(new Uri(baseUrl, file), file, sha, CacheSubdirectory, client, cacheRoot))!;
        return dir;
    }
}
