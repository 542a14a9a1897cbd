#!/usr/bin/python3
"""Reference values for Praxis's recurrent and attention tests, computed with PyTorch (float64).

Run once with Debian's PyTorch:  /usr/bin/python3 make_sequence_reference.py > sequence_reference.json
CI never runs this; the tests read the JSON it wrote.

Weights are drawn here in Keras layout and converted to PyTorch's: LSTM gates [i, f, c, o] are PyTorch's
[i, f, g, o]; GRU gates [z, r, h] map to PyTorch's [r, z, n]; Keras kernels (in, gates*units) are PyTorch's
weight_ih transposed. Cases PyTorch has no module for (GRU with reset_after=False, Keras-style masking) use
explicit loops in float64 written from the Keras formulas, independent of the C# code.
"""
import json
import math

import torch

torch.manual_seed(20240601)
D = torch.float64


def rnd(*shape, scale=0.5):
    return (torch.rand(*shape, dtype=D) * 2 - 1) * scale


def flat(t):
    return [round(float(v), 12) for v in t.reshape(-1).tolist()]


def keras_to_torch_gru(m, u):  # [z, r, h] -> [r, z, n] along the last axis
    return torch.cat([m[..., u:2 * u], m[..., :u], m[..., 2 * u:]], dim=-1)


B, T, F, U = 2, 4, 3, 5
out = {"B": B, "T": T, "F": F, "U": U}

x = rnd(B, T, F, scale=1.0)
h0 = rnd(B, U)
c0 = rnd(B, U)

# ---- LSTM (Keras: kernel (F, 4U), recurrent (U, 4U), bias (4U); gates i, f, c, o)
k, r, b = rnd(F, 4 * U), rnd(U, 4 * U), rnd(4 * U)
lstm = torch.nn.LSTM(F, U, batch_first=True).double()
with torch.no_grad():
    lstm.weight_ih_l0.copy_(k.T); lstm.weight_hh_l0.copy_(r.T)
    lstm.bias_ih_l0.copy_(b); lstm.bias_hh_l0.zero_()
    seq, (hn, cn) = lstm(x, (h0[None], c0[None]))
out["lstm"] = dict(x=flat(x), kernel=flat(k), recurrent_kernel=flat(r), bias=flat(b), h0=flat(h0), c0=flat(c0),
                   sequence=flat(seq), h=flat(hn[0]), c=flat(cn[0]))

# ---- GRU reset_after=True (Keras bias (2, 3U): input bias, recurrent bias)
k, r, b = rnd(F, 3 * U), rnd(U, 3 * U), rnd(2, 3 * U)
gru = torch.nn.GRU(F, U, batch_first=True).double()
with torch.no_grad():
    gru.weight_ih_l0.copy_(keras_to_torch_gru(k, U).T); gru.weight_hh_l0.copy_(keras_to_torch_gru(r, U).T)
    gru.bias_ih_l0.copy_(keras_to_torch_gru(b[0], U)); gru.bias_hh_l0.copy_(keras_to_torch_gru(b[1], U))
    seq, hn = gru(x, h0[None])
out["gru"] = dict(x=flat(x), kernel=flat(k), recurrent_kernel=flat(r), bias=flat(b), h0=flat(h0),
                  sequence=flat(seq), h=flat(hn[0]))

# ---- GRU reset_after=False (Keras formula; no PyTorch module): bias (3U)
k, r, b = rnd(F, 3 * U), rnd(U, 3 * U), rnd(3 * U)
h = h0.clone(); outs = []
for t in range(T):
    xp = x[:, t] @ k + b
    z = torch.sigmoid(xp[:, :U] + h @ r[:, :U])
    rr = torch.sigmoid(xp[:, U:2 * U] + h @ r[:, U:2 * U])
    hh = torch.tanh(xp[:, 2 * U:] + (rr * h) @ r[:, 2 * U:])
    h = z * h + (1 - z) * hh
    outs.append(h)
out["gru_reset_before"] = dict(x=flat(x), kernel=flat(k), recurrent_kernel=flat(r), bias=flat(b), h0=flat(h0),
                               sequence=flat(torch.stack(outs, 1)), h=flat(h))

# ---- SimpleRNN (tanh)
k, r, b = rnd(F, U), rnd(U, U), rnd(U)
rnn = torch.nn.RNN(F, U, batch_first=True).double()
with torch.no_grad():
    rnn.weight_ih_l0.copy_(k.T); rnn.weight_hh_l0.copy_(r.T)
    rnn.bias_ih_l0.copy_(b); rnn.bias_hh_l0.zero_()
    seq, hn = rnn(x, h0[None])
