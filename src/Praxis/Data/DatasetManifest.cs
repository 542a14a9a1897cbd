using System.IO.Compression;
using System.Security.Cryptography;

namespace Praxis.Data;

/// <summary>
/// One file of a dataset: its name, the SHA-256 of the file as published, and for a gzip file the SHA-256 of its
/// decompressed contents. A copy passes when either matches, so one that a packager re-compressed (Debian's
/// <c>dataset-fashion-mnist</c> did) still verifies while any change to the data itself does not.
/// </summary>
/// <param name="Name">The file name, e.g. <c>train-images-idx3-ubyte.gz</c>.</param>
/// <param name="Sha256">SHA-256 of the file as published (lowercase hex).</param>
/// <param name="PayloadSha256">SHA-256 of the decompressed contents (lowercase hex), or null to accept the published file only.</param>
public sealed record DatasetFile(string Name, string Sha256, string? PayloadSha256 = null);

/// <summary>A folder that holds every file of a dataset, and where it was found.</summary>
/// <param name="Kind"><c>PRAXIS_DATA</c>, <c>shipped</c> (a <c>data/</c> folder above the program or the working
/// directory), <c>cache</c> (<see cref="DatasetCache.Root"/>) or <c>system</c> (e.g. <c>/usr/share/datasets</c>, where
/// Debian's dataset packages install).</param>
/// <param name="Directory">The folder.</param>
public sealed record DatasetCopy(string Kind, string Directory);

/// <summary>How one file of a local copy compares with what the manifest expects.</summary>
public enum FileCheckStatus
{
    /// <summary>The file is absent.</summary>
    Missing,

    /// <summary>The file is the published one (its SHA-256 matches).</summary>
    Verified,

    /// <summary>The file differs, but its decompressed contents are the published data (a re-compressed copy).</summary>
    PayloadVerified,

    /// <summary>Neither the file nor its decompressed contents match: corrupt or a different file.</summary>
    Mismatch,
}

/// <summary>The result of checking one file of a local copy.</summary>
/// <param name="File">What was expected.</param>
/// <param name="Path">The file checked.</param>
/// <param name="Status">The outcome.</param>
/// <param name="ActualSha256">The file's SHA-256 (null when missing).</param>
/// <param name="ActualPayloadSha256">The decompressed contents' SHA-256, when they were hashed and could be read.</param>
/// <param name="Detail">Why the contents could not be decompressed, when they could not.</param>
public sealed record FileCheck(DatasetFile File, string Path, FileCheckStatus Status, string? ActualSha256, string? ActualPayloadSha256, string? Detail)
{
    /// <summary>Whether the file may be used.</summary>
    public bool Ok => Status is FileCheckStatus.Verified or FileCheckStatus.PayloadVerified;

    /// <summary>What was expected and what was found, without the path.</summary>
    public string Reason => Status switch
    {
        FileCheckStatus.Missing => "not found",
        FileCheckStatus.Verified => "SHA-256 verified",
        FileCheckStatus.PayloadVerified => $"decompressed contents verified (SHA-256 {ActualPayloadSha256}; the file itself was re-compressed)",
        _ => File.PayloadSha256 == null
            ? $"SHA-256 mismatch (expected {File.Sha256}, got {ActualSha256})"
            : $"SHA-256 mismatch (expected {File.Sha256} for the file or {File.PayloadSha256} for its decompressed contents; " +
              $"got {ActualSha256} and {ActualPayloadSha256 ?? "none: " + Detail})",
    };

    /// <summary>One line for messages: the path, what was expected and what was found.</summary>
    public string Describe() => $"{Path}: {Reason}";
}

