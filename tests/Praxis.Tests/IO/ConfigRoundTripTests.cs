using System.Text.Json;
using Praxis.IO;
using Praxis.Layers;
using Praxis.Models;
using Praxis.Optimizers;
using static Praxis.Keras;

namespace Praxis.Tests.IO;

/// <summary>
/// Each layer owns its config: for every class in <see cref="LayerRegistry"/>, GetConfig → FromConfig → GetConfig gives
/// the same config, with no file in between. The samples are the save/load tests' (one per registered class).
/// </summary>
[Collection("Global state")]
public class ConfigRoundTripTests
{
    // One layer of each registered class, from the save/load tests' sample tables (the sequence tables hold models:
    // their layers of the class are used).
    private static Dictionary<string, List<Layer>> SampleLayers()
    {
        var all = new Dictionary<string, List<Layer>>(StringComparer.Ordinal);
        void Add(string cls, Layer layer)
        {
            if (!all.TryGetValue(cls, out var list)) all[cls] = list = new();
            list.Add(layer);
        }
        Add("InputLayer", new InputLayer([3])); // SaveLoadTests' InputLayer sample is the model's input, not the layer
        foreach (var (cls, make) in SaveLoadTests.Samples)
            if (cls != "InputLayer") Add(cls, make().Layer);
        foreach (var (cls, make) in ImageIoTests.Samples) Add(cls, make());
        foreach (var (cls, make) in AugmentationIoTests.Samples) Add(cls, make());
        foreach (var (cls, make) in Sequence1DIoTests.StringSamples) Add(cls, make());
        foreach (var (cls, make) in SequenceIoTests.Samples) AddFromModel(cls, make().Model);
        foreach (var (cls, make) in Sequence1DIoTests.Samples) AddFromModel(cls, make().Model);
        return all;

        void AddFromModel(string cls, Model model)
        {
            foreach (var layer in model.Layers)
                if (LayerRegistry.IsRegistered(layer.GetType()) && LayerRegistry.GetClassName(layer) == cls) Add(cls, layer);
        }
    }

    private static string Json(Dictionary<string, object?> config)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) ConfigJson.WriteObject(w, config, "test config");
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    [Fact]
    public void EveryRegisteredLayerRebuildsTheSameConfig()
    {
        ClearSession();
        SetRandomSeed(4);
        var samples = SampleLayers();
        // "Model" is the alias-free base the loader resolves to Functional or Sequential, which have samples.
        // The library's classes (other tests register their own layers in this process).
        var missing = LayerRegistry.BuiltInClassNames.Where(c => c != "Model" && !samples.ContainsKey(c)).ToList();
        Assert.True(missing.Count == 0, $"Registered layers without a sample: {string.Join(", ", missing)}. Add one to a sample table in tests/Praxis.Tests/IO.");
        var failures = new List<string>();
        foreach (var (cls, layers) in samples)
        {
            foreach (var layer in layers)
            {
                if (layer is Model model)
                {
                    // A model's config is its graph of layer entries, which ModelConfig writes around GetConfig.
                    string graph = model.ToJson();
                    string rebuilt = Model.FromJson(graph).ToJson();
                    if (rebuilt != graph) failures.Add($"{cls}:\n  before {graph}\n  after  {rebuilt}");
                    continue;
                }
                string before = Json(layer.GetConfig());
                using var doc = JsonDocument.Parse(before);
                var context = new SerializationContext("round trip", SerializationContext.DefaultMaxElements, LayerRegistry.Create);
                var copy = LayerRegistry.Create(cls, new LayerConfig("round trip", cls, doc.RootElement, context));
                string after = Json(copy.GetConfig());
                if (after != before) failures.Add($"{cls}:\n  before {before}\n  after  {after}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    public static TheoryData<string> OptimizerNames => new(CompileConfig.OptimizerNames);

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void AnOptimizerSavedWithoutHyperParametersLoadsWithItsOwnDefaults(string name)
    {
        // An empty config: every value comes from the loader's defaults, which must be the optimizer's own.
        string json = "{\"optimizer\": {\"class_name\": \"" + name + "\", \"config\": {}}, \"loss\": null, \"metrics\": []}";
        var loaded = CompileConfig.FromJson(json, "test").Optimizer;
        Optimizer fresh = Optimizer.Get(name);
        Assert.Equal(fresh.GetType(), loaded.GetType());
        Assert.Equal(Json(fresh.GetConfig()), Json(loaded.GetConfig()));
    }
}
