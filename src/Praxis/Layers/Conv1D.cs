using Praxis.Initializers;
using Praxis.Kernels;
using Praxis.Regularizers;

namespace Praxis.Layers;

/// <summary>
/// 1-D convolution over channels-last sequences (Keras <c>Conv1D</c>): input (batch, steps, channels), kernel
/// (kernel_size, channels / groups, filters), output (batch, new_steps, filters) with new_steps =
/// ⌊(steps − (kernel_size − 1)·dilation − 1)/stride⌋ + 1 for "valid", ⌈steps/stride⌉ for "same", and for "causal"
/// (zeros ahead of the sequence, so output t sees inputs up to t only, as in WaveNet) ⌊(steps − 1)/stride⌋ + 1.
/// Defaults match Keras: strides 1, "valid", dilation 1, groups 1, no activation, bias on, Glorot-uniform kernel, zero bias.
/// </summary>
/// <remarks>
/// Computed as a Conv2D of height 1 (the same im2col + GEMM kernels, a fused ReLU); with groups &gt; 1, one such
/// convolution per group over its slice of channels and filters, concatenated. Unlike Keras, strides and dilation
/// greater than 1 may be combined.
/// </remarks>
public class Conv1D : ConvLayer
{
    private readonly Conv1DPadding.Mode _padding;