/// <summary>
/// The files of a dataset with their SHA-256, where they are downloaded from, and where local copies are looked for:
/// <c>$PRAXIS_DATA/NAME</c>, a <c>data/NAME</c> folder above the program or the working directory, the cache
/// (<see cref="DatasetCache.Root"/><c>/NAME</c>), and <c>datasets/NAME</c> under the system data folders
/// (<c>$XDG_DATA_DIRS</c>, by default <c>/usr/local/share</c> and <c>/usr/share</c>, where Debian's dataset packages
/// install). The first copy that verifies is used; otherwise the files are downloaded into the cache.
/// </summary>
public sealed class DatasetManifest
{
    /// <summary>Describes a dataset.</summary>
    /// <param name="name">Folder name, e.g. <c>fashion-mnist</c>.</param>
    /// <param name="title">Name in messages, e.g. <c>Fashion-MNIST</c>.</param>
    /// <param name="baseUrl">Where the files are downloaded from (file names are appended), or null when there is no download.</param>
    /// <param name="files">The files.</param>
    /// <param name="systemPackage">A Debian package that installs a copy under <c>/usr/share/datasets/NAME</c>, named in messages.</param>
    public DatasetManifest(string name, string title, string? baseUrl, IReadOnlyList<DatasetFile> files, string? systemPackage = null)
    {
        if (files.Count == 0) throw new ArgumentException($"Dataset '{name}' needs at least one file.", nameof(files));
        Name = name;
        Title = title;
        BaseUrl = baseUrl;
        Files = files;
        SystemPackage = systemPackage;
        var byName = new Dictionary<string, string>();
        foreach (var f in files) byName[f.Name] = f.Sha256;
        Sha256ByName = byName;
    }

    /// <summary>Folder name (in <c>$PRAXIS_DATA</c>, <c>data/</c>, the cache and the system folders).</summary>
    public string Name { get; }

    /// <summary>Name in messages.</summary>
    public string Title { get; }

    /// <summary>Download location, or null.</summary>
    public string? BaseUrl { get; }

    /// <summary>The files.</summary>
    public IReadOnlyList<DatasetFile> Files { get; }

    /// <summary>A Debian package that installs the dataset, or null.</summary>
    public string? SystemPackage { get; }

    /// <summary>File name → SHA-256 of the published file.</summary>
    public IReadOnlyDictionary<string, string> Sha256ByName { get; }

    /// <summary>This dataset's cache folder.</summary>
    public string CacheDirectory(string? cacheRoot = null) => Path.Combine(cacheRoot ?? DatasetCache.Root, Name);

    /// <summary>Folders holding every file of the dataset, in the order they are tried; contents are not checked.</summary>
    public IEnumerable<DatasetCopy> Copies(string? cacheRoot = null) => Candidates(cacheRoot).Where(c => HasAll(c.Directory));

    /// <summary>Whether <paramref name="directory"/> holds every file (not checking contents).</summary>
    public bool HasAll(string directory)
    {
        foreach (var f in Files) if (!File.Exists(Path.Combine(directory, f.Name))) return false;
        return true;
    }

    /// <summary>Checks every file in <paramref name="directory"/>: the file's SHA-256, else its decompressed contents'.</summary>
    public IReadOnlyList<FileCheck> Verify(string directory)
    {
        var checks = new List<FileCheck>(Files.Count);
        foreach (var f in Files) checks.Add(Check(Path.Combine(directory, f.Name), f));
        return checks;
    }

