using Praxis.Layers;

namespace Praxis.IO.Onnx;

/// <summary>
/// Attention, position and reversible embeddings, and TimeDistributed, from opset-13 primitives (MatMul, Softmax,
/// Where, Range), so every sequence length runs from one graph. Masked scores are replaced by −1e9 before the
/// softmax (Keras' convention): a dropped position gets probability 0 and a row with every position dropped comes out
/// uniform, as in Praxis.
/// </summary>
internal static partial class OnnxConverters
{
    private static void RegisterAttentionLayers()
    {
        OnnxExporter.Register<MultiHeadAttention>(MultiHeadAttention);
        OnnxExporter.Register<Attention>((l, c) => DenseAttention(l, c, (g, q, k) =>
        {
            string n = l.Name;
            string s;
            if (l.ScoreMode == "dot")
            {
                s = g.Node("MatMul", [q, g.Node("Transpose", [k], n, OnnxAttribute.Ints("perm", 0, 2, 1))], n);
                return l.Scale is null ? s : g.Node("Mul", [s, g.Weight(l.Scale)], n);
            }
            s = PairwiseSum(g, q, k, n);
            if (l.Scale is not null) s = g.Node("Mul", [s, g.Weight(l.Scale)], n);
            s = g.Node("ReduceSum", [g.Node("Tanh", [s], n), g.ConstantInt64($"{n}/feature_axis", -1)], n, OnnxAttribute.Int("keepdims", 0));
            return g.Node("Mul", [s, g.Weight(l.ConcatScoreWeight!)], n);
        }));
        OnnxExporter.Register<AdditiveAttention>((l, c) => DenseAttention(l, c, (g, q, k) =>
        {
            string n = l.Name;
            var t = g.Node("Tanh", [PairwiseSum(g, q, k, n)], n);
            if (l.Scale is not null) t = g.Node("Mul", [t, g.Weight(l.Scale)], n);
            return g.Node("ReduceSum", [t, g.ConstantInt64($"{n}/feature_axis", -1)], n, OnnxAttribute.Int("keepdims", 0));
        }));
        OnnxExporter.Register<PositionEmbedding>(PositionEmbedding);
        OnnxExporter.Register<ReversibleEmbedding>(ReversibleEmbedding);
        OnnxExporter.Register<TimeDistributed>(TimeDistributed);
    }

    /// <summary>Token ids (float32, Praxis' only dtype) cast to int64 and gathered; with mask_zero the output carries ids ≠ 0.</summary>
    private static string[] EmbeddingLookup(Embedding l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string ids = c.Inputs[0];
        var y = g.Node("Gather", [g.Weight(l.Embeddings), g.Node("Cast", [ids], l.Name, OnnxAttribute.Int("to", 7))], l.Name, OnnxAttribute.Int("axis", 0));
        if (l.MaskZero)
            g.SetMask(y, g.Node("Not", [g.Node("Equal", [ids, g.Scalar($"{l.Name}/padding_id", 0f)], l.Name)], l.Name), c.InputShapes[0].Rank);
        return [y];
    }

    /// <summary>The lookup, or with <c>reverse</c> the output head x·Eᵀ reading the same (tied) embedding initializer.</summary>
    private static string[] ReversibleEmbedding(ReversibleEmbedding l, OnnxLayerCall c)
    {
        if (!(c.Arguments.TryGetValue("reverse", out var r) && r is true)) return EmbeddingLookup(l, c);
        var g = c.Graph;
        string head = l.ReverseEmbeddings is { } re ? g.Weight(re) : g.Node("Transpose", [g.Weight(l.Embeddings)], l.Name, OnnxAttribute.Ints("perm", 1, 0));
        return [g.Node("MatMul", [c.Inputs[0], head], l.Name)];
    }

    /// <summary>The first T rows of the position table (T read from the input at run time), broadcast to the input's shape.</summary>
    private static string[] PositionEmbedding(PositionEmbedding l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string x = c.Inputs[0], n = l.Name;
        int rank = c.InputShapes[0].Rank;
        var t = Unsqueeze(g, Dim(g, x, rank - 2, n), 0, n);
        var table = g.Node("Slice", [g.Weight(l.Embeddings), g.ConstantInt64($"{n}/start", 0), t, g.ConstantInt64($"{n}/axes", 0)], n);
        return [g.Node("Expand", [table, g.Node("Shape", [x], n)], n)];
    }

