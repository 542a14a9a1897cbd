using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// Converters for the sequence layers that map directly onto ONNX ops. Recurrent layers and attention are not
/// exported yet (the exporter names them); when they are, mind that ONNX LSTM gates are ordered i, o, f, c (Keras
/// i, f, c, o), GRU z, r, h (Keras z, r, h, with linear_before_reset = reset_after), and that Keras' go_backwards
/// returns the sequence reversed while ONNX's reverse direction keeps time order.
/// </summary>
internal static partial class OnnxConverters
{
    private static void RegisterSequenceLayers()
    {
        // Token ids arrive as float32 (Praxis' only dtype): cast to int64 for Gather.
        OnnxExporter.Register<Embedding>((l, c) =>
            [c.Graph.Node("Gather", [c.Graph.Weight(l.Embeddings), c.Graph.Node("Cast", [c.Inputs[0]], l.Name, OnnxAttribute.Int("to", 7))], l.Name, OnnxAttribute.Int("axis", 0))]);
        OnnxExporter.Register<Add>((l, c) => [c.Graph.Node("Sum", c.Inputs, l.Name)]);
        OnnxExporter.Register<Concatenate>((l, c) => [c.Graph.Node("Concat", c.Inputs, l.Name, OnnxAttribute.Int("axis", l.Axis))]);
        OnnxExporter.Register<LayerNormalization>(LayerNormalization);
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
