#!/usr/bin/env python3
"""Writes a tiny random GPT-2 in Hugging Face's exact layout, and the reference outputs Praxis must reproduce.

Run from the repository root with Debian's PyTorch (no transformers needed; CI never runs this):
    /usr/bin/python3 data/gpt2-tiny/make_gpt2_tiny.py

Outputs, next to this script:
  config.json        the keys of transformers' GPT2Config (n_layer, n_head, n_embd, n_positions, vocab_size, ...)
  model.safetensors  HF's GPT2Model tensor names (wte.weight, wpe.weight, h.N.ln_1.weight, h.N.attn.c_attn.weight, ...,
                     ln_f.bias), Conv1D weights stored (in, out) as HF does, the LM head tied to wte (not stored), and
                     __metadata__ {"format": "pt"}. Mixed dtypes on purpose: wte is F16, the ln_f tensors BF16, the rest
                     F32, so the loader's conversions are exercised.
  reference.json     logits of a faithful GPT-2 forward (written below, float64 from the stored values) for fixed
                     token ids, and 16 greedily generated ids after a prompt (with the smallest top-1/top-2 margin so
                     a float32 implementation cannot flip a choice).
The forward is GPT-2's (Radford et al. 2019, HF modeling_gpt2.py): pre-LayerNorm blocks, ε 1e-5, Conv1D y = x W + b
with W (in, out), fused c_attn [Q | K | V], causal softmax(QKᵀ/√d), GELU tanh form ("gelu_new"), tied head.
"""
import json, math, os, struct
import torch

torch.manual_seed(20)
HERE = os.path.dirname(os.path.abspath(__file__))
cfg = dict(
    activation_function="gelu_new", architectures=["GPT2LMHeadModel"], attn_pdrop=0.1, bos_token_id=50256,
    embd_pdrop=0.1, eos_token_id=50256, initializer_range=0.02, layer_norm_epsilon=1e-05, model_type="gpt2",
    n_ctx=64, n_embd=16, n_head=2, n_inner=None, n_layer=2, n_positions=64, resid_pdrop=0.1, vocab_size=50257,
)
L, H, D, P, V, EPS = cfg["n_layer"], cfg["n_head"], cfg["n_embd"], cfg["n_positions"], cfg["vocab_size"], cfg["layer_norm_epsilon"]

def rnd(*shape, std=0.2, mean=0.0):
    return torch.randn(*shape) * std + mean

W = {}  # name -> (tensor, dtype string)
W["wte.weight"] = (rnd(V, D, std=0.5), "F16")
W["wpe.weight"] = (rnd(P, D, std=0.1), "F32")
for l in range(L):
    p = f"h.{l}."
    W[p + "ln_1.weight"] = (rnd(D, std=0.1, mean=1.0), "F32")
    W[p + "ln_1.bias"] = (rnd(D, std=0.1), "F32")
    W[p + "attn.c_attn.weight"] = (rnd(D, 3 * D, std=0.3), "F32")   # Conv1D: (in, out)
    W[p + "attn.c_attn.bias"] = (rnd(3 * D, std=0.1), "F32")
    W[p + "attn.c_proj.weight"] = (rnd(D, D, std=0.3), "F32")
    W[p + "attn.c_proj.bias"] = (rnd(D, std=0.1), "F32")
    W[p + "ln_2.weight"] = (rnd(D, std=0.1, mean=1.0), "F32")
    W[p + "ln_2.bias"] = (rnd(D, std=0.1), "F32")
    W[p + "mlp.c_fc.weight"] = (rnd(D, 4 * D, std=0.3), "F32")
    W[p + "mlp.c_fc.bias"] = (rnd(4 * D, std=0.1), "F32")
    W[p + "mlp.c_proj.weight"] = (rnd(4 * D, D, std=0.2), "F32")
    W[p + "mlp.c_proj.bias"] = (rnd(D, std=0.1), "F32")
W["ln_f.weight"] = (rnd(D, std=0.1, mean=1.0), "BF16")
W["ln_f.bias"] = (rnd(D, std=0.1), "BF16")

TORCH_DTYPE = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
stored = {k: t.to(TORCH_DTYPE[dt]) for k, (t, dt) in W.items()}

def raw_bytes(t):
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the upper half of each float32
        return bytes(((t.float().contiguous().view(torch.int32) >> 16) & 0xFFFF).to(torch.int16).numpy().astype("<i2").tobytes())
    return t.contiguous().numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()

def write_safetensors(path, tensors, metadata):
    # The safetensors crate's order: larger alignment first, then by name; the header padded with spaces to 8 bytes.
    size = {"F32": 4, "F16": 2, "BF16": 2}
    names = sorted(tensors, key=lambda k: (-size[W[k][1]], k))
    header, blobs, off = {"__metadata__": metadata}, [], 0
    for k in names:
        b = raw_bytes(tensors[k])
        header[k] = {"dtype": W[k][1], "shape": list(tensors[k].shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b); off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)

write_safetensors(os.path.join(HERE, "model.safetensors"), stored, {"format": "pt"})
with open(os.path.join(HERE, "config.json"), "w") as f:
    json.dump(cfg, f, indent=2, sort_keys=True); f.write("\n")

# ---- the reference forward, float64 from the stored (rounded) values
w = {k: t.double() for k, t in stored.items()}

def layer_norm(x, g, b):
    mu = x.mean(-1, keepdim=True); var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + EPS) * g + b

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))

def forward(ids):
    T = len(ids); hd = D // H
    x = w["wte.weight"][torch.tensor(ids)] + w["wpe.weight"][:T]
    for l in range(L):
        p = f"h.{l}."
        h = layer_norm(x, w[p + "ln_1.weight"], w[p + "ln_1.bias"])
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(D, dim=-1)
        q, k, v = (t.view(T, H, hd).transpose(0, 1) for t in (q, k, v))
        att = q @ k.transpose(-1, -2) / math.sqrt(hd)
        att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf")).softmax(-1)
        y = (att @ v).transpose(0, 1).reshape(T, D)
        x = x + y @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = layer_norm(x, w[p + "ln_2.weight"], w[p + "ln_2.bias"])
        h = gelu_new(h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = layer_norm(x, w["ln_f.weight"], w["ln_f.bias"])
    return x @ w["wte.weight"].T

ids = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13]  # "The quick brown fox jumps over the lazy dog."
logits = forward(ids)
prompt = [15496, 11, 616, 1438, 318]  # "Hello, my name is"
seq, margins = list(prompt), []
for _ in range(16):
    top = forward(seq)[-1].topk(2).values
    margins.append(float(top[0] - top[1]))
    seq.append(int(forward(seq)[-1].argmax()))
assert min(margins) > 1e-3, f"greedy choices too close to call in float32: {min(margins)}"
# The first 256 logits of every position, and every row's arg max and log-sum-exp: compact but complete enough to catch errors.
ref = dict(
    ids=ids,
    logits_first_256=[[round(float(v), 7) for v in logits[t, :256]] for t in range(len(ids))],
    argmax=[int(i) for i in logits.argmax(-1)],
    logsumexp=[float(v) for v in torch.logsumexp(logits, -1)],
    prompt=prompt, greedy=seq[len(prompt):], min_greedy_margin=min(margins),
)
with open(os.path.join(HERE, "reference.json"), "w") as f:
    json.dump(ref, f); f.write("\n")
print("wrote", HERE, "min margin", min(margins), "greedy", ref["greedy"])
