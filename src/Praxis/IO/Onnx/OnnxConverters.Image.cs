using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// Converters for the image layers. Praxis tensors are channels-last (NHWC, kernels [kH, kW, C, M]); ONNX Conv,
/// ConvTranspose, pooling and BatchNormalization are channels-first (NCHW, weights [M, C, kH, kW]). Each such op is
/// wrapped in Transpose nodes (ONNX Runtime cancels adjacent pairs), and kernels are re-laid out once at export.
/// </summary>
internal static partial class OnnxConverters
{
    private static readonly long[] ToNchw = [0, 3, 1, 2];
    private static readonly long[] ToNhwc = [0, 2, 3, 1];

    private static void RegisterImageLayers()
    {
        OnnxExporter.Register<Conv2D>(Conv2D);
        OnnxExporter.Register<Conv2DTranspose>(Conv2DTranspose);
        OnnxExporter.Register<MaxPooling2D>((l, c) => [Pool(c, "MaxPool", l.Name, l.PoolSize, l.Strides, l.Padding)]);
        OnnxExporter.Register<AveragePooling2D>((l, c) => [Pool(c, "AveragePool", l.Name, l.PoolSize, l.Strides, l.Padding)]);
        OnnxExporter.Register<GlobalAveragePooling2D>((l, c) => [GlobalPool(c, "GlobalAveragePool", l.Name, l.Keepdims)]);
        OnnxExporter.Register<GlobalMaxPooling2D>((l, c) => [GlobalPool(c, "GlobalMaxPool", l.Name, l.Keepdims)]);
        // Keras flattens channels-last samples, which is what ONNX Flatten does on the NHWC tensor.
        OnnxExporter.Register<Flatten>((l, c) => [c.Graph.Node("Flatten", [c.Inputs[0]], l.Name, OnnxAttribute.Int("axis", 1))]);
        OnnxExporter.Register<Reshape>((l, c) =>
            [c.Graph.Node("Reshape", [c.Inputs[0], c.Graph.ConstantInt64($"{l.Name}/shape", [0, .. l.TargetShape.Select(d => (long)d)])], l.Name)]);
        OnnxExporter.Register<UpSampling2D>(UpSampling2D);
        // Inference graph: dropout is the identity.
        OnnxExporter.Register<Dropout>((l, c) => [c.Inputs[0]]);
        OnnxExporter.Register<BatchNormalization>(BatchNormalization);
        OnnxExporter.Register<ReLU>(ReLU);
        OnnxExporter.Register<LeakyReLU>((l, c) => [c.Graph.Node("LeakyRelu", [c.Inputs[0]], l.Name, OnnxAttribute.Float("alpha", l.NegativeSlope))]);
        OnnxExporter.Register<ELU>((l, c) => [c.Graph.Node("Elu", [c.Inputs[0]], l.Name, OnnxAttribute.Float("alpha", l.Alpha))]);
        OnnxExporter.Register<Softmax>((l, c) => [c.Graph.Node("Softmax", [c.Inputs[0]], l.Name, OnnxAttribute.Int("axis", l.Axis))]);
        // α has the input's per-sample shape (1 on shared axes): it broadcasts against (N, …) as PRelu requires.
        OnnxExporter.Register<PReLU>((l, c) => [c.Graph.Node("PRelu", [c.Inputs[0], c.Graph.Weight(l.Alpha)], l.Name)]);
    }

    /// <summary>
    /// TensorFlow's "same" padding for one spatial axis: total = max((out − 1)·s + (k − 1)·d + 1 − in, 0) with
    /// out = ⌈in/s⌉, the odd pixel going at the end (ONNX SAME_UPPER). Null when the size is unknown.
    /// </summary>
    private static (long Begin, long End)? SamePads(int size, int kernel, int stride, int dilation)
    {
        if (size < 0) return null;
        long output = (size + stride - 1) / stride;
        long total = Math.Max((output - 1) * stride + (long)(kernel - 1) * dilation + 1 - size, 0);
        return (total / 2, total - total / 2);
    }

    /// <summary>Pads (or auto_pad) attributes for a Keras padding mode on an NHWC input.</summary>
    private static OnnxAttribute PadAttribute(Shape input, string padding, Size2 kernel, Size2 strides, Size2 dilation)
    {
        if (padding == "valid") return OnnxAttribute.Ints("pads", 0, 0, 0, 0);
        var h = SamePads(input[1], kernel.Height, strides.Height, dilation.Height);
        var w = SamePads(input[2], kernel.Width, strides.Width, dilation.Width);
        if (h is { } ph && w is { } pw) return OnnxAttribute.Ints("pads", ph.Begin, pw.Begin, ph.End, pw.End);
        return OnnxAttribute.String("auto_pad", "SAME_UPPER");
    }

