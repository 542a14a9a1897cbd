using Praxis.Initializers;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// 2-D convolution over channels-last images (Keras <c>Conv2D</c>): input (batch, height, width, channels), kernel
/// (kernel_height, kernel_width, channels, filters), output (batch, new_height, new_width, filters) with
/// new_height = ⌊(height − (kernel_height − 1)·dilation − 1)/stride⌋ + 1 for "valid" padding and ⌈height/stride⌉ for
/// "same" (likewise for the width). Defaults match Keras: strides 1, "valid", dilation 1, no activation, bias on,
/// Glorot-uniform kernel, zero bias. A ReLU activation is fused into the convolution.
/// </summary>
/// <remarks>Unlike Keras, strides and dilation greater than 1 may be combined.</remarks>
public class Conv2D : Conv2DLayer
{
    /// <summary>Creates the layer.</summary>
    /// <param name="filters">Number of output channels.</param>
    /// <param name="kernelSize">Kernel height and width: <c>3</c> or <c>(3, 5)</c>.</param>
    /// <param name="strides">Strides (default 1).</param>
    /// <param name="padding"><c>"valid"</c> (default) or <c>"same"</c>.</param>
    /// <param name="dilationRate">Dilation rate (default 1).</param>
    /// <param name="activation">A Keras activation name or null for linear.</param>
    /// <param name="useBias">Whether to add a bias (default true).</param>
    /// <param name="kernelInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>conv2d</c>, <c>conv2d_1</c>, …).</param>
    /// <param name="kernelRegularizer">Penalty on the kernel (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="biasRegularizer">Penalty on the bias.</param>
    /// <param name="activityRegularizer">Penalty on the output.</param>
    public Conv2D(int filters, Size2 kernelSize, Size2? strides = null, string padding = "valid", Size2? dilationRate = null,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        string? name = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null)
        : base(kernelSize, strides, padding, dilationRate, activation, useBias, biasInitializer, name)
    {
        BiasRegularizer = biasRegularizer;
        ActivityRegularizer = activityRegularizer;
        KernelRegularizer = kernelRegularizer;
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), $"Conv2D needs a positive number of filters; got {filters}.");
        Filters = filters;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
    }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The (kernel_height, kernel_width, in_channels, filters) kernel, once built.</summary>
    public Tensor Kernel { get; private set; } = null!;

    /// <inheritdoc />
    protected override int OutputChannels(int inputChannels) => Filters;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        int channels = CheckBuildInput(inputShape);
        Kernel = AddWeight("kernel", new Shape(KernelSize.Height, KernelSize.Width, channels, Filters), KernelInitializer, regularizer: KernelRegularizer);
        AddBias(Filters);
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        bool fuseRelu = FusesRelu;
        return Activate(Tensor.Conv2D(input, Kernel, Bias, Strides, PaddingMode, DilationRate, fuseRelu, Who), fuseRelu);
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Conv2D FromConfig(LayerConfig c) => new Conv2D(c.GetInt("filters"), c.GetSize2("kernel_size", null), c.GetSize2("strides", 1), c.GetPadding(),
        c.GetSize2("dilation_rate", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
        c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.ChannelsLastName(),
        c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["filters"] = Filters;
        AddWindowConfig(c);
        c["kernel_initializer"] = KernelInitializer.ToConfigValue();
        AddRegularizerConfig(c, "kernel_regularizer", KernelRegularizer);
        return c;
    }
}

/// <summary>Checks shared by the image layers: rank 4, channels last, channels known.</summary>
internal static class ImageInput
{
    /// <summary>Throws a clear error for anything but a (batch, height, width, channels) input.</summary>
    public static void RequireRank4(Layer layer, Shape shape)
    {
        if (shape.Rank == 4) return;
        string hint = shape.Rank == 3
            ? $" For single-channel images add a channels axis: shape {new Shape(shape[0], shape[1], shape[2], 1)}, e.g. Input(shape: [{shape[1]}, {shape[2]}, 1]) and x.Reshape(-1, {shape[1]}, {shape[2]}, 1)."
            : "";
        throw new ShapeMismatchException($"Layer '{layer.Name}' ({layer.GetType().Name}) expects a 4-D input (batch, height, width, channels), channels last; got shape {shape}.{hint}");
    }

    /// <summary>
    /// <see cref="RequireRank4"/>, a known channel count, and a guard against channels-first data: a square image of
    /// side ≥ 8 with 1, 3 or 4 "rows" (e.g. (None, 1, 28, 28) or (None, 3, 32, 32)) is almost certainly (N, C, H, W).
    /// </summary>
    public static void Check(Layer layer, Shape shape)
    {
        RequireRank4(layer, shape);
        if (shape[3] <= 0)
            throw new ShapeMismatchException($"Layer '{layer.Name}' ({layer.GetType().Name}) needs a known number of channels (last axis); got input shape {shape}.");
        if (shape[1] is 1 or 3 or 4 && shape[2] >= 8 && shape[2] == shape[3])
            throw new ShapeMismatchException(
                $"Layer '{layer.Name}' ({layer.GetType().Name}) got input shape {shape}, which looks channels-first (batch, channels, height, width). " +
                $"Praxis, like Keras by default, is channels-last: reorder the data to (batch, height, width, channels), here {new Shape(shape[0], shape[2], shape[3], shape[1])}.");
    }
}
