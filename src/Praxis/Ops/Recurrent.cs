using System.Numerics.Tensors;
using Praxis.Autograd;
using Praxis.Kernels;

namespace Praxis;

/// <summary>The options shared by the fused recurrent ops (Keras argument names in brackets).</summary>
/// <param name="Activation">The cell activation (<c>activation</c>): tanh, sigmoid, relu, hard_sigmoid or linear.</param>
/// <param name="RecurrentActivation">The gate activation of LSTM and GRU (<c>recurrent_activation</c>).</param>
/// <param name="GoBackwards">Process the sequence from the last step to the first and return outputs in that order (<c>go_backwards</c>).</param>
/// <param name="ZeroOutputForMask">Masked steps output zeros instead of repeating the previous output (<c>zero_output_for_mask</c>).</param>
public readonly record struct RecurrentOptions(
    string Activation = "tanh",
    string RecurrentActivation = "sigmoid",
    bool GoBackwards = false,
    bool ZeroOutputForMask = false);

public sealed partial class Tensor
{
    /// <summary>
    /// A Keras LSTM over a whole sequence as one fused op. x (B, T, D); kernel (D, 4U) and recurrent kernel (U, 4U) with
    /// gates in Keras order [i, f, c, o]; bias (4U) or null; initial states h0, c0 (B, U) or null for zeros; mask (B, T)
    /// of 1/0 or null. Per step: i, f, o = σ(·), g = act(x·W + h·R + b) blocks; c = f⊙c + i⊙g; h = o⊙act(c). Masked
    /// steps keep the previous states (Keras semantics). Returns the output sequence (B, T, U) and the final h and c.
    /// </summary>
    public static (Tensor Sequence, Tensor H, Tensor C) Lstm(Tensor x, Tensor kernel, Tensor recurrentKernel, Tensor? bias,
        Tensor? initialH = null, Tensor? initialC = null, Tensor? mask = null, RecurrentOptions options = default)
    {
        var op = new RecurrentOp(RecurrentCell.Lstm, x, kernel, recurrentKernel, bias, initialH, initialC, mask, Normalize(options), resetAfter: false);
        var seq = Engine.Record(op);
        return (seq, op.Extra(0), op.Extra(1));
    }

    /// <summary>
    /// A Keras GRU over a whole sequence as one fused op, gates in Keras order [z, r, h]: kernel (D, 3U), recurrent kernel
    /// (U, 3U). With <paramref name="resetAfter"/> (Keras' default, cuDNN's and PyTorch's form) the bias is (2, 3U) [input
    /// bias; recurrent bias] and h̃ = act(x·W_h + b_h + r⊙(h·R_h + b'_h)); otherwise the bias is (3U) and
    /// h̃ = act(x·W_h + (r⊙h)·R_h + b_h). Then h = z⊙h_prev + (1 − z)⊙h̃. Returns the sequence (B, T, U) and the final h.
    /// </summary>
    public static (Tensor Sequence, Tensor H) Gru(Tensor x, Tensor kernel, Tensor recurrentKernel, Tensor? bias,
        Tensor? initialH = null, Tensor? mask = null, bool resetAfter = true, RecurrentOptions options = default)
    {
        var op = new RecurrentOp(RecurrentCell.Gru, x, kernel, recurrentKernel, bias, initialH, null, mask, Normalize(options), resetAfter);
        var seq = Engine.Record(op);
        return (seq, op.Extra(0));
    }

    /// <summary>
    /// A Keras SimpleRNN over a whole sequence as one fused op: h = act(x·W + h_prev·R + b), kernel (D, U), recurrent
    /// kernel (U, U), bias (U). Returns the sequence (B, T, U) and the final h.
    /// </summary>
    public static (Tensor Sequence, Tensor H) SimpleRnn(Tensor x, Tensor kernel, Tensor recurrentKernel, Tensor? bias,
        Tensor? initialH = null, Tensor? mask = null, RecurrentOptions options = default)
    {
        var op = new RecurrentOp(RecurrentCell.SimpleRnn, x, kernel, recurrentKernel, bias, initialH, null, mask, Normalize(options), resetAfter: false);
        var seq = Engine.Record(op);
        return (seq, op.Extra(0));
    }

