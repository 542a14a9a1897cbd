namespace Praxis.Data;

/// <summary>
/// The text corpora shipped in <c>data/text</c> (see its README): <c>moby-dick.txt</c> (Melville, public domain,
/// 1.2 MB) and <c>first-names.txt</c> (8,403 names). Found like MNIST, by walking up from the program and the working
/// directory (or under <c>$PRAXIS_DATA/text</c>), and checked against their SHA-256.
/// </summary>
public static class TextCorpus
{
    /// <summary>The shipped files and their SHA-256.</summary>
    public static readonly IReadOnlyDictionary<string, string> Files = new Dictionary<string, string>
    {
        ["moby-dick.txt"] = "fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240",
        ["first-names.txt"] = "1bf57faa9a8675e2b5114072fd1c9dcaf44a68e3643482055851a1abc9643150",
    };

    /// <summary>The whole of Moby-Dick as one string (UTF-8 decoded).</summary>
    public static string MobyDick() => File.ReadAllText(Path("moby-dick.txt"), System.Text.Encoding.UTF8);

    /// <summary>The first names, one per entry.</summary>
    public static string[] FirstNames() =>
        File.ReadAllLines(Path("first-names.txt")).Where(l => l.Length > 0).ToArray();

    /// <summary>The verified path of a shipped corpus file.</summary>
    public static string Path(string fileName)
    {
        if (!Files.TryGetValue(fileName, out var sha))
            throw new ArgumentException($"Unknown corpus file '{fileName}'. Known: {string.Join(", ", Files.Keys)}.");
        foreach (var dir in Candidates())
        {
            string p = System.IO.Path.Combine(dir, fileName);
            if (!File.Exists(p)) continue;
            DatasetCache.Verify(p, sha);
            return p;
        }
        throw new FileNotFoundException($"Corpus file '{fileName}' was not found in data/text above {AppContext.BaseDirectory} or {Environment.CurrentDirectory} (or $PRAXIS_DATA/text).");
    }

    private static IEnumerable<string> Candidates()
    {
        if (Environment.GetEnvironmentVariable("PRAXIS_DATA") is { Length: > 0 } env) yield return System.IO.Path.Combine(env, "text");
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                yield return System.IO.Path.Combine(d.FullName, "data", "text");
    }
}

/// <summary>
/// A character vocabulary: the sorted set of characters of a text (ordinal order, as Python's <c>sorted(set(text))</c>),
/// with encoding to ids (as floats, the form Praxis tensors hold) and decoding back. Optionally reserves id 0 for
/// padding (for <c>Embedding(maskZero: true)</c>).
/// </summary>
public sealed class CharVocabulary
{
    private readonly Dictionary<char, int> _ids = new();

    /// <summary>Builds the vocabulary of <paramref name="text"/>.</summary>
    /// <param name="text">The characters to cover.</param>
    /// <param name="reservePadding">Reserve id 0 for padding; characters then start at 1.</param>
    public CharVocabulary(IEnumerable<char> text, bool reservePadding = false)
    {
        var chars = new SortedSet<char>(text, Comparer<char>.Create((a, b) => a.CompareTo(b)));
        Offset = reservePadding ? 1 : 0;
        Chars = chars.ToArray();
        for (int i = 0; i < Chars.Length; i++) _ids[Chars[i]] = i + Offset;
    }

    /// <summary>The characters in id order (without the padding slot).</summary>
    public char[] Chars { get; }

    /// <summary>1 when id 0 is padding, else 0.</summary>
    public int Offset { get; }

    /// <summary>The number of ids, padding included.</summary>
    public int Size => Chars.Length + Offset;

    /// <summary>The id of <paramref name="c"/>; an unknown character raises an error naming it.</summary>
    public int this[char c] => _ids.TryGetValue(c, out int id) ? id
        : throw new ArgumentException($"Character '{c}' (U+{(int)c:X4}) is not in the vocabulary of {Chars.Length} characters.");

    /// <summary>Whether <paramref name="c"/> has an id.</summary>
    public bool Contains(char c) => _ids.ContainsKey(c);

    /// <summary>Ids of every character of <paramref name="text"/>.</summary>
    public float[] Encode(string text)
    {
        var ids = new float[text.Length];
        for (int i = 0; i < text.Length; i++) ids[i] = this[text[i]];
        return ids;
    }

    /// <summary>The character of an id (padding decodes to nothing).</summary>
    public string Decode(int id)
    {
        if (id < 0 || id >= Size) throw new ArgumentOutOfRangeException(nameof(id), $"Id {id} is outside the vocabulary [0, {Size}).");
        return id < Offset ? "" : Chars[id - Offset].ToString();
    }

    /// <summary>The text of a sequence of ids.</summary>
    public string Decode(IEnumerable<int> ids) => string.Concat(ids.Select(Decode));
}
