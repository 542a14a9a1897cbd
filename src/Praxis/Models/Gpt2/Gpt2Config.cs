using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Praxis.Models.Gpt2;

/// <summary>
/// The shape of a GPT-2 (Hugging Face's <c>GPT2Config</c> keys): defaults are the 124M model, <c>gpt2</c>.
/// </summary>
/// <param name="VocabSize"><c>vocab_size</c>: 50,257 for GPT-2's tokenizer.</param>
/// <param name="NPositions"><c>n_positions</c>: the longest context.</param>
/// <param name="NEmbd"><c>n_embd</c>: the residual width.</param>
/// <param name="NLayer"><c>n_layer</c>: the number of blocks.</param>
/// <param name="NHead"><c>n_head</c>: attention heads per block (must divide n_embd).</param>
/// <param name="LayerNormEpsilon"><c>layer_norm_epsilon</c>.</param>
public sealed record Gpt2Config(int VocabSize = 50257, int NPositions = 1024, int NEmbd = 768, int NLayer = 12, int NHead = 12,
    float LayerNormEpsilon = 1e-5f)
{
    /// <summary>The sizes of the published checkpoints (gpt2, gpt2-medium, gpt2-large, gpt2-xl).</summary>
    public static Gpt2Config ForModel(string name) => name switch
    {
        "gpt2" => new(),
        "gpt2-medium" => new(NEmbd: 1024, NLayer: 24, NHead: 16),
        "gpt2-large" => new(NEmbd: 1280, NLayer: 36, NHead: 20),
        "gpt2-xl" => new(NEmbd: 1600, NLayer: 48, NHead: 25),
        _ => throw new ArgumentException($"Unknown GPT-2 size '{name}' (known: gpt2, gpt2-medium, gpt2-large, gpt2-xl)."),
    };

    /// <summary>The size of one head.</summary>
    public int HeadDim => NEmbd / NHead;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate(string source = "GPT-2 config")
    {
        void Check(bool ok, string what) { if (!ok) throw new ArgumentException($"{source}: {what}."); }
        Check(VocabSize > 0, $"vocab_size must be positive; got {VocabSize}");
        Check(NPositions > 0, $"n_positions must be positive; got {NPositions}");
        Check(NEmbd > 0, $"n_embd must be positive; got {NEmbd}");
        Check(NLayer > 0, $"n_layer must be positive; got {NLayer}");
        Check(NHead > 0 && NEmbd % NHead == 0, $"n_head must be positive and divide n_embd = {NEmbd}; got {NHead}");
        Check(LayerNormEpsilon > 0 && float.IsFinite(LayerNormEpsilon), $"layer_norm_epsilon must be positive; got {LayerNormEpsilon}");
    }

    /// <summary>
    /// Reads a Hugging Face <c>config.json</c>. Missing size keys take GPT2Config's defaults, as transformers does;
    /// a model type other than gpt2, an activation other than GELU's tanh form, or a malformed value raises
    /// <see cref="InvalidDataException"/> naming the file and the key.
    /// </summary>
    public static Gpt2Config FromJsonFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (a Hugging Face GPT-2 directory holds config.json and model.safetensors).", path);
        JsonNode? root;
        string text = File.ReadAllText(path);
        IO.JsonEscapes.Check(System.Text.Encoding.UTF8.GetBytes(text), f => new InvalidDataException($"{path}: {f}."));
        try { root = JsonNode.Parse(text); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON: {e.Message}"); }
        if (root is not JsonObject o) throw new InvalidDataException($"{path}: expected a JSON object.");
        int Int(string key, int fallback)
        {
            if (o[key] is not JsonNode n) return fallback;
            try { return n.GetValue<int>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException) { throw new InvalidDataException($"{path}: '{key}' must be an integer; got {n.ToJsonString()}."); }
        }
        if (o["model_type"] is JsonNode mt && mt.ToString() != "gpt2")
            throw new InvalidDataException($"{path}: model_type is '{mt}'; only 'gpt2' checkpoints are supported.");
        if (o["activation_function"] is JsonNode af && af.ToString() is not ("gelu_new" or "gelu_pytorch_tanh"))
            throw new InvalidDataException($"{path}: activation_function is '{af}'; Praxis' GPT-2 uses GELU's tanh form (gelu_new).");
        if (o["n_inner"] is JsonNode ni && ni.GetValueKind() != JsonValueKind.Null && Int("n_inner", 0) != 4 * Int("n_embd", 768))
            throw new InvalidDataException($"{path}: n_inner = {ni} is not supported (only 4·n_embd).");
        float eps = 1e-5f;
        if (o["layer_norm_epsilon"] is JsonNode e0)
        {
            try { eps = (float)e0.GetValue<double>(); }
            catch (Exception e) when (e is FormatException or InvalidOperationException) { throw new InvalidDataException($"{path}: 'layer_norm_epsilon' must be a number; got {e0.ToJsonString()}."); }
        }
        var c = new Gpt2Config(Int("vocab_size", 50257), Int("n_positions", 1024), Int("n_embd", 768), Int("n_layer", 12), Int("n_head", 12), eps);
        try { c.Validate(path); }
        catch (ArgumentException e) { throw new InvalidDataException(e.Message); }
        return c;
    }

    /// <summary>The config as Hugging Face's <c>config.json</c> (the keys transformers needs to load it).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["activation_function"] = "gelu_new",
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["bos_token_id"] = 50256,
            ["eos_token_id"] = 50256,
            ["layer_norm_epsilon"] = JsonValue.Create(double.Parse(LayerNormEpsilon.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)),
            ["model_type"] = "gpt2",
            ["n_ctx"] = NPositions,
            ["n_embd"] = NEmbd,
            ["n_head"] = NHead,
            ["n_layer"] = NLayer,
            ["n_positions"] = NPositions,
            ["vocab_size"] = VocabSize,
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
