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

    /// <summary>Creates one of the library's own activations, which fused ops may compute themselves.</summary>
    internal ActivationFunction(string name, Func<Tensor, Tensor> apply, bool builtIn) : this(name, apply) => IsBuiltIn = builtIn;

    /// <summary>The Keras name, e.g. <c>relu</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// True for the library's own activation of this name. Fused ops (Dense with ReLU, the recurrent kernels) compute
    /// only built-in activations themselves; a function you register, even under a built-in's name, is always applied as
    /// written, never replaced by the kernel of the same name.
    /// </summary>
    public bool IsBuiltIn { get; }

    /// <summary>True for the built-in activation called <paramref name="name"/>.</summary>
    internal bool Is(string name) => IsBuiltIn && string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);

    /// <summary>Applies the activation.</summary>
    public Tensor Apply(Tensor x) => _apply(x);

    /// <summary>True for the identity (<c>linear</c>).</summary>
    public bool IsLinear => Is("linear");

    /// <summary>An activation named by a Keras string.</summary>
    public static implicit operator ActivationFunction(string name) => Activations.Get(name);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>
/// The activation registry. Built in: <c>linear</c>, <c>relu</c>, <c>sigmoid</c>, <c>tanh</c>, <c>softmax</c>,
/// <c>log_softmax</c>, <c>leaky_relu</c> (slope 0.2), <c>elu</c>, <c>gelu</c> (exact), <c>gelu_approximate</c> (tanh form, GPT-2's), <c>swish</c>/<c>silu</c>,
/// <c>softplus</c>, <c>hard_sigmoid</c>; more can be added with <see cref="Register"/>.
/// </summary>
public static class Activations
{
    private static readonly Dictionary<string, ActivationFunction> Registry = new(StringComparer.OrdinalIgnoreCase);

    static Activations()
    {
        BuiltIn("linear", x => x);
        Relu = BuiltIn("relu", x => x.Relu());
        BuiltIn("sigmoid", x => x.Sigmoid());
        BuiltIn("tanh", x => x.Tanh());
        BuiltIn("softmax", x => x.Softmax(-1));
        BuiltIn("log_softmax", x => x.LogSoftmax(-1));
        BuiltIn("leaky_relu", x => x.LeakyRelu());
        BuiltIn("elu", x => x.Elu());
        BuiltIn("gelu", x => x.Gelu());
        BuiltIn("gelu_approximate", x => x.Gelu(approximate: true)); // the tanh form: GPT-2's "gelu_new"
        BuiltIn("swish", x => x.Swish());
        BuiltIn("silu", x => x.Swish());
        BuiltIn("softplus", x => x.Softplus());
        BuiltIn("hard_sigmoid", x => (x * (1f / 6f) + 0.5f).Clip(0f, 1f)); // Keras 3: relu6(x + 3) / 6, as the recurrent kernels
    }

    private static ActivationFunction BuiltIn(string name, Func<Tensor, Tensor> apply) =>
        Registry[name] = new ActivationFunction(name, apply, builtIn: true);

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
