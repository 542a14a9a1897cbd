using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// Converters for the sequence layers that map directly onto ONNX ops (recurrent layers are in
/// <c>OnnxConverters.Recurrent.cs</c>, attention and the embeddings in <c>OnnxConverters.Attention.cs</c>). Add and
/// Concatenate pass on the AND of their inputs' masks, as Praxis' merging layers do.
/// </summary>
internal static partial class OnnxConverters
{
    private static void RegisterSequenceLayers()
    {
        OnnxExporter.Register<Embedding>(EmbeddingLookup);
        OnnxExporter.Register<Add>((l, c) => MergedMask(c, c.Graph.Node("Sum", c.Inputs, l.Name), l.Name));
        OnnxExporter.Register<Concatenate>((l, c) => MergedMask(c, c.Graph.Node("Concat", c.Inputs, l.Name, OnnxAttribute.Int("axis", l.Axis)), l.Name));
        OnnxExporter.Register<LayerNormalization>(LayerNormalization);
        OnnxExporter.Register<Multiply>((l, c) => MergedMask(c, Chain(c, "Mul", l.Name), l.Name));
        OnnxExporter.Register<Subtract>((l, c) => MergedMask(c, Chain(c, "Sub", l.Name), l.Name));
        OnnxExporter.Register<Average>((l, c) => MergedMask(c, c.Graph.Node("Mean", MergeInputs(c, l.Name), l.Name), l.Name));
        OnnxExporter.Register<Maximum>((l, c) => MergedMask(c, c.Graph.Node("Max", MergeInputs(c, l.Name), l.Name), l.Name));
        OnnxExporter.Register<Minimum>((l, c) => MergedMask(c, c.Graph.Node("Min", MergeInputs(c, l.Name), l.Name), l.Name));
        OnnxExporter.Register<Dot>(DotProduct);
    }

    /// <summary>The output carries the AND of the inputs' masks (Merging.AndMasks), when any input has one.</summary>
    private static string[] MergedMask(OnnxLayerCall c, string y, string n)
    {
        var g = c.Graph;
        string? m = null;
        int rank = 0;
        foreach (var x in c.Inputs)
            if (g.MaskOf(x) is { } mx) { m = And(g, m, mx, n); rank = g.MaskRank(x); }
        if (m is not null) g.SetMask(y, m, rank);
        return [y];
    }

    /// <summary>
    /// The inputs of a <see cref="Merge"/> layer with Keras' rank rule: a lower-rank input gets size-1 axes after the batch
    /// axis (Unsqueeze at 1), since ONNX broadcasting aligns trailing axes only.
    /// </summary>
    private static string[] MergeInputs(OnnxLayerCall c, string n)
    {
        int rank = 0;
        foreach (var s in c.InputShapes) rank = Math.Max(rank, s.Rank);
        var inputs = new string[c.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            int missing = rank - c.InputShapes[i].Rank;
            inputs[i] = missing == 0 ? c.Inputs[i]
                : c.Graph.Node("Unsqueeze", [c.Inputs[i], c.Graph.ConstantInt64($"{n}/axes", Enumerable.Range(1, missing).Select(a => (long)a).ToArray())], n);
        }
        return inputs;
    }

    /// <summary>A binary ONNX op applied left to right over the merge inputs (Mul, Sub).</summary>
    private static string Chain(OnnxLayerCall c, string op, string n)
    {
        var inputs = MergeInputs(c, n);
        string y = inputs[0];
        for (int i = 1; i < inputs.Length; i++) y = c.Graph.Node(op, [y, inputs[i]], n);
        return y;
    }

