namespace Praxis.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul, Vollgraf; Zalando Research; MIT licence): 60,000 training and 10,000 test grayscale
/// images of 28×28 pixels in 10 clothing classes, in MNIST's IDX format. Copies are looked for as
/// <see cref="DatasetManifest"/> describes (<c>$PRAXIS_DATA/fashion-mnist</c>, the cache, and
/// <c>/usr/share/datasets/fashion-mnist</c>, where Debian's <c>dataset-fashion-mnist</c> installs), verified, and
/// otherwise downloaded from Zalando's standard location into the cache.
/// </summary>
/// <remarks>
/// The file SHA-256 values are those TensorFlow Datasets registers for these URLs (<c>url_checksums/fashion_mnist.txt</c>),
/// with sizes 26,421,880 / 29,515 / 4,422,102 / 5,148 bytes. Zalando's README publishes MD5s for the same files:
/// 8d4fb7e6c68d591d4c3dfef9ec88bf0d, 25c81989df183df01b3e8a0aad5dffbe, bef4ecab320f06d8554ea6380940ec79,
/// bb300cfdad3c16e7a12a480ee83cd310 (train images, train labels, test images, test labels). Debian re-compressed the
/// files (each is 23–24 bytes shorter: no stored file name), so they are also accepted by the SHA-256 of their
/// decompressed IDX data, computed from Debian's copy and equal to the values others publish for Zalando's raw files.
/// </remarks>
public static class FashionMnist
{
    /// <summary>Zalando's download location.</summary>
    public const string BaseUrl = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>The cache subfolder.</summary>
    public const string CacheSubdirectory = "fashion-mnist";

    /// <summary>The Debian package that installs a copy in <c>/usr/share/datasets/fashion-mnist</c>.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>The four files: SHA-256 of each gzip file as published, and of its decompressed IDX data.</summary>
    public static readonly DatasetManifest Manifest = new(CacheSubdirectory, "Fashion-MNIST", BaseUrl,
    [
        new("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        new("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        new("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        new("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    ], DebianPackage);

    /// <summary>The four files and the SHA-256 of each gzip file (see <see cref="Manifest"/> for the payload hashes).</summary>
    public static IReadOnlyDictionary<string, string> Files => Manifest.Sha256ByName;

    /// <summary>Class names by label, as in Keras' documentation.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads Fashion-MNIST as Keras' <c>fashion_mnist.load_data()</c>, with pixels scaled to [0, 1]: images (N, 28, 28)
    /// and labels (N) holding class ids 0–9.
    /// </summary>
    /// <param name="directory">A folder holding the four files (each verified by its own or its decompressed SHA-256);
    /// when null, the first verified copy found (see <see cref="DatasetManifest"/>), else a download into the cache.</param>
    /// <param name="client">The HTTP client for downloads (a shared one when null).</param>
    public static ((Tensor X, Tensor Y) Train, (Tensor X, Tensor Y) Test) LoadData(string? directory = null, HttpClient? client = null) =>
        Mnist.LoadIdxDataset(Manifest, directory, client, cacheRoot: null);

    /// <summary>The folder of a verified copy, or of a fresh download into the cache.</summary>
    public static string Locate() => Manifest.Locate();
}
