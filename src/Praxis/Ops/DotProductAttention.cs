using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

public sealed partial class Tensor
{
    /// <summary>
    /// Scaled dot-product attention, fused (Keras <c>ops.dot_product_attention</c>): query (B, T, N, H), key (B, S, N, H),
    /// value (B, S, N, Hv) → (B, T, N, Hv), with N heads; softmax(scale · Q·Kᵀ) · V per batch entry and head.
    /// <paramref name="scale"/> defaults to 1/√H. <paramref name="mask"/> (1 keep, 0 drop) is (B, T, S) — the same for
    /// every head, like Keras' MultiHeadAttention attention_mask — or any shape of rank 2 or 4 that broadcasts to
    /// (B, N, T, S), e.g. (T, S) or (B, 1, 1, S); <paramref name="isCausal"/> drops key j for query i when j &gt; i.
    /// A query row with every key dropped attends uniformly (Keras' −1e9 convention).
    /// </summary>
    /// <remarks>
    /// The heads are read in place with row strides, so no transpose is materialised; forward keeps the attention
    /// probabilities (B, N, T, S) for backward.
    /// </remarks>
    public static Tensor DotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? mask = null, float? scale = null, bool isCausal = false) =>
        Engine.Record(DotProductAttentionOp.Separate(query, key, value, mask, scale, isCausal, null));

    /// <summary>
    /// The same attention on heads packed in the feature axis: query (B, T, N·H), key (B, S, N·H), value (B, S, N·Hv)
    /// → (B, T, N·Hv), head n occupying features [n·H, (n+1)·H). The memory layout is that of (B, T, N, H), so a
    /// multi-head layer can feed its projections in and read the result out without reshapes.
    /// </summary>
    public static Tensor DotProductAttention(Tensor query, Tensor key, Tensor value, int numHeads, Tensor? mask = null, float? scale = null, bool isCausal = false) =>
        Engine.Record(DotProductAttentionOp.Separate(query, key, value, mask, scale, isCausal, numHeads));

    /// <summary>
    /// Self-attention on one tensor holding query, key and value side by side, qkv (B, T, 2·N·H + N·Hv) laid out
    /// [Q | K | V] (the output of one fused projection, nanoGPT's <c>c_attn</c>), → (B, T, N·Hv). Otherwise as
    /// <see cref="DotProductAttention(Tensor, Tensor, Tensor, int, Tensor?, float?, bool)"/>; the three parts are read
    /// in place and their gradients written in place.
    /// </summary>
    public static Tensor SelfAttention(Tensor qkv, int numHeads, int keyDim, int? valueDim = null, Tensor? mask = null, float? scale = null, bool isCausal = false) =>
        Engine.Record(DotProductAttentionOp.Packed(qkv, numHeads, keyDim, valueDim ?? keyDim, mask, scale, isCausal));
}

/// <summary>
/// Per (b, n): P = softmax_masked(scale·Q Kᵀ) (T×S); O = P V. Backward: dV += Pᵀ dO; dP = dO Vᵀ;
/// dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ += scale·dS K; dK += scale·dSᵀ Q. Q, K and V are addressed as (tensor, column
/// offset, row stride), so separate (B, T, N, H) tensors, heads packed in the features, and one packed [Q | K | V]
/// tensor all run the same code.
/// </summary>
internal sealed class DotProductAttentionOp : Op
{
    private readonly int _b, _t, _s, _n, _h, _hv;
    private readonly int _iq, _ik, _iv;         // input index of each operand (all 0 when packed)
    private readonly int _oq, _ok, _ov;         // column offset of each operand within its rows
    private readonly int _ldq, _ldk, _ldv;      // row strides
    private readonly float _scale;
    private readonly bool _causal, _hasMask;
    private readonly int _mb, _mn, _mt, _ms;    // mask strides for (B, N, T, S), 0 where broadcast
    private readonly float[] _probs;            // (B, N, T, S)
    private readonly float[] _dscores;          // backward scratch, same layout
    private readonly bool[] _uniform;           // (B, N, T) rows with every key dropped

