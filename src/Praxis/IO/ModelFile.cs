using System.Globalization;
using System.Text.Json;
using Praxis.Models;

namespace Praxis.IO;

/// <summary>
/// Saving and loading whole models, weights and training checkpoints.
/// </summary>
/// <remarks>
/// <para>A model file is one safetensors file (so any safetensors reader can list its weights). Its
/// <c>__metadata__</c> holds <c>format</c> (<c>praxis.model</c>), <c>format_version</c>, <c>model_config</c> (the
/// architecture, <see cref="ModelConfig"/>), <c>compile_config</c> (<see cref="CompileConfig"/>),
/// <c>optimizer_state</c> (<c>{"iterations": n}</c>), <c>rng_state</c> (the global generator),
/// <c>layer_rng_states</c> (generators of <see cref="IRandomStateful"/> layers, when any) and
/// <c>checksum_sha256</c>. Its tensors are the weights under their names (<c>dense/kernel</c>) and the optimizer's
/// per-weight slots under <c>__optimizer__/{weight}/{slot}</c>. A weights file (<c>praxis.weights</c>) has only the
/// weights. One file means one atomic rename: a crash leaves the previous file intact (<see cref="AtomicFile"/>).</para>
/// <para>Loading is safe for files from strangers: see <see cref="SafeTensorsFile"/> and <see cref="ModelConfig"/>.
/// Every fault raises <see cref="InvalidDataException"/> naming the file.</para>
/// </remarks>
public static class ModelFile
{
    /// <summary>The <c>format</c> metadata of a full model file.</summary>
    public const string ModelFormat = "praxis.model";

    /// <summary>The <c>format</c> metadata of a weights-only file.</summary>
    public const string WeightsFormat = "praxis.weights";

    /// <summary>The prefix of optimizer slot tensors.</summary>
    public const string OptimizerPrefix = "__optimizer__/";

    private const string FormatVersion = "1";

    // ------------------------------------------------------------------ saving

    /// <summary>Saves architecture, weights and (when compiled and <paramref name="includeOptimizer"/>) the optimizer state.</summary>
    public static void Save(Model model, string path, bool includeOptimizer = true) =>
        Write(model, path, ModelFormat, includeOptimizer, epoch: null);

    /// <summary>Saves the weights only, by name.</summary>
    public static void SaveWeights(Model model, string path) => Write(model, path, WeightsFormat, includeOptimizer: false, epoch: null);

    /// <summary>A full model file that also records the last finished epoch (for <c>BackupAndRestore</c>).</summary>
    internal static void SaveCheckpoint(Model model, string path, int epoch) => Write(model, path, ModelFormat, includeOptimizer: true, epoch);

    private static void Write(Model model, string path, string format, bool includeOptimizer, int? epoch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var w = new SafeTensorsWriter();
        w.Metadata["format"] = format;
        w.Metadata["format_version"] = FormatVersion;
        w.Metadata["producer"] = "praxis " + PraxisInfo.Version;
        if (format == ModelFormat) w.Metadata["model_config"] = ModelConfig.ToJson(model);
        if (format == ModelFormat && model.StringInput is { } stringInput) w.Metadata["string_input"] = ModelConfig.LayerToJson(stringInput);
        w.Metadata["rng_state"] = Rng.Global.GetState();
        var layerStates = new Dictionary<string, string>(StringComparer.Ordinal);
        int position = 0;
        foreach (var layer in AllLayers(model))
            if (layer is IRandomStateful { OwnRandom: { } own }) layerStates[LayerKey(model, layer, position++)] = own.GetState();
            else position++;
        if (layerStates.Count > 0) w.Metadata["layer_rng_states"] = JsonSerializer.Serialize(layerStates);
        if (epoch is int e) w.Metadata["epoch"] = e.ToString(CultureInfo.InvariantCulture);

        var weights = model.Weights;
        var keys = WeightKeys(model, weights);
        for (int k = 0; k < weights.Count; k++)
        {
            var t = weights[k];
            if (string.IsNullOrEmpty(t.Name)) throw new InvalidOperationException($"Model '{model.Name}' has an unnamed weight of shape {t.Shape}; weights are saved by name.");
            if (t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) throw new InvalidOperationException($"Weight '{t.Name}' uses the reserved prefix '{OptimizerPrefix}'.");
            try { w.Add(keys[k], t.Shape.ToArray(), t.ToArray()); }
            catch (ArgumentException ex) { throw new InvalidOperationException($"Model '{model.Name}' cannot be saved: {ex.Message} Give the layers distinct names.", ex); }
        }
        if (format == ModelFormat && includeOptimizer && model.Optimizer is { } opt)
        {
            w.Metadata["compile_config"] = CompileConfig.ToJson(opt, model);
            w.Metadata["optimizer_state"] = JsonSerializer.Serialize(new Dictionary<string, long> { ["iterations"] = opt.Iterations });
            for (int k = 0; k < weights.Count; k++)
                if (opt.GetSlots(weights[k]) is { } slots)
                    for (int i = 0; i < slots.Length; i++) w.Add($"{OptimizerPrefix}{keys[k]}/{i}", weights[k].Shape.ToArray(), slots[i]);
        }
        w.Save(path); // AtomicFile sweeps temporaries that killed saves left beside the path
    }

