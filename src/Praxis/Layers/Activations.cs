namespace Praxis.Layers;

/// <summary>A named activation function (Keras <c>keras.activations</c>), applied through differentiable ops.</summary>
public sealed class ActivationFunction
{
    private readonly Func<Tensor, Tensor> _apply;

    /// <summary>Creates a named activation from a function of tensors built from ops.</summary>
    public ActivationFunction(string name, Func<Tensor, Tensor> apply)
    {
        Name = name;
        _apply = apply;
    }

    /// <summary>The Keras name, e.g. <c>relu</c>.</summary>
    public string Name { get; }

    /// <summary>Applies the activation.</summary>
    public Tensor Apply(Tensor x) => _apply(x);

    /// <summary>True for the identity (<c>linear</c>).</summary>
    public bool IsLinear => Name == "linear";

    /// <summary>An activation named by a Keras string.</summary>
    public static implicit operator ActivationFunction(string name) => Activations.Get(name);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// The activation registry. Built in: <c>linear</c>, <c>relu</c>, <c>sigmoid</c>, <c>tanh</c>, <c>softmax</c>,
/// <c>log_softmax</c>, <c>leaky_relu</c> (slope 0.2), <c>elu</c>, <c>gelu</c> (exact), <c>swish</c>/<c>silu</c>,
/// <c>softplus</c>; more can be added with <see cref="Register"/>.
/// </summary>
public static class Activations
{
    private static readonly Dictionary<string, ActivationFunction> Registry = new(StringComparer.OrdinalIgnoreCase);

    static Activations()
    {
        Register("linear", x => x);
        Registry["relu"] = Relu = new ActivationFunction("relu", x => x.Relu());
        Register("sigmoid", x => x.Sigmoid());
        Register("tanh", x => x.Tanh());
        Register("softmax", x => x.Softmax(-1));
        Register("log_softmax", x => x.LogSoftmax(-1));
        Register("leaky_relu", x => x.LeakyRelu());
        Register("elu", x => x.Elu());
        Register("gelu", x => x.Gelu());
        Register("swish", x => x.Swish());
        Register("silu", x => x.Swish());
        Register("softplus", x => x.Softplus());
    }

    /// <summary>The built-in ReLU, which convolution layers fuse into their op (unless "relu" is re-registered).</summary>
    internal static ActivationFunction Relu { get; }

    /// <summary>Adds (or replaces) a named activation.</summary>
    public static void Register(string name, Func<Tensor, Tensor> apply)
    {
        var f = new ActivationFunction(name, apply);
        lock (Registry) Registry[name] = f;
    }

    /// <summary>Resolves a name; null or empty means <c>linear</c>, as in Keras.</summary>
    public static ActivationFunction Get(string? name)
    {
        lock (Registry)
        {
            if (string.IsNullOrEmpty(name)) return Registry["linear"];
            if (Registry.TryGetValue(name, out var f)) return f;
            throw new ArgumentException($"Unknown activation '{name}'. Known: {string.Join(", ", Registry.Keys.Order())}.");
        }
    }

    /// <summary>The registered names.</summary>
    public static IEnumerable<string> Names
    {
        get { lock (Registry) return [.. Registry.Keys]; }
    }
}
