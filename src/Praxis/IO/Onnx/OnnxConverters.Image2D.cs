using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// Converters for the image layers of the Keras-coverage work. Depthwise convolution is an ONNX Conv with one group
/// per input channel (weights (C·M, 1, kH, kW), output channel c·M + m as Keras orders them); a separable convolution
/// is that Conv followed by a 1 × 1 Conv. Padding and cropping are Pad and Slice on the NHWC tensor; Resizing is
/// Resize with <c>half_pixel</c> coordinates (nearest: <c>round_prefer_ceil</c>, which is TensorFlow's ⌊(o + ½)·in/out⌋);
/// GroupNormalization is ONNX's own op from opset 21 (where its scale and bias became per channel, as Keras'), and
/// below that a Reshape to (N, G, −1) + InstanceNormalization + per-channel scale and shift; spatial dropout is the
/// identity, as in every inference graph.
/// </summary>
internal static partial class OnnxConverters
{
    private static void RegisterImage2DLayers()
    {
        OnnxExporter.Register<DepthwiseConv2D>(DepthwiseConv2D);
        OnnxExporter.Register<SeparableConv2D>(SeparableConv2D);
        OnnxExporter.Register<ZeroPadding2D>((l, c) =>
        {
            var (h, w) = l.Padding;
            return [c.Graph.Node("Pad", [c.Inputs[0], c.Graph.ConstantInt64($"{l.Name}/pads", 0, h.Top, w.Left, 0, 0, h.Bottom, w.Right, 0)], l.Name)];
        });
        OnnxExporter.Register<Cropping2D>((l, c) => [Crop(c.Graph, c.Inputs[0], l.Name, l.Cropping.Height.Top, l.Cropping.Height.Bottom, l.Cropping.Width.Left, l.Cropping.Width.Right)]);
        OnnxExporter.Register<SpatialDropout1D>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<SpatialDropout2D>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<GroupNormalization>(GroupNormalization);
        OnnxExporter.Register<Resizing>(Resizing);
        OnnxExporter.Register<CenterCrop>(CenterCrop);
    }

    /// <summary>Removes rows (top, bottom) and columns (left, right) of an NHWC tensor; an end of 0 keeps to the last.</summary>
    private static string Crop(OnnxGraph g, string x, string name, long top, long bottom, long left, long right) =>
        g.Node("Slice", [x, g.ConstantInt64($"{name}/starts", top, left),
            g.ConstantInt64($"{name}/ends", bottom > 0 ? -bottom : long.MaxValue, right > 0 ? -right : long.MaxValue), g.ConstantInt64($"{name}/axes", 1, 2)], name);

    /// <summary>The depthwise Conv (NCHW in and out): group = C, the kernel (kH, kW, C, M) viewed as (kH, kW, 1, C·M).</summary>
    private static string DepthwiseConv(OnnxGraph g, string xNchw, Tensor kernel, Tensor? bias, Conv2DLayer l, Shape input, string name)
    {
        int kh = kernel.Shape[0], kw = kernel.Shape[1], ch = kernel.Shape[2], m = kernel.Shape[3];
        var inputs = new List<string> { xNchw, KernelOihw(g, kernel.Reshape(kh, kw, 1, ch * m), name + "/depthwise") };
        if (bias != null) inputs.Add(g.Weight(bias));
        return g.Node("Conv", inputs.ToArray(), name,
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", l.Strides.Height, l.Strides.Width),
            OnnxAttribute.Ints("dilations", l.DilationRate.Height, l.DilationRate.Width),
            OnnxAttribute.Int("group", ch),
            PadAttribute(input, l.Padding, l.KernelSize, l.Strides, l.DilationRate));
    }

    private static string[] DepthwiseConv2D(DepthwiseConv2D l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var y = DepthwiseConv(g, Transpose(g, c.Inputs[0], ToNchw, l.Name), l.Kernel, l.Bias, l, c.InputShapes[0], l.Name);
        return [g.Activation(l.Activation, Transpose(g, y, ToNhwc, l.Name), l.Name)];
    }

    private static string[] SeparableConv2D(SeparableConv2D l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var d = DepthwiseConv(g, Transpose(g, c.Inputs[0], ToNchw, l.Name), l.DepthwiseKernel, null, l, c.InputShapes[0], l.Name);
        var inputs = new List<string> { d, KernelOihw(g, l.PointwiseKernel, l.Name + "/pointwise") }; // (1, 1, C·M, F) → (F, C·M, 1, 1)
        if (l.Bias != null) inputs.Add(g.Weight(l.Bias));
        var y = g.Node("Conv", inputs.ToArray(), l.Name, OnnxAttribute.Ints("kernel_shape", 1, 1));
        return [g.Activation(l.Activation, Transpose(g, y, ToNhwc, l.Name), l.Name)];
    }

