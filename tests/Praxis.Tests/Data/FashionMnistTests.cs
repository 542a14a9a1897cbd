using System.Net;
using Praxis.Data;

namespace Praxis.Tests.Data;

/// <summary>
/// The Fashion-MNIST download path, exercised offline: an HTTP handler serves small IDX files generated here, so the
/// URLs requested, the cache folder, the SHA-256 check and the parsing all run for real.
/// </summary>
public sealed class FashionMnistTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "praxis-fmnist-" + Guid.NewGuid().ToString("N"));
    private readonly string _fixtures;

    public FashionMnistTests()
    {
        _fixtures = Path.Combine(_root, "fixtures");
        Directory.CreateDirectory(_fixtures);
        var rng = new Rng(3);
        foreach (var (prefix, n) in new[] { ("train", 6), ("t10k", 4) })
        {
            var pixels = new byte[n * 28 * 28];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
            pixels[0] = 255;
            Idx.Write(Path.Combine(_fixtures, $"{prefix}-images-idx3-ubyte.gz"), [n, 28, 28], pixels);
            var labels = new byte[n];
            for (int i = 0; i < n; i++) labels[i] = (byte)(i % 10);
            Idx.Write(Path.Combine(_fixtures, $"{prefix}-labels-idx1-ubyte.gz"), [n], labels);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, string> FixtureHashes() =>
        FashionMnist.Files.Keys.ToDictionary(f => f, f => DatasetCache.Sha256(Path.Combine(_fixtures, f)));

    /// <summary>Serves the fixture files by name and records every URL asked for.</summary>
    private sealed class FixtureServer(string folder) : HttpMessageHandler
    {
        public List<Uri> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request.RequestUri!);
            string path = Path.Combine(folder, Path.GetFileName(request.RequestUri!.AbsolutePath));
            var response = File.Exists(path)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(File.ReadAllBytes(path)) }
                : new HttpResponseMessage(HttpStatusCode.NotFound);
            return Task.FromResult(response);
        }
    }

    [Fact]
    public void DownloadsFromTheStandardUrlsIntoTheCacheThenReusesIt()
    {
        var server = new FixtureServer(_fixtures);
        using var client = new HttpClient(server);
        string cache = Path.Combine(_root, "cache");
        var ((xTrain, yTrain), (xTest, yTest)) = FashionMnist.Load(null, FixtureHashes(), new Uri(FashionMnist.BaseUrl), client, cache);

        Assert.Equal(new Shape(6, 28, 28), xTrain.Shape);
        Assert.Equal(new Shape(4, 28, 28), xTest.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], yTrain.ToArray());
        Assert.Equal(1f, xTrain[0, 0, 0]); // 255 scaled to 1
        Assert.Equal(4, server.Requests.Count);
        Assert.Contains(new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz"), server.Requests);
        Assert.Contains(new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz"), server.Requests);
        foreach (var f in FashionMnist.Files.Keys) Assert.True(File.Exists(Path.Combine(cache, "fashion-mnist", f)));

        // Second load: everything is in the cache and verified, nothing is downloaded.
        FashionMnist.Load(null, FixtureHashes(), new Uri(FashionMnist.BaseUrl), client, cache);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public void RejectsAFileWhoseChecksumDoesNotMatch()
    {
        // The real SHA-256 values cannot match the generated files: the download must be refused and not cached.
        using var client = new HttpClient(new FixtureServer(_fixtures));
        string cache = Path.Combine(_root, "cache2");
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(null, FashionMnist.Files, new Uri(FashionMnist.BaseUrl), client, cache));
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.Contains(FashionMnist.BaseUrl, e.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "fashion-mnist")));
        // A local folder is checked too.
        e = Assert.Throws<InvalidDataException>(() => FashionMnist.LoadData(_fixtures));
        Assert.Contains("SHA-256 mismatch", e.Message);
    }

    [Fact]
    public void LoadsFromALocalFolderAndValidatesContents()
    {
        var ((x, y), _) = FashionMnist.Load(_fixtures, FixtureHashes(), new Uri(FashionMnist.BaseUrl), null, null);
        Assert.Equal(6, x.Shape[0]);
        Assert.Equal(6, y.Size);
        // A label outside 0–9 is reported with its file and position.
        Idx.Write(Path.Combine(_fixtures, "t10k-labels-idx1-ubyte.gz"), [4], new byte[] { 1, 2, 12, 3 });
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_fixtures, FixtureHashes(), new Uri(FashionMnist.BaseUrl), null, null));
        Assert.Contains("label 12 at index 2", e.Message);
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
    }
}