    /// <summary>(B, T, …) folded to (B·T, …), the inner layer's converter, then unfolded with B and T read at run time.</summary>
    private static string[] TimeDistributed(TimeDistributed l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string x = c.Inputs[0], n = l.Name;
        var s = c.InputShapes[0];
        var inner = new Shape(s.Dims[2..]).Prepend(-1);
        for (int i = 1; i < inner.Rank; i++)
            if (inner[i] < 0) throw new NotSupportedException($"Layer '{n}' (TimeDistributed): ONNX export needs the per-step shape known; got input {s}.");
        var folded = g.Node("Reshape", [x, g.ConstantInt64($"{n}/folded", [-1, .. s.Dims[2..].ToArray().Select(d => (long)d)])], n);
        var innerOut = l.Layer.ComputeOutputShapes([inner]);
        var y = OnnxExporter.Convert(l.Layer, new OnnxLayerCall(g, [folded], [inner], innerOut, Layer.NoArguments));
        var outer = l.ComputeOutputShapes([s])[0];
        for (int i = 2; i < outer.Rank; i++)
            if (outer[i] < 0) throw new NotSupportedException($"Layer '{n}' (TimeDistributed): ONNX export needs the inner layer's output shape known; got {outer}.");
        var bt = g.Node("Slice", [g.Node("Shape", [x], n), g.ConstantInt64($"{n}/start", 0), g.ConstantInt64($"{n}/end", 2)], n);
        var shape = g.Node("Concat", [bt, g.ConstantInt64($"{n}/step_shape", outer.Dims[2..].ToArray().Select(d => (long)d).ToArray())], n, OnnxAttribute.Int("axis", 0));
        return [g.Node("Reshape", [y[0], shape], n)];
    }

    /// <summary>(B, T, D) + (B, S, D) → (B, T, S, D), the pairwise sums of the concat and additive scores.</summary>
    private static string PairwiseSum(OnnxGraph g, string q, string k, string n) =>
        g.Node("Add", [Unsqueeze(g, q, 2, n), Unsqueeze(g, k, 1, n)], n);

    /// <summary>A (T, S) bool table, true where key position j ≤ query position i (Keras' causal mask, top-left aligned).</summary>
    private static string CausalMask(OnnxGraph g, string query, string value, string n)
    {
        string zero = g.ConstantScalarInt64($"{n}/zero", 0), one = g.ConstantScalarInt64($"{n}/one", 1);
        var rows = Unsqueeze(g, g.Node("Range", [zero, Dim(g, query, 1, n), one], n), 1, n);
        var cols = Unsqueeze(g, g.Node("Range", [zero, Dim(g, value, 1, n), one], n), 0, n);
        return g.Node("GreaterOrEqual", [rows, cols], n);
    }

    private static string? And(OnnxGraph g, string? a, string? b, string n) => a is null ? b : b is null ? a : g.Node("And", [a, b], n);

    /// <summary>Softmax over the last axis with dropped scores set to −1e9 (mask: bool, broadcastable to the scores).</summary>
    private static string MaskedSoftmax(OnnxGraph g, string scores, string? mask, string n)
    {
        if (mask is not null) scores = g.Node("Where", [mask, scores, g.Scalar($"{n}/dropped", -1e9f)], n);
        return g.Node("Softmax", [scores], n, OnnxAttribute.Int("axis", -1));
    }