    private DotProductAttentionOp(Tensor[] inputs, int b, int t, int s, int n, int h, int hv, (int Q, int K, int V) index,
        (int Q, int K, int V) offset, (int Q, int K, int V) stride, Tensor? mask, float? scale, bool causal, Shape outShape) : base(inputs)
    {
        (_b, _t, _s, _n, _h, _hv) = (b, t, s, n, h, hv);
        (_iq, _ik, _iv) = index;
        (_oq, _ok, _ov) = offset;
        (_ldq, _ldk, _ldv) = stride;
        _scale = scale ?? 1f / MathF.Sqrt(_h);
        _causal = causal;
        if (mask is not null)
        {
            _hasMask = true;
            var full = new Shape(_b, _n, _t, _s);
            // A rank-3 mask is (B, T, S), shared by the heads: view it as (B, 1, T, S).
            var ms = mask.Rank == 3 ? new Shape(mask.Shape[0], 1, mask.Shape[1], mask.Shape[2]) : mask.Shape;
            bool ok = ms.Rank is 2 or 4;
            try { ok = ok && Shape.Broadcast(full, ms, "DotProductAttention mask") == full; }
            catch (ShapeMismatchException) { ok = false; }
            if (!ok)
                throw new ShapeMismatchException($"DotProductAttention: mask shape {mask.Shape} does not fit (B, T, S) = ({_b}, {_t}, {_s}) or broadcast to (B, N, T, S) = {full}.");
            var st = new int[4];
            for (int i = ms.Rank - 1, m = 1; i >= 0; i--)
            {
                st[i + 4 - ms.Rank] = ms[i] == 1 ? 0 : m;
                m *= ms[i];
            }
            (_mb, _mn, _mt, _ms) = (st[0], st[1], st[2], st[3]);
        }
        _probs = new float[_b * _n * _t * _s];
        _dscores = new float[_probs.Length];
        _uniform = new bool[_b * _n * _t];
        Output = new Tensor(outShape);
    }

    public override string Name => "DotProductAttention";

    /// <summary>Separate query, key and value: (B, T, N, H) each, or (B, T, N·H) with <paramref name="packedHeads"/> heads.</summary>
    public static DotProductAttentionOp Separate(Tensor q, Tensor k, Tensor v, Tensor? mask, float? scale, bool causal, int? packedHeads)
    {
        // Packed heads (B, T, N·H) are viewed as (B, T, N, H): the same memory.
        var (qs, ks, vs) = packedHeads is int heads ? (Unpack(q, heads, "query"), Unpack(k, heads, "key"), Unpack(v, heads, "value")) : (q.Shape, k.Shape, v.Shape);
        if (qs.Rank != 4 || ks.Rank != 4 || vs.Rank != 4)
            throw new ShapeMismatchException($"DotProductAttention expects query (B, T, N, H), key (B, S, N, H), value (B, S, N, Hv); got {q.Shape}, {k.Shape}, {v.Shape}.");
        int b = qs[0], t = qs[1], n = qs[2], h = qs[3], s = ks[1], hv = vs[3];
        if (ks[0] != b || ks[2] != n || ks[3] != h)
            throw new ShapeMismatchException($"DotProductAttention: key shape {k.Shape} does not fit query shape {q.Shape} (expected ({b}, S, {n}, {h})).");
        if (vs[0] != b || vs[1] != s || vs[2] != n)
            throw new ShapeMismatchException($"DotProductAttention: value shape {v.Shape} does not fit key shape {k.Shape} (expected ({b}, {s}, {n}, Hv)).");
        var outShape = packedHeads is null ? new Shape(b, t, n, hv) : new Shape(b, t, n * hv);
        return new DotProductAttentionOp(mask is null ? [q, k, v] : [q, k, v, mask], b, t, s, n, h, hv, (0, 1, 2), (0, 0, 0),
            (n * h, n * h, n * hv), mask, scale, causal, outShape);
    }