    // default(RecurrentOptions) has null strings; give it Keras' defaults.
    private static RecurrentOptions Normalize(RecurrentOptions o) =>
        o with { Activation = o.Activation ?? "tanh", RecurrentActivation = o.RecurrentActivation ?? "sigmoid" };
}

internal enum RecurrentCell { SimpleRnn, Lstm, Gru }

/// <summary>The activations a fused recurrent op can apply, with derivatives written in terms of the output.</summary>
internal enum PointwiseActivation { Tanh, Sigmoid, Relu, HardSigmoid, Linear }

internal static class PointwiseActivations
{
    public static PointwiseActivation Parse(string? name, string what) => (name ?? "linear").ToLowerInvariant() switch
    {
        "tanh" => PointwiseActivation.Tanh,
        "sigmoid" => PointwiseActivation.Sigmoid,
        "relu" => PointwiseActivation.Relu,
        "hard_sigmoid" => PointwiseActivation.HardSigmoid,
        "linear" or "" => PointwiseActivation.Linear,
        _ => throw new ArgumentException($"{what} '{name}' is not supported by the fused recurrent kernels; use tanh, sigmoid, relu, hard_sigmoid or linear."),
    };

    /// <summary>y = f(y) in place.</summary>
    public static void Apply(PointwiseActivation f, Span<float> y)
    {
        switch (f)
        {
            case PointwiseActivation.Tanh: Elementwise.Tanh(y, y); break;
            case PointwiseActivation.Sigmoid: Elementwise.Sigmoid(y, y); break;
            case PointwiseActivation.Relu: TensorPrimitives.Max(y, 0f, y); break;
            case PointwiseActivation.HardSigmoid: // Keras 3: relu6(x + 3) / 6
                TensorPrimitives.Multiply(y, 1f / 6f, y);
                TensorPrimitives.Add(y, 0.5f, y);
                TensorPrimitives.Clamp(y, 0f, 1f, y);
                break;
        }
    }

    /// <summary>g ← g · f′ where y = f(x) is given.</summary>
    public static void MultiplyDerivative(PointwiseActivation f, ReadOnlySpan<float> y, Span<float> g)
    {
        switch (f)
        {
            case PointwiseActivation.Tanh:
                for (int i = 0; i < g.Length; i++) g[i] *= 1f - y[i] * y[i];
                break;
            case PointwiseActivation.Sigmoid:
                for (int i = 0; i < g.Length; i++) g[i] *= y[i] * (1f - y[i]);
                break;
            case PointwiseActivation.Relu:
                for (int i = 0; i < g.Length; i++) if (y[i] <= 0f) g[i] = 0f;
                break;
            case PointwiseActivation.HardSigmoid:
                for (int i = 0; i < g.Length; i++) g[i] = y[i] > 0f && y[i] < 1f ? g[i] / 6f : 0f;
                break;
        }
    }
}

/// <summary>
/// One recurrent layer over a whole (B, T, D) sequence, forward and backward through time in one op (as llm.c writes
/// layers): the input projection of every step is one GEMM up front, each step adds h·R with one small GEMM and applies
/// the cell pointwise; backward runs the steps in reverse, collecting the pre-activation gradients of all steps so that
/// dW, dR, db and dx are again single GEMMs at the end.
/// </summary>
/// <remarks>
/// Buffers are time-major in processing order s (input time T−1−s when going backwards): xs (T, B, D); pre = x·W + b
/// (T, B, G·U); act = activated gate values (T, B, G·U); hs, cs = states (T+1, B, U) with the initial state first.
/// A masked row keeps its previous states; its output repeats the previous output (zeros with ZeroOutputForMask).
/// </remarks>
internal sealed class RecurrentOp : MultiOutputOp
{
    private readonly RecurrentCell _cell;
    private readonly bool _resetAfter, _goBackwards, _zeroOutput;
    private readonly PointwiseActivation _act, _gateAct;
    private readonly int _b, _t, _d, _u, _g;          // batch, time, features, units, gates
    private readonly int _iBias = -1, _iH0 = -1, _iC0 = -1, _iMask = -1;
    private readonly float[] _xs, _pre, _gates, _hs, _cs, _aux, _mask;
    private readonly float[] _rec;                     // per-step recurrent product h·R (B, G·U)
    private readonly float[] _dPre, _dRec;             // (T, B, G·U) pre-activation gradients of the input and recurrent paths
    private readonly float[] _dh, _dc, _dhPrev, _dcPrev, _dy, _tmp;
    private readonly float[] _dxs;                     // (T, B, D)

