using Praxis.Initializers;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// A fully connected layer: <c>activation(x · kernel + bias)</c> on the last axis, as Keras <c>Dense</c>.
/// Defaults match Keras: Glorot-uniform kernel, zero bias, bias on, linear activation.
/// </summary>
public class Dense : Layer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="units">Output size.</param>
    /// <param name="activation">A Keras name (<c>"relu"</c>, <c>"softmax"</c>, …) or null for linear.</param>
    /// <param name="useBias">Whether to add a bias (default true).</param>
    /// <param name="kernelInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null.</param>
    /// <param name="kernelRegularizer">Penalty on the kernel (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="biasRegularizer">Penalty on the bias.</param>
    /// <param name="activityRegularizer">Penalty on the output.</param>
    public Dense(int units, ActivationFunction? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, string? name = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null) : base(name)
    {
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
        ActivityRegularizer = activityRegularizer;
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), $"Dense needs a positive number of units; got {units}.");
        Units = units;
        Activation = activation ?? Activations.Get("linear");
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? new Zeros();
    }

    /// <summary>Output size.</summary>
    public int Units { get; }

    /// <summary>The activation applied after the affine map.</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>The kernel initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The bias initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The bias' penalty, if any.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>The (in, units) weight matrix, once built.</summary>
    public Tensor Kernel { get; private set; } = null!;

    /// <summary>The (units) bias, once built (null without bias).</summary>
    public Tensor? Bias { get; private set; }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank < 1 || inputShape[-1] <= 0)
            throw new ShapeMismatchException($"Layer '{Name}' (Dense) needs a known last input dimension; got input shape {inputShape}.");
        int inDim = inputShape[-1];
        Kernel = AddWeight("kernel", new Shape(inDim, Units), KernelInitializer, regularizer: KernelRegularizer);
        if (UseBias) Bias = AddWeight("bias", new Shape(Units), BiasInitializer, regularizer: BiasRegularizer);
        var expected = new int[inputShape.Rank];
        Array.Fill(expected, -1);
        expected[^1] = inDim;
        InputSpec = new InputSpec(minRank: 2, axes: new Dictionary<int, int> { [-1] = inDim }, expectedShape: new Shape(expected));
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) =>
        Activation.Is("relu")
            ? Tensor.Linear(input, Kernel, Bias, relu: true) // fused: one op, one pass over the output
            : Activation.Apply(Tensor.Linear(input, Kernel, Bias));

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => [inputShapes[0].With(-1, Units)];

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Dense FromConfig(LayerConfig c) => new Dense(c.GetInt("units"), c.GetActivation("activation"), c.GetBool("use_bias", true),
        c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.Name,
        c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["units"] = Units;
        c["activation"] = Activation.Name;
        c["use_bias"] = UseBias;
        c["kernel_initializer"] = KernelInitializer.ToConfigValue();
        c["bias_initializer"] = BiasInitializer.ToConfigValue();
        // Written only when set, so files without regularizers keep their exact bytes.
        if (KernelRegularizer != null) c["kernel_regularizer"] = KernelRegularizer.ToConfigValue();
        if (BiasRegularizer != null) c["bias_regularizer"] = BiasRegularizer.ToConfigValue();
        if (ActivityRegularizer != null) c["activity_regularizer"] = ActivityRegularizer.ToConfigValue();
        return c;
    }
}

/// <summary>Applies a named activation as a layer (Keras <c>Activation</c>).</summary>
public sealed class Activation : Layer
{
    /// <summary>Creates the layer from a Keras activation name or function.</summary>
    public Activation(ActivationFunction activation, string? name = null) : base(name) => Function = activation;

    /// <summary>The activation.</summary>
    public ActivationFunction Function { get; }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => Function.Apply(input);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes) => inputShapes;

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Activation FromConfig(LayerConfig c) => new Activation(c.GetActivation("activation"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["activation"] = Function.Name;
        return c;
    }
}
