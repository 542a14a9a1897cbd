using System.Collections;
using System.Globalization;
using System.Text.Json;
using Praxis.Initializers;
using Praxis.Layers;

namespace Praxis.IO;

/// <summary>
/// Writes the values found in <c>GetConfig()</c> dictionaries as JSON: null, bool, numbers, strings, arrays and
/// lists, nested dictionaries, <see cref="Shape"/> (an array, −1 as null), <see cref="ActivationFunction"/> (its name)
/// and <see cref="Initializer"/> (its name, or Keras' <c>{"class_name", "config"}</c> when it has parameters).
/// </summary>
public static class ConfigJson
{
    /// <summary>Writes one config value; <paramref name="where"/> names it in the error for an unsupported type.</summary>
    public static void WriteValue(Utf8JsonWriter w, object? value, string where)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case bool b: w.WriteBooleanValue(b); break;
            case string s: w.WriteStringValue(s); break;
            case int i: w.WriteNumberValue(i); break;
            case long l: w.WriteNumberValue(l); break;
            case float f: WriteFloat(w, f, where); break;
            case double d: WriteDouble(w, d, where); break;
            case Enum e: w.WriteStringValue(e.ToString()); break;
            case ActivationFunction a: w.WriteStringValue(a.Name); break;
            case Initializer init:
                var ic = init.GetConfig();
                if (ic.Count == 0) w.WriteStringValue(init.Name);
                else
                {
                    w.WriteStartObject();
                    w.WriteString("class_name", init.Name);
                    w.WritePropertyName("config");
                    WriteObject(w, ic, where);
                    w.WriteEndObject();
                }
                break;
            case Shape shape:
                w.WriteStartArray();
                foreach (int d in shape.Dims) { if (d < 0) w.WriteNullValue(); else w.WriteNumberValue(d); }
                w.WriteEndArray();
                break;
            case IDictionary<string, object?> dict: WriteObject(w, dict, where); break;
            case IEnumerable seq:
                w.WriteStartArray();
                int k = 0;
                foreach (var item in seq) WriteValue(w, item, $"{where}[{k++}]");
                w.WriteEndArray();
                break;
            default:
                throw new NotSupportedException($"{where} holds a {value.GetType().Name}, which a config cannot store; use numbers, strings, bools, arrays or dictionaries.");
        }
    }

    /// <summary>Writes a dictionary as a JSON object.</summary>
    public static void WriteObject(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, object?>> dict, string where)
    {
        w.WriteStartObject();
        foreach (var (k, v) in dict)
        {
            w.WritePropertyName(k);
            WriteValue(w, v, $"{where}.{k}");
        }
        w.WriteEndObject();
    }

    private static void WriteFloat(Utf8JsonWriter w, float f, string where)
    {
        if (!float.IsFinite(f)) throw new NotSupportedException($"{where} is {f}; JSON configs hold finite numbers only.");
        // The shortest text that parses back to the same float, so 0.1f is written 0.1 and round-trips exactly.
        w.WriteRawValue(f.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: false);
    }

    private static void WriteDouble(Utf8JsonWriter w, double d, string where)
    {
        if (!double.IsFinite(d)) throw new NotSupportedException($"{where} is {d}; JSON configs hold finite numbers only.");
        w.WriteRawValue(d.ToString("R", CultureInfo.InvariantCulture), skipInputValidation: false);
    }
}

/// <summary>
/// A layer's saved <c>config</c> object with typed, checked accessors for layer factories
/// (see <see cref="LayerRegistry"/>). Every accessor raises <see cref="InvalidDataException"/> naming the source,
/// the layer, the key, what was expected and what was found; none runs code or resolves types named by the file.
/// </summary>
public sealed class LayerConfig
{
    private readonly JsonElement _config;

    internal LayerConfig(string source, string className, JsonElement config, SerializationContext context)
    {
        Source = source; ClassName = className; _config = config; Context = context;
        if (config.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: layer of class '{SafeTensorsFile.Clip(className)}': config must be an object; got {config.ValueKind}.");
        Name = GetOptionalString("name");
    }

    /// <summary>The file (or other source) the config came from.</summary>
    public string Source { get; }

    /// <summary>The Keras class name the config was saved under.</summary>
    public string ClassName { get; }

    /// <summary>The saved layer name (null when absent).</summary>
    public string? Name { get; }

    internal SerializationContext Context { get; }

    /// <summary>The raw JSON, for factories that need structure beyond the typed accessors.</summary>
    public JsonElement Raw => _config;

    /// <summary>An error that names the source, the layer and the fault.</summary>
    public InvalidDataException Error(string fault) => Name == null
        ? new($"{Source}: {SafeTensorsFile.Clip(ClassName)}: {fault}")
        : new($"{Source}: layer '{SafeTensorsFile.Clip(Name)}' ({SafeTensorsFile.Clip(ClassName)}): {fault}");

    /// <summary>True when the key is present and not null.</summary>
    public bool Has(string key) => _config.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement Require(string key) =>
        _config.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : throw Error($"config needs '{key}'.");

    private static string Show(JsonElement e) => SafeTensorsFile.Clip(e.GetRawText());

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
        return Array.IndexOf(allowed, s) >= 0 ? s : throw Error($"'{key}' must be one of {string.Join(", ", allowed)}; got '{SafeTensorsFile.Clip(s)}'.");
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
    /// TimeDistributed), built through <see cref="LayerRegistry"/> like any other; null when absent and optional.
    /// </summary>
    public Layer? GetLayer(string key, bool required = true)
    {
        if (!Has(key)) return required ? throw Error($"config needs '{key}'.") : null;
        var v = Require(key);
        if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("class_name", out var cn) || cn.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("config", out var cfg))
            throw Error($"'{key}' must be a layer: {{\"class_name\", \"config\"}}; got {Show(v)}.");
        if (++Context.Depth > SerializationContext.MaxDepth) throw Error($"layers are nested more than {SerializationContext.MaxDepth} deep.");
        try { return LayerRegistry.Create(cn.GetString()!, new LayerConfig(Source, cn.GetString()!, cfg, Context)); }
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
                var other => throw Error($"'{key}': unknown regularizer class '{SafeTensorsFile.Clip(other ?? "")}'. Known: L1, L2, L1L2."),
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
}