    public RecurrentOp(RecurrentCell cell, Tensor x, Tensor kernel, Tensor recurrentKernel, Tensor? bias,
        Tensor? h0, Tensor? c0, Tensor? mask, RecurrentOptions options, bool resetAfter)
        : base(Collect(x, kernel, recurrentKernel, bias, h0, c0, mask))
    {
        _cell = cell;
        _resetAfter = cell == RecurrentCell.Gru && resetAfter;
        _goBackwards = options.GoBackwards;
        _zeroOutput = options.ZeroOutputForMask;
        _act = PointwiseActivations.Parse(options.Activation, "Activation");
        _gateAct = PointwiseActivations.Parse(options.RecurrentActivation, "Recurrent activation");
        _g = cell switch { RecurrentCell.Lstm => 4, RecurrentCell.Gru => 3, _ => 1 };
        string name = cell.ToString().ToUpperInvariant();
        if (x.Rank != 3) throw new ShapeMismatchException($"{name}: input must be (batch, time, features); got shape {x.Shape}.");
        (_b, _t, _d) = (x.Shape[0], x.Shape[1], x.Shape[2]);
        if (recurrentKernel.Rank != 2) throw new ShapeMismatchException($"{name}: recurrent kernel must be (units, {_g}·units); got {recurrentKernel.Shape}.");
        _u = recurrentKernel.Shape[0];
        int gu = _g * _u;
        if (recurrentKernel.Shape[1] != gu) throw new ShapeMismatchException($"{name}: recurrent kernel must be ({_u}, {gu}); got {recurrentKernel.Shape}.");
        if (kernel.Shape != new Shape(_d, gu)) throw new ShapeMismatchException($"{name}: kernel must be ({_d}, {gu}) for input {x.Shape}; got {kernel.Shape}.");
        int next = 3;
        if (bias is not null)
        {
            var expected = _resetAfter ? new Shape(2, gu) : new Shape(gu);
            if (bias.Shape != expected) throw new ShapeMismatchException($"{name}: bias must be {expected}; got {bias.Shape}.");
            _iBias = next++;
        }
        var state = new Shape(_b, _u);
        if (h0 is not null)
        {
            if (h0.Shape != state) throw new ShapeMismatchException($"{name}: initial state h must be {state}; got {h0.Shape}.");
            _iH0 = next++;
        }
        if (c0 is not null)
        {
            if (c0.Shape != state) throw new ShapeMismatchException($"{name}: initial state c must be {state}; got {c0.Shape}.");
            _iC0 = next++;
        }
        if (mask is not null)
        {
            if (mask.Shape != new Shape(_b, _t)) throw new ShapeMismatchException($"{name}: mask must be (batch, time) = ({_b}, {_t}); got {mask.Shape}.");
            _iMask = next;
        }
        int steps = _t * _b;
        _xs = new float[steps * _d];
        _pre = new float[steps * gu];
        _gates = new float[steps * gu];
        _hs = new float[(_t + 1) * _b * _u];
        _cs = cell == RecurrentCell.Lstm ? new float[(_t + 1) * _b * _u] : [];
        // LSTM: act(c) per step; GRU: the candidate's recurrent term (reset-after) or r⊙h_prev (reset-before).
        _aux = cell == RecurrentCell.SimpleRnn ? [] : new float[steps * _u];
        _mask = new float[steps];
        _rec = new float[_b * gu];
        _dPre = new float[steps * gu];
        _dRec = cell == RecurrentCell.Gru ? new float[steps * gu] : _dPre;
        _dh = new float[_b * _u]; _dc = new float[_b * _u];
        _dhPrev = new float[_b * _u]; _dcPrev = new float[_b * _u];
        _dy = new float[_b * _u]; _tmp = new float[_b * gu];
        _dxs = new float[steps * _d];
        Output = new Tensor(new Shape(_b, _t, _u));
        ExtraOutputs = cell == RecurrentCell.Lstm ? [new Tensor(state), new Tensor(state)] : [new Tensor(state)];
        ExtraGrads = ExtraOutputs.Select(e => new Tensor(e.Shape)).ToArray();
    }

