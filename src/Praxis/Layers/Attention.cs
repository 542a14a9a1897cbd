using Praxis.Initializers;

namespace Praxis.Layers;

/// <summary>
/// Multi-head attention (Keras <c>MultiHeadAttention</c>, Vaswani et al. 2017). Inputs: query (B, T, Dq), value (B, S, Dv),
/// optionally key (B, S, Dk; default value) and an attention mask (B, T, S) of 1/0. Each input is projected to
/// <see cref="NumHeads"/> heads (kernels (D, heads, key_dim) as Keras' EinsumDense), attention runs per head with scale
/// 1/√key_dim, and the heads are projected back to Dq (or <see cref="OutputShape"/>) features.
/// Call arguments: <c>use_causal_mask</c> (query i sees keys j ≤ i) and <c>return_attention_scores</c> (also return the
/// (B, heads, T, S) attention probabilities). Masks carried by query and value (from an Embedding with mask_zero) are
/// combined with the attention mask as in Keras; the output carries the query's mask.
/// </summary>
/// <remarks>
/// Without return_attention_scores the attention is one fused op (<see cref="Tensor.DotProductAttention(Tensor, Tensor, Tensor, int, Tensor?, float?, bool)"/>) that reads
/// the heads in place; for self-attention (query, key and value the same tensor) the three projections are one GEMM
/// into [Q | K | V], read in place by <see cref="Tensor.SelfAttention"/>. With return_attention_scores the same math is
/// composed from MatMul, Permute and MaskedSoftmax. Keras' dropout and attention_axes are not offered.
/// </remarks>
public sealed class MultiHeadAttention : Layer
{
    /// <summary>Creates the layer; arguments as Keras.</summary>
    /// <param name="numHeads">Number of heads.</param>
    /// <param name="keyDim">Size of each head for query and key.</param>
    /// <param name="valueDim">Size of each head for value (default <paramref name="keyDim"/>).</param>
    /// <param name="useBias">Whether the projections have biases (default true).</param>
    /// <param name="outputShape">Output features (default: the query's features).</param>
    /// <param name="kernelInitializer">Default Glorot uniform.</param>
    /// <param name="biasInitializer">Default zeros.</param>
    /// <param name="name">Layer name; generated when null.</param>
    public MultiHeadAttention(int numHeads, int keyDim, int? valueDim = null, bool useBias = true, int? outputShape = null,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, string? name = null) : base(name)
    {
        if (numHeads <= 0) throw new ArgumentOutOfRangeException(nameof(numHeads), $"MultiHeadAttention needs num_heads > 0; got {numHeads}.");
        if (keyDim <= 0) throw new ArgumentOutOfRangeException(nameof(keyDim), $"MultiHeadAttention needs key_dim > 0; got {keyDim}.");
        if (valueDim is <= 0) throw new ArgumentOutOfRangeException(nameof(valueDim), $"MultiHeadAttention needs value_dim > 0; got {valueDim}.");
        if (outputShape is <= 0) throw new ArgumentOutOfRangeException(nameof(outputShape), $"MultiHeadAttention needs output_shape > 0; got {outputShape}.");
        NumHeads = numHeads;
        KeyDim = keyDim;
        ValueDim = valueDim ?? keyDim;
        UseBias = useBias;
        OutputShape = outputShape;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? new Zeros();
    }

    /// <summary>Number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>Query/key size per head.</summary>
    public int KeyDim { get; }

    /// <summary>Value size per head.</summary>
    public int ValueDim { get; }

    /// <summary>Whether projections have biases.</summary>
    public bool UseBias { get; }

    /// <summary>Output features, or null for the query's.</summary>
    public int? OutputShape { get; }

    /// <summary>The kernel initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The bias initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>Query projection kernel (Dq, heads, key_dim), once built.</summary>
    public Tensor QueryKernel { get; private set; } = null!;

    /// <summary>Key projection kernel (Dk, heads, key_dim), once built.</summary>
    public Tensor KeyKernel { get; private set; } = null!;

