using Praxis.Layers;

namespace Praxis.IO;

public static partial class LayerRegistry
{
    /// <summary>The 1-D (sequence) layers and the preprocessing layers; kept in their own file, one line per layer.</summary>
    private static void RegisterSequence1DAndPreprocessing()
    {
        Register("Conv1D", c => new Conv1D(c.GetInt("filters"), One(c, "kernel_size", null), One(c, "strides", 1), Padding1D(c, causal: true),
            One(c, "dilation_rate", 1), c.GetInt("groups", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
            c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), ChannelsLast(c)));
        Register("SeparableConv1D", c => new SeparableConv1D(c.GetInt("filters"), One(c, "kernel_size", null), One(c, "strides", 1), Padding1D(c, causal: true),
            One(c, "dilation_rate", 1), c.GetInt("depth_multiplier", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
            c.GetInitializer("depthwise_initializer", "glorot_uniform"), c.GetInitializer("pointwise_initializer", "glorot_uniform"),
            c.GetInitializer("bias_initializer", "zeros"), ChannelsLast(c)));
        Register("MaxPooling1D", c => new MaxPooling1D(One(c, "pool_size", 2), c.Has("strides") ? One(c, "strides", null) : null, Padding1D(c, causal: false), ChannelsLast(c)));
        Register("AveragePooling1D", c => new AveragePooling1D(One(c, "pool_size", 2), c.Has("strides") ? One(c, "strides", null) : null, Padding1D(c, causal: false), ChannelsLast(c)));
        Register("GlobalMaxPooling1D", c => new GlobalMaxPooling1D(c.GetBool("keepdims", false), ChannelsLast(c)));
        Register("GlobalAveragePooling1D", c => new GlobalAveragePooling1D(c.GetBool("keepdims", false), ChannelsLast(c)));
        Register("UpSampling1D", c => new UpSampling1D(c.GetInt("size", 2), c.Name));
        Register("ZeroPadding1D", c => { var p = Pair(c, "padding", 1); return new ZeroPadding1D((p[0], p[1]), c.Name); });
        Register("Cropping1D", c => { var p = Pair(c, "cropping", 1); return new Cropping1D((p[0], p[1]), c.Name); });
        Register("RepeatVector", c => new RepeatVector(c.GetInt("n"), c.Name));
        Register("Permute", c => new Permute(c.GetIntArray("dims"), c.Name));
        // Preprocessing
        Register("Rescaling", c => new Rescaling(c.GetFloat("scale"), c.GetFloat("offset", 0f), c.Name));
        Register("Normalization", c => new Normalization(c.GetInt("axis", -1), Floats(c, "mean"), Floats(c, "variance"), c.GetBool("invert", false), c.Name));
        Register("CategoryEncoding", c => new CategoryEncoding(c.GetInt("num_tokens"), c.GetChoice("output_mode", "multi_hot", "one_hot", "multi_hot", "count"), c.Name));
        Register("IntegerLookup", c => new IntegerLookup(c.GetOptionalInt("max_tokens"), c.GetInt("num_oov_indices", 1), c.Has("mask_token") ? Long(c, "mask_token") : null,
            c.Has("oov_token") ? Long(c, "oov_token") : -1, c.Has("vocabulary") ? Longs(c, "vocabulary") : null,
            c.GetChoice("output_mode", "int", "int", "one_hot", "multi_hot", "count"), c.Name));
        Register("StringLookup", c => new StringLookup(c.GetOptionalInt("max_tokens"), c.GetInt("num_oov_indices", 1), c.GetOptionalString("mask_token"),
            c.GetString("oov_token", "[UNK]"), Strings(c, "vocabulary"), c.GetChoice("output_mode", "int", "int", "one_hot", "multi_hot", "count"), c.Name));
        Register("Hashing", c =>
        {
            c.GetChoice("output_mode", "int", "int");
            return new Hashing(c.GetInt("num_bins"), c.GetOptionalString("mask_value"), c.Has("salt") ? Salt(c) : null, c.Name);
        });
        Register("TextVectorization", c => new TextVectorization(c.GetOptionalInt("max_tokens"), NullableString(c, "standardize", "lower_and_strip_punctuation"),
            NullableString(c, "split", "whitespace"), null, c.GetChoice("output_mode", "int", "int", "multi_hot", "count", "tf_idf"),
            c.GetOptionalInt("output_sequence_length"), c.GetBool("pad_to_max_tokens", false), Strings(c, "vocabulary"), Floats(c, "idf_weights"),
            c.Has("ngrams") ? Ngrams(c) : null, c.Name));
    }

    /// <summary>A Keras 1-D "int or 1-tuple" argument (saved as <c>[3]</c>, written by hand as <c>3</c>).</summary>
    private static int One(LayerConfig c, string key, int? fallback) => c.GetIntTuple(key, 1, fallback is int f ? [f] : null)[0];

    /// <summary>A Keras "int or pair" argument as two ints.</summary>
    private static int[] Pair(LayerConfig c, string key, int fallback) => c.GetIntTuple(key, 2, [fallback, fallback]);

    /// <summary>The largest vocabulary a file may hold (a hostile file cannot ask for more).</summary>
    private const int MaxVocabulary = 1 << 24;

    private static System.Text.Json.JsonElement Array(LayerConfig c, string key)
    {
        var v = c.Raw.GetProperty(key);
        if (v.ValueKind != System.Text.Json.JsonValueKind.Array) throw c.Error($"'{key}' must be an array.");
        if (v.GetArrayLength() > MaxVocabulary) throw c.Error($"'{key}' has {v.GetArrayLength()} entries, more than {MaxVocabulary}.");
        return v;
    }

    private static string[]? Strings(LayerConfig c, string key)
    {
        if (!c.Has(key)) return null;
        var list = new List<string>();
        foreach (var e in Array(c, key).EnumerateArray())
            list.Add(e.ValueKind == System.Text.Json.JsonValueKind.String ? e.GetString()! : throw c.Error($"'{key}' must hold strings."));
        return [.. list];
    }

    private static float[]? Floats(LayerConfig c, string key)
    {
        if (!c.Has(key)) return null;
        var list = new List<float>();
        foreach (var e in Array(c, key).EnumerateArray())
            list.Add(e.ValueKind == System.Text.Json.JsonValueKind.Number && float.IsFinite(e.GetSingle()) ? e.GetSingle() : throw c.Error($"'{key}' must hold finite numbers."));
        return [.. list];
    }

    /// <summary>A string that may be an explicit null (Keras' None); <paramref name="fallback"/> when the key is absent.</summary>
    private static string? NullableString(LayerConfig c, string key, string fallback) =>
        !c.Raw.TryGetProperty(key, out _) ? fallback : c.Has(key) ? c.GetString(key) : null;

    private static long Long(LayerConfig c, string key) =>
        c.Raw.GetProperty(key).TryGetInt64(out long v) ? v : throw c.Error($"'{key}' must be an integer.");

    private static long[] Longs(LayerConfig c, string key)
    {
        var list = new List<long>();
        foreach (var e in Array(c, key).EnumerateArray())
            list.Add(e.ValueKind == System.Text.Json.JsonValueKind.Number && e.TryGetInt64(out long v) ? v : throw c.Error($"'{key}' must hold integers."));
        return [.. list];
    }

    private static long[] Salt(LayerConfig c)
    {
        var v = c.Raw.GetProperty("salt");
        if (v.ValueKind == System.Text.Json.JsonValueKind.Number) return [Long(c, "salt")];
        var s = Longs(c, "salt");
        return s.Length is 1 or 2 ? s : throw c.Error("'salt' must be one or two integers.");
    }

    /// <summary>Keras' ngrams: an int n (all 1…n) or a list of sizes.</summary>
    private static int[] Ngrams(LayerConfig c)
    {
        var v = c.Raw.GetProperty("ngrams");
        if (v.ValueKind == System.Text.Json.JsonValueKind.Number) { int n = c.GetInt("ngrams"); return n is > 0 and <= 16 ? Enumerable.Range(1, n).ToArray() : throw c.Error("'ngrams' must be in 1..16."); }
        return c.GetIntArray("ngrams", 16);
    }

    private static string Padding1D(LayerConfig c, bool causal) =>
        causal ? c.GetChoice("padding", "valid", "valid", "same", "causal") : c.GetChoice("padding", "valid", "valid", "same");
}