    private static Tensor[] Collect(Tensor x, Tensor w, Tensor r, Tensor? b, Tensor? h0, Tensor? c0, Tensor? mask)
    {
        var list = new List<Tensor> { x, w, r };
        foreach (var t in new[] { b, h0, c0, mask })
            if (t is not null) list.Add(t);
        return list.ToArray();
    }

    public override string Name => _cell.ToString();

    private int InputTime(int s) => _goBackwards ? _t - 1 - s : s;

    public override void Forward()
    {
        ClearExtraGrads();
        int gu = _g * _u, bu = _b * _u;
        ReadOnlySpan<float> x = Inputs[0].Span;
        ReadOnlySpan<float> w = Inputs[1].Span, r = Inputs[2].Span;
        // Time-major copy of the input in processing order, and the mask.
        ReadOnlySpan<float> mask = _iMask >= 0 ? Inputs[_iMask].Span : default;
        for (int s = 0; s < _t; s++)
        {
            int tau = InputTime(s);
            for (int b = 0; b < _b; b++)
            {
                x.Slice((b * _t + tau) * _d, _d).CopyTo(_xs.AsSpan((s * _b + b) * _d, _d));
                _mask[s * _b + b] = mask.IsEmpty || mask[b * _t + tau] != 0f ? 1f : 0f;
            }
        }
        // pre = xs·W + b_input for every step at once.
        Span<float> pre = _pre;
        if (_iBias >= 0)
        {
            ReadOnlySpan<float> bias = Inputs[_iBias].Span[..gu];
            for (int row = 0; row < _t * _b; row++) bias.CopyTo(pre.Slice(row * gu, gu));
        }
        Gemm.Sgemm(false, false, _t * _b, gu, _d, 1f, _xs, _d, w, gu, _iBias >= 0 ? 1f : 0f, pre, gu);
        // Initial states.
        if (_iH0 >= 0) Inputs[_iH0].Span.CopyTo(_hs.AsSpan(0, bu)); else _hs.AsSpan(0, bu).Clear();
        if (_cell == RecurrentCell.Lstm)
        {
            if (_iC0 >= 0) Inputs[_iC0].Span.CopyTo(_cs.AsSpan(0, bu)); else _cs.AsSpan(0, bu).Clear();
        }
        Span<float> y = Output.Span;
        for (int s = 0; s < _t; s++)
        {
            ReadOnlySpan<float> hPrev = _hs.AsSpan(s * bu, bu);
            Span<float> h = _hs.AsSpan((s + 1) * bu, bu);
            Span<float> gates = _gates.AsSpan(s * _b * gu, _b * gu);
            switch (_cell)
            {
                case RecurrentCell.Lstm: LstmStep(s, r, hPrev, h, gates); break;
                case RecurrentCell.Gru: GruStep(s, r, hPrev, h, gates); break;
                default: RnnStep(s, r, hPrev, h, gates); break;
            }
            // Masked rows keep their states; outputs repeat the previous output or are zero.
            for (int b = 0; b < _b; b++)
            {
                var yRow = y.Slice((b * _t + s) * _u, _u);
                if (_mask[s * _b + b] != 0f) { h.Slice(b * _u, _u).CopyTo(yRow); continue; }
                hPrev.Slice(b * _u, _u).CopyTo(h.Slice(b * _u, _u));
                if (_cell == RecurrentCell.Lstm) _cs.AsSpan(s * bu + b * _u, _u).CopyTo(_cs.AsSpan((s + 1) * bu + b * _u, _u));
                if (_zeroOutput || s == 0) yRow.Clear();
                else y.Slice((b * _t + s - 1) * _u, _u).CopyTo(yRow);
            }
        }
        _hs.AsSpan(_t * bu, bu).CopyTo(ExtraOutputs[0].Span);
        if (_cell == RecurrentCell.Lstm) _cs.AsSpan(_t * bu, bu).CopyTo(ExtraOutputs[1].Span);
    }

