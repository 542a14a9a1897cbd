using Praxis.Initializers;
using Praxis.Kernels;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// What every convolution layer shares (Keras' <c>BaseConv</c>, <c>BaseDepthwiseConv</c>, <c>BaseSeparableConv</c>):
/// the activation (a ReLU is fused into the op that produces the output), the optional bias and its initializer, the
/// config keys for them, and the name used in errors. Each subclass owns its kernels and its geometry.
/// </summary>
public abstract class ConvLayer : Layer
{
    /// <summary>Stores the shared arguments.</summary>
    /// <param name="activation">A Keras activation, or null for linear.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null.</param>
    protected ConvLayer(ActivationFunction? activation, bool useBias, Initializer? biasInitializer, string? name) : base(name)
    {
        Activation = activation ?? Activations.Get("linear");
        UseBias = useBias;
        BiasInitializer = biasInitializer ?? new Zeros();
    }

    /// <summary>The activation applied to the output.</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>The bias initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The bias' penalty (Keras <c>bias_regularizer</c>), if any; set by each subclass' constructor.</summary>
    public Regularizer? BiasRegularizer { get; protected init; }

    /// <summary>The bias (one per output channel), once built; null without bias.</summary>
    public Tensor? Bias { get; protected set; }

    /// <summary>True when the activation is ReLU, which the last op fuses (one pass over the output instead of two).</summary>
    protected bool FusesRelu => ReferenceEquals(Activation, Activations.Relu);

    /// <summary>The activation on the last op's output; a no-op when that op already fused the ReLU.</summary>
    protected Tensor Activate(Tensor y, bool reluFused) => reluFused ? y : Activation.Apply(y);

    /// <summary>"Layer 'name' (Class)", the prefix of every error this layer raises.</summary>
    protected string Who => $"Layer '{Name}' ({GetType().Name})";

    /// <summary>Adds the bias weight (shape (<paramref name="channels"/>)) when <see cref="UseBias"/>.</summary>
    protected void AddBias(int channels)
    {
        if (UseBias) Bias = AddWeight("bias", new Shape(channels), BiasInitializer, regularizer: BiasRegularizer);
    }

    /// <summary>
    /// The shared config keys: <c>data_format</c>, <c>activation</c>, <c>use_bias</c>, <c>bias_initializer</c>, and
    /// <c>bias_regularizer</c> / <c>activity_regularizer</c> when set.
    /// </summary>
    protected void AddSharedConfig(Dictionary<string, object?> c)
    {
        c["data_format"] = "channels_last";
        c["activation"] = Activation.Name;
        c["use_bias"] = UseBias;
        c["bias_initializer"] = BiasInitializer.ToConfigValue();
        AddRegularizerConfig(c, "bias_regularizer", BiasRegularizer);
        AddRegularizerConfig(c, "activity_regularizer", ActivityRegularizer);
    }

    /// <summary>Writes <paramref name="r"/> under <paramref name="key"/> only when set, so files without regularizers keep their bytes.</summary>
    protected static void AddRegularizerConfig(Dictionary<string, object?> c, string key, Regularizer? r)
    {
        if (r != null) c[key] = r.ToConfigValue();
    }
}

/// <summary>
/// The 2-D convolution layers (<see cref="Conv2D"/>, <see cref="DepthwiseConv2D"/>, <see cref="SeparableConv2D"/>): a
/// sliding window of <see cref="KernelSize"/> with <see cref="Strides"/>, <see cref="DilationRate"/> and "valid" or
/// "same" padding over (batch, height, width, channels), Keras' output sizes from <c>ConvGeometry</c>.
/// </summary>
public abstract class Conv2DLayer : ConvLayer
{
    private protected readonly Padding PaddingMode;

    /// <summary>Stores and checks the window arguments.</summary>
    /// <param name="kernelSize">Window height and width.</param>
    /// <param name="strides">Strides (null: 1).</param>
    /// <param name="padding"><c>"valid"</c> or <c>"same"</c>.</param>
    /// <param name="dilationRate">Dilation (null: 1).</param>
    /// <param name="activation">A Keras activation, or null for linear.</param>
    /// <param name="useBias">Whether to add a bias.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null.</param>
    protected Conv2DLayer(Size2 kernelSize, Size2? strides, string padding, Size2? dilationRate, ActivationFunction? activation, bool useBias,
        Initializer? biasInitializer, string? name) : base(activation, useBias, biasInitializer, name)
    {
        KernelSize = kernelSize.RequirePositive("kernel_size");
        Strides = (strides ?? 1).RequirePositive("strides");
        PaddingMode = ConvGeometry.ParsePadding(padding, Who);
        DilationRate = (dilationRate ?? 1).RequirePositive("dilation_rate");
    }

    /// <summary>Kernel height and width.</summary>
    public Size2 KernelSize { get; }

    /// <summary>Strides.</summary>
    public Size2 Strides { get; }

    /// <summary><c>"valid"</c> or <c>"same"</c>.</summary>
    public string Padding => ConvGeometry.Name(PaddingMode);

    /// <summary>Dilation rate.</summary>
    public Size2 DilationRate { get; }

    /// <summary>Output channels for <paramref name="inputChannels"/> input channels (−1, unknown, where they depend on it).</summary>
    protected abstract int OutputChannels(int inputChannels);

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        return [new Shape(s[0],
            ConvGeometry.OutputLengthOrUnknown(Who, "height", s[1], KernelSize.Height, Strides.Height, DilationRate.Height, PaddingMode),
            ConvGeometry.OutputLengthOrUnknown(Who, "width", s[2], KernelSize.Width, Strides.Width, DilationRate.Width, PaddingMode),
            OutputChannels(s[3]))];
    }

    /// <summary>Checks the input (rank 4, channels last, known channels, a window that fits) and sets the input spec.</summary>
    protected int CheckBuildInput(Shape inputShape)
    {
        ImageInput.Check(this, inputShape);
        ComputeOutputShapes([inputShape]); // rejects a kernel larger than a known input
        int channels = inputShape[3];
        InputSpec = new InputSpec(rank: 4, axes: new Dictionary<int, int> { [-1] = channels }, expectedShape: new Shape(-1, -1, -1, channels));
        return channels;
    }

    /// <summary>The window config keys (<c>kernel_size</c>, <c>strides</c>, <c>padding</c>, <c>dilation_rate</c>) and the shared ones.</summary>
    protected void AddWindowConfig(Dictionary<string, object?> c)
    {
        c["kernel_size"] = KernelSize.ToArray();
        c["strides"] = Strides.ToArray();
        c["padding"] = Padding;
        c["dilation_rate"] = DilationRate.ToArray();
        AddSharedConfig(c);
    }
}
