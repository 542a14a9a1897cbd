using System.Net;
using System.Net.Sockets;
using Praxis.Data;
using Praxis.Models.Gpt2;
using Praxis.Tests.IO;

namespace Praxis.Tests.Pretrained;

/// <summary>
/// Gpt2.FromPretrained's real download path against a local HTTP server that answers like the hub
/// (<c>/{repo}/resolve/{revision}/{file}</c>, X-Linked-Etag with the SHA-256 of the LFS weights).
/// </summary>
public class Gpt2HubTests
{
    private sealed class FakeHub : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Dictionary<string, byte[]> _files = new();
        public int Requests;
        public string? LinkedEtag;

        public FakeHub()
        {
            string fixture = Gpt2Tests.FixtureDir();
            _files["config.json"] = File.ReadAllBytes(Path.Combine(fixture, "config.json"));
            _files["model.safetensors"] = File.ReadAllBytes(Path.Combine(fixture, "model.safetensors"));
            _files["vocab.json"] = "{\"!\": 0}"u8.ToArray();   // stand-ins: the tokenizer's real data ships in NuGet
            _files["merges.txt"] = "#version: 0.2\n"u8.ToArray();
            LinkedEtag = DatasetCache.Sha256(Path.Combine(fixture, "model.safetensors"));
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Endpoint = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(Endpoint.ToString());
            _listener.Start();
            _ = Task.Run(Serve);
        }

        public Uri Endpoint { get; }

        private async Task Serve()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref Requests);
                var parts = ctx.Request.Url!.AbsolutePath.Trim('/').Split('/');
                // tiny-gpt2/resolve/main/{file}
                if (parts.Length == 4 && parts[0] == "tiny-gpt2" && parts[1] == "resolve" && parts[2] == "main" && _files.TryGetValue(parts[3], out var body))
                {
                    if (parts[3] == "model.safetensors" && LinkedEtag is not null) ctx.Response.AddHeader("X-Linked-Etag", $"\"{LinkedEtag}\"");
                    ctx.Response.ContentLength64 = body.Length;
                    await ctx.Response.OutputStream.WriteAsync(body);
                }
                else ctx.Response.StatusCode = 404;
                ctx.Response.Close();
            }
        }

        public void Dispose() { _listener.Stop(); _listener.Close(); }
    }

    [Fact]
    public void DownloadsIntoTheCacheOnceAndLoads()
    {
        using var cache = new TempDir();
        using var hub = new FakeHub();
        var g = Gpt2.FromPretrained("tiny-gpt2", endpoint: hub.Endpoint, cacheRoot: cache.Path);
        Assert.Equal(4, hub.Requests);
        Assert.Equal(Gpt2.FromHuggingFace(Gpt2Tests.FixtureDir()).Logits([1, 2, 3]), g.Logits([1, 2, 3]));
        // Cached: no request the second time; a corrupted file is noticed through the recorded SHA-256 and fetched again.
        Gpt2.FromPretrained("tiny-gpt2", endpoint: hub.Endpoint, cacheRoot: cache.Path);
        Assert.Equal(4, hub.Requests);
        string dir = Gpt2Hub.Fetch("tiny-gpt2", endpoint: hub.Endpoint, cacheRoot: cache.Path);
        using (var f = File.OpenWrite(Path.Combine(dir, "model.safetensors"))) { f.Seek(5000, SeekOrigin.Begin); f.WriteByte(0x55); }
        Gpt2.FromPretrained("tiny-gpt2", endpoint: hub.Endpoint, cacheRoot: cache.Path);
        Assert.Equal(5, hub.Requests);
        Assert.Equal(hub.LinkedEtag, DatasetCache.Sha256(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public void AWrongHashFromTheHubIsRefusedAndNothingIsCached()
    {
        using var cache = new TempDir();
        using var hub = new FakeHub { LinkedEtag = new string('a', 64) };
        var e = Assert.Throws<InvalidDataException>(() => Gpt2.FromPretrained("tiny-gpt2", endpoint: hub.Endpoint, cacheRoot: cache.Path));
        Assert.Contains("X-Linked-Etag", e.Message);
        Assert.False(File.Exists(Path.Combine(cache.Path, "huggingface", "tiny-gpt2@main", "model.safetensors")));
    }

    [Fact]
    public void OfflineAndMissingRepositoriesGiveClearErrors()
    {
        using var cache = new TempDir();
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop(); // nothing listens there now: a refused connection, as offline
        var e = Assert.Throws<IOException>(() => Gpt2.FromPretrained("gpt2", endpoint: new Uri($"http://127.0.0.1:{port}/"), cacheRoot: cache.Path));
        Assert.Contains("offline", e.Message);
        Assert.Contains("FromHuggingFace", e.Message);
        using var hub = new FakeHub();
        var missing = Assert.Throws<HttpRequestException>(() => Gpt2.FromPretrained("no-such-model", endpoint: hub.Endpoint, cacheRoot: cache.Path));
        Assert.Contains("404", missing.Message);
        Assert.Contains("no-such-model", missing.Message);
    }
}