    /// <summary>Value projection kernel (Dv, heads, value_dim), once built.</summary>
    public Tensor ValueKernel { get; private set; } = null!;

    /// <summary>Output projection kernel (heads, value_dim, out), once built.</summary>
    public Tensor OutputKernel { get; private set; } = null!;

    /// <summary>Projection biases (heads, key_dim), (heads, key_dim), (heads, value_dim), (out), once built with biases.</summary>
    public Tensor? QueryBias { get; private set; }

    /// <summary>See <see cref="QueryBias"/>.</summary>
    public Tensor? KeyBias { get; private set; }

    /// <summary>See <see cref="QueryBias"/>.</summary>
    public Tensor? ValueBias { get; private set; }

    /// <summary>See <see cref="QueryBias"/>.</summary>
    public Tensor? OutputBias { get; private set; }

    /// <inheritdoc />
    public override void Build(Shape inputShape) => Build([inputShape, inputShape]);

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes)
    {
        CheckInputShapes(inputShapes);
        int dq = inputShapes[0][-1], dv = inputShapes[1][-1], dk = inputShapes.Length > 2 ? inputShapes[2][-1] : dv;
        int dOut = OutputShape ?? dq;
        QueryKernel = AddWeight("query/kernel", new Shape(dq, NumHeads, KeyDim), KernelInitializer);
        if (UseBias) QueryBias = AddWeight("query/bias", new Shape(NumHeads, KeyDim), BiasInitializer);
        KeyKernel = AddWeight("key/kernel", new Shape(dk, NumHeads, KeyDim), KernelInitializer);
        if (UseBias) KeyBias = AddWeight("key/bias", new Shape(NumHeads, KeyDim), BiasInitializer);
        ValueKernel = AddWeight("value/kernel", new Shape(dv, NumHeads, ValueDim), KernelInitializer);
        if (UseBias) ValueBias = AddWeight("value/bias", new Shape(NumHeads, ValueDim), BiasInitializer);
        OutputKernel = AddWeight("attention_output/kernel", new Shape(NumHeads, ValueDim, dOut), KernelInitializer);
        if (UseBias) OutputBias = AddWeight("attention_output/bias", new Shape(dOut), BiasInitializer);
        Built = true;
    }

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes)
    {
        if (shapes.Length is < 2 or > 4)
            throw new ArgumentException($"Layer '{Name}' (MultiHeadAttention) takes [query, value], [query, value, key] or [query, value, key, attention_mask]; got {shapes.Length} inputs.");
        string[] names = ["query", "value", "key"];
        for (int i = 0; i < Math.Min(shapes.Length, 3); i++)
            if (shapes[i].Rank != 3 || shapes[i][-1] <= 0)
                throw new ShapeMismatchException($"Layer '{Name}' (MultiHeadAttention): {names[i]} must be (batch, time, features); got shape {shapes[i]}.");
        var q = shapes[0]; var v = shapes[1];
        if (shapes.Length > 2 && shapes[2][1] != v[1] && shapes[2][1] >= 0 && v[1] >= 0)
            throw new ShapeMismatchException($"Layer '{Name}' (MultiHeadAttention): key {shapes[2]} and value {v} must have the same length.");
        if (Built)
        {
            int dk = shapes.Length > 2 ? shapes[2][-1] : v[-1];
            if (q[-1] != QueryKernel.Shape[0] || v[-1] != ValueKernel.Shape[0] || dk != KeyKernel.Shape[0])
                throw new ShapeMismatchException($"Layer '{Name}' (MultiHeadAttention) was built for query/value/key features {QueryKernel.Shape[0]}/{ValueKernel.Shape[0]}/{KeyKernel.Shape[0]}; got shapes {string.Join(", ", shapes.Take(3).Select(s => s.ToString()))}.");
        }
        if (shapes.Length == 4)
        {
            var m = shapes[3];
            if (m.Rank != 3 || (m[1] != q[1] && m[1] >= 0 && q[1] >= 0) || (m[2] != v[1] && m[2] >= 0 && v[1] >= 0))
                throw new ShapeMismatchException($"Layer '{Name}' (MultiHeadAttention): attention_mask must be (batch, {q[1]}, {v[1]}) for query {q} and value {v}; got {m}.");
        }
    }

    /// <summary>
    /// Calls the layer on symbolic tensors (self-attention: pass the same tensor as query and value).
    /// </summary>
    public SymbolicTensor Apply(SymbolicTensor query, SymbolicTensor value, SymbolicTensor? key = null,
        SymbolicTensor? attentionMask = null, bool useCausalMask = false)
    {
        SymbolicTensor[] inputs = attentionMask is not null ? [query, value, key ?? value, attentionMask] : key is not null ? [query, value, key] : [query, value];
        return ApplyMany(inputs, Arguments(useCausalMask, false))[0];
    }

    /// <summary>Calls the layer eagerly; returns the output, and the attention probabilities when asked.</summary>
    public Tensor[] Apply(Tensor query, Tensor value, Tensor? key = null, Tensor? attentionMask = null,
        bool useCausalMask = false, bool returnAttentionScores = false, bool training = false)
    {
        Tensor[] inputs = attentionMask is not null ? [query, value, key ?? value, attentionMask] : key is not null ? [query, value, key] : [query, value];
        return ApplyMany(inputs, Arguments(useCausalMask, returnAttentionScores), training);
    }

    private static Dictionary<string, object?> Arguments(bool causal, bool scores)
    {
        var d = new Dictionary<string, object?>();
        if (causal) d["use_causal_mask"] = true;
        if (scores) d["return_attention_scores"] = true;
        return d;
    }

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training) => Call(inputs, training, NoArguments);

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training, IReadOnlyDictionary<string, object?> arguments)
    {
        CheckArguments(arguments, "use_causal_mask", "return_attention_scores");
        CheckInputShapes(inputs.Select(t => t.Shape).ToArray());
        bool causal = Argument(arguments, "use_causal_mask", false);
        bool returnScores = Argument(arguments, "return_attention_scores", false);
        Tensor query = inputs[0], value = inputs[1], key = inputs.Length > 2 ? inputs[2] : value;
        Tensor? attentionMask = inputs.Length > 3 ? inputs[3] : null;
        int b = query.Shape[0], t = query.Shape[1], s = value.Shape[1];

        var mask = CombineMasks(query.Mask, value.Mask, ReferenceEquals(key, value) ? null : key.Mask, attentionMask, t, s);
        Tensor heads, scores = null!; // heads: (B, T, N·Hv), the layout of (B, T, N, Hv)
        if (!returnScores && ReferenceEquals(query, value) && ReferenceEquals(key, value))
        {
            // Self-attention: one GEMM projects to [Q | K | V] (the kernels side by side), read in place by the attention.
            int d = query.Shape[-1], nq = NumHeads * KeyDim, nv = NumHeads * ValueDim;
            var kernel = Tensor.Concat([QueryKernel.Reshape(d, nq), KeyKernel.Reshape(d, nq), ValueKernel.Reshape(d, nv)], 1);
            var bias = UseBias ? Tensor.Concat([QueryBias!.Reshape(nq), KeyBias!.Reshape(nq), ValueBias!.Reshape(nv)], 0) : null;
            heads = Tensor.SelfAttention(Tensor.Linear(query, kernel, bias), NumHeads, KeyDim, ValueDim, mask, 1f / MathF.Sqrt(KeyDim), causal);
            int dSelf = OutputKernel.Shape[2];
            var selfOut = Tensor.Linear(heads, OutputKernel.Reshape(nv, dSelf), OutputBias);
            if (query.Mask is { } m) selfOut.Mask = m;
            return [selfOut];
        }
        // Projections to heads packed in the features: (B, T, D) · (D, N·H) → (B, T, N·H), the layout of (B, T, N, H).
        var q = Project(query, QueryKernel, QueryBias);
        var k = Project(key, KeyKernel, KeyBias);
        var v = Project(value, ValueKernel, ValueBias);
        if (!returnScores) heads = Tensor.DotProductAttention(q, k, v, NumHeads, mask, 1f / MathF.Sqrt(KeyDim), causal);
        else
        {
            // The same math from MatMul, Permute and MaskedSoftmax, keeping the probabilities.
            var qh = q.Reshape(b, t, NumHeads, KeyDim).Permute(0, 2, 1, 3);   // (B, N, T, H)
            var kt = k.Reshape(b, s, NumHeads, KeyDim).Permute(0, 2, 3, 1);   // (B, N, H, S)
            var vh = v.Reshape(b, s, NumHeads, ValueDim).Permute(0, 2, 1, 3); // (B, N, S, Hv)
            var logits = Tensor.MatMul(qh, kt) * (1f / MathF.Sqrt(KeyDim));
            scores = logits.MaskedSoftmax(mask?.Reshape(b, 1, t, s), causal);
            heads = Tensor.MatMul(scores, vh).Permute(0, 2, 1, 3).Reshape(b, t, NumHeads * ValueDim);
        }
        int dOut = OutputKernel.Shape[2];
        var output = Tensor.Linear(heads, OutputKernel.Reshape(NumHeads * ValueDim, dOut), OutputBias);
        if (query.Mask is { } qm) output.Mask = qm;
        return returnScores ? [output, scores] : [output];
    }

    private static Tensor Project(Tensor x, Tensor kernel, Tensor? bias)
    {
        int units = kernel.Shape[1] * kernel.Shape[2];
        return Tensor.Linear(x, kernel.Reshape(kernel.Shape[0], units), bias?.Reshape(units));
    }

    /// <summary>Keras' automatic mask: query_mask[:, :, None] ∧ value_mask[:, None, :] ∧ key_mask[:, None, :] ∧ attention_mask, as (B, T, S) or null.</summary>
    internal static Tensor? CombineMasks(Tensor? queryMask, Tensor? valueMask, Tensor? keyMask, Tensor? attentionMask, int t, int s)
    {
        Tensor? m = attentionMask;
        if (queryMask is not null)
        {
            var qm = queryMask.Reshape(queryMask.Shape[0], t, 1);
            m = m is null ? qm.BroadcastTo(queryMask.Shape[0], t, s) : m * qm;
        }
        foreach (var km in new[] { valueMask, keyMask })
        {
            if (km is null) continue;
            var vm = km.Reshape(km.Shape[0], 1, s);
            m = m is null ? vm.BroadcastTo(km.Shape[0], t, s) : m * vm;
        }
        return m;
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes, IReadOnlyDictionary<string, object?> arguments)
    {
        var q = inputShapes[0];
        var output = new Shape(q[0], q[1], OutputShape ?? q[-1]);
        return Argument(arguments, "return_attention_scores", false) ? [output, new Shape(q[0], NumHeads, q[1], inputShapes[1][1])] : [output];
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static MultiHeadAttention FromConfig(LayerConfig c) => new MultiHeadAttention(c.GetInt("num_heads"), c.GetInt("key_dim"), c.GetOptionalInt("value_dim"), c.GetBool("use_bias", true),
        c.GetOptionalInt("output_shape"), c.GetInitializer("kernel_initializer", "glorot_uniform"), c.GetInitializer("bias_initializer", "zeros"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["num_heads"] = NumHeads;
        c["key_dim"] = KeyDim;
        c["value_dim"] = ValueDim;
        c["use_bias"] = UseBias;
        c["output_shape"] = OutputShape;
        c["kernel_initializer"] = KernelInitializer.ToConfigValue();
        c["bias_initializer"] = BiasInitializer.ToConfigValue();
        return c;
    }
}

/// <summary>
/// The shared part of Keras' <see cref="Attention"/> (Luong) and <see cref="AdditiveAttention"/> (Bahdanau) layers.
/// Inputs: [query (B, Tq, D), value (B, Tv, D)] or [query, value, key (B, Tv, D)]; key defaults to value. Scores
/// (B, Tq, Tv) are computed by the subclass; the value's mask drops padded keys, <c>use_causal_mask</c> drops keys after
/// each query; softmax over keys; the result (B, Tq, D) = weights · value, zeroed at masked query steps, carrying the
/// query's mask. With <c>return_attention_scores</c> the weights (B, Tq, Tv) come as a second output.
/// </summary>
public abstract class BaseDenseAttention : Layer
{
    private protected BaseDenseAttention(string? name) : base(name) { }

    /// <summary>Raw scores (B, Tq, Tv) of each query against each key.</summary>
    private protected abstract Tensor Scores(Tensor query, Tensor key);

    /// <inheritdoc />
    public override void Build(Shape inputShape) => throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) takes [query, value] or [query, value, key]; got one input.");

    /// <inheritdoc />
    protected override void CheckInputShapes(Shape[] shapes)
    {
        if (shapes.Length is < 2 or > 3)
            throw new ArgumentException($"Layer '{Name}' ({GetType().Name}) takes [query, value] or [query, value, key]; got {shapes.Length} inputs.");
        foreach (var s in shapes)
            if (s.Rank != 3) throw new ShapeMismatchException($"Layer '{Name}' ({GetType().Name}) expects inputs (batch, time, features); got shapes {string.Join(", ", shapes.Select(x => x.ToString()))}.");
        var k = shapes.Length > 2 ? shapes[2] : shapes[1];
        if ((shapes[0][-1] != k[-1] && shapes[0][-1] >= 0 && k[-1] >= 0) || (shapes[1][1] != k[1] && k[1] >= 0 && shapes[1][1] >= 0))
            throw new ShapeMismatchException($"Layer '{Name}' ({GetType().Name}): query {shapes[0]} and key {k} need the same features, and key and value {shapes[1]} the same length.");
    }

    /// <summary>Calls the layer on symbolic tensors.</summary>
    public SymbolicTensor Apply(SymbolicTensor query, SymbolicTensor value, SymbolicTensor? key = null, bool useCausalMask = false)
    {
        var args = new Dictionary<string, object?>();
        if (useCausalMask) args["use_causal_mask"] = true;
        return ApplyMany(key is null ? [query, value] : [query, value, key], args)[0];
    }

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training) => Call(inputs, training, NoArguments);

    /// <inheritdoc />
    public override Tensor[] Call(Tensor[] inputs, bool training, IReadOnlyDictionary<string, object?> arguments)
    {
        CheckArguments(arguments, "use_causal_mask", "return_attention_scores");
        CheckInputShapes(inputs.Select(t => t.Shape).ToArray());
        Tensor query = inputs[0], value = inputs[1], key = inputs.Length > 2 ? inputs[2] : value;
        var scores = Scores(query, key);
        var weights = scores.MaskedSoftmax(value.Mask?.Reshape(value.Shape[0], 1, value.Shape[1]), Argument(arguments, "use_causal_mask", false));
        var result = Tensor.MatMul(weights, value);
        if (query.Mask is { } qm)
        {
            result = result * qm.Reshape(qm.Shape[0], qm.Shape[1], 1);
            result.Mask = qm;
        }
        return Argument(arguments, "return_attention_scores", false) ? [result, weights] : [result];
    }

    /// <inheritdoc />
    public override Shape[] ComputeOutputShapes(Shape[] inputShapes, IReadOnlyDictionary<string, object?> arguments)
    {
        var q = inputShapes[0];
        var output = new Shape(q[0], q[1], inputShapes[1][-1]);
        return Argument(arguments, "return_attention_scores", false) ? [output, new Shape(q[0], q[1], inputShapes[1][1])] : [output];
    }
}