    private static string Transpose(OnnxGraph g, string x, long[] perm, string hint) => g.Node("Transpose", [x], hint, OnnxAttribute.Ints("perm", perm));

    /// <summary>Keras kernel (kH, kW, a, b) → ONNX (b, a, kH, kW) for Conv; (kH, kW, a, b) → (b, a, kH, kW) also fits ConvTranspose's (C_in, M, kH, kW) since Keras stores (kH, kW, M, C_in).</summary>
    private static string KernelOihw(OnnxGraph g, Tensor kernel, string hint)
    {
        int kh = kernel.Shape[0], kw = kernel.Shape[1], a = kernel.Shape[2], b = kernel.Shape[3];
        ReadOnlySpan<float> k = kernel.Span;
        var w = new float[k.Length];
        for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
                for (int p = 0; p < a; p++)
                    for (int q = 0; q < b; q++)
                        w[((q * a + p) * kh + i) * kw + j] = k[((i * kw + j) * a + p) * b + q];
        return g.Constant($"{hint}/kernel_oihw", w, b, a, kh, kw);
    }

    private static string[] Conv2D(Conv2D l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var inputs = new List<string> { Transpose(g, c.Inputs[0], ToNchw, l.Name), KernelOihw(g, l.Kernel, l.Name) };
        if (l.Bias != null) inputs.Add(g.Weight(l.Bias));
        var y = g.Node("Conv", inputs.ToArray(), l.Name,
            OnnxAttribute.Ints("kernel_shape", l.KernelSize.Height, l.KernelSize.Width),
            OnnxAttribute.Ints("strides", l.Strides.Height, l.Strides.Width),
            OnnxAttribute.Ints("dilations", l.DilationRate.Height, l.DilationRate.Width),
            PadAttribute(c.InputShapes[0], l.Padding, l.KernelSize, l.Strides, l.DilationRate));
        return [g.Activation(l.Activation, Transpose(g, y, ToNhwc, l.Name), l.Name)];
    }

    /// <summary>
    /// Transposed convolution with explicit crops or output_padding chosen so the output has the layer's (Keras)
    /// size: the uncropped length is (in − 1)·s + (k − 1)·d + 1; a longer target adds rows at the end
    /// (output_padding), a shorter one crops ⌊excess/2⌋ at the start and the rest at the end, as TensorFlow does.
    /// </summary>
    private static string[] Conv2DTranspose(Conv2DTranspose l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var inShape = c.InputShapes[0];
        var outShape = c.OutputShapes[0];
        if (inShape[1] < 0 || inShape[2] < 0)
            throw new NotSupportedException($"Layer '{l.Name}' (Conv2DTranspose): ONNX export needs known input height and width; got {inShape}.");
        long[] pads = new long[4], outPad = new long[2];
        int[] ins = [inShape[1], inShape[2]], outs = [outShape[1], outShape[2]], k = [l.KernelSize.Height, l.KernelSize.Width];
        int[] s = [l.Strides.Height, l.Strides.Width], d = [l.DilationRate.Height, l.DilationRate.Width];
        for (int a = 0; a < 2; a++)
        {
            long full = (long)(ins[a] - 1) * s[a] + (long)(k[a] - 1) * d[a] + 1;
            long excess = full - outs[a];
            if (excess >= 0) { pads[a] = excess / 2; pads[a + 2] = excess - excess / 2; }
            else outPad[a] = -excess;
        }
        var inputs = new List<string> { Transpose(g, c.Inputs[0], ToNchw, l.Name), KernelOihw(g, l.Kernel, l.Name) };
        // KernelOihw maps Keras (kH, kW, M, C_in) to (C_in, M, kH, kW), ConvTranspose's layout.
        if (l.Bias != null) inputs.Add(g.Weight(l.Bias));
        var y = g.Node("ConvTranspose", inputs.ToArray(), l.Name,
            OnnxAttribute.Ints("kernel_shape", k[0], k[1]),
            OnnxAttribute.Ints("strides", s[0], s[1]),
            OnnxAttribute.Ints("dilations", d[0], d[1]),
            OnnxAttribute.Ints("pads", pads),
            OnnxAttribute.Ints("output_padding", outPad));
        return [g.Activation(l.Activation, Transpose(g, y, ToNhwc, l.Name), l.Name)];
    }

