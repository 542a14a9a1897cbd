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
        Engine.Record(new DotProductAttentionOp(query, key, value, mask, scale, isCausal, null));

    /// <summary>
    /// The same attention on heads packed in the feature axis: query (B, T, N·H), key (B, S, N·H), value (B, S, N·Hv)
    /// → (B, T, N·Hv), head n occupying features [n·H, (n+1)·H). The memory layout is that of (B, T, N, H), so a
    /// multi-head layer can feed its projections in and read the result out without reshapes.
    /// </summary>
    public static Tensor DotProductAttention(Tensor query, Tensor key, Tensor value, int numHeads, Tensor? mask = null, float? scale = null, bool isCausal = false) =>
        Engine.Record(new DotProductAttentionOp(query, key, value, mask, scale, isCausal, numHeads));
}

/// <summary>
/// Per (b, n): P = softmax_masked(scale·Q Kᵀ) (T×S); O = P V. Backward: dV += Pᵀ dO; dP = dO Vᵀ;
/// dS = P ⊙ (dP − rowsum(dP ⊙ P)); dQ += scale·dS K; dK += scale·dSᵀ Q.
/// </summary>
internal sealed class DotProductAttentionOp : Op
{
    private readonly int _b, _t, _s, _n, _h, _hv;
    private readonly float _scale;
    private readonly bool _causal, _hasMask;
    private readonly int _mb, _mn, _mt, _ms; // mask strides for (B, N, T, S), 0 where broadcast
    private readonly float[] _probs;         // (B, N, T, S)
    private readonly float[] _dscores;       // backward scratch, same layout
    private readonly bool[] _uniform;        // (B, N, T) rows with every key dropped

