using System.Text;
using System.Text.Json;
using Praxis.Tokenizers;

namespace Praxis.Tests.Pretrained;

/// <summary>GPT-2's BPE (Microsoft.ML.Tokenizers) against ids from the npm package gpt-3-encoder.</summary>
public class Gpt2TokenizerTests
{
    private static readonly Gpt2Tokenizer Tok = Gpt2Tokenizer.Instance;

    public static IEnumerable<object[]> Cases()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "gpt2_tokenizer_reference.json"))).RootElement;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
            yield return [c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IdsMatchAnIndependentImplementationAndRoundTrip(string text, int[] ids)
    {
        Assert.Equal(ids, Tok.Encode(text));
        Assert.Equal(text, Tok.Decode(ids));
    }

    [Fact]
    public void ArbitraryUtf8RoundTrips()
    {
        var rng = new Random(20);
        for (int n = 0; n < 200; n++)
        {
            var sb = new StringBuilder();
            int len = rng.Next(1, 40);
            for (int i = 0; i < len; i++)
            {
                // Any scalar value: ASCII, Latin, CJK, astral (emoji) — no lone surrogates, which UTF-8 cannot hold.
                int cp = rng.Next(4) switch { 0 => rng.Next(0x20, 0x7F), 1 => rng.Next(0xA0, 0x800), 2 => rng.Next(0x3000, 0xD7FF), _ => rng.Next(0x1F300, 0x1FAFF) };
                sb.Append(char.ConvertFromUtf32(cp));
                if (rng.Next(5) == 0) sb.Append(rng.Next(3) switch { 0 => " ", 1 => "\n", _ => "  " });
            }
            string s = sb.ToString();
            var ids = Tok.Encode(s);
            Assert.All(ids, id => Assert.InRange(id, 0, 50256));
            Assert.Equal(s, Tok.Decode(ids));
        }
    }

    [Fact]
    public void EndOfTextIsTheSpecialTokenAndBadIdsAreNamed()
    {
        Assert.Equal([Gpt2Tokenizer.EndOfText], Tok.Encode("<|endoftext|>"));
        Assert.Equal("<|endoftext|>", Tok.Decode([50256]));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Decode([464, 50257]));
        Assert.Contains("50257 at position 1", e.Message);
    }
}
