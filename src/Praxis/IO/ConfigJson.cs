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
