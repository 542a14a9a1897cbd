using System.Net.Http.Headers;
using System.Text.Json;
using Praxis.Data;
using Praxis.IO;

namespace Praxis.Models.Gpt2;

/// <summary>
/// Fetches a GPT-2 repository from the Hugging Face hub into the dataset cache, as the datasets are fetched:
/// <c>{endpoint}/{repo}/resolve/{revision}/{file}</c> for config.json, model.safetensors, vocab.json and merges.txt,
/// each downloaded to a temporary file, checked, fsynced and renamed, so the cache never holds a partial file.
/// </summary>
/// <remarks>
/// SHA-256: the hub serves large (LFS) files such as model.safetensors with their SHA-256 in the
/// <c>X-Linked-Etag</c> header, and a download that does not hash to it is refused. Every file's SHA-256 is recorded
/// in <c>sha256.json</c> beside it, and a cached file is re-checked against it on every later use (a corrupt file is
/// fetched again, or refused when offline). Callers may pin hashes of their own with <c>expectedSha256</c>.
/// The endpoint is <c>$HF_ENDPOINT</c> when set (a mirror), else https://huggingface.co.
/// </remarks>
public static class Gpt2Hub
{
    /// <summary>The files fetched: the model (config and weights) and the tokenizer's vocabulary and merges.</summary>
    public static readonly IReadOnlyList<string> Files = ["config.json", "model.safetensors", "vocab.json", "merges.txt"];

    private const string Manifest = "sha256.json";

    /// <summary>The hub's address: <c>$HF_ENDPOINT</c> or https://huggingface.co.</summary>
    public static Uri DefaultEndpoint =>
        new(Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e.TrimEnd('/') + "/" : "https://huggingface.co/");

    /// <summary>
    /// The cache folder holding the repository's files, downloading what is missing or fails its SHA-256 first.
    /// </summary>
    /// <param name="repo">The hub repository, e.g. <c>gpt2</c>, <c>gpt2-medium</c>, <c>openai-community/gpt2</c>.</param>
    /// <param name="revision">Branch, tag or commit (default <c>main</c>).</param>
    /// <param name="expectedSha256">Optional pinned SHA-256 per file name.</param>
    /// <param name="endpoint">The hub (default <see cref="DefaultEndpoint"/>).</param>
    /// <param name="client">The HTTP client (default a shared one).</param>
    /// <param name="cacheRoot">The cache root (default <see cref="DatasetCache.Root"/>).</param>
    public static string Fetch(string repo, string revision = "main", IReadOnlyDictionary<string, string>? expectedSha256 = null,
        Uri? endpoint = null, HttpClient? client = null, string? cacheRoot = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(repo);
        if (repo.Contains("..", StringComparison.Ordinal) || repo.StartsWith('/') || repo.Contains('\\'))
            throw new ArgumentException($"Gpt2Hub: '{repo}' is not a hub repository name (expected 'name' or 'owner/name').");
        ArgumentException.ThrowIfNullOrWhiteSpace(revision);
        if (revision.Contains("..", StringComparison.Ordinal)) throw new ArgumentException($"Gpt2Hub: '{revision}' is not a revision.");
        string dir = Path.Combine(cacheRoot ?? DatasetCache.Root, "huggingface", repo.Replace('/', '-') + "@" + revision.Replace('/', '-'));
        Directory.CreateDirectory(dir);
        var known = ReadManifest(dir);
        var hub = endpoint ?? DefaultEndpoint;
        var http = client ?? SharedClient.Value;
        foreach (var file in Files)
        {
            string path = Path.Combine(dir, file);
            string? pinned = expectedSha256?.GetValueOrDefault(file);
            string? want = pinned ?? known.GetValueOrDefault(file);
            if (File.Exists(path) && want is not null && DatasetCache.Sha256(path) == want.ToLowerInvariant()) continue;
            var url = new Uri(hub, $"{repo}/resolve/{Uri.EscapeDataString(revision)}/{file}");
            known[file] = Download(http, url, path, pinned, repo, dir);
            WriteManifest(dir, known);
        }
        return dir;
    }

    private static string Download(HttpClient http, Uri url, string path, string? pinned, string repo, string dir)
    {
        string tmp = path + $".{Environment.ProcessId}.part";
        try
        {
            string? served;
            try
            {
                using var response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"Downloading {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}"
                        + ((int)response.StatusCode is 401 or 404 ? $" (does the repository '{repo}' exist, and is it public?)." : "."), null, response.StatusCode);
                served = LinkedSha256(response.Headers);
                using var body = response.Content.ReadAsStream();
                using var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None);
                body.CopyTo(file);
                file.Flush(flushToDisk: true);
            }
            catch (HttpRequestException e) when (e.StatusCode is null)
            {
                throw new IOException($"Cannot download {url}: {e.Message} The machine looks offline (or the hub is unreachable). "
                    + $"Put config.json and model.safetensors of '{repo}' in {dir} by hand, or load a local copy with Gpt2.FromHuggingFace(directory).", e);
            }
            catch (TaskCanceledException e)
            {
                throw new IOException($"Downloading {url} timed out. Put the files in {dir} by hand, or load a local copy with Gpt2.FromHuggingFace(directory).", e);
            }
            string actual = DatasetCache.Sha256(tmp);
            foreach (var (what, want) in new[] { ("the hub's X-Linked-Etag", served), ("the pinned hash", pinned) })
                if (want is not null && !string.Equals(actual, want, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException($"Downloaded {url}: SHA-256 {actual} does not match {what} {want.ToLowerInvariant()}; not saved.");
            AtomicFile.Replace(tmp, path);
            return actual;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>The SHA-256 the hub states for an LFS file (<c>X-Linked-Etag: "64 hex digits"</c>), or null.</summary>
    private static string? LinkedSha256(HttpResponseHeaders headers)
    {
        foreach (var name in new[] { "X-Linked-Etag", "ETag" })
            if (headers.TryGetValues(name, out var values))
                foreach (var v in values)
                {
                    string s = v.Trim().TrimStart('W', '/').Trim('"');
                    if (s.Length == 64 && s.All(Uri.IsHexDigit)) return s.ToLowerInvariant();
                }
        return null;
    }

    private static Dictionary<string, string> ReadManifest(string dir)
    {
        string p = Path.Combine(dir, Manifest);
        if (!File.Exists(p)) return new(StringComparer.Ordinal);
        try { return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(p)) ?? new(StringComparer.Ordinal); }
        catch (JsonException) { return new(StringComparer.Ordinal); } // a damaged manifest only costs a download
    }

    private static void WriteManifest(string dir, Dictionary<string, string> known) =>
        AtomicFile.Write(Path.Combine(dir, Manifest), s => JsonSerializer.Serialize(s, known, new JsonSerializerOptions { WriteIndented = true }));

    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(30) });
}
