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