    /// <summary>One (B, T, 2·N·H + N·Hv) tensor laid out [Q | K | V].</summary>
    public static DotProductAttentionOp Packed(Tensor qkv, int n, int h, int hv, Tensor? mask, float? scale, bool causal)
    {
        if (n <= 0 || h <= 0 || hv <= 0)
            throw new ArgumentOutOfRangeException(nameof(n), $"SelfAttention: heads and head sizes must be positive; got {n} heads of {h} (values {hv}).");
        int width = 2 * n * h + n * hv;
        if (qkv.Rank != 3 || qkv.Shape[2] != width)
            throw new ShapeMismatchException($"SelfAttention with {n} heads of {h} (values {hv}) expects qkv (batch, time, {width}) laid out [Q | K | V]; got {qkv.Shape}.");
        int b = qkv.Shape[0], t = qkv.Shape[1];
        return new DotProductAttentionOp(mask is null ? [qkv] : [qkv, mask], b, t, t, n, h, hv, (0, 0, 0), (0, n * h, 2 * n * h),
            (width, width, width), mask, scale, causal, new Shape(b, t, n * hv));
    }

    private static Shape Unpack(Tensor x, int heads, string what)
    {
        if (heads <= 0) throw new ArgumentOutOfRangeException(nameof(heads), $"DotProductAttention: the number of heads must be positive; got {heads}.");
        if (x.Rank != 3 || x.Shape[2] % heads != 0)
            throw new ShapeMismatchException($"DotProductAttention with {heads} packed heads expects {what} (batch, time, heads·size) with features divisible by {heads}; got {x.Shape}.");
        return new Shape(x.Shape[0], x.Shape[1], heads, x.Shape[2] / heads);
    }

    private Tensor? MaskInput => _hasMask ? Inputs[^1] : null;

    public override void Forward()
    {
        var body = new HeadBody { Op = this, Backward = false };
        RunHeads(ref body);
    }

    public override void Backward()
    {
        // Create the gradient buffers before the heads run (in parallel).
        foreach (int i in (ReadOnlySpan<int>)[_iq, _ik, _iv])
            if (Inputs[i].RequiresGrad) GradSpan(Inputs[i]);
        if (!Inputs[_iq].RequiresGrad && !Inputs[_ik].RequiresGrad && !Inputs[_iv].RequiresGrad) return;
        var body = new HeadBody { Op = this, Backward = true };
        RunHeads(ref body);
    }

    // Heads are independent (each writes its own rows of the output and of dQ, dK, dV): spread them over the pool.
    private void RunHeads(ref HeadBody body)
    {
        int heads = _b * _n;
        if (heads > 1 && KernelPool.MaxParallelism > 1) KernelPool.For(heads, ref body);
        else for (int i = 0; i < heads; i++) body.Invoke(i);
    }

    private struct HeadBody : IParallelBody
    {
        public DotProductAttentionOp Op;
        public bool Backward;

        public readonly void Invoke(int index)
        {
            if (Backward) Op.BackwardHead(index);
            else Op.ForwardHead(index);
        }
    }

    // Rows are short (S keys, 64 in nanoGPT's configuration): each is a few width-generic passes (Kernels/SoftmaxRow).

    /// <summary>row[0..limit) ← softmax of itself (given its max); row[limit..) ← 0.</summary>
    private static void SoftmaxPrefix(Span<float> row, int limit, float max)
    {
        var head = row[..limit];
        float sum = SoftmaxRow.ExpSum(head, max, head);
        row[limit..].Clear();
        SoftmaxRow.Scale(head, 1f / sum, head);
    }

