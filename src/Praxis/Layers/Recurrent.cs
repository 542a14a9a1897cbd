using Praxis.Initializers;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// The shared behaviour of Keras' recurrent layers (<see cref="SimpleRNN"/>, <see cref="LSTM"/>, <see cref="GRU"/>):
/// input (batch, time, features); output the last output (batch, units) or, with <see cref="ReturnSequences"/>, every
/// step's (batch, time, units); with <see cref="ReturnState"/> the final states follow as extra outputs. Initial states
/// are passed as extra inputs after the sequence (Keras' <c>initial_state</c>). A mask on the input (from
/// <c>Embedding(maskZero: true)</c>) makes masked steps keep the previous state; the output sequence carries the mask on.
/// Each layer runs as one fused op per call (see <see cref="Tensor.Lstm"/>), forward and backward through time.
/// Keras' <c>kernel_regularizer</c>, <c>recurrent_regularizer</c>, <c>bias_regularizer</c> and
/// <c>activity_regularizer</c> (on every output, states included, as Keras 3) are added to the loss.
/// </summary>
/// <remarks>
/// Keras' <c>dropout</c>, <c>recurrent_dropout</c>, <c>stateful</c> and <c>unroll</c> are not offered.
/// Activations are limited to those the fused kernels implement: tanh, sigmoid, relu, hard_sigmoid and linear.
/// </remarks>
public abstract class RecurrentLayer : Layer
{
    private protected RecurrentLayer(int units, ActivationFunction? activation, bool useBias, Initializer? kernelInitializer,
        Initializer? recurrentInitializer, Initializer? biasInitializer, bool returnSequences, bool returnState,
        bool goBackwards, bool zeroOutputForMask, string? name) : base(name)
    {
        if (units <= 0) throw new ArgumentOutOfRangeException(nameof(units), $"{GetType().Name} needs a positive number of units; got {units}.");
        Units = units;
        Activation = activation ?? Activations.Get("tanh");
        RequireFused(Activation, $"{GetType().Name} activation"); // fail at construction, not at first call
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        RecurrentInitializer = recurrentInitializer ?? new Orthogonal();
        BiasInitializer = biasInitializer ?? new Zeros();
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        ZeroOutputForMask = zeroOutputForMask;
    }

    /// <summary>The state size.</summary>
    public int Units { get; }

    /// <summary>The cell activation (default tanh).</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>The input kernel initializer (default Glorot uniform).</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The recurrent kernel initializer (default orthogonal).</summary>
    public Initializer RecurrentInitializer { get; }

    /// <summary>The bias initializer (default zeros).</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>Return the whole output sequence instead of the last output.</summary>
    public bool ReturnSequences { get; }

    /// <summary>Return the final states after the output.</summary>
    public bool ReturnState { get; }

    /// <summary>Process the sequence backwards (the output sequence is then in reversed order, as in Keras).</summary>
    public bool GoBackwards { get; }

    /// <summary>Masked steps output zeros rather than repeating the previous output (Bidirectional sets it when returning sequences).</summary>
    public bool ZeroOutputForMask { get; internal set; }

    /// <summary>The input kernel's penalty (Keras <c>kernel_regularizer</c>), if any.</summary>
    public Regularizer? KernelRegularizer { get; private set; }

    /// <summary>The recurrent kernel's penalty (Keras <c>recurrent_regularizer</c>), if any.</summary>
    public Regularizer? RecurrentRegularizer { get; private set; }

    /// <summary>The bias' penalty (Keras <c>bias_regularizer</c>), if any.</summary>
    public Regularizer? BiasRegularizer { get; private set; }

    private protected void SetRegularizers(Regularizer? kernel, Regularizer? recurrent, Regularizer? bias, Regularizer? activity)
    {
        KernelRegularizer = kernel;
        RecurrentRegularizer = recurrent;
        BiasRegularizer = bias;
        ActivityRegularizer = activity;
    }

    /// <summary>The input kernel (features, gates·units), once built.</summary>
    public Tensor Kernel { get; private set; } = null!;

    /// <summary>The recurrent kernel (units, gates·units), once built.</summary>
    public Tensor RecurrentKernel { get; private set; } = null!;

    /// <summary>The bias, once built (null without bias).</summary>
    public Tensor? Bias { get; private set; }

    /// <summary>Number of state tensors (2 for LSTM: h and c).</summary>
    public virtual int StateCount => 1;

    private protected abstract int Gates { get; }

    private protected virtual Shape BiasShape => new(Gates * Units);