    /// <summary>Creates the layer.</summary>
    /// <param name="filters">Number of output channels.</param>
    /// <param name="kernelSize">Width of the convolution window.</param>
    /// <param name="strides">Stride (default 1).</param>
    /// <param name="padding"><c>"valid"</c> (default), <c>"same"</c> or <c>"causal"</c>.</param>
    /// <param name="dilationRate">Dilation rate (default 1).</param>
    /// <param name="groups">Channel groups (default 1): channels and filters must both be divisible by it.</param>
    /// <param name="activation">A Keras activation name or null for linear.</param>
    /// <param name="useBias">Whether to add a bias (default true).</param>
    /// <param name="kernelInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>conv1d</c>, <c>conv1d_1</c>, …).</param>
    /// <param name="kernelRegularizer">Penalty on the kernel (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="biasRegularizer">Penalty on the bias.</param>
    /// <param name="activityRegularizer">Penalty on the output.</param>
    public Conv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", int dilationRate = 1, int groups = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        string? name = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null)
        : base(activation, useBias, biasInitializer, name)
    {
        BiasRegularizer = biasRegularizer;
        ActivityRegularizer = activityRegularizer;
        KernelRegularizer = kernelRegularizer;
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), $"Layer '{Name}' (Conv1D) needs a positive number of filters; got {filters}.");
        if (kernelSize <= 0 || strides <= 0 || dilationRate <= 0 || groups <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize),
                $"Layer '{Name}' (Conv1D): kernel_size, strides, dilation_rate and groups must be positive; got {kernelSize}, {strides}, {dilationRate}, {groups}.");
        if (filters % groups != 0)
            throw new ArgumentException($"Layer '{Name}' (Conv1D): filters ({filters}) must be divisible by groups ({groups}).");
        Filters = filters;
        KernelSize = kernelSize;
        Strides = strides;
        (_padding, Padding) = Conv1DPadding.Parse(padding, $"Layer '{Name}' (Conv1D)");
        DilationRate = dilationRate;
        Groups = groups;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
    }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }

    /// <summary>Window width.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Strides { get; }

    /// <summary><c>"valid"</c>, <c>"same"</c> or <c>"causal"</c>.</summary>
    public string Padding { get; }

    /// <summary>Dilation rate.</summary>
    public int DilationRate { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>The kernel initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The (kernel_size, channels / groups, filters) kernel, once built.</summary>
    public Tensor Kernel { get; private set; } = null!;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        SequenceInput.Check(this, inputShape);
        int channels = inputShape[2];
        if (channels % Groups != 0)
            throw new ShapeMismatchException($"{Who}: the input has {channels} channels (shape {inputShape}), which is not divisible by groups = {Groups}.");
        ComputeOutputShapes([inputShape]); // rejects a kernel longer than a known input
        Kernel = AddWeight("kernel", new Shape(KernelSize, channels / Groups, Filters), KernelInitializer, regularizer: KernelRegularizer);
        AddBias(Filters);
        InputSpec = new InputSpec(rank: 3, axes: new Dictionary<int, int> { [-1] = channels }, expectedShape: new Shape(-1, -1, channels));
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        bool fuseRelu = FusesRelu;
        var x = input;
        var pad = _padding == Conv1DPadding.Mode.Same ? Kernels.Padding.Same : Kernels.Padding.Valid;
        if (_padding == Conv1DPadding.Mode.Causal) x = x.Pad(1, (KernelSize - 1) * DilationRate, 0);
        int n = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        if (t < (KernelSize - 1) * DilationRate + 1 && pad == Kernels.Padding.Valid)
            ConvGeometry.OutputLength(Who, "length", t, KernelSize, Strides, DilationRate, pad); // throws, naming the layer
        var x4 = x.Reshape(n, 1, t, c);
        int cg = Kernel.Shape[1], f = Filters, fg = f / Groups;
        var k4 = Kernel.Reshape(1, KernelSize, cg, f);
        Tensor y;
        if (Groups == 1) y = Tensor.Conv2D(x4, k4, Bias, (1, Strides), pad, (1, DilationRate), fuseRelu, Who);
        else
        {
            var parts = new Tensor[Groups];
            for (int g = 0; g < Groups; g++)
                parts[g] = Tensor.Conv2D(x4.Slice(3, g * cg, cg), k4.Slice(3, g * fg, fg), Bias?.Slice(0, g * fg, fg), (1, Strides), pad, (1, DilationRate), fuseRelu, Who);
            y = Tensor.Concat(parts, -1);
        }
        y = y.Reshape(n, y.Shape[2], f);
        return Activate(y, fuseRelu);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        SequenceInput.RequireRank3(this, s);
        return [new Shape(s[0], Conv1DPadding.OutputLengthOrUnknown(Who, s[1], KernelSize, Strides, DilationRate, _padding), Filters)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Conv1D FromConfig(LayerConfig c) => new Conv1D(c.GetInt("filters"), c.GetInt1("kernel_size", null), c.GetInt1("strides", 1), c.GetPadding1D(causal: true),
        c.GetInt1("dilation_rate", 1), c.GetInt("groups", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
        c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.ChannelsLastName(),
        c.GetRegularizer("kernel_regularizer"), c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["filters"] = Filters;
        c["kernel_size"] = new[] { KernelSize };
        c["strides"] = new[] { Strides };
        c["padding"] = Padding;
        c["dilation_rate"] = new[] { DilationRate };
        AddSharedConfig(c);
        c["groups"] = Groups;
        c["kernel_initializer"] = KernelInitializer.ToConfigValue();
        AddRegularizerConfig(c, "kernel_regularizer", KernelRegularizer);
        return c;
    }
}

/// <summary>
/// Depthwise-separable 1-D convolution (Keras <c>SeparableConv1D</c>): each input channel is convolved on its own with
/// depth_multiplier kernels (depthwise kernel (kernel_size, channels, depth_multiplier)), then a pointwise (1 × 1)
/// convolution (kernel (1, channels · depth_multiplier, filters)) mixes the channels, then the bias and activation.
/// Defaults as Keras: strides 1, "valid", dilation 1, depth_multiplier 1, bias on, Glorot-uniform kernels.
/// </summary>
public class SeparableConv1D : ConvLayer
{
    private readonly Conv1DPadding.Mode _padding;

    /// <summary>Creates the layer.</summary>
    /// <param name="filters">Number of output channels.</param>
    /// <param name="kernelSize">Width of the depthwise window.</param>
    /// <param name="strides">Stride (default 1).</param>
    /// <param name="padding"><c>"valid"</c> (default), <c>"same"</c> or <c>"causal"</c>.</param>
    /// <param name="dilationRate">Dilation rate (default 1).</param>
    /// <param name="depthMultiplier">Depthwise outputs per input channel (default 1).</param>
    /// <param name="activation">A Keras activation name or null for linear.</param>
    /// <param name="useBias">Whether to add a bias (default true).</param>
    /// <param name="depthwiseInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="pointwiseInitializer">Default <c>glorot_uniform</c>.</param>
    /// <param name="biasInitializer">Default <c>zeros</c>.</param>
    /// <param name="name">Layer name; generated when null (<c>separable_conv1d</c>, …).</param>
    /// <param name="depthwiseRegularizer">Penalty on the depthwise kernel (<c>"l2"</c>, <c>new L1(1e-4f)</c>, …), added to the loss.</param>
    /// <param name="pointwiseRegularizer">Penalty on the pointwise kernel.</param>
    /// <param name="biasRegularizer">Penalty on the bias.</param>
    /// <param name="activityRegularizer">Penalty on the output.</param>
    public SeparableConv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", int dilationRate = 1, int depthMultiplier = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null, Initializer? pointwiseInitializer = null,
        Initializer? biasInitializer = null, string? name = null, Regularizer? depthwiseRegularizer = null, Regularizer? pointwiseRegularizer = null,
        Regularizer? biasRegularizer = null, Regularizer? activityRegularizer = null) : base(activation, useBias, biasInitializer, name)
    {
        BiasRegularizer = biasRegularizer;
        ActivityRegularizer = activityRegularizer;
        DepthwiseRegularizer = depthwiseRegularizer;
        PointwiseRegularizer = pointwiseRegularizer;
        if (filters <= 0 || kernelSize <= 0 || strides <= 0 || dilationRate <= 0 || depthMultiplier <= 0)
            throw new ArgumentOutOfRangeException(nameof(filters),
                $"Layer '{Name}' (SeparableConv1D): filters, kernel_size, strides, dilation_rate and depth_multiplier must be positive; got {filters}, {kernelSize}, {strides}, {dilationRate}, {depthMultiplier}.");
        Filters = filters;
        KernelSize = kernelSize;
        Strides = strides;
        (_padding, Padding) = Conv1DPadding.Parse(padding, $"Layer '{Name}' (SeparableConv1D)");
        DilationRate = dilationRate;
        DepthMultiplier = depthMultiplier;
        DepthwiseInitializer = depthwiseInitializer ?? new GlorotUniform();
        PointwiseInitializer = pointwiseInitializer ?? new GlorotUniform();
    }

    /// <summary>Number of output channels.</summary>
    public int Filters { get; }

    /// <summary>Depthwise window width.</summary>
    public int KernelSize { get; }

    /// <summary>Stride.</summary>
    public int Strides { get; }

    /// <summary><c>"valid"</c>, <c>"same"</c> or <c>"causal"</c>.</summary>
    public string Padding { get; }

    /// <summary>Dilation rate.</summary>
    public int DilationRate { get; }

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

    /// <summary>The (kernel_size, channels, depth_multiplier) depthwise kernel, once built.</summary>
    public Tensor DepthwiseKernel { get; private set; } = null!;

    /// <summary>The (1, channels · depth_multiplier, filters) pointwise kernel, once built.</summary>
    public Tensor PointwiseKernel { get; private set; } = null!;

    /// <inheritdoc />
    public override void Build(Shape inputShape)
    {
        SequenceInput.Check(this, inputShape);
        int channels = inputShape[2];
        ComputeOutputShapes([inputShape]);
        DepthwiseKernel = AddWeight("depthwise_kernel", new Shape(KernelSize, channels, DepthMultiplier), DepthwiseInitializer, regularizer: DepthwiseRegularizer);
        PointwiseKernel = AddWeight("pointwise_kernel", new Shape(1, channels * DepthMultiplier, Filters), PointwiseInitializer, regularizer: PointwiseRegularizer);
        AddBias(Filters);
        InputSpec = new InputSpec(rank: 3, axes: new Dictionary<int, int> { [-1] = channels }, expectedShape: new Shape(-1, -1, channels));
        Built = true;
    }

    /// <inheritdoc />
    public override Tensor Call(Tensor input, bool training)
    {
        var d = Tensor.DepthwiseConv1D(input, DepthwiseKernel, Strides, _padding, DilationRate, Who);
        bool fuseRelu = FusesRelu;
        var w = PointwiseKernel.Reshape(PointwiseKernel.Shape[1], Filters);
        var y = Tensor.Linear(d, w, Bias, fuseRelu);
        return Activate(y, fuseRelu);
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes)
    {
        var s = inputShapes[0];
        SequenceInput.RequireRank3(this, s);
        return [new Shape(s[0], Conv1DPadding.OutputLengthOrUnknown(Who, s[1], KernelSize, Strides, DilationRate, _padding), Filters)];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static SeparableConv1D FromConfig(LayerConfig c) => new SeparableConv1D(c.GetInt("filters"), c.GetInt1("kernel_size", null), c.GetInt1("strides", 1), c.GetPadding1D(causal: true),
        c.GetInt1("dilation_rate", 1), c.GetInt("depth_multiplier", 1), c.GetActivation("activation"), c.GetBool("use_bias", true),
        c.GetInitializer("depthwise_initializer", "glorot_uniform"), c.GetInitializer("pointwise_initializer", "glorot_uniform"),
        c.GetInitializer("bias_initializer", "zeros"), c.ChannelsLastName(), c.GetRegularizer("depthwise_regularizer"), c.GetRegularizer("pointwise_regularizer"),
        c.GetRegularizer("bias_regularizer"), c.GetRegularizer("activity_regularizer"));

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["filters"] = Filters;
        c["kernel_size"] = new[] { KernelSize };
        c["strides"] = new[] { Strides };
        c["padding"] = Padding;
        c["dilation_rate"] = new[] { DilationRate };
        AddSharedConfig(c);
        c["depth_multiplier"] = DepthMultiplier;
        c["depthwise_initializer"] = DepthwiseInitializer.ToConfigValue();
        c["pointwise_initializer"] = PointwiseInitializer.ToConfigValue();
        AddRegularizerConfig(c, "depthwise_regularizer", DepthwiseRegularizer);
        AddRegularizerConfig(c, "pointwise_regularizer", PointwiseRegularizer);
        return c;
    }
}

/// <summary>Checks shared by the 1-D layers: rank 3 (batch, steps, channels), channels last.</summary>
internal static class SequenceInput
{
    /// <summary>Throws a clear error for anything but a (batch, steps, channels) input.</summary>
    public static void RequireRank3(Layer layer, Shape shape)
    {
        if (shape.Rank == 3) return;
        string hint = shape.Rank == 2
            ? $" For a single feature per step add a channels axis: shape {new Shape(shape[0], shape[1], 1)}, e.g. Input(shape: [{shape[1]}, 1]) and x.Reshape(-1, {shape[1]}, 1)."
            : "";
        throw new ShapeMismatchException($"Layer '{layer.Name}' ({layer.GetType().Name}) expects a 3-D input (batch, steps, channels), channels last; got shape {shape}.{hint}");
    }

    /// <summary><see cref="RequireRank3"/> and a known channel count.</summary>
    public static void Check(Layer layer, Shape shape)
    {
        RequireRank3(layer, shape);
        if (shape[2] <= 0)
            throw new ShapeMismatchException($"Layer '{layer.Name}' ({layer.GetType().Name}) needs a known number of channels (last axis); got input shape {shape}.");
    }
}