    // gates = pre + h_prev·R; i, f, o = σ; g = act; c = f⊙c_prev + i⊙g; h = o⊙act(c).
    private void LstmStep(int s, ReadOnlySpan<float> r, ReadOnlySpan<float> hPrev, Span<float> h, Span<float> gates)
    {
        int gu = 4 * _u, bu = _b * _u;
        _pre.AsSpan(s * _b * gu, _b * gu).CopyTo(gates);
        Gemm.Sgemm(false, false, _b, gu, _u, 1f, hPrev, _u, r, gu, 1f, gates, gu);
        ReadOnlySpan<float> cPrev = _cs.AsSpan(s * bu, bu);
        Span<float> c = _cs.AsSpan((s + 1) * bu, bu), ac = _aux.AsSpan(s * bu, bu);
        for (int b = 0; b < _b; b++)
        {
            var gb = gates.Slice(b * gu, gu);
            Span<float> i = gb[.._u], f = gb.Slice(_u, _u), g = gb.Slice(2 * _u, _u), o = gb.Slice(3 * _u, _u);
            PointwiseActivations.Apply(_gateAct, gb[..(2 * _u)]);
            PointwiseActivations.Apply(_act, g);
            PointwiseActivations.Apply(_gateAct, o);
            var cb = c.Slice(b * _u, _u);
            TensorPrimitives.Multiply(f, cPrev.Slice(b * _u, _u), cb);
            TensorPrimitives.MultiplyAdd(i, g, cb, cb);
            var acb = ac.Slice(b * _u, _u);
            cb.CopyTo(acb);
            PointwiseActivations.Apply(_act, acb);
            TensorPrimitives.Multiply(o, acb, h.Slice(b * _u, _u));
        }
    }

    // rec = h_prev·R (+ recurrent bias); z, r = σ(pre + rec); h̃ = act(pre_h + r⊙rec_h) or act(pre_h + (r⊙h_prev)·R_h).
    private void GruStep(int s, ReadOnlySpan<float> r, ReadOnlySpan<float> hPrev, Span<float> h, Span<float> gates)
    {
        int gu = 3 * _u, u2 = 2 * _u, bu = _b * _u;
        Span<float> rec = _rec;
        Span<float> aux = _aux.AsSpan(s * bu, bu);
        if (_resetAfter)
        {
            if (_iBias >= 0)
            {
                ReadOnlySpan<float> rb = Inputs[_iBias].Span.Slice(gu, gu);
                for (int b = 0; b < _b; b++) rb.CopyTo(rec.Slice(b * gu, gu));
            }
            Gemm.Sgemm(false, false, _b, gu, _u, 1f, hPrev, _u, r, gu, _iBias >= 0 ? 1f : 0f, rec, gu);
        }
        else Gemm.Sgemm(false, false, _b, u2, _u, 1f, hPrev, _u, r, gu, 0f, rec, gu); // z and r blocks only
        _pre.AsSpan(s * _b * gu, _b * gu).CopyTo(gates);
        for (int b = 0; b < _b; b++)
        {
            var gb = gates.Slice(b * gu, gu);
            var zr = gb[..u2];
            TensorPrimitives.Add(zr, rec.Slice(b * gu, u2), zr);
            PointwiseActivations.Apply(_gateAct, zr);
            if (_resetAfter)
            {
                var rh = rec.Slice(b * gu + u2, _u);
                rh.CopyTo(aux.Slice(b * _u, _u));
                TensorPrimitives.MultiplyAdd(gb.Slice(_u, _u), rh, gb.Slice(u2, _u), gb.Slice(u2, _u));
            }
            else TensorPrimitives.Multiply(gb.Slice(_u, _u), hPrev.Slice(b * _u, _u), aux.Slice(b * _u, _u)); // r⊙h_prev
        }
        if (!_resetAfter) // candidate pre-activation += (r⊙h_prev)·R_h
            Gemm.Sgemm(false, false, _b, _u, _u, 1f, aux, _u, r[u2..], gu, 1f, gates[u2..], gu);
        for (int b = 0; b < _b; b++)
        {
            var gb = gates.Slice(b * gu, gu);
            var hh = gb.Slice(u2, _u);
            PointwiseActivations.Apply(_act, hh);
            // h = z⊙h_prev + (1 − z)⊙h̃ = h̃ + z⊙(h_prev − h̃)
            var hb = h.Slice(b * _u, _u);
            TensorPrimitives.Subtract(hPrev.Slice(b * _u, _u), hh, hb);
            TensorPrimitives.MultiplyAdd(gb[.._u], hb, hh, hb);
        }
    }