    /// <summary>Fills the bias after creation (LSTM's unit_forget_bias).</summary>
    private protected virtual void InitBias(Tensor bias) { }

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        if (inputShape.Rank != 3 || inputShape[-1] <= 0)
            throw new ShapeMismatchException($"Layer '{Name}' ({GetType().Name}) expects input (batch, time, features) with known features; got shape {inputShape}.");
        int d = inputShape[-1];
        Kernel = AddWeight("kernel", new Shape(d, Gates * Units), KernelInitializer, regularizer: KernelRegularizer);
        RecurrentKernel = AddWeight("recurrent_kernel", new Shape(Units, Gates * Units), RecurrentInitializer, regularizer: RecurrentRegularizer);
        if (UseBias)
        {
            Bias = AddWeight("bias", BiasShape, BiasInitializer, regularizer: BiasRegularizer);
            InitBias(Bias);
        }
        InputSpec = new InputSpec(rank: 3, axes: new Dictionary<int, int> { [-1] = d }, expectedShape: new Shape(-1, -1, d));
        Built = true;
    }

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes) => Build(inputShapes[0]);

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes)
    {
        if (shapes.Length != 1 && shapes.Length != 1 + StateCount)
            throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) takes a sequence and optionally {StateCount} initial state(s); got {shapes.Length} inputs.");
        InputSpec?.Check(this, shapes[0]);
        for (int i = 1; i < shapes.Length; i++)
        {
            var s = shapes[i];
            if (s.Rank != 2 || (s[1] != Units && s[1] != -1) || (s[0] != shapes[0][0] && s[0] >= 0 && shapes[0][0] >= 0))
                throw new ShapeMismatchException($"Layer '{Name}' ({GetType().Name}): initial state {i - 1} must have shape (batch, {Units}) = ({shapes[0][0]}, {Units}); got {s}.");
        }
    }

    /// <summary>
    /// The fused kernels compute the activation themselves, so it must be one of the library's own: a function you
    /// registered (even as "tanh") would otherwise be silently replaced by the kernel's.
    /// </summary>
    private protected static void RequireFused(ActivationFunction f, string what)
    {
        if (!f.IsBuiltIn)
            throw new ArgumentException($"{what} '{f.Name}' is your own function; the fused recurrent kernels compute only the library's tanh, sigmoid, relu, hard_sigmoid and linear, and would not apply it.");
        PointwiseActivations.Parse(f.Name, what);
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) => Call([input], training)[0];

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training)
    {
        CheckInputShapes(inputs.Select(t => t.Shape).ToArray());
        var x = inputs[0];
        var options = new RecurrentOptions(Activation.Name, RecurrentActivationName, GoBackwards, ZeroOutputForMask);
        var (sequence, states) = Run(x, inputs.Length > 1 ? inputs[1..] : [], x.Mask, options);
        Tensor output;
        if (ReturnSequences)
        {
            output = sequence;
            if (x.Mask is { } m) output.Mask = m;
        }
        else output = sequence.Select(1, x.Shape[1] - 1);
        return ReturnState ? [output, .. states] : [output];
    }

    private protected virtual string RecurrentActivationName => "sigmoid";

    private protected abstract (Tensor Sequence, Tensor[] States) Run(Tensor x, Tensor[] initialStates, Tensor? mask, RecurrentOptions options);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        var output = ReturnSequences ? new Shape(s[0], s[1], Units) : new Shape(s[0], Units);
        if (!ReturnState) return [output];
        var result = new Shape[1 + StateCount];
        result[0] = output;
        for (int i = 1; i < result.Length; i++) result[i] = new Shape(s[0], Units);
        return result;
    }

    /// <summary>
    /// A new, unbuilt layer with the same configuration, a new name, and <see cref="GoBackwards"/> set as given
    /// (Bidirectional builds its forward and backward layers this way, as Keras does from the config).
    /// </summary>
    public abstract RecurrentLayer CloneWith(string name, bool goBackwards, bool zeroOutputForMask);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["units"] = Units;
        c["activation"] = Activation.Name;
        c["use_bias"] = UseBias;
        c["kernel_initializer"] = KernelInitializer.ToConfigValue();
        c["recurrent_initializer"] = RecurrentInitializer.ToConfigValue();
        c["bias_initializer"] = BiasInitializer.ToConfigValue();
        c["return_sequences"] = ReturnSequences;
        c["return_state"] = ReturnState;
        c["go_backwards"] = GoBackwards;
        c["zero_output_for_mask"] = ZeroOutputForMask;
        // Written only when set, so files without regularizers keep their exact bytes.
        if (KernelRegularizer != null) c["kernel_regularizer"] = KernelRegularizer.ToConfigValue();
        if (RecurrentRegularizer != null) c["recurrent_regularizer"] = RecurrentRegularizer.ToConfigValue();
        if (BiasRegularizer != null) c["bias_regularizer"] = BiasRegularizer.ToConfigValue();
        if (ActivityRegularizer != null) c["activity_regularizer"] = ActivityRegularizer.ToConfigValue();
        return c;
    }
}

