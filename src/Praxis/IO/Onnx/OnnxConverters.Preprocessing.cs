using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>Preprocessing layers that run inside a model on numbers (the string layers stay outside; see <see cref="OnnxStringInput"/>).</summary>
internal static partial class OnnxConverters
{
    private static void RegisterPreprocessingLayers()
    {
        OnnxExporter.Register<CategoryEncoding>(CategoryEncoding);
        OnnxExporter.Register<IntegerLookup>(IntegerLookup);
    }

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

    /// <summary>
    /// Keras' IntegerLookup: values compared with the table (mask at 0, then the OOV slot, then the vocabulary, as
    /// floats) give one match or none; none is the OOV index. "int" writes the index, the other modes sum one-hot rows
    /// over the ids as CategoryEncoding does. Praxis refuses a value that is not an integer, or an unknown one when
    /// num_oov_indices is 0: the graph gives NaN there (the element in "int" mode, the row otherwise). A vocabulary
    /// value that float32 cannot hold exactly can never be matched in Praxis (inputs are floats), so its slot is NaN,
    /// which equals nothing.
    /// </summary>
    private static string[] IntegerLookup(IntegerLookup l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string n = l.Name, x = c.Inputs[0];
        var vocabulary = l.GetVocabulary();
        int size = vocabulary.Length, oov = l.NumOovIndices > 0 ? (l.MaskToken is null ? 0 : 1) : -1;
        var table = new float[size];
        for (int i = 0; i < size; i++) table[i] = i == oov || (long)(float)vocabulary[i] != vocabulary[i] ? float.NaN : vocabulary[i];
        if (l.OutputMode != "int" && c.InputShapes[0].Rank == 1) x = Unsqueeze(g, x, 1, n);
        int rank = l.OutputMode != "int" ? 2 : c.InputShapes[0].Rank;
        var lastAxis = g.ConstantInt64($"{n}/table_axis", -1);
        var eq = g.Node("Cast", [g.Node("Equal", [Unsqueeze(g, x, rank, n), g.Constant($"{n}/table", table, size)], n)], n, OnnxAttribute.Int("to", 1)); // (…, V)
        var matched = g.Node("ReduceSum", [eq, lastAxis], n, OnnxAttribute.Int("keepdims", 0)); // (…) 1 or 0
        var unmatched = g.Node("Sub", [g.Scalar($"{n}/one", 1f), matched], n);
        // Valid: an integer (x − floor(x) = 0 is false for ±∞ and NaN too) that is in the table or has an OOV index to go to.
        var valid = g.Node("Equal", [g.Node("Sub", [x, g.Node("Floor", [x], n)], n), g.Scalar($"{n}/zero", 0f)], n);
        if (oov < 0) valid = g.Node("And", [valid, g.Node("Equal", [matched, g.Scalar($"{n}/one_match", 1f)], n)], n);
        if (l.OutputMode == "int")
        {
            var index = g.Node("ReduceSum", [g.Node("Mul", [eq, g.Constant($"{n}/indices", Enumerable.Range(0, size).Select(i => (float)i).ToArray(), size)], n), lastAxis], n,
                OnnxAttribute.Int("keepdims", 0));
            if (oov > 0) index = g.Node("Add", [index, g.Node("Mul", [unmatched, g.Scalar($"{n}/oov", oov)], n)], n);
            return [g.Node("Where", [valid, index, g.Scalar($"{n}/nan", float.NaN)], n)];
        }
        // One-hot rows (N, k, V): the match, or the OOV slot when there is none.
        var oneHot = eq;
        if (oov >= 0)
        {
            var oovRow = new float[size];
            oovRow[oov] = 1f;
            oneHot = g.Node("Add", [eq, g.Node("Mul", [Unsqueeze(g, unmatched, 2, n), g.Constant($"{n}/oov_row", oovRow, size)], n)], n);
        }
        var counts = g.Node("ReduceSum", [oneHot, g.ConstantInt64($"{n}/ids_axis", 1)], n, OnnxAttribute.Int("keepdims", 0)); // (N, V)
        var y = l.OutputMode == "count" ? counts : g.Node("Min", [counts, g.Scalar($"{n}/one_hot_max", 1f)], n);
        var invalid = g.Node("ReduceSum", [g.Node("Cast", [g.Node("Not", [valid], n)], n, OnnxAttribute.Int("to", 1)), g.ConstantInt64($"{n}/per_row", 1)], n, OnnxAttribute.Int("keepdims", 0));
        return [PoisonRows(g, y, g.Node("Equal", [invalid, g.Scalar($"{n}/none_invalid", 0f)], n), 2, n)];
    }
}
