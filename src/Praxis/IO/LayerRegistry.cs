using Praxis.Layers;
using Praxis.Models;

namespace Praxis.IO;

/// <summary>
/// Maps Keras class names (<c>"Dense"</c>, <c>"Conv2D"</c>, …) to factories that rebuild a layer from its saved
/// <c>config</c>, and layer types back to their class names. Loading never resolves a type named by a file: a class
/// name that is not registered here is an error.
/// </summary>
/// <remarks>
/// <para><b>Adding a layer.</b> Give it a <c>GetConfig()</c> that returns every constructor argument under Keras'
/// snake_case keys and, beside it, a <c>public static XLayer FromConfig(LayerConfig c)</c> that reads them back (so each
/// default is written once, in the layer), then add one line to <see cref="RegisterBuiltIns"/> below (library layers)
/// or call <see cref="Register{T}"/> at start-up (your own layers):</para>
/// <code>
/// LayerRegistry.Register("Conv2D", Conv2D.FromConfig);
/// </code>
/// <para>The round-trip test in <c>tests/Praxis.Tests/IO</c> builds every registered class it has a sample for; add
/// one for a new layer. <c>name</c> and <c>trainable</c> are applied by the loader; weights are matched by name
/// (<c>{layer}/{weight}</c>) after the graph is rebuilt.</para>
/// </remarks>
public static partial class LayerRegistry
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, Func<LayerConfig, Layer>> Factories = new(StringComparer.Ordinal);
    private static readonly Dictionary<Type, string> Names = new();

    static LayerRegistry()
    {
        RegisterBuiltIns();
        BuiltInClassNames = [.. Factories.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>The library's own class names (before any user registration), for the round-trip tests.</summary>
    internal static IReadOnlyList<string> BuiltInClassNames { get; }

    /// <summary>The library's layers. One line per layer: keep it sorted by area, add yours here.</summary>
    private static void RegisterBuiltIns()
    {
        // Foundation
        Register("InputLayer", InputLayer.FromConfig);
        Register("Dense", Dense.FromConfig);
        Register("Activation", Activation.FromConfig);
        // Images (channels last only, as Praxis computes them)
        Register("Conv2D", Conv2D.FromConfig);
        Register("Conv2DTranspose", Conv2DTranspose.FromConfig);
        Register("MaxPooling2D", MaxPooling2D.FromConfig);
        Register("AveragePooling2D", AveragePooling2D.FromConfig);
        Register("GlobalAveragePooling2D", GlobalAveragePooling2D.FromConfig);
        Register("GlobalMaxPooling2D", GlobalMaxPooling2D.FromConfig);
        Register("Flatten", Flatten.FromConfig);
        Register("Reshape", Reshape.FromConfig);
        Register("UpSampling2D", UpSampling2D.FromConfig);
        Register("Dropout", Dropout.FromConfig);
        Register("BatchNormalization", BatchNormalization.FromConfig);
        // Activation layers
        Register("ReLU", ReLU.FromConfig);
        Register("LeakyReLU", LeakyReLU.FromConfig);
        Register("ELU", ELU.FromConfig);
        Register("Softmax", Softmax.FromConfig);
        Register("PReLU", PReLU.FromConfig);
        // Sequences
        Register("Embedding", Embedding.FromConfig);
        Register("ReversibleEmbedding", ReversibleEmbedding.FromConfig);
        Register("PositionEmbedding", PositionEmbedding.FromConfig);
        Register("SimpleRNN", SimpleRNN.FromConfig);
        Register("LSTM", LSTM.FromConfig);
        Register("GRU", GRU.FromConfig);
        Register("Bidirectional", Bidirectional.FromConfig);
        Register("TimeDistributed", TimeDistributed.FromConfig);
        Register("LayerNormalization", LayerNormalization.FromConfig);
        Register("MultiHeadAttention", MultiHeadAttention.FromConfig);
        Register("Attention", Attention.FromConfig);
        Register("AdditiveAttention", AdditiveAttention.FromConfig);
        Register("Add", Add.FromConfig);
        Register("Concatenate", Concatenate.FromConfig);
        Register("Multiply", Multiply.FromConfig);
        Register("Subtract", Subtract.FromConfig);
        Register("Average", Average.FromConfig);
        Register("Maximum", Maximum.FromConfig);
        Register("Minimum", Minimum.FromConfig);
        Register("Dot", Dot.FromConfig);
        Register("Lambda", Lambda.FromConfig);
        RegisterSequence1DAndPreprocessing();
        RegisterImageLayers();
        RegisterAugmentation();
        // Models nest as layers.
        Register<Model>("Functional", ModelConfig.FunctionalFromConfig);
        Register<Sequential>("Sequential", ModelConfig.SequentialFromConfig);
    }

    /// <summary>
    /// Registers (or replaces) the factory for <paramref name="className"/> and maps type <typeparamref name="T"/>
    /// (exactly, not its subclasses) to that name for saving.
    /// </summary>
    public static void Register<T>(string className, Func<LayerConfig, T> factory) where T : Layer
    {
        ArgumentException.ThrowIfNullOrEmpty(className);
        ArgumentNullException.ThrowIfNull(factory);
        lock (Gate)
        {
            Factories[className] = factory;
            Names[typeof(T)] = className;
        }
    }

    /// <summary>Adds another class name that loads with an existing factory (e.g. Keras' <c>"Model"</c> for <c>"Functional"</c>).</summary>
    public static void RegisterAlias(string alias, string className)
    {
        lock (Gate)
        {
            if (!Factories.TryGetValue(className, out var f)) throw new ArgumentException($"'{className}' is not registered.");
            Factories[alias] = f;
        }
    }

    /// <summary>The registered class names.</summary>
    public static IReadOnlyList<string> ClassNames
    {
        get { lock (Gate) return Factories.Keys.Order(StringComparer.Ordinal).ToList(); }
    }

    /// <summary>True when layers of this exact type can be saved.</summary>
    public static bool IsRegistered(Type layerType)
    {
        lock (Gate) return Names.ContainsKey(layerType);
    }

    /// <summary>The class name a layer is saved under; throws naming the layer when its type is not registered.</summary>
    public static string GetClassName(Layer layer)
    {
        lock (Gate)
            if (Names.TryGetValue(layer.GetType(), out var n)) return n;
        throw new NotSupportedException($"Layer '{layer.Name}' is a {layer.GetType().FullName}, which is not registered for saving. " +
            $"Call LayerRegistry.Register(\"{layer.GetType().Name}\", config => new {layer.GetType().Name}(...)) once at start-up.");
    }

    /// <summary>Builds a layer from its class name and config; unknown names and bad configs raise <see cref="InvalidDataException"/>.</summary>
    internal static Layer Create(string className, LayerConfig config)
    {
        Func<LayerConfig, Layer>? factory;
        lock (Gate) Factories.TryGetValue(className, out factory);
        if (factory == null)
            throw new InvalidDataException($"{config.Source}: layer '{SafeTensorsFile.Clip(config.Name ?? "?")}' has class '{SafeTensorsFile.Clip(className)}', which is not registered " +
                $"(known: {string.Join(", ", ClassNames)}). Register custom layers with LayerRegistry.Register before loading.");
        Layer layer;
        try { layer = factory(config); }
        catch (InvalidDataException) { throw; }
        catch (Exception e) when (ModelConfig.IsConfigFault(e)) { throw config.Error($"the saved config is not valid for this layer: {e.Message}"); }
        layer.AttachLoad(config.Context);
        if (!config.GetBool("trainable", true)) layer.Trainable = false;
        return layer;
    }
}