    private void ForwardHead(int bn)
    {
        int b = bn / _n, n = bn % _n, ts = _t * _s;
        ReadOnlySpan<float> q = Inputs[_iq].Span, k = Inputs[_ik].Span, v = Inputs[_iv].Span;
        ReadOnlySpan<float> mask = MaskInput is { } m ? m.Span : default;
        Span<float> p = _probs.AsSpan(bn * ts, ts);
        // scores (T×S) = scale · Q Kᵀ, heads read in place with their row strides
        Gemm.Sgemm(false, true, _t, _s, _h, _scale, q[(b * _t * _ldq + _oq + n * _h)..], _ldq, k[(b * _s * _ldk + _ok + n * _h)..], _ldk, 0f, p, _s);
        for (int i = 0; i < _t; i++)
        {
            var row = p.Slice(i * _s, _s);
            int limit = _causal ? Math.Min(_s, i + 1) : _s;
            int mo = b * _mb + n * _mn + i * _mt;
            float max = float.NegativeInfinity;
            if (!_hasMask) max = SoftmaxRow.Max(row[..limit]);
            else
                for (int j = 0; j < limit; j++)
                    if (mask[mo + j * _ms] != 0f && row[j] > max) max = row[j];
            bool uniform = float.IsNegativeInfinity(max);
            _uniform[bn * _t + i] = uniform;
            if (uniform) { row.Fill(1f / _s); continue; }
            if (!_hasMask)
            {
                SoftmaxPrefix(row, limit, max);
                continue;
            }
            // Masked positions become −∞ (exponential exactly 0), then one vector pass as in SoftmaxRow.
            for (int j = 0; j < _s; j++)
                if (j >= limit || mask[mo + j * _ms] == 0f) row[j] = float.NegativeInfinity;
            float sum = SoftmaxRow.ExpSum(row, max, row);
            SoftmaxRow.Scale(row, 1f / sum, row);
        }
        // O (T×Hv) = P V, written in place with row stride N·Hv
        int ldo = _n * _hv;
        Gemm.Sgemm(false, false, _t, _hv, _s, 1f, p, _s, v[(b * _s * _ldv + _ov + n * _hv)..], _ldv, 0f, Output.Span[(b * _t * ldo + n * _hv)..], ldo);
    }

    private void BackwardHead(int bn)
    {
        int b = bn / _n, n = bn % _n, ts = _t * _s, ldo = _n * _hv;
        Tensor q = Inputs[_iq], k = Inputs[_ik], v = Inputs[_iv];
        ReadOnlySpan<float> qs = q.Span, ks = k.Span, vs = v.Span;
        Span<float> gq = q.RequiresGrad ? q.Grad!.Span : default;
        Span<float> gk = k.RequiresGrad ? k.Grad!.Span : default;
        Span<float> gv = v.RequiresGrad ? v.Grad!.Span : default;
        ReadOnlySpan<float> p = _probs.AsSpan(bn * ts, ts);
        ReadOnlySpan<float> dO = OutGrad[(b * _t * ldo + n * _hv)..];
        int qOff = b * _t * _ldq + _oq + n * _h, kOff = b * _s * _ldk + _ok + n * _h, vOff = b * _s * _ldv + _ov + n * _hv;
        if (!gv.IsEmpty) // dV (S×Hv) += Pᵀ dO
            Gemm.Sgemm(true, false, _s, _hv, _t, 1f, p, _s, dO, ldo, 1f, gv[vOff..], _ldv);
        if (gq.IsEmpty && gk.IsEmpty) return;
        Span<float> ds = _dscores.AsSpan(bn * ts, ts);
        // dP (T×S) = dO Vᵀ, then dS = P ⊙ (dP − Σ_j dP⊙P)
        Gemm.Sgemm(false, true, _t, _s, _hv, 1f, dO, ldo, vs[vOff..], _ldv, 0f, ds, _s);
        for (int i = 0; i < _t; i++)
        {
            var dsr = ds.Slice(i * _s, _s);
            if (_uniform[bn * _t + i]) { dsr.Clear(); continue; }
            SoftmaxRow.Backward(dsr, p.Slice(i * _s, _s), dsr, accumulate: false);
        }
        if (!gq.IsEmpty) // dQ (T×H) += scale · dS K
            Gemm.Sgemm(false, false, _t, _h, _s, _scale, ds, _s, ks[kOff..], _ldk, 1f, gq[qOff..], _ldq);
        if (!gk.IsEmpty) // dK (S×H) += scale · dSᵀ Q
            Gemm.Sgemm(true, false, _s, _h, _t, _scale, ds, _s, qs[qOff..], _ldq, 1f, gk[kOff..], _ldk);
    }
}
