using System.Net;
using System.Net.Sockets;
using Praxis.Data;

namespace Praxis.Tests.Data;

public class MnistTests
{
    [Fact]
    public void ShippedMnistLoadsWithVerifiedChecksums()
    {
        var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData();
        Assert.Equal(new Shape(60000, 28, 28), xTrain.Shape);
        Assert.Equal(new Shape(60000), yTrain.Shape);
        Assert.Equal(new Shape(10000, 28, 28), xTest.Shape);
        Assert.Equal(new Shape(10000), yTest.Shape);
        var px = xTrain.Span;
        float min = float.MaxValue, max = float.MinValue;
        foreach (var v in px) { if (v < min) min = v; if (v > max) max = v; }
        Assert.Equal(0f, min);
        Assert.Equal(1f, max);
        // The first training labels of MNIST are 5, 0, 4, 1, 9; the first test labels 7, 2, 1, 0, 4.
        Assert.Equal([5f, 0, 4, 1, 9], yTrain.ToArray()[..5]);
        Assert.Equal([7f, 2, 1, 0, 4], yTest.ToArray()[..5]);
        var counts = new int[10];
        foreach (var l in yTrain.Span) counts[(int)l]++;
        Assert.Equal(6742, counts[1]);
    }

    [Fact]
    public void CorruptShippedFileFailsItsChecksum()
    {
        string dir = Directory.CreateTempSubdirectory("praxis-mnist-").FullName;
        try
        {
            string src = Mnist.Locate();
            foreach (var f in Mnist.Files.Keys) File.Copy(Path.Combine(src, f), Path.Combine(dir, f));
            var bytes = File.ReadAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"));
            bytes[100] ^= 0x40;
            File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte.gz"), bytes);
            var ex = Assert.Throws<InvalidDataException>(() => Mnist.LoadData(dir));
            Assert.Contains("t10k-labels-idx1-ubyte.gz", ex.Message);
            Assert.Contains("SHA-256", ex.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}

/// <summary>MNIST's payload hashes, checked on the shipped files, and a re-compressed copy of them.</summary>
public class MnistPayloadTests
{
    [Fact]
    public void ShippedFilesMatchBothTheirFileAndPayloadHashes()
    {
        string dir = Mnist.Locate();
        foreach (var f in Mnist.Manifest.Files)
        {
            string path = Path.Combine(dir, f.Name);
            Assert.Equal(f.Sha256, DatasetCache.Sha256(path));
            Assert.Equal(f.PayloadSha256, DatasetManifest.PayloadSha256(path));
        }
    }

    [Fact]
    public void ARecompressedOrDecompressedCopyLoadsAndMatchesTheOriginal()
    {
        string dir = Directory.CreateTempSubdirectory("praxis-mnist-regz-").FullName;
        try
        {
            string src = Mnist.Locate();
            foreach (var f in Mnist.Manifest.Files)
            {
                using var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(src, f.Name)), System.IO.Compression.CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                // The test labels stay uncompressed under the .gz name (the reader detects gzip by content); the rest are re-compressed.
                if (f.Name.StartsWith("t10k-labels", StringComparison.Ordinal)) File.WriteAllBytes(Path.Combine(dir, f.Name), ms.ToArray());
                else
                {
                    using var file = File.Create(Path.Combine(dir, f.Name));
                    using var z = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest);
                    z.Write(ms.ToArray());
                }
            }
            Assert.All(Mnist.Manifest.Verify(dir), c => Assert.Equal(FileCheckStatus.PayloadVerified, c.Status));
            var ((xTrain, yTrain), (xTest, yTest)) = Mnist.LoadData(dir);
            var ((xRef, yRef), (xTestRef, yTestRef)) = Mnist.LoadData();
            Assert.Equal(yRef.ToArray(), yTrain.ToArray());
            Assert.Equal(yTestRef.ToArray(), yTest.ToArray());
            Assert.Equal(xTestRef.ToArray(), xTest.ToArray());
        }
        finally { Directory.Delete(dir, true); }
    }
}

/// <summary>The download path, exercised against a real HTTP server on loopback serving generated files.</summary>
public class DatasetCacheTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("praxis-cache-").FullName;
    private readonly HttpListener _listener = new();
    private readonly byte[] _payload = Enumerable.Range(0, 100_000).Select(i => (byte)(i * 31 % 251)).ToArray();
    private readonly string _prefix;
    private int _requests;

    public DatasetCacheTests()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _prefix = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_prefix);
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); } catch { return; }
                Interlocked.Increment(ref _requests);
                if (ctx.Request.Url!.AbsolutePath == "/data.bin")
                {
                    ctx.Response.ContentLength64 = _payload.Length;
                    await ctx.Response.OutputStream.WriteAsync(_payload);
                }
                else ctx.Response.StatusCode = 404;
                ctx.Response.Close();
            }
        });
    }

    public void Dispose()
    {
        _listener.Stop();
        Directory.Delete(_root, true);
    }

    private string Sha => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(_payload));

    [Fact]
    public void DownloadsVerifiesAndCaches()
    {
        string path = DatasetCache.Fetch(new Uri(_prefix + "data.bin"), "data.bin", Sha, "test", root: _root);
        Assert.Equal(_payload, File.ReadAllBytes(path));
        Assert.Equal(1, _requests);
        DatasetCache.Fetch(new Uri(_prefix + "data.bin"), "data.bin", Sha, "test", root: _root);
        Assert.Equal(1, _requests); // served from the cache
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.part"));
    }

    [Fact]
    public void ChecksumMismatchSavesNothing()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            DatasetCache.Fetch(new Uri(_prefix + "data.bin"), "data.bin", new string('0', 64), "test", root: _root));
        Assert.Contains("SHA-256 mismatch", ex.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "test")));
    }

    [Fact]
    public void HttpErrorsAreReported()
    {
        var ex = Assert.Throws<HttpRequestException>(() =>
            DatasetCache.Fetch(new Uri(_prefix + "missing.bin"), "missing.bin", Sha, "test", root: _root));
        Assert.Contains("404", ex.Message);
    }
}