    /// <summary>Checks one file against <paramref name="expected"/>.</summary>
    public static FileCheck Check(string path, DatasetFile expected)
    {
        if (!File.Exists(path)) return new FileCheck(expected, path, FileCheckStatus.Missing, null, null, null);
        string actual = DatasetCache.Sha256(path);
        if (string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
            return new FileCheck(expected, path, FileCheckStatus.Verified, actual, null, null);
        if (expected.PayloadSha256 == null) return new FileCheck(expected, path, FileCheckStatus.Mismatch, actual, null, null);
        // Only now decompress: a published file, the common case, is hashed once and never inflated here.
        string? payload = null, detail = null;
        try
        {
            payload = PayloadSha256(path);
        }
        catch (InvalidDataException e)
        {
            detail = e.Message;
        }
        bool ok = payload != null && string.Equals(payload, expected.PayloadSha256, StringComparison.OrdinalIgnoreCase);
        return new FileCheck(expected, path, ok ? FileCheckStatus.PayloadVerified : FileCheckStatus.Mismatch, actual, payload, detail);
    }

    /// <summary>
    /// The SHA-256 of a file's decompressed contents: a gzip file is inflated (every member, as <c>gzip -d</c> does),
    /// any other file is hashed as it is, so an uncompressed copy of the data verifies against the same value.
    /// </summary>
    public static string PayloadSha256(string path)
    {
        using var file = File.OpenRead(path);
        bool gzip = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        if (!gzip) return Convert.ToHexStringLower(SHA256.HashData(file));
        using var inflate = new GZipStream(file, CompressionMode.Decompress);
        return Convert.ToHexStringLower(SHA256.HashData(inflate));
    }

    /// <summary>
    /// Throws unless every file in <paramref name="directory"/> verifies: <see cref="FileNotFoundException"/> naming
    /// the missing files, or <see cref="InvalidDataException"/> naming each failing file with expected and
    /// actual SHA-256.
    /// </summary>
    public void VerifyOrThrow(string directory)
    {
        var checks = Verify(directory);
        var missing = checks.Where(c => c.Status == FileCheckStatus.Missing).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException(Lacks(directory, missing.Select(c => c.File.Name).ToList()), missing[0].Path);
        var bad = checks.Where(c => !c.Ok).ToList();
        if (bad.Count > 0)
            throw new InvalidDataException(
                $"{Title}: {string.Join("; ", bad.Select(c => c.Describe()))}; the file is corrupt or not the expected one.");
    }

    /// <summary>
    /// The folder of the first local copy that verifies; when none does, downloads the missing or failing files into
    /// the cache. Offline, the error says which copies were found and why they failed, and what to do.
    /// </summary>
    /// <param name="client">HTTP client for downloads (a shared one when null).</param>
    /// <param name="cacheRoot">Cache root (default <see cref="DatasetCache.Root"/>).</param>
    public string Locate(HttpClient? client = null, string? cacheRoot = null) => Locate(Candidates(cacheRoot), client, cacheRoot);

    internal string Locate(IEnumerable<DatasetCopy> candidates, HttpClient? client, string? cacheRoot)
    {
        var failures = new List<(DatasetCopy Copy, IReadOnlyList<FileCheck> Bad)>();
        foreach (var copy in candidates)
        {
            if (!Files.Any(f => File.Exists(Path.Combine(copy.Directory, f.Name)))) continue;
            var checks = Verify(copy.Directory);
            var bad = checks.Where(c => !c.Ok).ToList();
            if (bad.Count == 0) return copy.Directory;
            failures.Add((copy, bad));
        }
        string cache = CacheDirectory(cacheRoot);
        if (BaseUrl == null) throw Unavailable(failures, cache, null);
        try
        {
            Download(client, cacheRoot);
            return cache;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // A download that arrives but fails its SHA-256 is not "unavailable": Fetch's own error says so.
            throw Unavailable(failures, cache, e);
        }
    }

    /// <summary>
    /// Downloads into the cache every file that is missing there or fails verification (a re-compressed copy that
    /// verifies by its contents is kept); returns the paths of all files.
    /// </summary>
    public IReadOnlyList<string> Download(HttpClient? client = null, string? cacheRoot = null)
    {
        if (BaseUrl == null) throw new InvalidOperationException($"{Title} has no download location.");
        var paths = new List<string>(Files.Count);
        string dir = CacheDirectory(cacheRoot);
        foreach (var f in Files)
        {
            string path = Path.Combine(dir, f.Name);
            paths.Add(File.Exists(path) && Check(path, f).Ok ? path : DatasetCache.Fetch(new Uri(new Uri(BaseUrl), f.Name), f.Name, f.Sha256, Name, client, cacheRoot));
        }
        return paths;
    }

    /// <summary>
    /// Copies a local copy of the dataset (e.g. one a package manager installed, or files fetched by hand) into the
    /// cache: the files are copied into a temporary folder beside the cache folder, each copy is verified, and only
    /// then are they renamed into place, so the cache never holds a partial or unverified file. Returns the cache folder.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder or a file in it is missing.</exception>
    /// <exception cref="InvalidDataException">A file fails verification (named with expected and actual SHA-256); nothing is changed.</exception>
    public string Import(string sourceDirectory, string? cacheRoot = null)
    {
        if (!Directory.Exists(sourceDirectory)) throw new DirectoryNotFoundException($"{Title}: folder not found: {sourceDirectory}");
        var missing = Files.Where(f => !File.Exists(Path.Combine(sourceDirectory, f.Name))).Select(f => f.Name).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException(Lacks(sourceDirectory, missing), Path.Combine(sourceDirectory, missing[0]));
        string dest = CacheDirectory(cacheRoot);
        Directory.CreateDirectory(dest);
        // Same file system as the destination, so the final renames are atomic.
        string tmp = Path.Combine(dest, $".import-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            var bad = new List<FileCheck>();
            foreach (var f in Files)
            {
                string copy = Path.Combine(tmp, f.Name);
                using (var source = File.OpenRead(Path.Combine(sourceDirectory, f.Name)))
                using (var target = new FileStream(copy, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    source.CopyTo(target);
                    target.Flush(flushToDisk: true);
                }
                // The copy is what is verified, so a fault while copying is caught too; messages name the source.
                var check = Check(copy, f);
                if (!check.Ok) bad.Add(check with { Path = Path.Combine(sourceDirectory, f.Name) });
            }
            if (bad.Count > 0)
                throw new InvalidDataException(
                    $"{Title}: not imported, nothing changed in {dest}: {string.Join("; ", bad.Select(c => c.Describe()))}.");
            foreach (var f in Files) File.Move(Path.Combine(tmp, f.Name), Path.Combine(dest, f.Name), overwrite: true);
            Praxis.IO.AtomicFile.SyncDirectory(dest); // the renames, not only the flushed contents, survive a crash
            return dest;
        }
        finally
        {
            Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>Where copies are looked for, in order, whether or not they exist.</summary>
    public IEnumerable<DatasetCopy> Candidates(string? cacheRoot = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (Environment.GetEnvironmentVariable("PRAXIS_DATA") is { Length: > 0 } env && seen.Add(Path.GetFullPath(Path.Combine(env, Name))))
            yield return new DatasetCopy("PRAXIS_DATA", Path.Combine(env, Name));
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "data", Name);
                // Only folders that exist: every ancestor is a candidate, and messages list the ones worth reading.
                if (Directory.Exists(candidate) && seen.Add(Path.GetFullPath(candidate))) yield return new DatasetCopy("shipped", candidate);
            }
        string cache = CacheDirectory(cacheRoot);
        if (seen.Add(Path.GetFullPath(cache))) yield return new DatasetCopy("cache", cache);
        foreach (var root in SystemDataDirectories())
        {
            string candidate = Path.Combine(root, "datasets", Name);
            if (seen.Add(Path.GetFullPath(candidate))) yield return new DatasetCopy("system", candidate);
        }
    }

    /// <summary>The XDG system data folders (<c>$XDG_DATA_DIRS</c>, by default <c>/usr/local/share</c> and <c>/usr/share</c>); none on Windows.</summary>
    public static IReadOnlyList<string> SystemDataDirectories()
    {
        if (OperatingSystem.IsWindows()) return [];
        string dirs = Environment.GetEnvironmentVariable("XDG_DATA_DIRS") is { Length: > 0 } x ? x : "/usr/local/share:/usr/share";
        return dirs.Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(Path.IsPathRooted).ToArray();
    }

    private string Lacks(string directory, List<string> missing) =>
        missing.Count == Files.Count
            ? $"{Title}: {directory} holds none of its files ({string.Join(", ", missing)})."
            : $"{Title}: {directory} lacks {string.Join(", ", missing)} (a copy needs {string.Join(", ", Files.Select(f => f.Name))}).";

    private Exception Unavailable(List<(DatasetCopy Copy, IReadOnlyList<FileCheck> Bad)> failures, string cache, Exception? download)
    {
        string system = SystemDataDirectories() is { Count: > 0 } s ? string.Join(" or ", s.Select(r => Path.Combine(r, "datasets", Name))) : "";
        string where = $"$PRAXIS_DATA/{Name}, data/{Name} above {AppContext.BaseDirectory} or {Environment.CurrentDirectory}, the cache {cache}" +
                       (system.Length > 0 ? $", {system}" : "");
        string fetch = BaseUrl == null ? "" : $"; downloading it from {BaseUrl} failed: {download?.Message.TrimEnd('.')}";
        string todo = $"To use a copy you have: praxis datasets import {Name} DIR (or pass its folder as LoadData's directory), " +
                      $"or set PRAXIS_DATA to a folder holding {Name}/" +
                      (SystemPackage != null ? $"; on Debian or Ubuntu: apt-get install {SystemPackage}" : "") +
                      (BaseUrl != null ? $"; or download {string.Join(", ", Files.Select(f => f.Name))} from {BaseUrl} into {cache}." : ".");
        string found = string.Join("; ", failures.Select(f => $"the {f.Copy.Kind} copy in {f.Copy.Directory}: " + string.Join("; ", f.Bad.Select(c => c.Describe()))));
        // Incomplete copies alone mean "not found"; a file that is there but wrong is a verification failure.
        if (!failures.Any(f => f.Bad.Any(c => c.Status == FileCheckStatus.Mismatch)))
            return new FileNotFoundException($"{Title} was not found (looked in {where}{(found.Length > 0 ? "; incomplete: " + found : "")}){fetch}. {todo}", download);
        return new InvalidDataException($"{Title}: no local copy verifies ({found}){fetch}. {todo}", download);
    }
}