    private static string Pool(OnnxLayerCall c, string op, string name, Size2 pool, Size2 strides, string padding)
    {
        var g = c.Graph;
        var attrs = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("kernel_shape", pool.Height, pool.Width),
            OnnxAttribute.Ints("strides", strides.Height, strides.Width),
            PadAttribute(c.InputShapes[0], padding, pool, strides, 1),
        };
        // Keras averages over the real pixels only (count_include_pad = 0, ONNX's default); max ignores padding.
        var y = g.Node(op, [Transpose(g, c.Inputs[0], ToNchw, name)], name, attrs.ToArray());
        return Transpose(g, y, ToNhwc, name);
    }

    private static string GlobalPool(OnnxLayerCall c, string op, string name, bool keepdims)
    {
        var g = c.Graph;
        var y = g.Node(op, [Transpose(g, c.Inputs[0], ToNchw, name)], name); // (N, C, 1, 1)
        return keepdims ? Transpose(g, y, ToNhwc, name) : g.Node("Flatten", [y], name, OnnxAttribute.Int("axis", 1));
    }

    private static string[] UpSampling2D(UpSampling2D l, OnnxLayerCall c)
    {
        var g = c.Graph;
        // Resize works on any layout: scale the H and W axes of the NHWC tensor directly.
        var scales = g.Constant($"{l.Name}/scales", [1f, l.Size.Height, l.Size.Width, 1f], 4);
        var attrs = l.Interpolation == "nearest"
            ? new[] { OnnxAttribute.String("mode", "nearest"), OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"), OnnxAttribute.String("nearest_mode", "floor") }
            : new[] { OnnxAttribute.String("mode", "linear"), OnnxAttribute.String("coordinate_transformation_mode", "half_pixel") };
        return [g.Node("Resize", [c.Inputs[0], "", scales], l.Name, attrs)];
    }

    /// <summary>Inference batch normalization with the moving statistics; the normalised axis is moved to axis 1 for ONNX.</summary>
    private static string[] BatchNormalization(BatchNormalization l, OnnxLayerCall c)
    {
        var g = c.Graph;
        int rank = c.InputShapes[0].Rank;
        int axis = l.Axis < 0 ? l.Axis + rank : l.Axis;
        int channels = c.InputShapes[0][axis];
        string scale = l.Gamma != null ? g.Weight(l.Gamma) : g.Constant($"{l.Name}/ones", Enumerable.Repeat(1f, channels).ToArray(), channels);
        string bias = l.Beta != null ? g.Weight(l.Beta) : g.Constant($"{l.Name}/zeros", new float[channels], channels);
        string x = c.Inputs[0];
        long[]? perm = null, back = null;
        if (axis != 1)
        {
            var order = new List<long> { 0, axis };
            for (int i = 1; i < rank; i++) if (i != axis) order.Add(i);
            perm = order.ToArray();
            back = new long[rank];
            for (int i = 0; i < rank; i++) back[perm[i]] = i;
            x = Transpose(g, x, perm, l.Name);
        }
        var y = g.Node("BatchNormalization", [x, scale, bias, g.Weight(l.MovingMean), g.Weight(l.MovingVariance)], l.Name,
            OnnxAttribute.Float("epsilon", l.Epsilon));
        return [back == null ? y : Transpose(g, y, back, l.Name)];
    }

    /// <summary>Keras ReLU: max_value if x ≥ max_value; x if threshold ≤ x; negative_slope·(x − threshold) otherwise.</summary>
    private static string[] ReLU(ReLU l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string x = c.Inputs[0], y;
        if (l.NegativeSlope == 0f && l.Threshold == 0f) y = g.Node("Relu", [x], l.Name);
        else
        {
            var t = g.Scalar($"{l.Name}/threshold", l.Threshold);
            var below = g.Node("Mul", [g.Node("Sub", [x, t], l.Name), g.Scalar($"{l.Name}/slope", l.NegativeSlope)], l.Name);
            y = g.Node("Where", [g.Node("GreaterOrEqual", [x, t], l.Name), x, below], l.Name);
        }
        if (l.MaxValue is float m) y = g.Node("Min", [y, g.Scalar($"{l.Name}/max_value", m)], l.Name);
        return [y];
    }
}
