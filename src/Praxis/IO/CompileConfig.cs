using System.Text.Json;
using Praxis.Losses;
using Praxis.Metrics;
using Praxis.Optimizers;

namespace Praxis.IO;

/// <summary>
/// How <c>Model.Compile</c>'s optimizer, loss and metrics are saved (Keras' <c>compile_config</c>):
/// <c>{"optimizer": {"class_name": "adam", "config": {…}}, "loss": {"class_name": …, "config": {…}}, "metrics": [names]}</c>.
/// Built-in optimizers and losses are rebuilt with their hyper-parameters; register your own with
/// <see cref="RegisterOptimizer"/> and <see cref="RegisterLoss"/>. A learning-rate <see cref="Optimizer.Schedule"/>
/// is code and is not saved: set it again after loading.
/// </summary>
public static class CompileConfig
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, Func<LayerConfig, Optimizer>> Optimizers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["adam"] = c => new Adam(c.GetFloat("learning_rate", 1e-3f), c.GetFloat("beta_1", 0.9f), c.GetFloat("beta_2", 0.999f), c.GetFloat("epsilon", 1e-7f)),
        ["adamw"] = c => new AdamW(c.GetFloat("learning_rate", 1e-3f), c.GetFloat("weight_decay", 0.004f), c.GetFloat("beta_1", 0.9f), c.GetFloat("beta_2", 0.999f), c.GetFloat("epsilon", 1e-7f)),
        ["sgd"] = c => new SGD(c.GetFloat("learning_rate", 0.01f), c.GetFloat("momentum", 0f), c.GetBool("nesterov", false)),
        ["rmsprop"] = c => new RMSprop(c.GetFloat("learning_rate", 1e-3f), c.GetFloat("rho", 0.9f), c.GetFloat("epsilon", 1e-7f)),
    };
    private static readonly Dictionary<string, Func<LayerConfig, Loss>> Losses = new(StringComparer.OrdinalIgnoreCase)
    {
        ["categorical_crossentropy"] = c => new CategoricalCrossentropy(c.GetBool("from_logits", false)),
        ["sparse_categorical_crossentropy"] = c => new SparseCategoricalCrossentropy(c.GetBool("from_logits", false)),
        ["binary_crossentropy"] = c => new BinaryCrossentropy(c.GetBool("from_logits", false)),
        ["mean_squared_error"] = _ => new MeanSquaredError(),
        ["mean_absolute_error"] = _ => new MeanAbsoluteError(),
    };

    /// <summary>Registers a factory for an optimizer saved under <paramref name="name"/> (its <see cref="Optimizer.Name"/>).</summary>
    public static void RegisterOptimizer(string name, Func<LayerConfig, Optimizer> factory)
    {
        lock (Gate) Optimizers[name] = factory;
    }

    /// <summary>Registers a factory for a loss saved under <paramref name="name"/> (its <see cref="Loss.Name"/>).</summary>
    public static void RegisterLoss(string name, Func<LayerConfig, Loss> factory)
    {
        lock (Gate) Losses[name] = factory;
    }

    internal static string ToJson(Optimizer optimizer, Loss loss, IReadOnlyList<Metric> metrics)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartObject("optimizer");
            w.WriteString("class_name", optimizer.Name);
            var oc = optimizer.GetConfig();
            if (optimizer.ClipValue is float cv) oc["clipvalue"] = cv;
            if (optimizer.ClipNorm is float cn) oc["clipnorm"] = cn;
            if (optimizer.GlobalClipNorm is float gn) oc["global_clipnorm"] = gn;
            w.WritePropertyName("config");
            ConfigJson.WriteObject(w, oc, "optimizer config");
            w.WriteEndObject();
            w.WriteStartObject("loss");
            w.WriteString("class_name", loss.Name);
            w.WritePropertyName("config");
            ConfigJson.WriteObject(w, loss.GetConfig(), "loss config");
            w.WriteEndObject();
            w.WriteStartArray("metrics");
            foreach (var m in metrics) w.WriteStringValue(m.Name);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    internal static (Optimizer Optimizer, Loss Loss, List<Metric> Metrics) FromJson(string json, string source)
    {
        var ctx = new SerializationContext(source, 0);
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: compile_config must be a JSON object.");
            var optimizer = Build(root, "optimizer", Optimizers, source, ctx);
            var o = new LayerConfig(source, optimizer.Name, root.GetProperty("optimizer").GetProperty("config"), ctx);
            if (o.Has("clipvalue")) optimizer.ClipValue = o.GetFloat("clipvalue");
            if (o.Has("clipnorm")) optimizer.ClipNorm = o.GetFloat("clipnorm");
            if (o.Has("global_clipnorm")) optimizer.GlobalClipNorm = o.GetFloat("global_clipnorm");
            var loss = Build(root, "loss", Losses, source, ctx);
            var metrics = new List<Metric>();
            if (root.TryGetProperty("metrics", out var ms) && ms.ValueKind != JsonValueKind.Null)
            {
                if (ms.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: compile_config metrics must be an array of names.");
                foreach (var m in ms.EnumerateArray())
                {
                    if (m.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{source}: compile_config metrics must be names; got {SafeTensorsFile.Clip(m.GetRawText())}.");
                    try { metrics.Add(Metric.Get(m.GetString()!)); }
                    catch (ArgumentException e) { throw new InvalidDataException($"{source}: compile_config: {e.Message}", e); }
                }
            }
            return (optimizer, loss, metrics);
        }
        catch (JsonException e) { throw new InvalidDataException($"{source}: compile_config is not valid JSON: {e.Message}", e); }
    }

    private static T Build<T>(JsonElement root, string key, Dictionary<string, Func<LayerConfig, T>> registry, string source, SerializationContext ctx)
    {
        if (!root.TryGetProperty(key, out var e) || e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("class_name", out var cn) || cn.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("config", out var cfg) || cfg.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{source}: compile_config needs '{key}': {{\"class_name\", \"config\"}}.");
        string name = cn.GetString()!;
        Func<LayerConfig, T>? factory;
        lock (Gate) registry.TryGetValue(name, out factory);
        if (factory == null)
            throw new InvalidDataException($"{source}: compile_config names {key} '{SafeTensorsFile.Clip(name)}', which is not registered (known: {string.Join(", ", registry.Keys.Order())}).");
        var c = new LayerConfig(source, name, cfg, ctx);
        try { return factory(c); }
        catch (InvalidDataException) { throw; }
        catch (Exception ex) when (ModelConfig.IsConfigFault(ex)) { throw new InvalidDataException($"{source}: compile_config {key} '{SafeTensorsFile.Clip(name)}': {ex.Message}", ex); }
    }
}
