using System.IO.Compression;
using System.Net;
using Praxis.Data;

namespace Praxis.Tests.Data;

/// <summary>
/// Fashion-MNIST: the real files as Debian ships them (re-compressed, verified by their IDX payload), and the download
/// path exercised offline: an HTTP handler serves small IDX files generated here, so the URLs requested, the cache
/// folder, the SHA-256 check and the parsing all run for real.
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

    /// <summary>Fashion-MNIST's file names with the fixtures' hashes (file and payload, or file only).</summary>
    private DatasetManifest FixtureManifest(bool payload = true) => new("fashion-mnist", "Fashion-MNIST", FashionMnist.BaseUrl,
        FashionMnist.Manifest.Files.Select(f => new DatasetFile(f.Name, DatasetCache.Sha256(Path.Combine(_fixtures, f.Name)),
            payload ? DatasetManifest.PayloadSha256(Path.Combine(_fixtures, f.Name)) : null)).ToList(), FashionMnist.DebianPackage);

    /// <summary>Only the given folders, so no copy elsewhere on the machine takes part.</summary>
    private static DatasetCopy[] Only(params string[] dirs) => dirs.Select(d => new DatasetCopy("cache", d)).ToArray();

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

    /// <summary>No network: every request fails as an unreachable host does.</summary>
    private sealed class Offline : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Name or service not known (fashion-mnist.s3-website.eu-central-1.amazonaws.com:80)");
    }

    /// <summary>Re-compresses a gzip file with other settings: same payload, different bytes (what Debian did).</summary>
    private static void Recompress(string path)
    {
        byte[] payload;
        using (var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress))
        using (var ms = new MemoryStream())
        {
            gz.CopyTo(ms);
            payload = ms.ToArray();
        }
        using var file = File.Create(path);
        using var z = new GZipStream(file, CompressionLevel.Fastest);
        z.Write(payload);
    }

    [DebianFashionMnistFact]
    public void DebiansRecompressedCopyLoadsByItsPayloadHashes()
    {
        string dir = DebianFashionMnist.Require();
        // Debian's files are not Zalando's bytes: the check that hashed only the gzip container refused them.
        var checks = FashionMnist.Manifest.Verify(dir);
        Assert.All(checks, c => Assert.Equal(FileCheckStatus.PayloadVerified, c.Status));

        var ((xTrain, yTrain), (xTest, yTest)) = FashionMnist.LoadData(directory: dir);
        Assert.Equal(new Shape(60000, 28, 28), xTrain.Shape);
        Assert.Equal(new Shape(10000, 28, 28), xTest.Shape);
        // Zalando's README: the first test items are an ankle boot, a pullover and two trousers; every class has 6,000
        // training and 1,000 test images.
        Assert.Equal([9f, 2, 1, 1], yTest.ToArray()[..4]);
        var counts = new int[10];
        foreach (var l in yTrain.Span) counts[(int)l]++;
        Assert.All(counts, c => Assert.Equal(6000, c));
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[(int)yTest[0]]);
    }

    [Fact]
    public void DownloadsFromTheStandardUrlsIntoTheCacheThenReusesIt()
    {
        var server = new FixtureServer(_fixtures);
        using var client = new HttpClient(server);
        string cache = Path.Combine(_root, "cache");
        var manifest = FixtureManifest(payload: false);
        string dir = manifest.Locate(Only(manifest.CacheDirectory(cache)), client, cache);
        var ((xTrain, yTrain), (xTest, _)) = Mnist.LoadIdxDataset(manifest, dir, null, null);

        Assert.Equal(new Shape(6, 28, 28), xTrain.Shape);
        Assert.Equal(new Shape(4, 28, 28), xTest.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], yTrain.ToArray());
        Assert.Equal(1f, xTrain[0, 0, 0]); // 255 scaled to 1
        Assert.Equal(4, server.Requests.Count);
        Assert.Contains(new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz"), server.Requests);
        Assert.Contains(new Uri("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz"), server.Requests);
        foreach (var f in FashionMnist.Files.Keys) Assert.True(File.Exists(Path.Combine(cache, "fashion-mnist", f)));

        // Second time: everything is in the cache and verified, nothing is downloaded.
        manifest.Locate(Only(manifest.CacheDirectory(cache)), client, cache);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public void ADownloadThatFailsItsChecksumIsRefusedAndNotCached()
    {
        // The real SHA-256 values cannot match the generated files: the download must be refused and not cached.
        using var client = new HttpClient(new FixtureServer(_fixtures));
        string cache = Path.Combine(_root, "cache2");
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Manifest.Locate(Only(FashionMnist.Manifest.CacheDirectory(cache)), client, cache));
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.Contains(FashionMnist.BaseUrl, e.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "fashion-mnist")));
        // A named folder is checked too, and its error gives both the file's and the payload's expected hashes.
        e = Assert.Throws<InvalidDataException>(() => FashionMnist.LoadData(_fixtures));
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.Contains(FashionMnist.Manifest.Files[0].Sha256, e.Message);
        Assert.Contains(FashionMnist.Manifest.Files[0].PayloadSha256!, e.Message);
        Assert.Contains(DatasetCache.Sha256(Path.Combine(_fixtures, "train-images-idx3-ubyte.gz")), e.Message);
    }

    [Fact]
    public void ARecompressedCopyVerifiesByItsPayloadAndChangedDataDoesNot()
    {
        var manifest = FixtureManifest();
        string images = Path.Combine(_fixtures, "train-images-idx3-ubyte.gz");
        Recompress(images);
        Assert.NotEqual(manifest.Files[0].Sha256, DatasetCache.Sha256(images));
        Assert.Equal(FileCheckStatus.PayloadVerified, DatasetManifest.Check(images, manifest.Files[0]).Status);
        var ((x, _), _) = Mnist.LoadIdxDataset(manifest, _fixtures, null, null);
        Assert.Equal(6, x.Shape[0]);

        // Without a payload hash only the published bytes pass.
        Assert.Equal(FileCheckStatus.Mismatch, DatasetManifest.Check(images, manifest.Files[0] with { PayloadSha256 = null }).Status);

        // One pixel changed and compressed again: neither hash matches, and the error says so with all four values.
        var idx = Idx.Read(images);
        idx.Data[123] ^= 1;
        Idx.Write(images, idx.Dims, idx.Data);
        var check = DatasetManifest.Check(images, manifest.Files[0]);
        Assert.Equal(FileCheckStatus.Mismatch, check.Status);
        var e = Assert.Throws<InvalidDataException>(() => Mnist.LoadIdxDataset(manifest, _fixtures, null, null));
        Assert.Contains($"{images}: SHA-256 mismatch", e.Message);
        foreach (var hash in new[] { manifest.Files[0].Sha256, manifest.Files[0].PayloadSha256!, check.ActualSha256!, check.ActualPayloadSha256! })
            Assert.Contains(hash, e.Message);
    }

    [Fact]
    public void OfflineErrorsTellNotFoundFromCorruptAndSayWhatToDo()
    {
        using var offline = new HttpClient(new Offline());
        string cache = Path.Combine(_root, "cache3");
        var manifest = FixtureManifest();
        string dir = manifest.CacheDirectory(cache);

        // Nothing anywhere: "not found", with the import command, PRAXIS_DATA, the package and the URL.
        var missing = Assert.Throws<FileNotFoundException>(() => manifest.Locate(Only(dir), offline, cache));
        foreach (var s in new[] { "was not found", "praxis datasets import fashion-mnist DIR", "PRAXIS_DATA", "apt-get install dataset-fashion-mnist", FashionMnist.BaseUrl, "Name or service not known" })
            Assert.Contains(s, missing.Message);

        // A cached copy with a damaged file: not "not found" but which file, expected and actual hashes.
        Directory.CreateDirectory(dir);
        foreach (var f in manifest.Files) File.Copy(Path.Combine(_fixtures, f.Name), Path.Combine(dir, f.Name));
        string labels = Path.Combine(dir, "t10k-labels-idx1-ubyte.gz");
        var bytes = File.ReadAllBytes(labels);
        bytes[12] ^= 0x10; // inside the deflate data: the payload no longer decodes, or no longer matches
        File.WriteAllBytes(labels, bytes);
        var corrupt = Assert.Throws<InvalidDataException>(() => manifest.Locate(Only(dir), offline, cache));
        Assert.DoesNotContain("not found", corrupt.Message);
        foreach (var s in new[] { "no local copy verifies", $"the cache copy in {dir}", labels, "SHA-256 mismatch", manifest.Files[3].Sha256, DatasetCache.Sha256(labels), "praxis datasets import" })
            Assert.Contains(s, corrupt.Message);

        // A copy that verifies is used without touching the network.
        File.Copy(Path.Combine(_fixtures, "t10k-labels-idx1-ubyte.gz"), labels, overwrite: true);
        Assert.Equal(dir, manifest.Locate(Only(dir), offline, cache));
    }

    [Fact]
    public void ImportCopiesVerifiesAndRenamesOrChangesNothing()
    {
        var manifest = FixtureManifest();
        string cache = Path.Combine(_root, "cache4");
        string source = Path.Combine(_root, "debian-like");
        Directory.CreateDirectory(source);
        foreach (var f in manifest.Files) File.Copy(Path.Combine(_fixtures, f.Name), Path.Combine(source, f.Name));
        Recompress(Path.Combine(source, "train-labels-idx1-ubyte.gz"));

        // A damaged file: refused with expected and actual hashes; the cache keeps nothing, not even a temporary folder.
        string images = Path.Combine(source, "t10k-images-idx3-ubyte.gz");
        var good = File.ReadAllBytes(images);
        File.WriteAllBytes(images, good[..^100]);
        var e = Assert.Throws<InvalidDataException>(() => manifest.Import(source, cache));
        Assert.Contains($"{images}: SHA-256 mismatch", e.Message);
        Assert.Contains(manifest.Files[2].Sha256, e.Message);
        Assert.Contains("nothing changed", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(manifest.CacheDirectory(cache)));

        File.WriteAllBytes(images, good);
        string dest = manifest.Import(source, cache);
        Assert.Equal(manifest.CacheDirectory(cache), dest);
        Assert.Equal(manifest.Files.Count, Directory.GetFileSystemEntries(dest).Length);
        Assert.All(manifest.Verify(dest), c => Assert.True(c.Ok, c.Describe()));
        Assert.Equal(FileCheckStatus.PayloadVerified, manifest.Verify(dest)[1].Status);

        // A folder without the files is "not found", naming it.
        var nf = Assert.Throws<FileNotFoundException>(() => manifest.Import(_root, cache));
        Assert.Contains($"{_root} holds none of its files", nf.Message);
    }
}