/// <summary>
/// Dot-product (Luong-style) attention (Keras <c>Attention</c>): scores = query · keyᵀ, times a learned scalar
/// <c>scale</c> (initially 1) when <see cref="UseScale"/>. With <see cref="ScoreMode"/> "concat" the scores are
/// concat_score_weight · Σ tanh(scale·(query + key)) over features instead. See <see cref="BaseDenseAttention"/>.
/// </summary>
public sealed class Attention : BaseDenseAttention
{
    /// <summary>Creates the layer.</summary>
    /// <param name="useScale">Learn a scalar that multiplies the scores (default false).</param>
    /// <param name="scoreMode">"dot" (default) or "concat".</param>
    /// <param name="name">Layer name; generated when null.</param>
    public Attention(bool useScale = false, string scoreMode = "dot", string? name = null) : base(name)
    {
        if (scoreMode is not ("dot" or "concat")) throw new ArgumentException($"Attention: score_mode must be \"dot\" or \"concat\"; got \"{scoreMode}\".");
        UseScale = useScale;
        ScoreMode = scoreMode;
    }

    /// <summary>Whether a learned scalar scales the scores.</summary>
    public bool UseScale { get; }

    /// <summary>"dot" or "concat".</summary>
    public string ScoreMode { get; }

    /// <summary>The learned scale (a scalar), once built with <see cref="UseScale"/>.</summary>
    public Tensor? Scale { get; private set; }