    // h = act(pre + h_prev·R)
    private void RnnStep(int s, ReadOnlySpan<float> r, ReadOnlySpan<float> hPrev, Span<float> h, Span<float> gates)
    {
        _pre.AsSpan(s * _b * _u, _b * _u).CopyTo(gates);
        Gemm.Sgemm(false, false, _b, _u, _u, 1f, hPrev, _u, r, _u, 1f, gates, _u);
        PointwiseActivations.Apply(_act, gates);
        gates.CopyTo(h);
    }

    public override void Backward()
    {
        int gu = _g * _u, bu = _b * _u, steps = _t * _b;
        ReadOnlySpan<float> gy = OutGrad;
        ReadOnlySpan<float> r = Inputs[2].Span;
        Span<float> dh = _dh, dc = _dc, dy = _dy;
        ExtraGrads[0].Span.CopyTo(dh);
        if (_cell == RecurrentCell.Lstm) ExtraGrads[1].Span.CopyTo(dc);
        dy.Clear();
        for (int s = _t - 1; s >= 0; s--)
        {
            // dy: the output gradient of step s plus what later masked steps that repeated this output passed back.
            for (int b = 0; b < _b; b++)
            {
                var dyb = dy.Slice(b * _u, _u);
                TensorPrimitives.Add(dyb, gy.Slice((b * _t + s) * _u, _u), dyb);
                if (_mask[s * _b + b] != 0f)
                {
                    var dhb = dh.Slice(b * _u, _u);
                    TensorPrimitives.Add(dhb, dyb, dhb);
                    dyb.Clear();
                }
                else if (_zeroOutput) dyb.Clear();
            }
            // Masked rows: the cell sees no gradient; their state gradients pass straight to step s−1 below.
            _dhPrev.AsSpan().Clear();
            if (_cell == RecurrentCell.Lstm) _dcPrev.AsSpan().Clear();
            for (int b = 0; b < _b; b++)
            {
                if (_mask[s * _b + b] != 0f) continue;
                dh.Slice(b * _u, _u).CopyTo(_dhPrev.AsSpan(b * _u, _u));
                dh.Slice(b * _u, _u).Clear();
                if (_cell == RecurrentCell.Lstm)
                {
                    dc.Slice(b * _u, _u).CopyTo(_dcPrev.AsSpan(b * _u, _u));
                    dc.Slice(b * _u, _u).Clear();
                }
            }
            switch (_cell)
            {
                case RecurrentCell.Lstm: LstmBack(s, r); break;
                case RecurrentCell.Gru: GruBack(s, r); break;
                default: RnnBack(s, r); break;
            }
            _dhPrev.AsSpan().CopyTo(dh);
            if (_cell == RecurrentCell.Lstm) _dcPrev.AsSpan().CopyTo(dc);
        }
        if (_iH0 >= 0 && Inputs[_iH0].RequiresGrad) { var g = GradSpan(Inputs[_iH0]); TensorPrimitives.Add(g, dh, g); }
        if (_iC0 >= 0 && Inputs[_iC0].RequiresGrad) { var g = GradSpan(Inputs[_iC0]); TensorPrimitives.Add(g, dc, g); }

        // Parameter and input gradients from the collected pre-activation gradients, one GEMM each.
        Tensor x = Inputs[0], w = Inputs[1], rk = Inputs[2];
        if (w.RequiresGrad) // dW (D×GU) += xsᵀ · dPre
            Gemm.Sgemm(true, false, _d, gu, steps, 1f, _xs, _d, _dPre, gu, 1f, GradSpan(w), gu);
        if (rk.RequiresGrad)
        {
            Span<float> dr = GradSpan(rk);
            if (_cell == RecurrentCell.Gru && !_resetAfter)
            {
                // z, r blocks read h_prev; the candidate block reads r⊙h_prev (kept in aux).
                Gemm.Sgemm(true, false, _u, 2 * _u, steps, 1f, _hs, _u, _dRec, gu, 1f, dr, gu);
                Gemm.Sgemm(true, false, _u, _u, steps, 1f, _aux, _u, _dRec.AsSpan(2 * _u), gu, 1f, dr[(2 * _u)..], gu);
            }
            else Gemm.Sgemm(true, false, _u, gu, steps, 1f, _hs, _u, _dRec, gu, 1f, dr, gu); // dR += hs[0..T)ᵀ · dRec
        }
        if (_iBias >= 0 && Inputs[_iBias].RequiresGrad)
        {
            Span<float> db = GradSpan(Inputs[_iBias]);
            Span<float> dbIn = db[..gu];
            for (int row = 0; row < steps; row++) TensorPrimitives.Add(dbIn, _dPre.AsSpan(row * gu, gu), dbIn);
            if (_resetAfter)
            {
                Span<float> dbRec = db.Slice(gu, gu);
                for (int row = 0; row < steps; row++) TensorPrimitives.Add(dbRec, _dRec.AsSpan(row * gu, gu), dbRec);
            }
        }
        if (x.RequiresGrad)
        {
            // dxs (T·B × D) = dPre · Wᵀ, then back to (B, T, D) in input time order.
            Gemm.Sgemm(false, true, steps, _d, gu, 1f, _dPre, gu, w.Span, gu, 0f, _dxs, _d);
            Span<float> gx = GradSpan(x);
            for (int s = 0; s < _t; s++)
            {
                int tau = InputTime(s);
                for (int b = 0; b < _b; b++)
                {
                    var dst = gx.Slice((b * _t + tau) * _d, _d);
                    TensorPrimitives.Add(dst, _dxs.AsSpan((s * _b + b) * _d, _d), dst);
                }
            }
        }
        ClearExtraGrads();
    }

