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
/// snake_case keys, then add one line to <see cref="RegisterBuiltIns"/> below (library layers) or call
/// <see cref="Register{T}"/> at start-up (your own layers):</para>
/// <code>
/// LayerRegistry.Register("Conv2D", c => new Conv2D(c.GetInt("filters"), c.GetIntTuple("kernel_size", 2),
///     activation: c.GetActivation("activation"), name: c.Name));
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

    static LayerRegistry() => RegisterBuiltIns();

    /// <summary>The library's layers. One line per layer: keep it sorted by area, add yours here.</summary>
    private static void RegisterBuiltIns()
    {
        // Foundation
        Register("InputLayer", ModelConfig.InputLayerFromConfig);
        Register("Dense", c => new Dense(c.GetInt("units"), c.GetActivation("activation"), c.GetBool("use_bias", true),
            c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.Name,
            c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer")));
        Register("Activation", c => new Activation(c.GetActivation("activation"), c.Name));
        // Images (channels last only, as Praxis computes them)
        Register("Conv2D", c => new Conv2D(c.GetInt("filters"), Size(c, "kernel_size", null), Size(c, "strides", 1), Padding(c),
            Size(c, "dilation_rate", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
            c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), ChannelsLast(c)));
        Register("Conv2DTranspose", c => new Conv2DTranspose(c.GetInt("filters"), Size(c, "kernel_size", null), Size(c, "strides", 1), Padding(c),
            c.Has("output_padding") ? Size(c, "output_padding", null) : null, Size(c, "dilation_rate", 1), c.GetActivation("activation"),
            c.GetBool("use_bias", true), c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), ChannelsLast(c)));
        Register("MaxPooling2D", c => new MaxPooling2D(Size(c, "pool_size", 2), c.Has("strides") ? Size(c, "strides", null) : null, Padding(c), ChannelsLast(c)));
        Register("AveragePooling2D", c => new AveragePooling2D(Size(c, "pool_size", 2), c.Has("strides") ? Size(c, "strides", null) : null, Padding(c), ChannelsLast(c)));
        Register("GlobalAveragePooling2D", c => new GlobalAveragePooling2D(c.GetBool("keepdims", false), ChannelsLast(c)));
        Register("GlobalMaxPooling2D", c => new GlobalMaxPooling2D(c.GetBool("keepdims", false), ChannelsLast(c)));
        Register("Flatten", c => new Flatten(ChannelsLast(c)));
        Register("Reshape", c => new Reshape(c.GetIntArray("target_shape"), c.Name));
        Register("UpSampling2D", c => new UpSampling2D(Size(c, "size", 2), c.GetChoice("interpolation", "nearest", "nearest", "bilinear"), ChannelsLast(c)));
        Register("Dropout", c => new Dropout(c.GetFloat("rate"), c.GetOptionalInt("seed"), c.Name));
        Register("BatchNormalization", c => new BatchNormalization(c.GetInt("axis", -1), c.GetFloat("momentum", 0.99f), c.GetFloat("epsilon", 1e-3f),
            c.GetBool("center", true), c.GetBool("scale", true), c.GetInitializer("beta_initializer", "zeros"), c.GetInitializer("gamma_initializer", "ones"),
            c.GetInitializer("moving_mean_initializer", "zeros"), c.GetInitializer("moving_variance_initializer", "ones"), c.Name));
        // Activation layers
        Register("ReLU", c => new ReLU(c.Has("max_value") ? c.GetFloat("max_value") : null, c.GetFloat("negative_slope", 0f), c.GetFloat("threshold", 0f), c.Name));
        Register("LeakyReLU", c => new LeakyReLU(c.GetFloat("negative_slope", 0.3f), c.Name));
        Register("ELU", c => new ELU(c.GetFloat("alpha", 1f), c.Name));
        Register("Softmax", c => new Softmax(c.GetInt("axis", -1), c.Name));
        Register("PReLU", c => new PReLU(c.GetInitializer("alpha_initializer", "zeros"), c.Has("shared_axes") ? c.GetIntArray("shared_axes") : null, c.Name));
        // Sequences
        Register("Embedding", c => new Embedding(c.GetInt("input_dim"), c.GetInt("output_dim"), c.GetInitializer("embeddings_initializer", "random_uniform"),
            c.GetBool("mask_zero", false), c.Name));
        Register("ReversibleEmbedding", c => new ReversibleEmbedding(c.GetInt("input_dim"), c.GetInt("output_dim"), c.GetBool("tie_weights", true),
            c.GetInitializer("embeddings_initializer", "random_uniform"), c.GetBool("mask_zero", false), c.Name));
        Register("PositionEmbedding", c => new PositionEmbedding(c.GetInt("sequence_length"), c.GetInitializer("initializer", "glorot_uniform"), c.Name));
        Register("SimpleRNN", c => new SimpleRNN(c.GetInt("units"), c.GetActivation("activation", "tanh"), c.GetBool("use_bias", true),
            c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("recurrent_initializer", "orthogonal"), c.GetInitializer("bias_initializer", "zeros"),
            c.GetBool("return_sequences", false), c.GetBool("return_state", false), c.GetBool("go_backwards", false), c.GetBool("zero_output_for_mask", false), c.Name));
        Register("LSTM", c => new LSTM(c.GetInt("units"), c.GetActivation("activation", "tanh"), c.GetActivation("recurrent_activation", "sigmoid"), c.GetBool("use_bias", true),
            c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("recurrent_initializer", "orthogonal"), c.GetInitializer("bias_initializer", "zeros"),
            c.GetBool("unit_forget_bias", true), c.GetBool("return_sequences", false), c.GetBool("return_state", false), c.GetBool("go_backwards", false),
            c.GetBool("zero_output_for_mask", false), c.Name));
        Register("GRU", c => new GRU(c.GetInt("units"), c.GetActivation("activation", "tanh"), c.GetActivation("recurrent_activation", "sigmoid"), c.GetBool("use_bias", true),
            c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("recurrent_initializer", "orthogonal"), c.GetInitializer("bias_initializer", "zeros"),
            c.GetBool("return_sequences", false), c.GetBool("return_state", false), c.GetBool("go_backwards", false), c.GetBool("reset_after", true),
            c.GetBool("zero_output_for_mask", false), c.Name));
        Register("Bidirectional", c => new Bidirectional(Recurrent(c, "layer")!, c.Has("merge_mode") ? c.GetChoice("merge_mode", "concat", "concat", "sum", "mul", "ave") : null,
            Recurrent(c, "backward_layer", required: false), c.Name));
        Register("TimeDistributed", c => new TimeDistributed(c.GetLayer("layer")!, c.Name));
        Register("LayerNormalization", c => new LayerNormalization(IntOrInts(c, "axis", -1), c.GetFloat("epsilon", 1e-3f), c.GetBool("center", true), c.GetBool("scale", true),
            c.GetInitializer("beta_initializer", "zeros"), c.GetInitializer("gamma_initializer", "ones"), c.Name));
        Register("MultiHeadAttention", c => new MultiHeadAttention(c.GetInt("num_heads"), c.GetInt("key_dim"), c.GetOptionalInt("value_dim"), c.GetBool("use_bias", true),
            c.GetOptionalInt("output_shape"), c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.Name));
        Register("Attention", c => new Attention(c.GetBool("use_scale", false), c.GetChoice("score_mode", "dot", "dot", "concat"), c.Name));
        Register("AdditiveAttention", c => new AdditiveAttention(c.GetBool("use_scale", true), c.Name));
        Register("Add", c => new Add(c.Name));
        Register("Concatenate", c => new Concatenate(c.GetInt("axis", -1), c.Name));
        Register("Multiply", Multiply.FromConfig);
        Register("Subtract", Subtract.FromConfig);
        Register("Average", Average.FromConfig);
        Register("Maximum", Maximum.FromConfig);
        Register("Minimum", Minimum.FromConfig);
        Register("Dot", Dot.FromConfig);
        Register("Lambda", Lambda.FromConfig);
        RegisterSequence1DAndPreprocessing();
        // Models nest as layers.
        Register<Model>("Functional", ModelConfig.FunctionalFromConfig);
        Register<Sequential>("Sequential", ModelConfig.SequentialFromConfig);
    }

    /// <summary>A Keras "int or pair" argument as a <see cref="Size2"/>; <paramref name="fallback"/> when absent (null: required).</summary>
    private static Size2 Size(LayerConfig c, string key, int? fallback)
    {
        var v = c.GetIntTuple(key, 2, fallback is int f ? [f, f] : null);
        return new Size2(v[0], v[1]);
    }

    private static string Padding(LayerConfig c) => c.GetChoice("padding", "valid", "valid", "same");

    /// <summary>Rejects channels_first configs (Praxis computes channels last) and returns the layer name.</summary>
    private static string? ChannelsLast(LayerConfig c)
    {
        c.GetChoice("data_format", "channels_last", "channels_last");
        return c.Name;
    }

    /// <summary>A nested recurrent layer (Bidirectional's <c>layer</c> and <c>backward_layer</c>).</summary>
    private static RecurrentLayer? Recurrent(LayerConfig c, string key, bool required = true)
    {
        var layer = c.GetLayer(key, required);
        return layer is null or RecurrentLayer ? (RecurrentLayer?)layer : throw c.Error($"'{key}' must be a recurrent layer (SimpleRNN, LSTM, GRU); got {layer.GetType().Name}.");
    }

    /// <summary>Keras' "int or list of ints" (e.g. LayerNormalization's axis).</summary>
    private static int[] IntOrInts(LayerConfig c, string key, int fallback)
    {
        if (!c.Has(key)) return [fallback];
        return c.Raw.GetProperty(key).ValueKind == System.Text.Json.JsonValueKind.Number ? [c.GetInt(key)] : c.GetIntArray(key);
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
        if (!config.GetBool("trainable", true)) layer.Trainable = false;
        return layer;
    }
}
