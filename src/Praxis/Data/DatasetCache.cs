using System.Security.Cryptography;

namespace Praxis.Data;

/// <summary>
/// Downloads dataset files into a local cache and verifies their SHA-256 (Keras <c>get_file</c>). Downloads go to a
/// temporary file that is checked, flushed and then renamed, so the cache never holds a partial or corrupt file.
/// </summary>
public static class DatasetCache
{
    /// <summary>
    /// The cache root: <c>$PRAXIS_CACHE</c> if set, else <c>~/.praxis/datasets</c>.
    /// </summary>
    public static string Root =>
        Environment.GetEnvironmentVariable("PRAXIS_CACHE") is { Length: > 0 } c
            ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".praxis", "datasets");

    /// <summary>The SHA-256 of a file as lowercase hex.</summary>
    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file when its SHA-256 differs from <paramref name="expected"/>.</summary>
    public static void Verify(string path, string expected)
    {
        string actual = Sha256(path);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: SHA-256 mismatch (expected {expected}, got {actual}); the file is corrupt or not the expected one.");
    }

    /// <summary>
    /// Returns the path of <paramref name="fileName"/> in <paramref name="subdirectory"/> of the cache, downloading it from
    /// <paramref name="url"/> first if it is missing or fails the checksum.
    /// </summary>
    public static string Fetch(Uri url, string fileName, string sha256, string subdirectory, HttpClient? client = null, string? root = null)
    {
        string dir = Path.Combine(root ?? Root, subdirectory);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, fileName);
        if (File.Exists(path) && string.Equals(Sha256(path), sha256, StringComparison.OrdinalIgnoreCase)) return path;

        string tmp = path + $".{Environment.ProcessId}.part";
        try
        {
            var http = client ?? SharedClient.Value;
            using (var response = http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult())
            {
                if (!response.IsSuccessStatusCode)
                    throw new HttpRequestException($"Downloading {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
                using var body = response.Content.ReadAsStream();
                using var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None);
                body.CopyTo(file);
                file.Flush(flushToDisk: true);
            }
            string actual = Sha256(tmp);
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
                throw new InvalidDataException($"Downloaded {url}: SHA-256 mismatch (expected {sha256}, got {actual}); not saved.");
            Praxis.IO.AtomicFile.Replace(tmp, path);
            return path;
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    private static readonly Lazy<HttpClient> SharedClient = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(10) });
}