    // In: dh, dc (zero for masked rows), _dhPrev/_dcPrev holding the masked rows' pass-through. Out: dPre_s, and
    // dh_prev, dc_prev added into _dhPrev/_dcPrev.
    private void LstmBack(int s, ReadOnlySpan<float> r)
    {
        int gu = 4 * _u, bu = _b * _u;
        ReadOnlySpan<float> gates = _gates.AsSpan(s * _b * gu, _b * gu);
        ReadOnlySpan<float> cPrev = _cs.AsSpan(s * bu, bu), ac = _aux.AsSpan(s * bu, bu);
        Span<float> dPre = _dPre.AsSpan(s * _b * gu, _b * gu);
        Span<float> t = _tmp.AsSpan(0, _u);
        for (int b = 0; b < _b; b++)
        {
            var gb = gates.Slice(b * gu, gu);
            ReadOnlySpan<float> i = gb[.._u], f = gb.Slice(_u, _u), g = gb.Slice(2 * _u, _u), o = gb.Slice(3 * _u, _u);
            var dhb = _dh.AsSpan(b * _u, _u);
            var dcb = _dc.AsSpan(b * _u, _u);
            var acb = ac.Slice(b * _u, _u);
            var db = dPre.Slice(b * gu, gu);
            Span<float> di = db[.._u], df = db.Slice(_u, _u), dg = db.Slice(2 * _u, _u), dO = db.Slice(3 * _u, _u);
            // do = dh⊙act(c); dc += dh⊙o⊙act′(c)
            TensorPrimitives.Multiply(dhb, acb, dO);
            TensorPrimitives.Multiply(dhb, o, t);
            PointwiseActivations.MultiplyDerivative(_act, acb, t);
            TensorPrimitives.Add(dcb, t, dcb);
            // di = dc⊙g; dg = dc⊙i; df = dc⊙c_prev; dc_prev = dc⊙f
            TensorPrimitives.Multiply(dcb, g, di);
            TensorPrimitives.Multiply(dcb, i, dg);
            TensorPrimitives.Multiply(dcb, cPrev.Slice(b * _u, _u), df);
            var dcp = _dcPrev.AsSpan(b * _u, _u);
            TensorPrimitives.MultiplyAdd(dcb, f, dcp, dcp);
            PointwiseActivations.MultiplyDerivative(_gateAct, i, di);
            PointwiseActivations.MultiplyDerivative(_gateAct, f, df);
            PointwiseActivations.MultiplyDerivative(_act, g, dg);
            PointwiseActivations.MultiplyDerivative(_gateAct, o, dO);
        }
        // dh_prev += dPre_s · Rᵀ
        Gemm.Sgemm(false, true, _b, _u, gu, 1f, dPre, gu, r, gu, 1f, _dhPrev, _u);
    }

