using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>Preprocessing layers that run inside a model on numbers (the string layers stay outside; see <see cref="OnnxStringInput"/>).</summary>
internal static partial class OnnxConverters
{
    private static void RegisterPreprocessingLayers() => OnnxExporter.Register<CategoryEncoding>(CategoryEncoding);

    /// <summary>
    /// Keras' CategoryEncoding: ids (N, k) (or (N) / (N, 1) for one_hot) compared with 0…num_tokens−1 gives (N, k,
    /// num_tokens) matches, summed over k: counts, clipped to 1 for multi_hot and one_hot. Praxis refuses an id that is
    /// not an integer in [0, num_tokens); a graph cannot throw, so a row holding one comes out NaN instead.
    /// </summary>
    private static string[] CategoryEncoding(CategoryEncoding l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string n = l.Name, x = c.Inputs[0];
        if (c.InputShapes[0].Rank == 1) x = Unsqueeze(g, x, 1, n);
        var tokens = g.Constant($"{n}/tokens", Enumerable.Range(0, l.NumTokens).Select(i => (float)i).ToArray(), l.NumTokens);
        var matches = g.Node("Cast", [g.Node("Equal", [Unsqueeze(g, x, 2, n), tokens], n)], n, OnnxAttribute.Int("to", 1)); // (N, k, T)
        var counts = g.Node("ReduceSum", [matches, g.ConstantInt64($"{n}/ids_axis", 1)], n, OnnxAttribute.Int("keepdims", 0)); // (N, T)
        var y = l.OutputMode == "count" ? counts : g.Node("Min", [counts, g.Scalar($"{n}/one", 1f)], n);
        // An id matched nothing when its (N, k) match count is 0; a row is valid when none did.
        var matched = g.Node("ReduceSum", [matches, g.ConstantInt64($"{n}/tokens_axis", 2)], n, OnnxAttribute.Int("keepdims", 0));
        var unmatched = g.Node("ReduceSum", [g.Node("Sub", [g.Scalar($"{n}/one_id", 1f), matched], n), g.ConstantInt64($"{n}/per_row", 1)], n, OnnxAttribute.Int("keepdims", 0));
        var valid = g.Node("Equal", [unmatched, g.Scalar($"{n}/zero", 0f)], n); // (N)
        return [PoisonRows(g, y, valid, 2, n)];
    }
}
