using System.Text.Json;
using Praxis.Layers;
using Praxis.Models;

namespace Praxis.IO.Onnx;

/// <summary>
/// The file written beside an exported ONNX model whose <see cref="Model.StringInput"/> is set (a text model):
/// <c>model.onnx</c> gets <c>model.vocab.json</c>. Strings never enter a Praxis graph, so the ONNX graph starts at the
/// text layer's output (token ids, or the bag-of-words vector) and the text layer itself runs in the caller's code;
/// this file holds everything that code needs: the layer's Keras config (<c>standardize</c>, <c>split</c>,
/// <c>ngrams</c>, <c>max_tokens</c>, <c>output_mode</c>, <c>output_sequence_length</c>, the vocabulary), the
/// vocabulary in id order (<c>ids</c>: position = id, padding and OOV included), the characters that punctuation
/// stripping removes, and the ONNX input it feeds.
/// </summary>
/// <remarks>
/// Keys: <c>format</c> (<c>"praxis.onnx_string_input"</c>), <c>version</c> (1), <c>onnx_input</c> (the graph input's
/// name), <c>onnx_input_shape</c> (<c>"N"</c> for the batch, −1 for a length that varies), <c>class_name</c>
/// (<c>TextVectorization</c>, <c>StringLookup</c> or <c>Hashing</c>), <c>config</c> (the layer's <c>GetConfig()</c>,
/// which Keras' <c>from_config</c> also reads), and for the vocabulary layers <c>ids</c>; for TextVectorization also
/// <c>strip_characters</c> and <c>lowercase</c> (<c>"ToLowerInvariant"</c>, Unicode's invariant lower case).
/// </remarks>
public static class OnnxStringInput
{
    /// <summary>The value of the file's <c>format</c> key.</summary>
    public const string Format = "praxis.onnx_string_input";

    /// <summary>Where the file goes for an ONNX path: <c>dir/model.onnx</c> → <c>dir/model.vocab.json</c>.</summary>
    public static string PathFor(string onnxPath)
    {
        ArgumentNullException.ThrowIfNull(onnxPath);
        return Path.ChangeExtension(onnxPath, null) + ".vocab.json";
    }

    /// <summary>
    /// The file's bytes for <paramref name="model"/>, whose graph input <paramref name="onnxInput"/> its
    /// <see cref="Model.StringInput"/> feeds. Throws when the model has no string input, or when the layer has no
    /// vocabulary yet (an unadapted layer would give the ONNX model nothing to be fed with).
    /// </summary>
    public static byte[] ToBytes(Model model, string onnxInput)
    {
        ArgumentNullException.ThrowIfNull(model);
        var layer = model.StringInput ?? throw new InvalidOperationException($"Model '{model.Name}' has no StringInput; an ONNX export of it needs no string-input file.");
        if (model.Inputs.Count != 1)
            throw new NotSupportedException($"Model '{model.Name}': a StringInput ('{layer.Name}') feeds a model with one input; this one has {model.Inputs.Count}.");
        IReadOnlyList<string>? ids = layer switch
        {
            TextVectorization t => t.VocabularySize > (t.OutputMode == "int" ? 2 : 1) ? t.GetVocabulary()
                : throw new InvalidOperationException($"Layer '{t.Name}' (TextVectorization) has no vocabulary: adapt it (or set one) before exporting, since the ONNX model's input is its output."),
            StringLookup s => s.VocabularySize > s.NumOovIndices + (s.MaskToken is null ? 0 : 1) ? s.GetVocabulary()
                : throw new InvalidOperationException($"Layer '{s.Name}' (StringLookup) has no vocabulary: adapt it (or set one) before exporting, since the ONNX model's input is its output."),
            _ => null,
        };
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", 1);
            w.WriteString("onnx_input", onnxInput);
            w.WriteStartArray("onnx_input_shape");
            w.WriteStringValue("N");
            foreach (int d in model.Inputs[0].Shape.Dims[1..]) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteString("class_name", layer.GetType().Name);
            w.WritePropertyName("config");
            ConfigJson.WriteObject(w, layer.GetConfig(), $"{layer.Name}.config");
            if (layer is TextVectorization)
            {
                // What "lower" and "strip_punctuation" mean here, so another language's tokenizer can match them exactly.
                w.WriteString("lowercase", "ToLowerInvariant");
                w.WriteString("strip_characters", TextVectorization.StripChars);
            }
            if (ids != null)
            {
                w.WriteStartArray("ids");
                foreach (var t in ids) w.WriteStringValue(t);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return stream.ToArray();
    }
}
