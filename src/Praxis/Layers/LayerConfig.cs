using System.Text.Json;
using Praxis.Initializers;

namespace Praxis.Layers;

/// <summary>
/// A layer's saved <c>config</c> object with typed, checked accessors for layer factories
/// (<c>static FromConfig</c> methods, registered with <c>Praxis.IO.LayerRegistry</c>). Every accessor raises <see cref="InvalidDataException"/> naming the source,
/// the layer, the key, what was expected and what was found; none runs code or resolves types named by the file.
/// </summary>
public sealed class LayerConfig
{
    private readonly JsonElement _config;

    internal LayerConfig(string source, string className, JsonElement config, SerializationContext context)
    {
        Source = source; ClassName = className; _config = config; Context = context;
        if (config.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: layer of class '{Clip(className)}': config must be an object; got {config.ValueKind}.");
        Name = GetOptionalString("name");
    }

    /// <summary>The file (or other source) the config came from.</summary>
    public string Source { get; }

    /// <summary>The Keras class name the config was saved under.</summary>
    public string ClassName { get; }

    /// <summary>The saved layer name (null when absent).</summary>
    public string? Name { get; }

    internal SerializationContext Context { get; }

    /// <summary>A file's text as quoted in a message: at most 60 characters, so a hostile file cannot flood a log.</summary>
    internal static string Clip(string s) => IO.SafeTensorsFile.Clip(s);

    /// <summary>The raw JSON, for factories that need structure beyond the typed accessors.</summary>
    public JsonElement Raw => _config;

    /// <summary>An error that names the source, the layer and the fault.</summary>
    public InvalidDataException Error(string fault) => Name == null
        ? new($"{Source}: {Clip(ClassName)}: {fault}")
        : new($"{Source}: layer '{Clip(Name)}' ({Clip(ClassName)}): {fault}");

    /// <summary>True when the key is present and not null.</summary>
    public bool Has(string key) => _config.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement Require(string key) =>
        _config.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : throw Error($"config needs '{key}'.");

    private static string Show(JsonElement e) => Clip(e.GetRawText());

    /// <summary>A required integer.</summary>
    public int GetInt(string key) => AsInt(Require(key), key);

    /// <summary>An integer, or <paramref name="fallback"/> when absent or null.</summary>
    public int GetInt(string key, int fallback) => Has(key) ? GetInt(key) : fallback;

    /// <summary>An optional integer (null when absent or null).</summary>
    public int? GetOptionalInt(string key) => Has(key) ? GetInt(key) : null;

    private int AsInt(JsonElement v, string key) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Error($"'{key}' must be an integer; got {Show(v)}.");

    /// <summary>A float, or <paramref name="fallback"/> when absent.</summary>
    public float GetFloat(string key, float fallback) => Has(key) ? GetFloat(key) : fallback;

    /// <summary>A required finite float.</summary>
    public float GetFloat(string key)
    {
        var v = Require(key);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) && Math.Abs(d) <= float.MaxValue) return (float)d;
        throw Error($"'{key}' must be a finite number; got {Show(v)}.");
    }

    /// <summary>A double, or <paramref name="fallback"/> when absent.</summary>
    public double GetDouble(string key, double fallback)
    {
        if (!Has(key)) return fallback;
        var v = Require(key);
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d)) return d;
        throw Error($"'{key}' must be a finite number; got {Show(v)}.");
    }

    /// <summary>A bool, or <paramref name="fallback"/> when absent.</summary>
    public bool GetBool(string key, bool fallback)
    {
        if (!Has(key)) return fallback;
        var v = Require(key);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"'{key}' must be true or false; got {Show(v)}."),
        };
    }

    /// <summary>A required string.</summary>
    public string GetString(string key)
    {
        var v = Require(key);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error($"'{key}' must be a string; got {Show(v)}.");
    }

    /// <summary>A string, or <paramref name="fallback"/> when absent.</summary>
    public string GetString(string key, string fallback) => Has(key) ? GetString(key) : fallback;

    /// <summary>An optional string.</summary>
    public string? GetOptionalString(string key) => Has(key) ? GetString(key) : null;

    /// <summary>One of a fixed set of strings (e.g. padding <c>valid</c>/<c>same</c>).</summary>
    public string GetChoice(string key, string fallback, params string[] allowed)
    {
        string s = GetString(key, fallback);
        return Array.IndexOf(allowed, s) >= 0 ? s : throw Error($"'{key}' must be one of {string.Join(", ", allowed)}; got '{Clip(s)}'.");
    }

    /// <summary>
    /// A list of integers (<c>null</c> entries read as −1, unknown). <paramref name="maxLength"/> bounds the length
    /// so a hostile file cannot ask for a huge array.
    /// </summary>
    public int[] GetIntArray(string key, int maxLength = 64)
    {
        var v = Require(key);
        if (v.ValueKind != JsonValueKind.Array) throw Error($"'{key}' must be an array of integers; got {Show(v)}.");
        int n = v.GetArrayLength();
        if (n > maxLength) throw Error($"'{key}' has {n} entries; at most {maxLength} are allowed.");
        var r = new int[n];
        int i = 0;
        foreach (var e in v.EnumerateArray()) r[i++] = e.ValueKind == JsonValueKind.Null ? -1 : AsInt(e, $"{key}[{i - 1}]");
        return r;
    }

    /// <summary>
    /// Keras' "int or tuple" arguments (kernel_size, strides, pool_size…): a single integer is repeated
    /// <paramref name="count"/> times; a list must have exactly <paramref name="count"/> entries.
    /// </summary>
    public int[] GetIntTuple(string key, int count, int[]? fallback = null)
    {
        if (!Has(key))
            return fallback ?? throw Error($"config needs '{key}'.");
        var v = Require(key);
        if (v.ValueKind == JsonValueKind.Number) { int x = AsInt(v, key); return Enumerable.Repeat(x, count).ToArray(); }
        var arr = GetIntArray(key, count);
        return arr.Length == count ? arr : throw Error($"'{key}' must be an integer or {count} integers; got {Show(v)}.");
    }

    /// <summary>
    /// A nested layer saved as <c>{"class_name": …, "config": {…}}</c> (wrappers such as Bidirectional and
    /// TimeDistributed), built through the loader's registry like any other; null when absent and optional.
    /// </summary>
    public Layer? GetLayer(string key, bool required = true)
    {
        if (!Has(key)) return required ? throw Error($"config needs '{key}'.") : null;
        var v = Require(key);
        if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("class_name", out var cn) || cn.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("config", out var cfg))
            throw Error($"'{key}' must be a layer: {{\"class_name\", \"config\"}}; got {Show(v)}.");
        if (++Context.Depth > SerializationContext.MaxDepth) throw Error($"layers are nested more than {SerializationContext.MaxDepth} deep.");
        try { return Context.CreateLayer(cn.GetString()!, new LayerConfig(Source, cn.GetString()!, cfg, Context)); }
        finally { Context.Depth--; }
    }

    /// <summary>An activation by Keras name (null/absent = linear); an unknown name is a data error.</summary>
    public ActivationFunction GetActivation(string key, string fallback = "linear")
    {
        string? name = Has(key) ? GetString(key) : fallback;
        try { return Activations.Get(name); }
        catch (ArgumentException e) { throw Error($"'{key}': {e.Message}"); }
    }

    /// <summary>
    /// A regularizer (<c>kernel_regularizer</c>, …): null when absent, a Keras name (<c>"l2"</c>) or
    /// <c>{"class_name": "L2", "config": {"l2": 0.01}}</c>.
    /// </summary>
    public Praxis.Regularizers.Regularizer? GetRegularizer(string key)
    {
        if (!Has(key)) return null;
        var v = Require(key);
        if (v.ValueKind == JsonValueKind.String)
        {
            try { return Praxis.Regularizers.Regularizer.Get(v.GetString()!); }
            catch (ArgumentException e) { throw Error($"'{key}': {e.Message}"); }
        }
        if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("class_name", out var cn) || cn.ValueKind != JsonValueKind.String)
            throw Error($"'{key}' must be a regularizer name or {{\"class_name\", \"config\"}}; got {Show(v)}.");
        var p = v.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? new LayerConfig(Source, ClassName + "." + key, c, Context) : null;
        try
        {
            return cn.GetString() switch
            {
                "L1" => new Praxis.Regularizers.L1(p?.GetFloat("l1", 0.01f) ?? 0.01f),
                "L2" => new Praxis.Regularizers.L2(p?.GetFloat("l2", 0.01f) ?? 0.01f),
                "L1L2" => new Praxis.Regularizers.L1L2(p?.GetFloat("l1", 0f) ?? 0f, p?.GetFloat("l2", 0f) ?? 0f),
                var other => throw Error($"'{key}': unknown regularizer class '{Praxis.IO.SafeTensorsFile.Clip(other ?? "")}'. Known: L1, L2, L1L2."),
            };
        }
        catch (ArgumentException e) { throw Error($"'{key}': {e.Message}"); }
    }

    /// <summary>
    /// An initializer: a Keras name (<c>"glorot_uniform"</c>, <c>"GlorotUniform"</c>) or
    /// <c>{"class_name": …, "config": {…}}</c>; parameters of the built-in parameterised initializers are restored.
    /// </summary>
    public Initializer GetInitializer(string key, string fallback)
    {
        if (!Has(key)) return Initializer.Get(fallback);
        var v = Require(key);
        string name;
        JsonElement? cfg = null;
        if (v.ValueKind == JsonValueKind.String) name = v.GetString()!;
        else if (v.ValueKind == JsonValueKind.Object && v.TryGetProperty("class_name", out var cn) && cn.ValueKind == JsonValueKind.String)
        {
            name = cn.GetString()!;
            if (v.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object) cfg = c;
        }
        else throw Error($"'{key}' must be an initializer name or {{\"class_name\", \"config\"}}; got {Show(v)}.");
        if (name.Length > 0 && char.IsUpper(name[0])) name = Layer.DefaultName(name);
        var p = cfg is { } ce ? new LayerConfig(Source, ClassName + "." + key, ce, Context) : null;
        try
        {
            return name switch
            {
                "constant" when p != null => new Constant(p.GetFloat("value", 0f)),
                "random_normal" when p != null => new RandomNormal(p.GetFloat("mean", 0f), p.GetFloat("stddev", 0.05f)),
                "random_uniform" when p != null => new RandomUniform(p.GetFloat("minval", -0.05f), p.GetFloat("maxval", 0.05f)),
                "truncated_normal" when p != null => new TruncatedNormal(p.GetFloat("mean", 0f), p.GetFloat("stddev", 0.05f)),
                "orthogonal" when p != null => new Orthogonal(p.GetFloat("gain", 1f)),
                "variance_scaling" => new VarianceScaling(p?.GetDouble("scale", 1.0) ?? 1.0,
                    p?.GetChoice("mode", "fan_in", "fan_in", "fan_out", "fan_avg") ?? "fan_in",
                    p?.GetChoice("distribution", "truncated_normal", "truncated_normal", "untruncated_normal", "uniform") ?? "truncated_normal"),
                _ => Initializer.Get(name),
            };
        }
        catch (ArgumentException e) { throw Error($"'{key}': {e.Message}"); }
    }

    // Shared readers for the argument forms Keras layers use; layers' FromConfig methods call them.

    /// <summary>A Keras "int or pair" argument as a <see cref="Size2"/>; <paramref name="fallback"/> when absent (null: required).</summary>
    public Size2 GetSize2(string key, int? fallback)
    {
        var v = GetIntTuple(key, 2, fallback is int f ? [f, f] : null);
        return new Size2(v[0], v[1]);
    }

    /// <summary>A Keras 1-D "int or 1-tuple" argument (saved as <c>[3]</c>, written by hand as <c>3</c>).</summary>
    public int GetInt1(string key, int? fallback) => GetIntTuple(key, 1, fallback is int f ? [f] : null)[0];

    /// <summary>A Keras "int or pair" argument as two ints.</summary>
    public int[] GetIntPair(string key, int fallback) => GetIntTuple(key, 2, [fallback, fallback]);

    /// <summary>Keras' "int or list of ints" (e.g. LayerNormalization's axis); <c>[fallback]</c> when absent.</summary>
    public int[] GetIntOrInts(string key, int fallback)
    {
        if (!Has(key)) return [fallback];
        return _config.GetProperty(key).ValueKind == JsonValueKind.Number ? [GetInt(key)] : GetIntArray(key);
    }

    /// <summary>2-D padding: <c>valid</c> (default) or <c>same</c>.</summary>
    public string GetPadding() => GetChoice("padding", "valid", "valid", "same");

    /// <summary>1-D padding: <c>valid</c> (default), <c>same</c>, and <c>causal</c> where <paramref name="causal"/>.</summary>
    public string GetPadding1D(bool causal) =>
        causal ? GetChoice("padding", "valid", "valid", "same", "causal") : GetChoice("padding", "valid", "valid", "same");

    /// <summary>Rejects channels_first configs (Praxis computes channels last) and returns the layer name.</summary>
    public string? ChannelsLastName()
    {
        GetChoice("data_format", "channels_last", "channels_last");
        return Name;
    }

    /// <summary>
    /// Keras' 2-D padding/cropping argument: an int (all four sides), a pair (height, width: both sides of each), or a
    /// pair of pairs ((top, bottom), (left, right)), the form Keras saves.
    /// </summary>
    public ((int Top, int Bottom) Height, (int Left, int Right) Width) GetSides2D(string key, int fallback)
    {
        if (!Has(key)) return ((fallback, fallback), (fallback, fallback));
        var v = _config.GetProperty(key);
        if (v.ValueKind == JsonValueKind.Number) { int p = GetInt(key); return ((p, p), (p, p)); }
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2)
            throw Error($"'{key}' must be an integer, two integers or two pairs of integers; got {Praxis.IO.SafeTensorsFile.Clip(v.GetRawText())}.");
        var side = new int[2][];
        int i = 0;
        foreach (var e in v.EnumerateArray())
        {
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int n)) side[i] = [n, n];
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.Number && e[1].ValueKind == JsonValueKind.Number && e[0].TryGetInt32(out int a) && e[1].TryGetInt32(out int b)) side[i] = [a, b];
            else throw Error($"'{key}' must be an integer, two integers or two pairs of integers; got {Praxis.IO.SafeTensorsFile.Clip(v.GetRawText())}.");
            i++;
        }
        return ((side[0][0], side[0][1]), (side[1][0], side[1][1]));
    }

    /// <summary>A nested recurrent layer (Bidirectional's <c>layer</c> and <c>backward_layer</c>).</summary>
    public RecurrentLayer? GetRecurrentLayer(string key, bool required = true)
    {
        var layer = GetLayer(key, required);
        return layer is null or RecurrentLayer ? (RecurrentLayer?)layer : throw Error($"'{key}' must be a recurrent layer (SimpleRNN, LSTM, GRU); got {layer.GetType().Name}.");
    }

    /// <summary>The largest vocabulary a file may hold (a hostile file cannot ask for more).</summary>
    private const int MaxVocabulary = 1 << 24;

    private JsonElement BoundedArray(string key)
    {
        var v = _config.GetProperty(key);
        if (v.ValueKind != JsonValueKind.Array) throw Error($"'{key}' must be an array.");
        if (v.GetArrayLength() > MaxVocabulary) throw Error($"'{key}' has {v.GetArrayLength()} entries, more than {MaxVocabulary}.");
        return v;
    }

    /// <summary>An optional array of strings (vocabularies), at most 2²⁴ entries; null when absent.</summary>
    public string[]? GetStringArray(string key)
    {
        if (!Has(key)) return null;
        var list = new List<string>();
        foreach (var e in BoundedArray(key).EnumerateArray())
            list.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Error($"'{key}' must hold strings."));
        return [.. list];
    }

    /// <summary>An optional array of finite floats, at most 2²⁴ entries; null when absent.</summary>
    public float[]? GetFloatArray(string key)
    {
        if (!Has(key)) return null;
        var list = new List<float>();
        foreach (var e in BoundedArray(key).EnumerateArray())
            list.Add(e.ValueKind == JsonValueKind.Number && float.IsFinite(e.GetSingle()) ? e.GetSingle() : throw Error($"'{key}' must hold finite numbers."));
        return [.. list];
    }

    /// <summary>A string that may be an explicit null (Keras' None); <paramref name="fallback"/> when the key is absent.</summary>
    public string? GetNullableString(string key, string fallback) =>
        !_config.TryGetProperty(key, out _) ? fallback : Has(key) ? GetString(key) : null;

    /// <summary>A required 64-bit integer.</summary>
    public long GetLong(string key) =>
        Require(key) is { ValueKind: JsonValueKind.Number } e && e.TryGetInt64(out long v) ? v : throw Error($"'{key}' must be an integer.");

    /// <summary>A required array of 64-bit integers, at most 2²⁴ entries.</summary>
    public long[] GetLongArray(string key)
    {
        var list = new List<long>();
        foreach (var e in BoundedArray(key).EnumerateArray())
            list.Add(e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) ? v : throw Error($"'{key}' must hold integers."));
        return [.. list];
    }
}