    // ------------------------------------------------------------------ loading

    /// <summary>
    /// Loads a model saved by <see cref="Save"/>: rebuilds the architecture, assigns the weights and, when
    /// <paramref name="compile"/> and the file has them, compiles it with the saved optimizer (state included),
    /// loss and metrics. The generators of seeded layers (<see cref="IRandomStateful"/>: Dropout, the augmentation layers)
    /// continue from their saved state, as Keras 3 restores a layer's SeedGenerator state; <paramref name="restoreRandomState"/>
    /// also restores the global random generator as it was at save time, so that <c>Fit</c> continues exactly as an
    /// uninterrupted run.
    /// </summary>
    public static Model Load(string path, bool compile = true, bool restoreRandomState = false) =>
        Load(SafeTensorsFile.Read(path), compile, restoreRandomState);

    /// <summary>Builds a model from an already validated file (the fuzz test feeds it from memory).</summary>
    internal static Model Load(SafeTensorsFile file, bool compile, bool restoreRandomState)
    {
        string path = file.Source;
        string format = file.Metadata.GetValueOrDefault("format") ?? "";
        if (format == WeightsFormat)
            throw new InvalidDataException($"{path}: this file holds weights only (saved by SaveWeights); build the model and call LoadWeights.");
        if (format != ModelFormat)
            throw new InvalidDataException($"{path}: not a Praxis model file (metadata 'format' is '{SafeTensorsFile.Clip(format)}', expected '{ModelFormat}'); for plain safetensors weights build the model and call LoadWeights.");
        CheckVersion(file);
        if (!file.Metadata.TryGetValue("model_config", out var configJson)) throw new InvalidDataException($"{path}: the model file has no model_config.");
        long budget = 0;
        foreach (var t in file.Tensors)
            if (!t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) budget += t.ElementCount;
        var model = ModelConfig.FromJson(System.Text.Encoding.UTF8.GetBytes(configJson), path, budget, weightsFollow: true);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in model.Weights)
            if (!names.Add(t.Name ?? ""))
                throw new InvalidDataException($"{path}: the saved architecture gives two weights the name '{SafeTensorsFile.Clip(t.Name ?? "")}'.");
        AssignWeights(model, file, strict: true);
        if (file.Metadata.TryGetValue("string_input", out var si)) model.StringInput = ModelConfig.StringLayerFromJson(si, path);
        if (compile && file.Metadata.TryGetValue("compile_config", out var cc))
        {
            CompileConfig.FromJson(cc, path).ApplyTo(model, path);
            RestoreOptimizer(model, file);
        }
        // A seeded layer's generator is layer state (Keras 3 saves a SeedGenerator's state as a variable), so it always
        // comes back; the global generator is process state and only on request.
        RestoreLayerRngs(model, file);
        if (restoreRandomState) RestoreGlobalRng(file);
        return model;
    }

    /// <summary>
    /// Assigns weights by name from a safetensors file (Praxis' own, or any other whose names match). Nothing is
    /// changed unless every weight matches: otherwise an <see cref="InvalidDataException"/> (<see cref="WeightMismatch"/>) lists the missing,
    /// unexpected and mis-shaped tensors. With <paramref name="strict"/> false, tensors the model lacks are ignored.
    /// </summary>
    public static void LoadWeights(Model model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = SafeTensorsFile.Read(path);
        CheckVersion(file);
        AssignWeights(model, file, strict);
    }

    /// <summary>Restores a checkpoint into a compiled model in place; returns the last finished epoch it recorded.</summary>
    internal static int RestoreCheckpoint(Model model, string path)
    {
        var file = SafeTensorsFile.Read(path);
        if (file.Metadata.GetValueOrDefault("format") != ModelFormat) throw new InvalidDataException($"{path}: not a Praxis checkpoint.");
        CheckVersion(file);
        if (!file.Metadata.TryGetValue("epoch", out var es) || !int.TryParse(es, NumberStyles.None, CultureInfo.InvariantCulture, out int epoch))
            throw new InvalidDataException($"{path}: the checkpoint records no finished epoch.");
        if (model.Optimizer is { } opt && file.Metadata.TryGetValue("compile_config", out var cc))
        {
            var saved = CompileConfig.FromJson(cc, path).Optimizer;
            if (saved.Name != opt.Name)
                throw new InvalidDataException($"{path}: the checkpoint was trained with optimizer '{saved.Name}' but the model is compiled with '{opt.Name}'.");
        }
        AssignWeights(model, file, strict: true);
        RestoreOptimizer(model, file);
        RestoreLayerRngs(model, file);
        RestoreGlobalRng(file);
        return epoch;
    }

    private static void CheckVersion(SafeTensorsFile file)
    {
        if (file.Metadata.TryGetValue("format_version", out var v) && v != FormatVersion)
            throw new InvalidDataException($"{file.Source}: format_version is '{SafeTensorsFile.Clip(v)}'; this Praxis reads version {FormatVersion}.");
    }

    private static void AssignWeights(Model model, SafeTensorsFile file, bool strict)
    {
        var weights = model.Weights;
        if (weights.Count == 0 && !model.HasGraph)
            throw new InvalidOperationException($"Model '{model.Name}' has no weights yet: build it (give it an input shape) before loading weights.");
        var keys = WeightKeys(model, weights);
        var byName = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int k = 0; k < weights.Count; k++)
            if (weights[k].Name == null || !byName.TryAdd(keys[k], weights[k]))
                throw new InvalidOperationException($"Model '{model.Name}' has two weights named '{weights[k].Name}'; weights are matched by name, so give the layers distinct names.");
        bool modelFile = file.Metadata.GetValueOrDefault("format") == ModelFormat;
        var missing = new List<string>();
        var unexpected = new List<string>();
        var misshaped = new List<string>();
        var values = new List<(Tensor Target, float[] Data)>();
        for (int k = 0; k < weights.Count; k++)
        {
            var t = weights[k];
            var st = file.Find(keys[k]);
            if (st == null) { missing.Add(keys[k]); continue; }
            if (!st.Shape.AsSpan().SequenceEqual(t.Shape.Dims))
            {
                misshaped.Add($"{keys[k]} (file [{string.Join(", ", st.Shape)}], model [{string.Join(", ", t.Shape.ToArray())}])");
                continue;
            }
            values.Add((t, st.ToFloat32()));
        }
        foreach (var st in file.Tensors)
        {
            if (modelFile && st.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) continue;
            if (!byName.ContainsKey(st.Name)) unexpected.Add(st.Name);
        }
        if (missing.Count > 0 || misshaped.Count > 0 || (strict && unexpected.Count > 0))
            throw WeightMismatch.Create(file.Source, model.Name, missing, strict ? unexpected : [], misshaped);
        foreach (var (target, data) in values) data.CopyTo(target.Span);
    }

    private static void RestoreOptimizer(Model model, SafeTensorsFile file)
    {
        if (model.Optimizer is not { } opt) return;
        string path = file.Source;
        if (file.Metadata.TryGetValue("optimizer_state", out var os))
        {
            try
            {
                using var doc = JsonDocument.Parse(os, new JsonDocumentOptions { MaxDepth = 4 });
                if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("iterations", out var it)
                    || it.ValueKind != JsonValueKind.Number || !it.TryGetInt64(out long n) || n < 0)
                    throw new InvalidDataException($"{path}: optimizer_state must be {{\"iterations\": n}} with n >= 0.");
                opt.Iterations = n;
            }
            catch (JsonException e) { throw new InvalidDataException($"{path}: optimizer_state is not valid JSON: {e.Message}", e); }
        }
        int expected = opt.SlotCount;
        var assigned = new List<(Tensor, float[][])>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var weights = model.Weights;
        var keys = WeightKeys(model, weights);
        for (int k = 0; k < weights.Count; k++)
        {
            var t = weights[k];
            var slots = new List<float[]>();
            for (int i = 0; ; i++)
            {
                string key = $"{OptimizerPrefix}{keys[k]}/{i}";
                var st = file.Find(key);
                if (st == null) break;
                if (!st.Shape.AsSpan().SequenceEqual(t.Shape.Dims))
                    throw new InvalidDataException($"{path}: optimizer slot '{key}' has shape [{string.Join(", ", st.Shape)}] but weight '{t.Name}' has shape {t.Shape}.");
                slots.Add(st.ToFloat32());
                used.Add(key);
            }
            if (slots.Count == 0) continue;
            if (slots.Count != expected)
                throw new InvalidDataException($"{path}: weight '{t.Name}' has {slots.Count} optimizer slots in the file; optimizer '{opt.Name}' keeps {expected}.");
            assigned.Add((t, slots.ToArray()));
        }
        foreach (var st in file.Tensors)
            if (st.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) && !used.Contains(st.Name))
                throw new InvalidDataException($"{path}: optimizer slot '{SafeTensorsFile.Clip(st.Name)}' belongs to no weight of the model.");
        foreach (var (t, s) in assigned) opt.SetSlots(t, s);
    }

    /// <summary>Sets each seeded layer's generator (<see cref="IRandomStateful"/>) to its state at save time.</summary>
    private static void RestoreLayerRngs(Model model, SafeTensorsFile file)
    {
        if (file.Metadata.TryGetValue("layer_rng_states", out var ls))
        {
            var byName = new Dictionary<string, Rng>(StringComparer.Ordinal);
            int position = 0;
            foreach (var layer in AllLayers(model))
                if (layer is IRandomStateful { OwnRandom: { } own }) byName[LayerKey(model, layer, position++)] = own;
                else position++;
            try
            {
                JsonEscapes.Check(System.Text.Encoding.UTF8.GetBytes(ls), f => new InvalidDataException($"{file.Source}: layer_rng_states: {f}."));
                using var doc = JsonDocument.Parse(ls, new JsonDocumentOptions { MaxDepth = 4 });
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{file.Source}: layer_rng_states must be an object.");
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.String || !byName.TryGetValue(p.Name, out var rng))
                        throw new InvalidDataException($"{file.Source}: layer_rng_states has an entry for '{SafeTensorsFile.Clip(p.Name)}', which is not a layer with its own generator.");
                    rng.SetState(p.Value.GetString()!);
                }
            }
            catch (JsonException e) { throw new InvalidDataException($"{file.Source}: layer_rng_states is not valid JSON: {e.Message}", e); }
            catch (FormatException e) { throw new InvalidDataException($"{file.Source}: layer_rng_states: {e.Message}", e); }
        }
    }

    /// <summary>Sets the global generator to its state at save time.</summary>
    private static void RestoreGlobalRng(SafeTensorsFile file)
    {
        if (!file.Metadata.TryGetValue("rng_state", out var rs)) return;
        try { Rng.Global.SetState(rs); }
        catch (FormatException e) { throw new InvalidDataException($"{file.Source}: rng_state: {e.Message}", e); }
    }

    /// <summary>Every layer of the model, nested models' layers included.</summary>
    /// <summary>
    /// The names weights are saved under: their own (<c>dense/kernel</c>), except in a subclassed model, whose layers
    /// are created by its constructor and get fresh automatic names in every process; there a weight is known by its
    /// position in <see cref="Layers.Layer.Weights"/> (<c>0003/kernel</c>), which the same constructor reproduces.
    /// </summary>
    internal static string[] WeightKeys(Model model, IReadOnlyList<Tensor> weights)
    {
        var keys = new string[weights.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            string name = weights[i].Name ?? "";
            keys[i] = model.IsSubclassed ? string.Create(CultureInfo.InvariantCulture, $"{i:D4}/{name[(name.LastIndexOf('/') + 1)..]}") : name;
        }
        return keys;
    }

    /// <summary>A layer's key in <c>layer_rng_states</c>: its name, or in a subclassed model its position (see <see cref="WeightKeys"/>).</summary>
    private static string LayerKey(Model model, Layers.Layer layer, int position) =>
        model.IsSubclassed ? string.Create(CultureInfo.InvariantCulture, $"#{position}") : layer.Name;

    private static IEnumerable<Layers.Layer> AllLayers(Model model)
    {
        foreach (var l in model.Layers)
        {
            yield return l;
            if (l is Model inner)
                foreach (var x in AllLayers(inner)) yield return x;
        }
    }
}

