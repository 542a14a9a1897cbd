using System.Text.Json;

namespace Praxis.IO;

/// <summary>Config readers shared by the image layers' <c>FromConfig</c> methods (Keras' "int or pair" and "pair of pairs" forms).</summary>
internal static class ImageConfig
{
    /// <summary>A Keras "int or pair" argument as a <see cref="Size2"/>; <paramref name="fallback"/> when absent (null: required).</summary>
    public static Size2 Size(LayerConfig c, string key, int? fallback)
    {
        var v = c.GetIntTuple(key, 2, fallback is int f ? [f, f] : null);
        return new Size2(v[0], v[1]);
    }

    /// <summary>"valid" (default) or "same".</summary>
    public static string Padding(LayerConfig c) => c.GetChoice("padding", "valid", "valid", "same");

    /// <summary>Rejects channels_first configs (Praxis computes channels last) and returns the layer name.</summary>
    public static string? ChannelsLast(LayerConfig c)
    {
        c.GetChoice("data_format", "channels_last", "channels_last");
        return c.Name;
    }

    /// <summary>
    /// Keras' 2-D padding/cropping argument: an int (all four sides), a pair (height, width: both sides of each), or a
    /// pair of pairs ((top, bottom), (left, right)), the form Keras saves.
    /// </summary>
    public static ((int Top, int Bottom) Height, (int Left, int Right) Width) Sides(LayerConfig c, string key, int fallback)
    {
        if (!c.Has(key)) return ((fallback, fallback), (fallback, fallback));
        var v = c.Raw.GetProperty(key);
        if (v.ValueKind == JsonValueKind.Number) { int p = c.GetInt(key); return ((p, p), (p, p)); }
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2)
            throw c.Error($"'{key}' must be an integer, two integers or two pairs of integers; got {SafeTensorsFile.Clip(v.GetRawText())}.");
        var side = new int[2][];
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int n)) side[i] = [n, n];
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.Number && e[1].ValueKind == JsonValueKind.Number && e[0].TryGetInt32(out int a) && e[1].TryGetInt32(out int b)) side[i] = [a, b];
            else throw c.Error($"'{key}' must be an integer, two integers or two pairs of integers; got {SafeTensorsFile.Clip(v.GetRawText())}.");
            i++;
        }
        return ((side[0][0], side[0][1]), (side[1][0], side[1][1]));
    }
}
