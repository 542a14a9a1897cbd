using Praxis.IO;

namespace Praxis.Layers;

/// <summary>
/// Wraps a C# function as a layer (Keras <c>Lambda</c>): <c>new Lambda(x => x.Square())</c>, or, for several inputs,
/// <c>new Lambda(xs => xs[0] * xs[1])</c>. The function must be built from differentiable <see cref="Tensor"/> ops.
/// </summary>
/// <remarks>
/// <para><b>Shapes.</b> The output shape is found by the default dry run (the function is called on zeros) unless
/// <c>outputShape</c> gives it (the per-sample shape, without the batch axis, as Keras' <c>output_shape</c>).</para>
/// <para><b>Saving.</b> A file cannot hold C# code, so a saved Lambda stores a key naming its function: register the
/// function once at start-up with <see cref="Register(string, Func{Tensor, Tensor})"/> and either build the layer from
/// the key (<c>new Lambda("square")</c>) or from the same delegate instance. Saving a Lambda whose function has no key
/// is refused, and loading a file that names a key not registered in this process fails with an error naming the layer
/// and the key (Keras instead pickles Python bytecode and refuses it unless <c>safe_mode=False</c>).</para>
/// <para><b>Replay.</b> Praxis cannot see what the function does, so a model holding a Lambda is run eagerly (a new graph
/// every step, see ARCHITECTURE "Who replays") unless <c>replaySafe: true</c> promises that the function obeys the replay
/// rule: it only composes ops, draws randomness through ops such as <see cref="Tensor.RandomNormal"/>, never reads
/// tensor values to decide anything and keeps no state between calls. The promise is saved with the layer.</para>
/// <para>The output carries no mask: a function that should pass one on sets <see cref="Tensor.Mask"/> itself.</para>
/// </remarks>
public sealed class Lambda : Layer
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, Delegate> Functions = new(StringComparer.Ordinal);

    private readonly Func<Tensor, Tensor>? _single;
    private readonly Func<Tensor[], Tensor>? _many;
    private readonly string? _key;
    private readonly bool _replaySafe;

    /// <summary>Wraps a one-input function.</summary>
    public Lambda(Func<Tensor, Tensor> function, int[]? outputShape = null, bool replaySafe = false, string? name = null) : base(name)
    {
        _single = function ?? throw new ArgumentNullException(nameof(function));
        OutputShape = outputShape;
        _replaySafe = replaySafe;
    }

    /// <summary>Wraps a function of several inputs (called with them in order).</summary>
    public Lambda(Func<Tensor[], Tensor> function, int[]? outputShape = null, bool replaySafe = false, string? name = null) : base(name)
    {
        _many = function ?? throw new ArgumentNullException(nameof(function));
        OutputShape = outputShape;
        _replaySafe = replaySafe;
    }

    /// <summary>Wraps the function registered under <paramref name="function"/> (see <see cref="Register(string, Func{Tensor, Tensor})"/>).</summary>
    public Lambda(string function, int[]? outputShape = null, bool replaySafe = false, string? name = null) : base(name)
    {
        ArgumentException.ThrowIfNullOrEmpty(function);
        var f = Lookup(function) ?? throw new ArgumentException(
            $"Lambda: function '{function}' is not registered. Call Lambda.Register(\"{function}\", fn) first. Registered: {string.Join(", ", RegisteredKeys)}.", nameof(function));
        _single = f as Func<Tensor, Tensor>;
        _many = f as Func<Tensor[], Tensor>;
        _key = function;
        OutputShape = outputShape;
        _replaySafe = replaySafe;
    }

    /// <summary>The per-sample output shape given to the constructor (batch axis excluded), or null for the dry run.</summary>
    public IReadOnlyList<int>? OutputShape { get; }

    /// <summary>The key the function is saved under: the one given, or the key it was registered with; null when it has none.</summary>
    public string? FunctionKey => _key ?? KeyOf((Delegate?)_single ?? _many!);

    /// <summary>True only when the constructor was told <c>replaySafe: true</c> (Praxis cannot check the function).</summary>
    public override bool ReplaySafe => _replaySafe;

    /// <summary>Registers (or replaces) a one-input function under a key, so Lambda layers using it can be saved and loaded.</summary>
    public static void Register(string key, Func<Tensor, Tensor> function) => RegisterDelegate(key, function);

    /// <summary>Registers (or replaces) a several-input function under a key.</summary>
    public static void Register(string key, Func<Tensor[], Tensor> function) => RegisterDelegate(key, function);

    /// <summary>Removes a registration (layers already built keep their function); false when the key was not registered.</summary>
    public static bool Unregister(string key)
    {
        lock (Gate) return Functions.Remove(key);
    }

    /// <summary>The registered function keys.</summary>
    public static IReadOnlyList<string> RegisteredKeys
    {
        get { lock (Gate) return Functions.Keys.Order(StringComparer.Ordinal).ToList(); }
    }

    private static void RegisterDelegate(string key, Delegate function)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(function);
        lock (Gate) Functions[key] = function;
    }

    private static Delegate? Lookup(string key)
    {
        lock (Gate) return Functions.GetValueOrDefault(key);
    }

    private static string? KeyOf(Delegate d)
    {
        lock (Gate)
            foreach (var (k, f) in Functions)
                if (ReferenceEquals(f, d)) return k;
        return null;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) =>
        _single is { } f ? f(input) : _many!([input]);

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        if (_many is { } f) return [f(inputs)];
        if (inputs.Length != 1)
            throw new ArgumentException($"Layer '{Name}' (Lambda) wraps a one-input function but was called on {inputs.Length} inputs; wrap a Func<Tensor[], Tensor> for several.");
        return [_single!(inputs[0])];
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        if (OutputShape is null) return base.ComputeOutputShapes(inputShapes);
        int batch = inputShapes.Length > 0 && inputShapes[0].Rank > 0 ? inputShapes[0][0] : -1;
        return [new Shape([batch, .. OutputShape])];
    }

    /// <summary>The config: the function's key, <c>output_shape</c> and <c>replay_safe</c>. Throws when the function has no key.</summary>
    public override Dictionary<string, object?> GetConfig()
    {
        var key = FunctionKey ?? throw new NotSupportedException(
            $"Layer '{Name}' (Lambda) wraps a function that is not registered, and a file cannot hold C# code. " +
            "Call Lambda.Register(\"key\", fn) at start-up and build the layer with the same delegate or new Lambda(\"key\").");
        var c = base.GetConfig();
        c["function"] = key;
        c["output_shape"] = OutputShape?.ToArray();
        c["replay_safe"] = _replaySafe;
        return c;
    }

    /// <summary>Rebuilds the layer; fails naming the layer and the key when the function is not registered in this process.</summary>
    public static Lambda FromConfig(LayerConfig c)
    {
        string key = c.GetString("function");
        if (Lookup(key) is null)
            throw c.Error($"it calls function '{SafeTensorsFile.Clip(key)}', which is not registered in this process. " +
                          $"Call Lambda.Register(\"{SafeTensorsFile.Clip(key)}\", fn) before loading.");
        return new Lambda(key, c.Has("output_shape") ? c.GetIntArray("output_shape") : null, c.GetBool("replay_safe", false), c.Name);
    }
}
