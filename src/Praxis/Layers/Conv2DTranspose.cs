using Praxis.Initializers;
using Praxis.Kernels;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// Transposed 2-D convolution (Keras <c>Conv2DTranspose</c>), the upsampling counterpart of <see cref="Conv2D"/>: the
/// gradient of a convolution with respect to its input. Kernel (kernel_height, kernel_width, filters, in_channels), as
/// Keras stores it. Output height (without <c>output_padding</c>): height·stride + max(kernel_height − stride, 0) for
/// "valid", height·stride for "same"; with it, (height − 1)·stride + kernel_height − 2·pad + output_padding, pad being
/// kernel_height/2 for "same" and 0 for "valid" (Keras' <c>deconv_output_length</c>). A ReLU activation is fused.
/// </summary>
public class Conv2DTranspose : Layer
{
    private readonly Padding _padding;

    /// <summary>Creates the layer.</summary>
    /// <param name="filters">Number of output channels.</param>
    /// <param name="kernelSize">Kernel height and width.</param>
    /// <param name="strides">Strides, the upsampling factor (default 1).</param>
    /// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
    /// <param name="outputPadding">Extra rows/columns at the bottom/right (each less than the stride), or null (Keras' default).</param>
    /// <param name="dilationRate">Dilation rate (default 1).</param>
    /// <param name="activation">A Keras activation name or null for linear.</param>
    /// <param name="useBias">Whether to add a bias (default true).</param>
    /// <param name="kernelInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>conv2d_transpose</c>, …).</param>
    /// <param name="kernelRegularizer">Penalty on the kernel (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="biasRegularizer">Penalty on the bias.</param>
    /// <param name="activityRegularizer">Penalty on the output.</param>
    public Conv2DTranspose(int filters, Size2 kernelSize, Size2? strides = null, string padding = "valid", Size2? outputPadding = null,
        Size2? dilationRate = null, ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null,
        Initializer? biasInitializer = null, string? name = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null) : base(name)
    {
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
        ActivityRegularizer = activityRegularizer;
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), $"Conv2DTranspose needs a positive number of filters; got {filters}.");
        Filters = filters;
        KernelSize = kernelSize.RequirePositive("kernel_size");
        Strides = (strides ?? 1).RequirePositive("strides");
        _padding = ConvGeometry.ParsePadding(padding, $"Layer '{Name}' (Conv2DTranspose)");
        if (outputPadding is Size2 op && (op.Height < 0 || op.Width < 0 || op.Height >= Strides.Height || op.Width >= Strides.Width))
            throw new ArgumentException($"Layer '{Name}' (Conv2DTranspose): output_padding {op} must be non-negative and smaller than the strides {Strides}.");
        OutputPadding = outputPadding;
        DilationRate = (dilationRate ?? 1).RequirePositive("dilation_rate");
        Activation = activation ?? Activations.Get("linear");
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? new Zeros();
    }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The bias' penalty, if any.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel height and width.</summary>
    public Size2 KernelSize { get; }

    /// <summary>Strides.</summary>
    public Size2 Strides { get; }

    /// <summary><c>"valid"</c> or <c>"same"</c>.</summary>
    public string Padding => ConvGeometry.Name(_padding);

    /// <summary>Output padding, or null.</summary>
    public Size2? OutputPadding { get; }

    /// <summary>Dilation rate.</summary>
    public Size2 DilationRate { get; }

    /// <summary>The activation applied to the output.</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>The kernel initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The bias initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The (kernel_height, kernel_width, filters, in_channels) kernel, once built.</summary>
    public Tensor Kernel { get; private set; } = null!;

    /// <summary>The (filters) bias, once built (null without bias).</summary>
    public Tensor? Bias { get; private set; }

    private string Who => $"Layer '{Name}' (Conv2DTranspose)";

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        ImageInput.Check(this, inputShape);
        int channels = inputShape[3];
        Kernel = AddWeight("kernel", new Shape(KernelSize.Height, KernelSize.Width, Filters, channels), KernelInitializer, regularizer: KernelRegularizer);
        if (UseBias) Bias = AddWeight("bias", new Shape(Filters), BiasInitializer, regularizer: BiasRegularizer);
        InputSpec = new InputSpec(rank: 4, axes: new Dictionary<int, int> { [-1] = channels }, expectedShape: new Shape(-1, -1, -1, channels));
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        bool fuseRelu = ReferenceEquals(Activation, Activations.Relu);
        var y = Tensor.Conv2DTranspose(input, Kernel, Bias, Strides, _padding, OutputPadding, DilationRate, fuseRelu, Who);
        return fuseRelu ? y : Activation.Apply(y);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        ImageInput.RequireRank4(this, s);
        return [new Shape(s[0],
            ConvGeometry.TransposeOutputLength(s[1], KernelSize.Height, Strides.Height, DilationRate.Height, _padding, OutputPadding?.Height),
            ConvGeometry.TransposeOutputLength(s[2], KernelSize.Width, Strides.Width, DilationRate.Width, _padding, OutputPadding?.Width),
            Filters)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Conv2DTranspose FromConfig(LayerConfig c) => new Conv2DTranspose(c.GetInt("filters"), c.GetSize2("kernel_size", null), c.GetSize2("strides", 1), c.GetPadding(),
        c.Has("output_padding") ? c.GetSize2("output_padding", null) : null, c.GetSize2("dilation_rate", 1), c.GetActivation("activation"),
        c.GetBool("use_bias", true), c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.ChannelsLastName(),
        c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["filters"] = Filters;
        c["kernel_size"] = KernelSize.ToArray();
        c["strides"] = Strides.ToArray();
        c["padding"] = Padding;
        c["output_padding"] = OutputPadding?.ToArray();
        c["data_format"] = "channels_last";
        c["dilation_rate"] = DilationRate.ToArray();
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
