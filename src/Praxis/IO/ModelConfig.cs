using System.Text.Json;
using Praxis.Layers;
using Praxis.Models;

namespace Praxis.IO;

/// <summary>
/// A model's architecture as Keras-style JSON (Keras <c>model.to_json()</c> / <c>model_from_json</c>):
/// <c>{"class_name": "Functional" | "Sequential", "config": {"name", "trainable", "layers": […], …}}</c>.
/// Each layer entry holds its <c>class_name</c>, <c>name</c> and <c>config</c> (its <c>GetConfig()</c>); a functional
/// model's entries also hold <c>inbound_nodes</c>, one list per call of the layer, each listing the input tensors as
/// <c>[layer_name, node_index, tensor_index]</c>, and the model lists its <c>input_layers</c> and <c>output_layers</c>
/// the same way. Models nest: a model used as a layer is an entry whose config is its own model config.
/// </summary>
public static class ModelConfig
{
    /// <summary>Most layers one model config may list (a bound for hostile files).</summary>
    public const int MaxLayers = 100_000;

    // ------------------------------------------------------------------ writing

    /// <summary>The model's architecture as JSON (no weights).</summary>
    public static string ToJson(Model model, bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("class_name", LayerRegistry.GetClassName(model));
            w.WritePropertyName("config");
            WriteModelConfig(w, model);
            w.WriteString("praxis_version", PraxisInfo.Version);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteModelConfig(Utf8JsonWriter w, Model model)
    {
        if (model.IsSubclassed)
        {
            // A subclassed model is rebuilt by its registered factory from its own GetConfig (Keras' get_config /
            // from_config), then called once on the input shapes it was trained on to create its weights.
            var config = model.GetConfig();
            config["build_input_shapes"] = (model.SubclassInputShapes
                ?? throw new InvalidOperationException($"Model '{model.Name}' ({model.GetType().Name}) has not been called yet; call or train it before saving, so its input shapes are known."))
                .Select(sh => sh.ToArray()).ToArray();
            ConfigJson.WriteObject(w, config, $"model '{model.Name}' config");
            return;
        }
        w.WriteStartObject();
        w.WriteString("name", model.Name);
        w.WriteBoolean("trainable", model.Trainable);
        w.WriteStartArray("layers");
        if (model is Sequential seq)
        {
            if (seq.HasGraph) WriteLayer(w, seq.Inputs[0].Layer, null, null);
            foreach (var l in seq.Layers) WriteLayer(w, l, null, null);
            w.WriteEndArray();
        }
        else
        {
            // Number each layer's calls inside this model: node k of a layer is its k-th call here.
            var nodeIndex = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
            var perLayer = new Dictionary<Layer, List<Node>>(ReferenceEqualityComparer.Instance);
            foreach (var i in model.Inputs) nodeIndex[i.Node] = 0;
            foreach (var n in model.GraphNodes)
            {
                if (!perLayer.TryGetValue(n.Layer, out var list)) perLayer[n.Layer] = list = new List<Node>();
                nodeIndex[n] = list.Count;
                list.Add(n);
            }
            foreach (var l in model.Layers) WriteLayer(w, l, perLayer.GetValueOrDefault(l) ?? [], nodeIndex);
            w.WriteEndArray();
            WriteRefs(w, "input_layers", model.Inputs, nodeIndex);
            WriteRefs(w, "output_layers", model.Outputs, nodeIndex);
        }
        w.WriteEndObject();
    }

    /// <summary>One layer as <c>{"class_name", "name", "config"}</c> (a model's <c>StringInput</c>, saved beside the graph).</summary>
    internal static string LayerToJson(Layer layer)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) WriteLayer(w, layer, null, null);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>Rebuilds a text layer written by <see cref="LayerToJson"/>; anything else is an <see cref="InvalidDataException"/> naming the file.</summary>
    internal static StringLayer StringLayerFromJson(string json, string source)
    {
        JsonEscapes.Check(System.Text.Encoding.UTF8.GetBytes(json), f => new InvalidDataException($"{source}: string_input: {f}."));
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: string_input is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var context = new SerializationContext(source, SerializationContext.DefaultMaxElements, LayerRegistry.Create);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("class_name", out var cn) || cn.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("config", out var cfg))
                throw new InvalidDataException($"{source}: string_input must be a layer {{\"class_name\", \"config\"}}.");
            var layer = LayerRegistry.Create(cn.GetString()!, new LayerConfig(source, cn.GetString()!, cfg, context));
            return layer as StringLayer ?? throw new InvalidDataException($"{source}: string_input is a {SafeTensorsFile.Clip(cn.GetString()!)}, not a text layer (TextVectorization, StringLookup, Hashing).");
        }
    }

    private static void WriteLayer(Utf8JsonWriter w, Layer layer, List<Node>? nodes, Dictionary<Node, int>? nodeIndex)
    {
        w.WriteStartObject();
        w.WriteString("class_name", LayerRegistry.GetClassName(layer));
        w.WriteString("name", layer.Name);
        w.WritePropertyName("config");
        if (layer is Model m) WriteModelConfig(w, m);
        else ConfigJson.WriteObject(w, layer.GetConfig(), $"layer '{layer.Name}' config");
        if (nodes != null)
        {
            w.WriteStartArray("inbound_nodes");
            foreach (var n in nodes)
            {
                w.WriteStartArray();
                for (int i = 0; i < n.Inputs.Length; i++)
                    WriteRef(w, n.Inputs[i], nodeIndex!, i == 0 && n.Arguments.Count > 0 ? n.Arguments : null);
                w.WriteEndArray();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static void WriteRefs(Utf8JsonWriter w, string key, IReadOnlyList<SymbolicTensor> tensors, Dictionary<Node, int> nodeIndex)
    {
        w.WriteStartArray(key);
        foreach (var t in tensors) WriteRef(w, t, nodeIndex);
        w.WriteEndArray();
    }

    /// <summary>[layer, node, tensor] and, on a call's first input, its keyword arguments (Keras 2's layout).</summary>
    private static void WriteRef(Utf8JsonWriter w, SymbolicTensor t, Dictionary<Node, int> nodeIndex, IReadOnlyDictionary<string, object?>? arguments = null)
    {
        w.WriteStartArray();
        w.WriteStringValue(t.Layer.Name);
        w.WriteNumberValue(nodeIndex[t.Node]);
        w.WriteNumberValue(t.Index);
        if (arguments != null) ConfigJson.WriteObject(w, arguments, $"call arguments of '{t.Layer.Name}'");
        w.WriteEndArray();
    }

    // ------------------------------------------------------------------ reading

    /// <summary>
    /// Rebuilds a model from <see cref="ToJson"/> output with fresh weights. Malformed or hostile JSON raises
    /// <see cref="InvalidDataException"/> naming <paramref name="source"/> and the fault; the weights the config may
    /// create are capped at <paramref name="maxWeightElements"/> (default 2²⁸).
    /// </summary>
    public static Model FromJson(string json, string source = "<json>", long? maxWeightElements = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return FromJson(System.Text.Encoding.UTF8.GetBytes(json), source, maxWeightElements ?? SerializationContext.DefaultMaxElements);
    }

    internal static Model FromJson(ReadOnlyMemory<byte> json, string source, long maxWeightElements, bool weightsFollow = false)
    {
        var ctx = new SerializationContext(source, maxWeightElements, LayerRegistry.Create) { WeightsFollow = weightsFollow };
        if (!System.Text.Unicode.Utf8.IsValid(json.Span)) throw new InvalidDataException($"{source}: the model config is not valid UTF-8.");
        JsonEscapes.Check(json.Span, f => new InvalidDataException($"{source}: the model config: {f}."));
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: the model config must be a JSON object; got {root.ValueKind}.");
            string cls = ReadClassName(root, source);
            if (!root.TryGetProperty("config", out var cfg)) throw new InvalidDataException($"{source}: the model config has no 'config'.");
            var config = new LayerConfig(source, cls, cfg, ctx);
            var layer = LayerRegistry.Create(cls, config);
            var model = layer as Model ?? throw new InvalidDataException($"{source}: the top-level class '{SafeTensorsFile.Clip(cls)}' is a layer, not a model.");
            if (model.IsSubclassed) BuildSubclassed(model, config);
            return model;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: the model config is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Creates a subclassed model's weights by calling it once on zeros of the saved input shapes (batch 1).</summary>
    private static void BuildSubclassed(Model model, LayerConfig c)
    {
        if (!c.Raw.TryGetProperty("build_input_shapes", out var shapes) || shapes.ValueKind != JsonValueKind.Array || shapes.GetArrayLength() is 0 or > 64)
            throw c.Error("a subclassed model's config needs 'build_input_shapes' (one shape per input).");
        var inputs = new List<Tensor>();
        foreach (var e in shapes.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() is 0 or > 16) throw c.Error("'build_input_shapes' entries must be shapes.");
            var dims = new List<int>();
            foreach (var d in e.EnumerateArray())
                dims.Add(d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out int v) && v >= -1 ? v : throw c.Error("'build_input_shapes' holds a bad dimension."));
            int[] sample = dims.Skip(1).ToArray();
            c.Context.CheckInputShape(c.Name ?? "?", sample);
            inputs.Add(new Tensor(new Shape([1, .. sample])));
        }
        using var _ = Tensor.NoGrad();
        using var __ = Autograd.Tape.Suspend();
        try { model.ApplyMany([.. inputs]); }
        catch (Exception e) when (IsConfigFault(e) && e is not InvalidDataException) { throw c.Error($"building the subclassed model failed: {e.Message}"); }
    }

    private static string ReadClassName(JsonElement entry, string source) =>
        entry.TryGetProperty("class_name", out var c) && c.ValueKind == JsonValueKind.String
            ? c.GetString()!
            : throw new InvalidDataException($"{source}: a layer entry has no string 'class_name'.");

    /// <summary>Exceptions a layer constructor or build may raise for a config it cannot accept.</summary>
    internal static bool IsConfigFault(Exception e) => e is not (OutOfMemoryException or InsufficientExecutionStackException or StackOverflowException);

    internal static Sequential SequentialFromConfig(LayerConfig c)
    {
        var ctx = c.Context;
        if (++ctx.Depth > SerializationContext.MaxDepth) throw c.Error($"models are nested more than {SerializationContext.MaxDepth} deep.");
        try
        {
            var layers = new List<Layer>();
            foreach (var entry in LayerEntries(c))
            {
                var layer = CreateLayer(entry, c);
                if (layer is InputLayer && layers.Count > 0) throw c.Error($"InputLayer '{layer.Name}' can only be the first layer of a Sequential model.");
                layers.Add(layer);
            }
            try { return new Sequential(layers, c.Name); }
            catch (InvalidDataException) { throw; }
            catch (Exception e) when (IsConfigFault(e)) { throw c.Error($"the saved layers do not connect: {e.Message}"); }
        }
        finally { ctx.Depth--; }
    }

    internal static Model FunctionalFromConfig(LayerConfig c)
    {
        var ctx = c.Context;
        if (++ctx.Depth > SerializationContext.MaxDepth) throw c.Error($"models are nested more than {SerializationContext.MaxDepth} deep.");
        try { return BuildFunctional(c); }
        finally { ctx.Depth--; }
    }

    private static Model BuildFunctional(LayerConfig c)
    {
        var layers = new List<Layer>();
        var byName = new Dictionary<string, Layer>(StringComparer.Ordinal);
        var pending = new List<(Layer Layer, List<JsonElement> Nodes)>();
        foreach (var entry in LayerEntries(c))
        {
            var layer = CreateLayer(entry, c);
            if (!byName.TryAdd(layer.Name, layer)) throw c.Error($"two layers are named '{SafeTensorsFile.Clip(layer.Name)}'.");
            layers.Add(layer);
            var nodes = new List<JsonElement>();
            if (entry.TryGetProperty("inbound_nodes", out var inbound) && inbound.ValueKind != JsonValueKind.Null)
            {
                if (inbound.ValueKind != JsonValueKind.Array) throw c.Error($"inbound_nodes of '{SafeTensorsFile.Clip(layer.Name)}' must be an array.");
                foreach (var n in inbound.EnumerateArray())
                {
                    if (n.ValueKind != JsonValueKind.Array) throw c.Error($"a node of '{SafeTensorsFile.Clip(layer.Name)}' must be an array of tensor references.");
                    nodes.Add(n);
                }
            }
            if (layer is InputLayer)
            {
                if (nodes.Count > 0) throw c.Error($"InputLayer '{SafeTensorsFile.Clip(layer.Name)}' cannot have inbound nodes.");
            }
            else pending.Add((layer, nodes));
        }

        // Replay the calls: a layer's k-th node runs once its inputs exist, in order, until nothing is left or stuck.
        var produced = new Dictionary<(string, int), SymbolicTensor[]>();
        foreach (var l in layers)
            if (l is InputLayer input) produced[(input.Name, 0)] = [input.Output];
        var next = new int[pending.Count];
        bool progress = true;
        int remaining = pending.Sum(p => p.Nodes.Count);
        while (remaining > 0 && progress)
        {
            progress = false;
            for (int i = 0; i < pending.Count; i++)
            {
                var (layer, nodes) = pending[i];
                while (next[i] < nodes.Count)
                {
                    var refs = nodes[next[i]];
                    var inputs = new SymbolicTensor[refs.GetArrayLength()];
                    var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
                    bool ready = true;
                    int k = 0;
                    string where = $"node {next[i]} of '{SafeTensorsFile.Clip(layer.Name)}'";
                    foreach (var r in refs.EnumerateArray())
                    {
                        var t = Resolve(r, produced, byName, c, where);
                        if (t == null) { ready = false; break; }
                        ReadArguments(r, arguments, c, where);
                        inputs[k++] = t;
                    }
                    if (!ready) break;
                    if (inputs.Length == 0) throw c.Error($"node {next[i]} of '{SafeTensorsFile.Clip(layer.Name)}' has no inputs.");
                    SymbolicTensor[] outs;
                    try { outs = arguments.Count == 0 ? layer.ApplyMany(inputs) : layer.ApplyMany(inputs, arguments); }
                    catch (InvalidDataException) { throw; }
                    catch (Exception e) when (IsConfigFault(e))
                    {
                        throw c.Error($"layer '{SafeTensorsFile.Clip(layer.Name)}' cannot be applied to its saved inputs ({string.Join(", ", inputs.Select(t => t.Shape.ToString()))}): {e.Message}");
                    }
                    produced[(layer.Name, next[i])] = outs;
                    next[i]++;
                    remaining--;
                    progress = true;
                }
            }
        }
        if (remaining > 0)
        {
            var stuck = pending.Select((p, i) => (p, i)).Where(x => next[x.i] < x.p.Nodes.Count).Select(x => x.p.Layer.Name).Take(5);
            throw c.Error($"the graph cannot be rebuilt: the inputs of {string.Join(", ", stuck.Select(s => $"'{SafeTensorsFile.Clip(s)}'"))} are never produced (a cycle or a missing layer).");
        }

        var modelInputs = ResolveList(c, "input_layers", produced, byName);
        var modelOutputs = ResolveList(c, "output_layers", produced, byName);
        foreach (var t in modelInputs)
            if (t.Layer is not InputLayer) throw c.Error($"input_layers names '{SafeTensorsFile.Clip(t.Layer.Name)}', which is not an InputLayer.");
        try { return new Model(modelInputs, modelOutputs, c.Name); }
        catch (InvalidDataException) { throw; }
        catch (Exception e) when (IsConfigFault(e)) { throw c.Error($"the saved graph is not a valid model: {e.Message}"); }
    }

    private static IEnumerable<JsonElement> LayerEntries(LayerConfig c)
    {
        if (!c.Raw.TryGetProperty("layers", out var arr) || arr.ValueKind != JsonValueKind.Array) throw c.Error("a model config needs a 'layers' array.");
        if (arr.GetArrayLength() > MaxLayers) throw c.Error($"'layers' lists {arr.GetArrayLength()} layers; at most {MaxLayers} are allowed.");
        foreach (var e in arr.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object) throw c.Error("each entry of 'layers' must be an object.");
            yield return e;
        }
    }

    private static Layer CreateLayer(JsonElement entry, LayerConfig parent)
    {
        string cls = ReadClassName(entry, parent.Source);
        if (!entry.TryGetProperty("config", out var cfg)) throw parent.Error($"a '{SafeTensorsFile.Clip(cls)}' entry has no 'config'.");
        var lc = new LayerConfig(parent.Source, cls, cfg, parent.Context);
        if (entry.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && lc.Name != null && n.GetString() != lc.Name)
            throw lc.Error($"the entry is named '{SafeTensorsFile.Clip(n.GetString()!)}' but its config says '{SafeTensorsFile.Clip(lc.Name)}'.");
        if (lc.Name == null) throw lc.Error("config needs 'name' (weights are matched by layer name).");
        return LayerRegistry.Create(cls, lc);
    }

    private static SymbolicTensor? Resolve(JsonElement r, Dictionary<(string, int), SymbolicTensor[]> produced, Dictionary<string, Layer> byName, LayerConfig c, string where)
    {
        // [layer_name, node_index, tensor_index] (Keras 2 adds a kwargs object, ignored).
        if (r.ValueKind != JsonValueKind.Array || r.GetArrayLength() < 3 || r[0].ValueKind != JsonValueKind.String
            || !r[1].TryGetInt32OrFalse(out int node) || !r[2].TryGetInt32OrFalse(out int index) || node < 0 || index < 0)
            throw c.Error($"{where}: a tensor reference must be [layer_name, node_index, tensor_index]; got {SafeTensorsFile.Clip(r.GetRawText())}.");
        string name = r[0].GetString()!;
        if (!byName.ContainsKey(name)) throw c.Error($"{where} refers to layer '{SafeTensorsFile.Clip(name)}', which the config does not list.");
        if (!produced.TryGetValue((name, node), out var outs)) return null;
        if (index >= outs.Length) throw c.Error($"{where} refers to output {index} of '{SafeTensorsFile.Clip(name)}', which has {outs.Length}.");
        return outs[index];
    }

    /// <summary>Keyword arguments of a call (a reference's optional fourth element): scalars only, no code, no types.</summary>
    private static void ReadArguments(JsonElement r, Dictionary<string, object?> arguments, LayerConfig c, string where)
    {
        if (r.GetArrayLength() < 4 || r[3].ValueKind == JsonValueKind.Null) return;
        if (r[3].ValueKind != JsonValueKind.Object) throw c.Error($"{where}: call arguments must be an object; got {SafeTensorsFile.Clip(r[3].GetRawText())}.");
        foreach (var p in r[3].EnumerateObject())
        {
            object? value = p.Value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Number when p.Value.TryGetInt32(out int n) => n,
                JsonValueKind.Number when p.Value.TryGetDouble(out double d) && double.IsFinite(d) => d,
                _ => throw c.Error($"{where}: call argument '{SafeTensorsFile.Clip(p.Name)}' must be a bool, number, string or null; got {SafeTensorsFile.Clip(p.Value.GetRawText())}."),
            };
            arguments[p.Name] = value;
        }
    }

    private static SymbolicTensor[] ResolveList(LayerConfig c, string key, Dictionary<(string, int), SymbolicTensor[]> produced, Dictionary<string, Layer> byName)
    {
        if (!c.Raw.TryGetProperty(key, out var arr) || arr.ValueKind != JsonValueKind.Array || arr.GetArrayLength() == 0)
            throw c.Error($"a functional model config needs a non-empty '{key}' array.");
        var list = new List<SymbolicTensor>();
        foreach (var r in arr.EnumerateArray())
            list.Add(Resolve(r, produced, byName, c, key) ?? throw c.Error($"{key} refers to {SafeTensorsFile.Clip(r.GetRawText())}, which no layer call produces."));
        return list.ToArray();
    }

    private static bool TryGetInt32OrFalse(this JsonElement e, out int value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out value);
    }
}
