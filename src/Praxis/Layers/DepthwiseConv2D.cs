using Praxis.Initializers;
using Praxis.Regularizers;
using Praxis.IO;

namespace Praxis.Layers;

/// <summary>
/// Depthwise 2-D convolution (Keras <c>DepthwiseConv2D</c>): each input channel is convolved on its own with
/// depth_multiplier kernels; input (batch, height, width, channels), kernel (kernel_height, kernel_width, channels,
/// depth_multiplier), output (batch, new_height, new_width, channels · depth_multiplier), output channel c·M + m from
/// input channel c. Output sizes as <see cref="Conv2D"/>. Defaults as Keras: strides 1, "valid", depth_multiplier 1,
/// dilation 1, no activation, bias on, Glorot-uniform kernel, zero bias.
/// </summary>
/// <remarks>The kernel is saved as <c>kernel</c>, Keras 3's name. Unlike Keras, strides and dilation greater than 1 may be combined.</remarks>
public class DepthwiseConv2D : Conv2DLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">Kernel height and width: <c>3</c> or <c>(3, 5)</c>.</param>
    /// <param name="strides">Strides (default 1).</param>
    /// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
    /// <param name="depthMultiplier">Outputs per input channel (default 1).</param>
    /// <param name="dilationRate">Dilation rate (default 1).</param>
    /// <param name="activation">A Keras activation name or null for linear.</param>
    /// <param name="useBias">Whether to add a bias (default true).</param>
    /// <param name="depthwiseInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>depthwise_conv2d</c>, …).</param>
    /// <param name="depthwiseRegularizer">Penalty on the depthwise kernel (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="biasRegularizer">Penalty on the bias.</param>
    /// <param name="activityRegularizer">Penalty on the output.</param>
    public DepthwiseConv2D(Size2 kernelSize, Size2? strides = null, string padding = "valid", int depthMultiplier = 1, Size2? dilationRate = null,
        ActivationFunction? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null, Initializer? biasInitializer = null,
        string? name = null, Regularizer? depthwiseRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null)
        : base(kernelSize, strides, padding, dilationRate, activation, useBias, biasInitializer, name)
    {
        BiasRegularizer = biasRegularizer;
        ActivityRegularizer = activityRegularizer;
        DepthwiseRegularizer = depthwiseRegularizer;
        if (depthMultiplier <= 0) throw new ArgumentOutOfRangeException(nameof(depthMultiplier), $"{Who}: depth_multiplier must be positive; got {depthMultiplier}.");
        DepthMultiplier = depthMultiplier;
        DepthwiseInitializer = depthwiseInitializer ?? new GlorotUniform();
    }

    /// <summary>Outputs per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <summary>The kernel initializer.</summary>
    public Initializer DepthwiseInitializer { get; }

    /// <summary>The kernel's penalty (Keras <c>depthwise_regularizer</c>), if any.</summary>
    public Regularizer? DepthwiseRegularizer { get; }

    /// <summary>The (kernel_height, kernel_width, channels, depth_multiplier) kernel, once built.</summary>
    public Tensor Kernel { get; private set; } = null!;

    /// <summary>Rebuilds the layer from its saved config (Keras' keys and defaults).</summary>
    public static DepthwiseConv2D FromConfig(LayerConfig c) => new(c.GetSize2("kernel_size", null), c.GetSize2("strides", 1),
        c.GetPadding(), c.GetInt("depth_multiplier", 1), c.GetSize2("dilation_rate", 1), c.GetActivation("activation"),
        c.GetBool("use_bias", true), c.GetInitializer("depthwise_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"),
        c.ChannelsLastName(), c.GetRegularizer("depthwise_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    protected override int OutputChannels(int inputChannels) => inputChannels < 0 ? -1 : inputChannels * DepthMultiplier;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        int channels = CheckBuildInput(inputShape);
        Kernel = AddWeight("kernel", new Shape(KernelSize.Height, KernelSize.Width, channels, DepthMultiplier), DepthwiseInitializer, regularizer: DepthwiseRegularizer);
        AddBias(channels * DepthMultiplier);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training) =>
        Activate(Tensor.DepthwiseConv2D(input, Kernel, Bias, Strides, PaddingMode, DilationRate, Who), reluFused: false);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        AddWindowConfig(c);
        c["depth_multiplier"] = DepthMultiplier;
        c["depthwise_initializer"] = DepthwiseInitializer.ToConfigValue();
        AddRegularizerConfig(c, "depthwise_regularizer", DepthwiseRegularizer);
        return c;
    }
}