/// <summary>
/// The error for a weights file that does not fit the model: an <see cref="InvalidDataException"/> (sealed, so not
/// subclassed) whose message lists the weights missing from the file, the tensors the model does not have and those
/// whose shapes differ; the same lists are in <see cref="Exception.Data"/> under <c>"missing"</c>, <c>"unexpected"</c>
/// and <c>"misshaped"</c> (string arrays). Nothing was assigned.
/// </summary>
public static class WeightMismatch
{
    /// <summary>Builds the exception.</summary>
    public static InvalidDataException Create(string source, string model, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    {
        var e = new InvalidDataException(Describe(source, model, missing, unexpected, misshaped));
        e.Data["missing"] = missing.ToArray();
        e.Data["unexpected"] = unexpected.ToArray();
        e.Data["misshaped"] = misshaped.ToArray();
        return e;
    }

    private static string Describe(string source, string model, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    {
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add("missing from the file: " + List(missing));
        if (unexpected.Count > 0) parts.Add("not in the model: " + List(unexpected));
        if (misshaped.Count > 0) parts.Add("shape differs: " + List(misshaped));
        return $"{source}: the weights do not match model '{model}'; {string.Join("; ", parts)}.";
    }

    private static string List(IReadOnlyList<string> items) =>
        string.Join(", ", items.Take(20).Select(SafeTensorsFile.Clip)) + (items.Count > 20 ? $" and {items.Count - 20} more" : "");
}