out["simple_rnn"] = dict(x=flat(x), kernel=flat(k), recurrent_kernel=flat(r), bias=flat(b), h0=flat(h0),
                         sequence=flat(seq), h=flat(hn[0]))

# ---- LSTM with a Keras mask (row 0: steps 0..2 valid; row 1: steps 1 and 3 valid), zero initial state,
# go_backwards=False, zero_output_for_mask=False: masked steps keep states and repeat the previous output.
mask = torch.tensor([[1, 1, 1, 0], [0, 1, 0, 1]], dtype=D)
k, r, b = rnd(F, 4 * U), rnd(U, 4 * U), rnd(4 * U)
h = torch.zeros(B, U, dtype=D); c = torch.zeros(B, U, dtype=D); prev = torch.zeros(B, U, dtype=D); outs = []
for t in range(T):
    g = x[:, t] @ k + h @ r + b
    i, f, gg, o = torch.sigmoid(g[:, :U]), torch.sigmoid(g[:, U:2 * U]), torch.tanh(g[:, 2 * U:3 * U]), torch.sigmoid(g[:, 3 * U:])
    cn = f * c + i * gg
    hn = o * torch.tanh(cn)
    m = mask[:, t:t + 1]
    h = m * hn + (1 - m) * h
    c = m * cn + (1 - m) * c
    y = m * hn + (1 - m) * prev
    prev = y
    outs.append(y)
out["lstm_masked"] = dict(x=flat(x), mask=flat(mask), kernel=flat(k), recurrent_kernel=flat(r), bias=flat(b),
                          sequence=flat(torch.stack(outs, 1)), h=flat(h), c=flat(c))

# ---- MultiHeadAttention (Keras layout): query (B, T, Dq), value (B, S, Dv), 2 heads of key_dim 3, biases,
# attention mask (B, T, S), causal. Kernels (D, N, H); output kernel (N, Hv, Dout).
Tq, S, Dq, Dv, N, H = 3, 3, 4, 5, 2, 3
q_in, v_in = rnd(B, Tq, Dq, scale=1.0), rnd(B, S, Dv, scale=1.0)
wq, bq = rnd(Dq, N, H), rnd(N, H)
wk, bk = rnd(Dv, N, H), rnd(N, H)
wv, bv = rnd(Dv, N, H), rnd(N, H)
wo, bo = rnd(N, H, Dq), rnd(Dq)
amask = torch.tensor([[[1, 1, 0], [1, 1, 1], [0, 1, 1]], [[1, 0, 1], [1, 1, 1], [1, 1, 0]]], dtype=D)
q = torch.einsum("btd,dnh->btnh", q_in, wq) + bq
kk = torch.einsum("bsd,dnh->bsnh", v_in, wk) + bk
vv = torch.einsum("bsd,dnh->bsnh", v_in, wv) + bv
scores = torch.einsum("btnh,bsnh->bnts", q, kk) / math.sqrt(H)
causal = torch.tril(torch.ones(Tq, S, dtype=D))
full = amask[:, None] * causal[None, None]
scores = scores.masked_fill(full == 0, float("-inf"))
p = torch.softmax(scores, dim=-1)
heads = torch.einsum("bnts,bsnh->btnh", p, vv)
y = torch.einsum("btnh,nhd->btd", heads, wo) + bo
out["mha"] = dict(Tq=Tq, S=S, Dq=Dq, Dv=Dv, N=N, H=H, query=flat(q_in), value=flat(v_in),
                  query_kernel=flat(wq), query_bias=flat(bq), key_kernel=flat(wk), key_bias=flat(bk),
                  value_kernel=flat(wv), value_bias=flat(bv), output_kernel=flat(wo), output_bias=flat(bo),
                  attention_mask=flat(amask), output=flat(y), scores=flat(p))

# ---- LayerNorm (PyTorch layer_norm, eps 1e-3, with weight and bias)
xl = rnd(2, 3, 6, scale=2.0); gl = rnd(6) + 1; bl = rnd(6)
out["layer_norm"] = dict(x=flat(xl), gamma=flat(gl), beta=flat(bl),
                         y=flat(torch.nn.functional.layer_norm(xl, (6,), gl, bl, 1e-3)))

out["torch_version"] = torch.__version__
print(json.dumps(out))