    public DotProductAttentionOp(Tensor q, Tensor k, Tensor v, Tensor? mask, float? scale, bool causal, int? packedHeads)
        : base(mask is null ? [q, k, v] : [q, k, v, mask])
    {
        // Packed heads (B, T, N·H) are viewed as (B, T, N, H): the same memory.
        var (qs, ks, vs) = packedHeads is int heads ? (Unpack(q, heads, "query"), Unpack(k, heads, "key"), Unpack(v, heads, "value")) : (q.Shape, k.Shape, v.Shape);
        if (qs.Rank != 4 || ks.Rank != 4 || vs.Rank != 4)
            throw new ShapeMismatchException($"DotProductAttention expects query (B, T, N, H), key (B, S, N, H), value (B, S, N, Hv); got {q.Shape}, {k.Shape}, {v.Shape}.");
        _b = qs[0]; _t = qs[1]; _n = qs[2]; _h = qs[3];
        _s = ks[1]; _hv = vs[3];
        if (ks[0] != _b || ks[2] != _n || ks[3] != _h)
            throw new ShapeMismatchException($"DotProductAttention: key shape {k.Shape} does not fit query shape {q.Shape} (expected ({_b}, S, {_n}, {_h})).");
        if (vs[0] != _b || vs[1] != _s || vs[2] != _n)
            throw new ShapeMismatchException($"DotProductAttention: value shape {v.Shape} does not fit key shape {k.Shape} (expected ({_b}, {_s}, {_n}, Hv)).");
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
            for (int i = ms.Rank - 1, s = 1; i >= 0; i--)
            {
                st[i + 4 - ms.Rank] = ms[i] == 1 ? 0 : s;
                s *= ms[i];
            }
            (_mb, _mn, _mt, _ms) = (st[0], st[1], st[2], st[3]);
        }
        _probs = new float[_b * _n * _t * _s];
        _dscores = new float[_probs.Length];
        _uniform = new bool[_b * _n * _t];
        Output = new Tensor(packedHeads is null ? new Shape(_b, _t, _n, _hv) : new Shape(_b, _t, _n * _hv));
    }

    private static Shape Unpack(Tensor x, int heads, string what)
    {
        if (heads <= 0) throw new ArgumentOutOfRangeException(nameof(heads), $"DotProductAttention: the number of heads must be positive; got {heads}.");
        if (x.Rank != 3 || x.Shape[2] % heads != 0)
            throw new ShapeMismatchException($"DotProductAttention with {heads} packed heads expects {what} (batch, time, heads·size) with features divisible by {heads}; got {x.Shape}.");
        return new Shape(x.Shape[0], x.Shape[1], heads, x.Shape[2] / heads);
    }

    public override string Name => "DotProductAttention";

    public override void Forward()
    {
        ReadOnlySpan<float> q = Inputs[0].Span, k = Inputs[1].Span, v = Inputs[2].Span;
        ReadOnlySpan<float> mask = _hasMask ? Inputs[3].Span : default;
        Span<float> o = Output.Span;
        int ldq = _n * _h, ldv = _n * _hv, ts = _t * _s;
        for (int b = 0; b < _b; b++)
            for (int n = 0; n < _n; n++)
            {
                int bn = b * _n + n;
                Span<float> p = _probs.AsSpan(bn * ts, ts);
                // scores (T×S) = scale · Q Kᵀ, heads read in place with row stride N·H
                Gemm.Sgemm(false, true, _t, _s, _h, _scale, q[(b * _t * ldq + n * _h)..], ldq, k[(b * _s * ldq + n * _h)..], ldq, 0f, p, _s);
                for (int i = 0; i < _t; i++)
                {
                    var row = p.Slice(i * _s, _s);
                    int limit = _causal ? Math.Min(_s, i + 1) : _s;
                    int mo = b * _mb + n * _mn + i * _mt;
                    float max = float.NegativeInfinity;
                    for (int j = 0; j < limit; j++)
                        if ((!_hasMask || mask[mo + j * _ms] != 0f) && row[j] > max) max = row[j];
                    bool uniform = float.IsNegativeInfinity(max);
                    _uniform[bn * _t + i] = uniform;
                    if (uniform) { row.Fill(1f / _s); continue; }
                    if (!_hasMask)
                    {
                        var live = row[..limit];
                        TensorPrimitives.Subtract(live, max, live);
                        TensorPrimitives.Exp(live, live);
                        row[limit..].Clear();
                        TensorPrimitives.Multiply(live, 1f / TensorPrimitives.Sum(live), live);
                        continue;
                    }
                    float sum = 0f;
                    for (int j = 0; j < _s; j++)
                    {
                        float e = j < limit && mask[mo + j * _ms] != 0f ? MathF.Exp(row[j] - max) : 0f;
                        row[j] = e;
                        sum += e;
                    }
                    TensorPrimitives.Multiply(row, 1f / sum, row);
                }
                // O (T×Hv) = P V, written in place with row stride N·Hv
                Gemm.Sgemm(false, false, _t, _hv, _s, 1f, p, _s, v[(b * _s * ldv + n * _hv)..], ldv, 0f, o[(b * _t * ldv + n * _hv)..], ldv);
            }
    }

    public override void Backward()
    {
        Tensor q = Inputs[0], k = Inputs[1], v = Inputs[2];
        ReadOnlySpan<float> qs = q.Span, ks = k.Span, vs = v.Span, go = OutGrad;
        Span<float> gq = q.RequiresGrad ? GradSpan(q) : default;
        Span<float> gk = k.RequiresGrad ? GradSpan(k) : default;
        Span<float> gv = v.RequiresGrad ? GradSpan(v) : default;
        int ldq = _n * _h, ldv = _n * _hv, ts = _t * _s;
        for (int b = 0; b < _b; b++)
            for (int n = 0; n < _n; n++)
            {
                int bn = b * _n + n;
                ReadOnlySpan<float> p = _probs.AsSpan(bn * ts, ts);
                var dO = go[(b * _t * ldv + n * _hv)..];
                int qOff = b * _t * ldq + n * _h, kOff = b * _s * ldq + n * _h, vOff = b * _s * ldv + n * _hv;
                if (!gv.IsEmpty) // dV (S×Hv) += Pᵀ dO
                    Gemm.Sgemm(true, false, _s, _hv, _t, 1f, p, _s, dO, ldv, 1f, gv[vOff..], ldv);
                if (gq.IsEmpty && gk.IsEmpty) continue;
                Span<float> ds = _dscores.AsSpan(bn * ts, ts);
                // dP (T×S) = dO Vᵀ, then dS = P ⊙ (dP − Σ_j dP⊙P)
                Gemm.Sgemm(false, true, _t, _s, _hv, 1f, dO, ldv, vs[vOff..], ldv, 0f, ds, _s);
                for (int i = 0; i < _t; i++)
                {
                    var dsr = ds.Slice(i * _s, _s);
                    if (_uniform[bn * _t + i]) { dsr.Clear(); continue; }
                    var pr = p.Slice(i * _s, _s);
                    float dot = TensorPrimitives.Dot(dsr, pr);
                    TensorPrimitives.Subtract(dsr, dot, dsr);
                    TensorPrimitives.Multiply(dsr, pr, dsr);
                }
                if (!gq.IsEmpty) // dQ (T×H) += scale · dS K
                    Gemm.Sgemm(false, false, _t, _h, _s, _scale, ds, _s, ks[kOff..], ldq, 1f, gq[qOff..], ldq);
                if (!gk.IsEmpty) // dK (S×H) += scale · dSᵀ Q
                    Gemm.Sgemm(true, false, _s, _h, _t, _scale, ds, _s, qs[qOff..], ldq, 1f, gk[kOff..], ldq);
            }
    }
}
