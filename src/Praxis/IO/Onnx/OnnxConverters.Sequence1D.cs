using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// Converters for the 1-D and preprocessing layers. Sequences are channels-last (N, T, C) in Praxis and
/// channels-first (N, C, T) for ONNX Conv and pooling, so those ops are wrapped in Transpose nodes; kernels are re-laid
/// out once at export. GlobalAveragePooling1D honours the mask its input carries in the exported graph (the one
/// <c>Embedding(mask_zero)</c> made, see <see cref="OnnxGraph.MaskOf"/>): Σ x·m / Σ m over the steps, as Praxis and Keras.
/// </summary>
internal static partial class OnnxConverters
{
    private static readonly long[] SwapLast2 = [0, 2, 1];

    private static void RegisterSequence1DLayers()
    {
        OnnxExporter.Register<Conv1D>(Conv1D);
        OnnxExporter.Register<SeparableConv1D>(SeparableConv1D);
        OnnxExporter.Register<MaxPooling1D>((l, c) => [Pool1D(c, "MaxPool", l.Name, l.PoolSize, l.Strides, l.Padding)]);
        OnnxExporter.Register<AveragePooling1D>((l, c) => [Pool1D(c, "AveragePool", l.Name, l.PoolSize, l.Strides, l.Padding)]);
        OnnxExporter.Register<GlobalMaxPooling1D>((l, c) =>
        {
            var y = c.Graph.Node("GlobalMaxPool", [Transpose(c.Graph, c.Inputs[0], SwapLast2, l.Name)], l.Name); // (N, C, 1)
            return [l.Keepdims ? Transpose(c.Graph, y, SwapLast2, l.Name) : c.Graph.Node("Flatten", [y], l.Name, OnnxAttribute.Int("axis", 1))];
        });
        OnnxExporter.Register<GlobalAveragePooling1D>(GlobalAveragePooling1D);
        OnnxExporter.Register<Permute>((l, c) => [Transpose(c.Graph, c.Inputs[0], [0, .. l.Dims.Select(d => (long)d)], l.Name)]);
        OnnxExporter.Register<ZeroPadding1D>((l, c) =>
            [c.Graph.Node("Pad", [c.Inputs[0], c.Graph.ConstantInt64($"{l.Name}/pads", 0, l.Padding.Left, 0, 0, l.Padding.Right, 0)], l.Name)]);
        OnnxExporter.Register<Cropping1D>((l, c) => [c.Graph.Node("Slice",
            [c.Inputs[0], c.Graph.ConstantInt64($"{l.Name}/starts", l.Cropping.Start),
             c.Graph.ConstantInt64($"{l.Name}/ends", l.Cropping.End > 0 ? -l.Cropping.End : long.MaxValue), c.Graph.ConstantInt64($"{l.Name}/axes", 1)], l.Name)]);
        OnnxExporter.Register<RepeatVector>((l, c) =>
        {
            var r = c.Graph.Node("Reshape", [c.Inputs[0], c.Graph.ConstantInt64($"{l.Name}/shape", 0, 1, -1)], l.Name);
            return [c.Graph.Node("Expand", [r, c.Graph.ConstantInt64($"{l.Name}/repeats", 1, l.N, 1)], l.Name)];
        });
        OnnxExporter.Register<UpSampling1D>((l, c) => [c.Graph.Node("Resize",
            [c.Inputs[0], "", c.Graph.Constant($"{l.Name}/scales", [1f, l.Size, 1f], 3)], l.Name,
            OnnxAttribute.String("mode", "nearest"), OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"), OnnxAttribute.String("nearest_mode", "floor"))]);
        OnnxExporter.Register<Rescaling>((l, c) =>
        {
            var y = c.Graph.Node("Mul", [c.Inputs[0], c.Graph.Constant($"{l.Name}/scale", [l.Scale])], l.Name);
            return [l.Offset == 0f ? y : c.Graph.Node("Add", [y, c.Graph.Constant($"{l.Name}/offset", [l.Offset])], l.Name)];
        });
        OnnxExporter.Register<Normalization>(Normalization);
        OnnxExporter.Register<Masking>(Masking);
    }

    /// <summary>
    /// Keras' Masking: keep = any(x ≠ mask_value) over the features; y = x·keep, and y carries keep (without the
    /// feature axis) as its mask, so later recurrent and attention converters honour it. ReduceSum counts the
    /// differing features because it takes its axes as an input at every opset from 13 (ReduceMax only from 18).
    /// </summary>
    private static string[] Masking(Masking l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string x = c.Inputs[0], n = l.Name;
        var differ = g.Node("Cast", [g.Node("Not", [g.Node("Equal", [x, g.Scalar($"{n}/mask_value", l.MaskValue)], n)], n)], n, OnnxAttribute.Int("to", 1));
        var lastAxis = g.ConstantInt64($"{n}/feature_axis", -1);
        var keep = g.Node("Greater", [g.Node("ReduceSum", [differ, lastAxis], n, OnnxAttribute.Int("keepdims", 1)), g.Scalar($"{n}/zero", 0f)], n); // (…, 1) bool
        var y = g.Node("Mul", [x, g.Node("Cast", [keep], n, OnnxAttribute.Int("to", 1))], n);
        g.SetMask(y, g.Node("Squeeze", [keep, lastAxis], n), c.InputShapes[0].Rank - 1);
        return [y];
    }

    private static long[] Pads1D(Shape input, string padding, int kernel, int stride, int dilation, out bool auto)
    {
        auto = false;
        if (padding == "valid") return [0, 0];
        if (padding == "causal") return [(long)(kernel - 1) * dilation, 0];
        if (SamePads(input[1], kernel, stride, dilation) is { } p) return [p.Begin, p.End];
        auto = true;
        return [];
    }

    private static OnnxAttribute PadAttribute1D(Shape input, string padding, int kernel, int stride, int dilation)
    {
        var pads = Pads1D(input, padding, kernel, stride, dilation, out bool auto);
        return auto ? OnnxAttribute.String("auto_pad", "SAME_UPPER") : OnnxAttribute.Ints("pads", pads);
    }

    private static string[] Conv1D(Conv1D l, OnnxLayerCall c)
    {
        var g = c.Graph;
        int k = l.KernelSize, cg = l.Kernel.Shape[1], f = l.Filters;
        ReadOnlySpan<float> src = l.Kernel.Span;
        var w = new float[src.Length]; // Keras (K, C/g, F) → ONNX (F, C/g, K)
        for (int i = 0; i < k; i++)
            for (int p = 0; p < cg; p++)
                for (int q = 0; q < f; q++) w[(q * cg + p) * k + i] = src[(i * cg + p) * f + q];
        var inputs = new List<string> { Transpose(g, c.Inputs[0], SwapLast2, l.Name), g.Constant($"{l.Name}/kernel_oik", w, f, cg, k) };
        if (l.Bias != null) inputs.Add(g.Weight(l.Bias));
        var y = g.Node("Conv", inputs.ToArray(), l.Name,
            OnnxAttribute.Ints("kernel_shape", k), OnnxAttribute.Ints("strides", l.Strides), OnnxAttribute.Ints("dilations", l.DilationRate),
            OnnxAttribute.Int("group", l.Groups), PadAttribute1D(c.InputShapes[0], l.Padding, k, l.Strides, l.DilationRate));
        return [g.Activation(l.Activation, Transpose(g, y, SwapLast2, l.Name), l.Name)];
    }

    /// <summary>The depthwise step is a Conv with one group per channel; the pointwise step a 1-wide Conv.</summary>
    private static string[] SeparableConv1D(SeparableConv1D l, OnnxLayerCall c)
    {
        var g = c.Graph;
        int k = l.KernelSize, ch = l.DepthwiseKernel.Shape[1], m = l.DepthMultiplier, cm = ch * m, f = l.Filters;
        ReadOnlySpan<float> dk = l.DepthwiseKernel.Span, pk = l.PointwiseKernel.Span;
        var dw = new float[dk.Length]; // Keras (K, C, M) → ONNX (C·M, 1, K), output channel c·M + m
        for (int i = 0; i < k; i++)
            for (int j = 0; j < cm; j++) dw[j * k + i] = dk[i * cm + j];
        var pw = new float[pk.Length]; // Keras (1, C·M, F) → ONNX (F, C·M, 1)
        for (int j = 0; j < cm; j++)
            for (int q = 0; q < f; q++) pw[q * cm + j] = pk[j * f + q];
        var d = g.Node("Conv", [Transpose(g, c.Inputs[0], SwapLast2, l.Name), g.Constant($"{l.Name}/depthwise_oik", dw, cm, 1, k)], l.Name,
            OnnxAttribute.Ints("kernel_shape", k), OnnxAttribute.Ints("strides", l.Strides), OnnxAttribute.Ints("dilations", l.DilationRate),
            OnnxAttribute.Int("group", ch), PadAttribute1D(c.InputShapes[0], l.Padding, k, l.Strides, l.DilationRate));
        var inputs = new List<string> { d, g.Constant($"{l.Name}/pointwise_oik", pw, f, cm, 1) };
        if (l.Bias != null) inputs.Add(g.Weight(l.Bias));
        var y = g.Node("Conv", inputs.ToArray(), l.Name, OnnxAttribute.Ints("kernel_shape", 1));
        return [g.Activation(l.Activation, Transpose(g, y, SwapLast2, l.Name), l.Name)];
    }

    private static string Pool1D(OnnxLayerCall c, string op, string name, int pool, int stride, string padding)
    {
        var g = c.Graph;
        // Keras averages over the real steps only (count_include_pad = 0, ONNX's default).
        var y = g.Node(op, [Transpose(g, c.Inputs[0], SwapLast2, name)], name,
            OnnxAttribute.Ints("kernel_shape", pool), OnnxAttribute.Ints("strides", stride), PadAttribute1D(c.InputShapes[0], padding, pool, stride, 1));
        return Transpose(g, y, SwapLast2, name);
    }

    /// <summary>(x − mean) / max(√variance, 1e-7) (or its inverse) with the statistics as constants shaped to broadcast.</summary>
    private static string[] Normalization(Normalization l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var s = c.InputShapes[0];
        int axis = l.Axis < 0 ? l.Axis + s.Rank : l.Axis;
        int n = l.Mean.Shape[0];
        var dims = new long[s.Rank - axis];
        Array.Fill(dims, 1L);
        dims[0] = n;
        var std = new float[n];
        for (int i = 0; i < n; i++) std[i] = MathF.Max(MathF.Sqrt(l.Variance.Span[i]), 1e-7f);
        string mean = g.Constant($"{l.Name}/mean", l.Mean.Span, dims), sd = g.Constant($"{l.Name}/std", std, dims);
        return l.Invert
            ? [g.Node("Add", [g.Node("Mul", [c.Inputs[0], sd], l.Name), mean], l.Name)]
            : [g.Node("Div", [g.Node("Sub", [c.Inputs[0], mean], l.Name), sd], l.Name)];
    }

    /// <summary>The mean over the steps: GlobalAveragePool without a mask, Σ x·m / Σ m (ReduceSum) with one.</summary>
    private static string[] GlobalAveragePooling1D(GlobalAveragePooling1D l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string x = c.Inputs[0], n = l.Name;
        if (g.MaskOf(x) is not { } mask)
        {
            var y = g.Node("GlobalAveragePool", [Transpose(g, x, SwapLast2, n)], n); // (N, C, 1)
            return [l.Keepdims ? Transpose(g, y, SwapLast2, n) : g.Node("Flatten", [y], n, OnnxAttribute.Int("axis", 1))];
        }
        if (g.MaskRank(x) != 2) throw new NotSupportedException($"Layer '{n}' (GlobalAveragePooling1D): ONNX export needs a (batch, steps) mask; got one of rank {g.MaskRank(x)}.");
        var m = g.Node("Unsqueeze", [g.Node("Cast", [mask], n, OnnxAttribute.Int("to", 1)), g.ConstantInt64($"{n}/feature_axis", 2)], n); // (N, T, 1)
        var axis = g.ConstantInt64($"{n}/steps_axis", 1);
        var keep = OnnxAttribute.Int("keepdims", l.Keepdims ? 1 : 0);
        var sum = g.Node("ReduceSum", [g.Node("Mul", [x, m], n), axis], n, keep);
        var count = g.Node("ReduceSum", [m, axis], n, keep);
        return [g.Node("Div", [sum, count], n)];
    }
}
