using System.Text.Json;

namespace Praxis.IO;

/// <summary>
/// Finds the one fault of well-formed JSON that <see cref="JsonDocument"/> accepts and then throws
/// <see cref="InvalidOperationException"/> for when a string is read: a <c>\uD800</c>-style escape of a lone UTF-16
/// surrogate. Loaders call it on the bytes they parse so such a file fails as <see cref="InvalidDataException"/> that
/// names it, like every other damaged file.
/// </summary>
internal static class JsonEscapes
{
    /// <summary>Throws <paramref name="bad"/>'s exception if a property name or string value escapes a lone surrogate.</summary>
    /// <remarks>Only escaped strings are decoded (rare in files Praxis writes), so the check allocates nothing on them.</remarks>
    public static void Check(ReadOnlySpan<byte> json, Func<string, InvalidDataException> bad)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.PropertyName or JsonTokenType.String) || !reader.ValueIsEscaped) continue;
                try { _ = reader.GetString(); }
                catch (InvalidOperationException e)
                {
                    throw bad($"a string at byte {reader.TokenStartIndex} escapes a lone UTF-16 surrogate ({e.Message})");
                }
            }
        }
        catch (JsonException)
        {
            // Not well-formed: the parser that follows reports it in its own words.
        }
    }
}