/// <summary>
/// Fully connected RNN (Keras <c>SimpleRNN</c>): h_t = activation(x_t·kernel + h_{t−1}·recurrent_kernel + bias).
/// Defaults as Keras: tanh, Glorot-uniform kernel, orthogonal recurrent kernel, zero bias.
/// </summary>
public sealed class SimpleRNN : RecurrentLayer
{
    /// <summary>Rebuilds the layer from its saved config (<see cref="Layer.GetConfig"/>); every default is written here once.</summary>
    public static SimpleRNN FromConfig(LayerConfig c) => new SimpleRNN(c.GetInt("units"), c.GetActivation("activation", "tanh"), c.GetBool("use_bias", true),
        c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("recurrent_initializer", "orthogonal"), c.GetInitializer("bias_initializer", "zeros"),
        c.GetBool("return_sequences", false), c.GetBool("return_state", false), c.GetBool("go_backwards", false), c.GetBool("zero_output_for_mask", false), c.Name,
        c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("recurrent_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <summary>Creates the layer; arguments as Keras <c>SimpleRNN</c>.</summary>
    public SimpleRNN(int units, ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null,
        Initializer? recurrentInitializer = null, Initializer? biasInitializer = null, bool returnSequences = false,
        bool returnState = false, bool goBackwards = false, bool zeroOutputForMask = false, string? name = null, Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null,
        Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null)
        : base(units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, returnSequences,
            returnState, goBackwards, zeroOutputForMask, name) =>
        SetRegularizers(kernelRegularizer, recurrentRegularizer, biasRegularizer, activityRegularizer);

    private protected override int Gates => 1;

    private protected override (Tensor, Tensor[]) Run(Tensor x, Tensor[] states, Tensor? mask, RecurrentOptions options)
    {
        var (seq, h) = Tensor.SimpleRnn(x, Kernel, RecurrentKernel, Bias, states.Length > 0 ? states[0] : null, mask, options);
        return (seq, [h]);
    }

    /// <inheritdoc />
    public override RecurrentLayer CloneWith(string name, bool goBackwards, bool zeroOutputForMask) =>
        new SimpleRNN(Units, Activation, UseBias, KernelInitializer, RecurrentInitializer, BiasInitializer, ReturnSequences,
            ReturnState, goBackwards, zeroOutputForMask, name,
            KernelRegularizer, RecurrentRegularizer, BiasRegularizer, ActivityRegularizer);
}

/// <summary>
/// Long short-term memory (Keras <c>LSTM</c>, Hochreiter 1997), gates in Keras order [i, f, c, o] along the last axis of
/// kernel (features, 4·units), recurrent kernel (units, 4·units) and bias (4·units):
/// i, f, o = recurrent_activation(·); g = activation(·); c_t = f⊙c_{t−1} + i⊙g; h_t = o⊙activation(c_t).
/// Defaults as Keras: tanh, sigmoid, Glorot-uniform kernel, orthogonal recurrent kernel, zero bias with the forget-gate
/// block set to 1 (<c>unit_forget_bias</c>). States: [h, c].
/// </summary>
public sealed class LSTM : RecurrentLayer
{
    /// <summary>Creates the layer; arguments as Keras <c>LSTM</c>.</summary>
    public LSTM(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null,
        bool unitForgetBias = true, bool returnSequences = false, bool returnState = false, bool goBackwards = false,
        bool zeroOutputForMask = false, string? name = null, Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null,
        Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null)
        : base(units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, returnSequences,
            returnState, goBackwards, zeroOutputForMask, name)
    {
        SetRegularizers(kernelRegularizer, recurrentRegularizer, biasRegularizer, activityRegularizer);
        RecurrentActivation = recurrentActivation ?? Activations.Get("sigmoid");
        RequireFused(RecurrentActivation, "LSTM recurrent activation");
        UnitForgetBias = unitForgetBias;
    }

    /// <summary>The gate activation (default sigmoid).</summary>
    public ActivationFunction RecurrentActivation { get; }

    /// <summary>Whether the forget-gate bias starts at 1 (Jozefowicz et al., 2015), Keras' default.</summary>
    public bool UnitForgetBias { get; }

    /// <inheritdoc />
    public override int StateCount => 2;

    private protected override int Gates => 4;

    private protected override string RecurrentActivationName => RecurrentActivation.Name;

    private protected override void InitBias(Tensor bias)
    {
        if (UnitForgetBias) bias.Span.Slice(Units, Units).Fill(1f);
    }

    private protected override (Tensor, Tensor[]) Run(Tensor x, Tensor[] states, Tensor? mask, RecurrentOptions options)
    {
        var (seq, h, c) = Tensor.Lstm(x, Kernel, RecurrentKernel, Bias, states.Length > 0 ? states[0] : null,
            states.Length > 1 ? states[1] : null, mask, options);
        return (seq, [h, c]);
    }

    /// <inheritdoc />
    public override RecurrentLayer CloneWith(string name, bool goBackwards, bool zeroOutputForMask) =>
        new LSTM(Units, Activation, RecurrentActivation, UseBias, KernelInitializer, RecurrentInitializer, BiasInitializer,
            UnitForgetBias, ReturnSequences, ReturnState, goBackwards, zeroOutputForMask, name,
            KernelRegularizer, RecurrentRegularizer, BiasRegularizer, ActivityRegularizer);

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static LSTM FromConfig(LayerConfig c) => new LSTM(c.GetInt("units"), c.GetActivation("activation", "tanh"), c.GetActivation("recurrent_activation", "sigmoid"), c.GetBool("use_bias", true),
        c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("recurrent_initializer", "orthogonal"), c.GetInitializer("bias_initializer", "zeros"),
        c.GetBool("unit_forget_bias", true), c.GetBool("return_sequences", false), c.GetBool("return_state", false), c.GetBool("go_backwards", false),
        c.GetBool("zero_output_for_mask", false), c.Name,
        c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("recurrent_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["recurrent_activation"] = RecurrentActivation.Name;
        c["unit_forget_bias"] = UnitForgetBias;
        return c;
    }
}

/// <summary>
/// Gated recurrent unit (Keras <c>GRU</c>, Cho et al. 2014), gates in Keras order [z, r, h]. With
/// <see cref="ResetAfter"/> (Keras' default, the cuDNN and PyTorch form) the reset gate applies after the recurrent
/// matmul and the bias is (2, 3·units), input bias then recurrent bias:
/// h̃ = activation(x·W_h + b_h + r⊙(h·R_h + b'_h)). Otherwise h̃ = activation(x·W_h + (r⊙h)·R_h + b_h) with a (3·units)
/// bias. Then h_t = z⊙h_{t−1} + (1 − z)⊙h̃.
/// </summary>
public sealed class GRU : RecurrentLayer
{
    /// <summary>Creates the layer; arguments as Keras <c>GRU</c>.</summary>
    public GRU(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? recurrentInitializer = null, Initializer? biasInitializer = null,
        bool returnSequences = false, bool returnState = false, bool goBackwards = false, bool resetAfter = true,
        bool zeroOutputForMask = false, string? name = null, Regularizer? kernelRegularizer = null, Regularizer? recurrentRegularizer = null,
        Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null)
        : base(units, activation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, returnSequences,
            returnState, goBackwards, zeroOutputForMask, name)
    {
        SetRegularizers(kernelRegularizer, recurrentRegularizer, biasRegularizer, activityRegularizer);
        RecurrentActivation = recurrentActivation ?? Activations.Get("sigmoid");
        RequireFused(RecurrentActivation, "GRU recurrent activation");
        ResetAfter = resetAfter;
    }

    /// <summary>The gate activation (default sigmoid).</summary>
    public ActivationFunction RecurrentActivation { get; }

    /// <summary>Whether the reset gate is applied after the recurrent matmul (default true).</summary>
    public bool ResetAfter { get; }

    private protected override int Gates => 3;

    private protected override Shape BiasShape => ResetAfter ? new Shape(2, 3 * Units) : new Shape(3 * Units);

    private protected override string RecurrentActivationName => RecurrentActivation.Name;

    private protected override (Tensor, Tensor[]) Run(Tensor x, Tensor[] states, Tensor? mask, RecurrentOptions options)
    {
        var (seq, h) = Tensor.Gru(x, Kernel, RecurrentKernel, Bias, states.Length > 0 ? states[0] : null, mask, ResetAfter, options);
        return (seq, [h]);
    }

    /// <inheritdoc />
    public override RecurrentLayer CloneWith(string name, bool goBackwards, bool zeroOutputForMask) =>
        new GRU(Units, Activation, RecurrentActivation, UseBias, KernelInitializer, RecurrentInitializer, BiasInitializer,
            ReturnSequences, ReturnState, goBackwards, ResetAfter, zeroOutputForMask, name,
            KernelRegularizer, RecurrentRegularizer, BiasRegularizer, ActivityRegularizer);

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static GRU FromConfig(LayerConfig c) => new GRU(c.GetInt("units"), c.GetActivation("activation", "tanh"), c.GetActivation("recurrent_activation", "sigmoid"), c.GetBool("use_bias", true),
        c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("recurrent_initializer", "orthogonal"), c.GetInitializer("bias_initializer", "zeros"),
        c.GetBool("return_sequences", false), c.GetBool("return_state", false), c.GetBool("go_backwards", false), c.GetBool("reset_after", true),
        c.GetBool("zero_output_for_mask", false), c.Name,
        c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("recurrent_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["recurrent_activation"] = RecurrentActivation.Name;
        c["reset_after"] = ResetAfter;
        return c;
    }
}