    /// <summary>The learned concat-mode weight (a scalar), once built in "concat" mode.</summary>
    public Tensor? ConcatScoreWeight { get; private set; }

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes)
    {
        CheckInputShapes(inputShapes);
        if (UseScale) Scale = AddWeight("scale", new Shape(), new Ones());
        if (ScoreMode == "concat") ConcatScoreWeight = AddWeight("concat_score_weight", new Shape(), new Ones());
        Built = true;
    }

    private protected override Tensor Scores(Tensor query, Tensor key)
    {
        if (ScoreMode == "dot")
        {
            var s = Tensor.MatMul(query, key.Transpose());
            return Scale is null ? s : s * Scale;
        }
        var sum = AdditiveAttention.PairwiseSum(query, key);
        if (Scale is not null) sum = sum * Scale;
        return sum.Tanh().Sum(-1) * ConcatScoreWeight!;
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static Attention FromConfig(LayerConfig c) => new Attention(c.GetBool("use_scale", false), c.GetChoice("score_mode", "dot", "dot", "concat"), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["use_scale"] = UseScale;
        c["score_mode"] = ScoreMode;
        return c;
    }
}

/// <summary>
/// Additive (Bahdanau-style) attention (Keras <c>AdditiveAttention</c>): scores = Σ_features scale ⊙ tanh(query + key),
/// with a learned per-feature <c>scale</c> (Glorot-uniform) when <see cref="UseScale"/> (default true).
/// See <see cref="BaseDenseAttention"/>.
/// </summary>
public sealed class AdditiveAttention : BaseDenseAttention
{
    /// <summary>Creates the layer.</summary>
    public AdditiveAttention(bool useScale = true, string? name = null) : base(name) => UseScale = useScale;