/// <summary>
/// Depthwise-separable 2-D convolution (Keras <c>SeparableConv2D</c>): a depthwise convolution (kernel (kernel_height,
/// kernel_width, channels, depth_multiplier), as <see cref="DepthwiseConv2D"/> without bias), then a pointwise 1 × 1
/// convolution (kernel (1, 1, channels · depth_multiplier, filters)) that mixes the channels, then the bias and
/// activation. Parameters: kh·kw·C·M + C·M·F + F, as Keras counts them. Defaults as Keras.
/// </summary>
public class SeparableConv2D : Conv2DLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="filters">Number of output channels.</param>
    /// <param name="kernelSize">Depthwise kernel height and width.</param>
    /// <param name="strides">Strides (default 1).</param>
    /// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
    /// <param name="dilationRate">Dilation rate (default 1).</param>
    /// <param name="depthMultiplier">Depthwise outputs per input channel (default 1).</param>
    /// <param name="activation">A Keras activation name or null for linear.</param>
    /// <param name="useBias">Whether to add a bias (default true).</param>
    /// <param name="depthwiseInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="pointwiseInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>separable_conv2d</c>, …).</param>
    /// <param name="depthwiseRegularizer">Penalty on the depthwise kernel (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="pointwiseRegularizer">Penalty on the pointwise kernel.</param>
    /// <param name="biasRegularizer">Penalty on the bias.</param>
    /// <param name="activityRegularizer">Penalty on the output.</param>
    public SeparableConv2D(int filters, Size2 kernelSize, Size2? strides = null, string padding = "valid", Size2? dilationRate = null, int depthMultiplier = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null, Initializer? pointwiseInitializer = null,
        Initializer? biasInitializer = null, string? name = null, Regularizer? depthwiseRegularizer = null, Regularizer? pointwiseRegularizer = null,
        Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null)
        : base(kernelSize, strides, padding, dilationRate, activation, useBias, biasInitializer, name)
    {
        BiasRegularizer = biasRegularizer;
        ActivityRegularizer = activityRegularizer;
        DepthwiseRegularizer = depthwiseRegularizer;
        PointwiseRegularizer = pointwiseRegularizer;
        if (filters <= 0 || depthMultiplier <= 0)
            throw new ArgumentOutOfRangeException(nameof(filters), $"{Who}: filters and depth_multiplier must be positive; got {filters} and {depthMultiplier}.");
        Filters = filters;
        DepthMultiplier = depthMultiplier;
        DepthwiseInitializer = depthwiseInitializer ?? new GlorotUniform();
        PointwiseInitializer = pointwiseInitializer ?? new GlorotUniform();
    }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }

    /// <summary>Depthwise outputs per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <summary>The depthwise kernel initializer.</summary>
    public Initializer DepthwiseInitializer { get; }

    /// <summary>The pointwise kernel initializer.</summary>
    public Initializer PointwiseInitializer { get; }

    /// <summary>The depthwise kernel's penalty, if any.</summary>
    public Regularizer? DepthwiseRegularizer { get; }

    /// <summary>The pointwise kernel's penalty, if any.</summary>
    public Regularizer? PointwiseRegularizer { get; }

    /// <summary>The (kernel_height, kernel_width, channels, depth_multiplier) depthwise kernel, once built.</summary>
    public Tensor DepthwiseKernel { get; private set; } = null!;

    /// <summary>The (1, 1, channels · depth_multiplier, filters) pointwise kernel, once built.</summary>
    public Tensor PointwiseKernel { get; private set; } = null!;

    /// <summary>Rebuilds the layer from its saved config (Keras' keys and defaults).</summary>
    public static SeparableConv2D FromConfig(LayerConfig c) => new(c.GetInt("filters"), c.GetSize2("kernel_size", null),
        c.GetSize2("strides", 1), c.GetPadding(), c.GetSize2("dilation_rate", 1), c.GetInt("depth_multiplier", 1),
        c.GetActivation("activation"), c.GetBool("use_bias", true), c.GetInitializer("depthwise_initializer", "glorot_uniform"),
        c.GetInitializer("pointwise_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.ChannelsLastName(),
        c.GetRegularizer("depthwise_regularizer"), c.GetRegularizer("pointwise_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    protected override int OutputChannels(int inputChannels) => Filters;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        int channels = CheckBuildInput(inputShape);
        DepthwiseKernel = AddWeight("depthwise_kernel", new Shape(KernelSize.Height, KernelSize.Width, channels, DepthMultiplier), DepthwiseInitializer, regularizer: DepthwiseRegularizer);
        PointwiseKernel = AddWeight("pointwise_kernel", new Shape(1, 1, channels * DepthMultiplier, Filters), PointwiseInitializer, regularizer: PointwiseRegularizer);
        AddBias(Filters);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        var d = Tensor.DepthwiseConv2D(input, DepthwiseKernel, null, Strides, PaddingMode, DilationRate, Who);
        // The 1 × 1 pointwise convolution is a dense transform of each pixel's channels: one GEMM, bias and ReLU fused.
        bool fuseRelu = FusesRelu;
        var w = PointwiseKernel.Reshape(PointwiseKernel.Shape[2], Filters);
        return Activate(Tensor.Linear(d, w, Bias, fuseRelu), fuseRelu);
    }

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["filters"] = Filters;
        AddWindowConfig(c);
        c["depth_multiplier"] = DepthMultiplier;
        c["depthwise_initializer"] = DepthwiseInitializer.ToConfigValue();
        c["pointwise_initializer"] = PointwiseInitializer.ToConfigValue();
        AddRegularizerConfig(c, "depthwise_regularizer", DepthwiseRegularizer);
        AddRegularizerConfig(c, "pointwise_regularizer", PointwiseRegularizer);
        return c;
    }
}