    /// <summary>
    /// Keras' batch_dot as Transpose (the contracted axis last in x1, second in x2), Reshape to (N, M, K) and (N, K, P)
    /// with the batch copied (0), MatMul, and Reshape to the layer's output; normalize adds x·1/√max(Σx², 1e-12) first.
    /// </summary>
    private static string[] DotProduct(Dot l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string n = l.Name;
        Shape s1 = c.InputShapes[0], s2 = c.InputShapes[1];
        int a1 = l.Axes[0] < 0 ? l.Axes[0] + s1.Rank : l.Axes[0], a2 = l.Axes[1] < 0 ? l.Axes[1] + s2.Rank : l.Axes[1];
        string x1 = c.Inputs[0], x2 = c.Inputs[1];
        if (l.Normalize) { x1 = L2Normalize(g, x1, a1, n); x2 = L2Normalize(g, x2, a2, n); }
        long k = s1[a1];
        long m = 1, p = 1;
        var out1 = new List<long> { 0 };
        var perm1 = new List<long> { 0 };
        for (int i = 1; i < s1.Rank; i++) if (i != a1) { perm1.Add(i); m *= s1[i]; out1.Add(s1[i]); }
        perm1.Add(a1);
        var perm2 = new List<long> { 0, a2 };
        for (int i = 1; i < s2.Rank; i++) if (i != a2) { perm2.Add(i); p *= s2[i]; out1.Add(s2[i]); }
        if (out1.Count == 1) out1.Add(1);
        x1 = g.Node("Transpose", [x1], n, OnnxAttribute.Ints("perm", perm1.ToArray()));
        x2 = g.Node("Transpose", [x2], n, OnnxAttribute.Ints("perm", perm2.ToArray()));
        var lhs = g.Node("Reshape", [x1, g.ConstantInt64($"{n}/lhs_shape", 0, m, k)], n);
        var rhs = g.Node("Reshape", [x2, g.ConstantInt64($"{n}/rhs_shape", 0, k, p)], n);
        var y = g.Node("MatMul", [lhs, rhs], n);
        return [g.Node("Reshape", [y, g.ConstantInt64($"{n}/out_shape", out1.ToArray())], n)];
    }

    private static string L2Normalize(OnnxGraph g, string x, int axis, string n)
    {
        var sq = g.Node("ReduceSum", [g.Node("Mul", [x, x], n), g.ConstantInt64($"{n}/axes", axis)], n, OnnxAttribute.Int("keepdims", 1));
        var norm = g.Node("Sqrt", [g.Node("Max", [sq, g.Scalar($"{n}/epsilon", 1e-12f)], n)], n);
        return g.Node("Div", [x, norm], n);
    }

    /// <summary>
    /// LayerNormalization over the trailing axes: the ONNX op from opset 17, else mean/variance with ReduceMean
    /// (whose axes moved from an attribute to an input at opset 18, so below 17 the attribute form is right).
    /// </summary>
    private static string[] LayerNormalization(LayerNormalization l, OnnxLayerCall c)
    {
        var g = c.Graph;
        var shape = c.InputShapes[0];
        int first = shape.Rank;
        foreach (int a in l.Axis) first = Math.Min(first, a < 0 ? a + shape.Rank : a);
        var paramDims = shape.Dims[first..].ToArray().Select(d => (long)d).ToArray();
        long count = paramDims.Aggregate(1L, (a, b) => a * b);
        string scale = l.Gamma != null ? g.Weight(l.Gamma) : g.Constant($"{l.Name}/ones", Enumerable.Repeat(1f, (int)count).ToArray(), paramDims);
        string x = c.Inputs[0];
        if (g.Opset >= 17)
        {
            var inputs = l.Beta != null ? new[] { x, scale, g.Weight(l.Beta) } : new[] { x, scale };
            return [g.Node("LayerNormalization", inputs, l.Name, OnnxAttribute.Int("axis", first), OnnxAttribute.Float("epsilon", l.Epsilon))];
        }
        var axes = Enumerable.Range(first, shape.Rank - first).Select(a => (long)a).ToArray();
        var mean = g.Node("ReduceMean", [x], l.Name, OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", 1));
        var centred = g.Node("Sub", [x, mean], l.Name);
        var variance = g.Node("ReduceMean", [g.Node("Mul", [centred, centred], l.Name)], l.Name, OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", 1));
        var std = g.Node("Sqrt", [g.Node("Add", [variance, g.Scalar($"{l.Name}/epsilon", l.Epsilon)], l.Name)], l.Name);
        var y = g.Node("Mul", [g.Node("Div", [centred, std], l.Name), scale], l.Name);
        return [l.Beta != null ? g.Node("Add", [y, g.Weight(l.Beta)], l.Name) : y];
    }
}