    /// <summary>Whether the learned per-feature scale is used.</summary>
    public bool UseScale { get; }

    /// <summary>The learned scale (features), once built with <see cref="UseScale"/>.</summary>
    public Tensor? Scale { get; private set; }

    /// <inheritdoc />
    public override void Build(Shape[] inputShapes)
    {
        CheckInputShapes(inputShapes);
        if (UseScale) Scale = AddWeight("scale", new Shape(inputShapes[0][-1]), new GlorotUniform());
        Built = true;
    }

    /// <summary>query[:, :, None, :] + key[:, None, :, :] → (B, Tq, Tv, D).</summary>
    internal static Tensor PairwiseSum(Tensor query, Tensor key)
    {
        int b = query.Shape[0], tq = query.Shape[1], tv = key.Shape[1], d = query.Shape[2];
        return query.Reshape(b, tq, 1, d) + key.Reshape(b, 1, tv, d);
    }

    private protected override Tensor Scores(Tensor query, Tensor key)
    {
        var t = PairwiseSum(query, key).Tanh();
        return (Scale is null ? t : t * Scale).Sum(-1);
    }

    /// <summary>Rebuilds the layer from its saved config (<see cref="GetConfig"/>); every default is written here once.</summary>
    public static AdditiveAttention FromConfig(LayerConfig c) => new AdditiveAttention(c.GetBool("use_scale", true), c.Name);

    /// <inheritdoc />
    public override Dictionary<string, object?> GetConfig()
    {
        var c = base.GetConfig();
        c["use_scale"] = UseScale;
        return c;
    }
}