    /// <summary>Channels moved to axis 1 (any rank), normalised per group, scaled and shifted per channel, moved back.</summary>
    private static string[] GroupNormalization(GroupNormalization l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var s = c.InputShapes[0];
        int rank = s.Rank, channels = s[rank - 1];
        int groups = l.Groups == -1 ? channels : l.Groups;
        var perm = new long[rank];
        var back = new long[rank];
        perm[0] = 0;
        perm[1] = rank - 1;
        for (int i = 2; i < rank; i++) perm[i] = i - 1;
        for (int i = 0; i < rank; i++) back[perm[i]] = i;
        string x = rank > 2 ? Transpose(g, c.Inputs[0], perm, l.Name) : c.Inputs[0];
        string gamma = l.Gamma != null ? g.Weight(l.Gamma) : g.Constant($"{l.Name}/ones", Enumerable.Repeat(1f, channels).ToArray(), channels);
        string beta = l.Beta != null ? g.Weight(l.Beta) : g.Constant($"{l.Name}/zeros", new float[channels], channels);
        string y;
        if (g.Opset >= 21 && rank > 2)
            y = g.Node("GroupNormalization", [x, gamma, beta], l.Name, OnnxAttribute.Float("epsilon", l.Epsilon), OnnxAttribute.Int("num_groups", groups));
        else
        {
            // Opsets 18–20 define GroupNormalization with per-group scale and bias (not Keras' per channel), so decompose.
            var grouped = g.Node("Reshape", [x, g.ConstantInt64($"{l.Name}/grouped", 0, groups, -1)], l.Name);
            var normed = g.Node("InstanceNormalization", [grouped, g.Constant($"{l.Name}/group_ones", Enumerable.Repeat(1f, groups).ToArray(), groups),
                g.Constant($"{l.Name}/group_zeros", new float[groups], groups)], l.Name, OnnxAttribute.Float("epsilon", l.Epsilon));
            var restored = g.Node("Reshape", [normed, g.Node("Shape", [x], l.Name)], l.Name);
            var dims = new long[rank - 1];
            Array.Fill(dims, 1L);
            dims[0] = channels;
            var gammaB = g.Node("Reshape", [gamma, g.ConstantInt64($"{l.Name}/per_channel", dims)], l.Name);
            var betaB = g.Node("Reshape", [beta, g.ConstantInt64($"{l.Name}/per_channel_beta", dims)], l.Name);
            y = g.Node("Add", [g.Node("Mul", [restored, gammaB], l.Name), betaB], l.Name);
        }
        return [rank > 2 ? Transpose(g, y, back, l.Name) : y];
    }

    /// <summary>Resize of the NHWC tensor to (N, height, width, C), the batch and channels read from the input's shape.</summary>
    private static string ResizeTo(OnnxGraph g, string x, int height, int width, bool nearest, string name)
    {
        var shape = g.Node("Shape", [x], name);
        var n = g.Node("Slice", [shape, g.ConstantInt64($"{name}/n0", 0), g.ConstantInt64($"{name}/n1", 1)], name);
        var ch = g.Node("Slice", [shape, g.ConstantInt64($"{name}/c0", 3), g.ConstantInt64($"{name}/c1", 4)], name);
        var sizes = g.Node("Concat", [n, g.ConstantInt64($"{name}/hw", height, width), ch], name, OnnxAttribute.Int("axis", 0));
        var attrs = nearest
            ? new[] { OnnxAttribute.String("mode", "nearest"), OnnxAttribute.String("coordinate_transformation_mode", "half_pixel"), OnnxAttribute.String("nearest_mode", "round_prefer_ceil") }
            : new[] { OnnxAttribute.String("mode", "linear"), OnnxAttribute.String("coordinate_transformation_mode", "half_pixel") };
        return g.Node("Resize", [x, "", "", sizes], name, attrs);
    }

    private static (int H, int W) KnownSize(Shape s, string who)
    {
        if (s[1] < 0 || s[2] < 0) throw new NotSupportedException($"{who}: ONNX export needs a known input height and width here; got {s}.");
        return (s[1], s[2]);
    }

    private static string AspectCrop(OnnxGraph g, string x, Shape s, int th, int tw, string who, string name)
    {
        var (h, w) = KnownSize(s, who);
        var (top, left, ch, cw) = AspectRatio.CropBox(h, w, th, tw);
        return ch == h && cw == w ? x : Crop(g, x, name, top, h - top - ch, left, w - left - cw);
    }

    private static string[] Resizing(Resizing l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string who = $"Layer '{l.Name}' (Resizing)";
        string x = c.Inputs[0];
        if (l.CropToAspectRatio) x = AspectCrop(g, x, c.InputShapes[0], l.Height, l.Width, who, l.Name);
        else if (l.PadToAspectRatio)
        {
            var (h, w) = KnownSize(c.InputShapes[0], who);
            var (rows, cols) = AspectRatio.PadSides(h, w, l.Height, l.Width);
            if (rows > 0 || cols > 0)
                x = g.Node("Pad", [x, g.ConstantInt64($"{l.Name}/pads", 0, rows, cols, 0, 0, rows, cols, 0), g.Scalar($"{l.Name}/fill_value", l.FillValue)], l.Name);
        }
        return [ResizeTo(g, x, l.Height, l.Width, l.Interpolation == "nearest", l.Name)];
    }

    private static string[] CenterCrop(CenterCrop l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string who = $"Layer '{l.Name}' (CenterCrop)";
        var (h, w) = KnownSize(c.InputShapes[0], who);
        if (h < l.Height || w < l.Width)
            return [ResizeTo(g, AspectCrop(g, c.Inputs[0], c.InputShapes[0], l.Height, l.Width, who, l.Name), l.Height, l.Width, nearest: false, l.Name)];
        int top = (h - l.Height) / 2, left = (w - l.Width) / 2;
        return [Crop(g, c.Inputs[0], l.Name, top, h - top - l.Height, left, w - left - l.Width)];
    }
}