    /// <summary>
    /// Keras <c>MultiHeadAttention</c>: projections to heads, softmax(q·kᵀ/√key_dim) under the combined mask (the
    /// attention_mask input, the query mask on rows, the value and key masks on columns, and the causal mask), the
    /// weighted values, and the output projection.
    /// </summary>
    private static string[] MultiHeadAttention(MultiHeadAttention l, OnnxLayerCall c)
    {
        var g = c.Graph;
        string n = l.Name;
        string query = c.Inputs[0], value = c.Inputs[1], key = c.Inputs.Length > 2 ? c.Inputs[2] : value;
        bool causal = c.Arguments.TryGetValue("use_causal_mask", out var cm) && cm is true;
        bool returnScores = c.Arguments.TryGetValue("return_attention_scores", out var rs) && rs is true;
        int heads = l.NumHeads, hk = l.KeyDim, hv = l.ValueDim, dOut = l.OutputKernel.Shape[2];

        string Project(string x, Tensor kernel, Tensor? bias, int h, long[] perm)
        {
            var w = g.Node("Reshape", [g.Weight(kernel), g.ConstantInt64($"{n}/kernel_2d", kernel.Shape[0], heads * h)], n);
            var y = g.Node("MatMul", [x, w], n);
            if (bias is not null) y = g.Node("Add", [y, g.Node("Reshape", [g.Weight(bias), g.ConstantInt64($"{n}/bias_1d", heads * h)], n)], n);
            y = g.Node("Reshape", [y, g.ConstantInt64($"{n}/heads", 0, 0, heads, h)], n); // (B, T, N, H)
            return g.Node("Transpose", [y], n, OnnxAttribute.Ints("perm", perm));
        }
        var q = Project(query, l.QueryKernel, l.QueryBias, hk, [0, 2, 1, 3]); // (B, N, T, H)
        var kt = Project(key, l.KeyKernel, l.KeyBias, hk, [0, 2, 3, 1]);      // (B, N, H, S)
        var v = Project(value, l.ValueKernel, l.ValueBias, hv, [0, 2, 1, 3]); // (B, N, S, Hv)
        var logits = g.Node("Mul", [g.Node("MatMul", [q, kt], n), g.Scalar($"{n}/scale", 1f / MathF.Sqrt(hk))], n); // (B, N, T, S)

        // Mask (B, T, S) or broadcastable, true where attended, as MultiHeadAttention.CombineMasks.
        string? mask = c.Inputs.Length > 3 ? g.Node("Cast", [c.Inputs[3]], n, OnnxAttribute.Int("to", 9)) : null;
        if (g.MaskOf(query) is { } qm) mask = And(g, mask, Unsqueeze(g, qm, 2, n), n);
        if (g.MaskOf(value) is { } vm) mask = And(g, mask, Unsqueeze(g, vm, 1, n), n);
        if (key != value && g.MaskOf(key) is { } km) mask = And(g, mask, Unsqueeze(g, km, 1, n), n);
        if (causal) mask = And(g, mask, CausalMask(g, query, value, n), n);
        if (mask is not null && (c.Inputs.Length > 3 || g.MaskOf(query) != null || g.MaskOf(value) != null || (key != value && g.MaskOf(key) != null)))
            mask = Unsqueeze(g, mask, 1, n); // (B, 1, T, S) against the heads axis; a causal table alone broadcasts as it is
        var probs = MaskedSoftmax(g, logits, mask, n);
        var o = g.Node("Transpose", [g.Node("MatMul", [probs, v], n)], n, OnnxAttribute.Ints("perm", 0, 2, 1, 3)); // (B, T, N, Hv)
        o = g.Node("Reshape", [o, g.ConstantInt64($"{n}/merge_heads", 0, 0, heads * hv)], n);
        var wo = g.Node("Reshape", [g.Weight(l.OutputKernel), g.ConstantInt64($"{n}/output_2d", heads * hv, dOut)], n);
        o = g.Node("MatMul", [o, wo], n);
        if (l.OutputBias is not null) o = g.Node("Add", [o, g.Weight(l.OutputBias)], n);
        if (g.MaskOf(query) is { } qmask) g.SetMask(o, qmask, g.MaskRank(query));
        return returnScores ? [o, probs] : [o];
    }

    /// <summary>
    /// Keras' dot-product family (<c>Attention</c>, <c>AdditiveAttention</c>): softmax of the scores over the value
    /// steps (value mask and causal mask applied), times the values; rows of a masked query are zeroed.
    /// </summary>
    private static string[] DenseAttention(BaseDenseAttention l, OnnxLayerCall c, Func<OnnxGraph, string, string, string> scoresOf)
    {
        var g = c.Graph;
        string n = l.Name;
        string query = c.Inputs[0], value = c.Inputs[1], key = c.Inputs.Length > 2 ? c.Inputs[2] : value;
        bool causal = c.Arguments.TryGetValue("use_causal_mask", out var cm) && cm is true;
        bool returnScores = c.Arguments.TryGetValue("return_attention_scores", out var rs) && rs is true;
        var scores = scoresOf(g, query, key); // (B, T, S)
        string? mask = g.MaskOf(value) is { } vm ? Unsqueeze(g, vm, 1, n) : null;
        if (causal) mask = And(g, mask, CausalMask(g, query, value, n), n);
        var weights = MaskedSoftmax(g, scores, mask, n);
        var result = g.Node("MatMul", [weights, value], n);
        if (g.MaskOf(query) is { } qm)
        {
            result = g.Node("Mul", [result, g.Node("Cast", [Unsqueeze(g, qm, 2, n)], n, OnnxAttribute.Int("to", 1))], n);
            g.SetMask(result, qm, g.MaskRank(query));
        }
        return returnScores ? [result, weights] : [result];
    }
}