    private void GruBack(int s, ReadOnlySpan<float> r)
    {
        int gu = 3 * _u, u2 = 2 * _u, bu = _b * _u;
        ReadOnlySpan<float> gates = _gates.AsSpan(s * _b * gu, _b * gu);
        ReadOnlySpan<float> hPrev = _hs.AsSpan(s * bu, bu), aux = _aux.AsSpan(s * bu, bu);
        Span<float> dPre = _dPre.AsSpan(s * _b * gu, _b * gu), dRec = _dRec.AsSpan(s * _b * gu, _b * gu);
        for (int b = 0; b < _b; b++)
        {
            var gb = gates.Slice(b * gu, gu);
            ReadOnlySpan<float> z = gb[.._u], rr = gb.Slice(_u, _u), hh = gb.Slice(u2, _u);
            var dhb = _dh.AsSpan(b * _u, _u);
            var dp = dPre.Slice(b * gu, gu);
            Span<float> dz = dp[.._u], dr = dp.Slice(_u, _u), dhh = dp.Slice(u2, _u);
            // h = h̃ + z⊙(h_prev − h̃): dh_prev += dh⊙z; dz = dh⊙(h_prev − h̃); dh̃ = dh⊙(1 − z)
            var dhp = _dhPrev.AsSpan(b * _u, _u);
            TensorPrimitives.MultiplyAdd(dhb, z, dhp, dhp);
            TensorPrimitives.Subtract(hPrev.Slice(b * _u, _u), hh, dz);
            TensorPrimitives.Multiply(dz, dhb, dz);
            TensorPrimitives.Multiply(dhb, z, dhh);
            TensorPrimitives.Subtract(dhb, dhh, dhh);
            PointwiseActivations.MultiplyDerivative(_act, hh, dhh);
            PointwiseActivations.MultiplyDerivative(_gateAct, z, dz);
            if (_resetAfter)
            {
                // candidate = pre_h + r⊙rec_h: dr = dh̃⊙rec_h; d rec_h = dh̃⊙r
                TensorPrimitives.Multiply(dhh, aux.Slice(b * _u, _u), dr);
                PointwiseActivations.MultiplyDerivative(_gateAct, rr, dr);
                var drec = dRec.Slice(b * gu, gu);
                dp[..u2].CopyTo(drec[..u2]);
                TensorPrimitives.Multiply(dhh, rr, drec.Slice(u2, _u));
            }
        }
        if (_resetAfter)
        {
            Gemm.Sgemm(false, true, _b, _u, gu, 1f, dRec, gu, r, gu, 1f, _dhPrev, _u); // dh_prev += dRec·Rᵀ
            return;
        }
        // candidate = pre_h + (r⊙h_prev)·R_h: d(r⊙h_prev) = dh̃·R_hᵀ, then dr = that⊙h_prev and dh_prev += that⊙r.
        Span<float> drh = _tmp.AsSpan(0, bu);
        Gemm.Sgemm(false, true, _b, _u, _u, 1f, dPre[u2..], gu, r[u2..], gu, 0f, drh, _u);
        for (int b = 0; b < _b; b++)
        {
            var gb = gates.Slice(b * gu, gu);
            var dp = dPre.Slice(b * gu, gu);
            var dr = dp.Slice(_u, _u);
            var d = drh.Slice(b * _u, _u);
            TensorPrimitives.Multiply(d, hPrev.Slice(b * _u, _u), dr);
            PointwiseActivations.MultiplyDerivative(_gateAct, gb.Slice(_u, _u), dr);
            var dhp = _dhPrev.AsSpan(b * _u, _u);
            TensorPrimitives.MultiplyAdd(d, gb.Slice(_u, _u), dhp, dhp);
            dp.CopyTo(dRec.Slice(b * gu, gu));
        }
        Gemm.Sgemm(false, true, _b, _u, u2, 1f, dRec, gu, r, gu, 1f, _dhPrev, _u); // z, r blocks: dh_prev += dRec_zr·R_zrᵀ
    }

    private void RnnBack(int s, ReadOnlySpan<float> r)
    {
        int bu = _b * _u;
        ReadOnlySpan<float> h = _gates.AsSpan(s * bu, bu);
        Span<float> dPre = _dPre.AsSpan(s * bu, bu);
        _dh.AsSpan().CopyTo(dPre);
        PointwiseActivations.MultiplyDerivative(_act, h, dPre);
        Gemm.Sgemm(false, true, _b, _u, _u, 1f, dPre, _u, r, _u, 1f, _dhPrev, _u);
    }
}
