#!/usr/bin/env python3
"""The PyTorch twin of bench/gpt2: the same GPT-2 forward (HF's modeling_gpt2 math: pre-LN, Conv1D x@W+b, fused c_attn,
causal attention, GELU tanh, tied head) with a key/value cache, on the same model.safetensors (read by mapping the
file with numpy, then torch.from_numpy: no copy of the weights beyond torch's own tensors), greedy, float32.
    /usr/bin/python3 bench/gpt2/twin.py DIR [NEW] [THREADS]
Prints the load seconds, prompt seconds, tokens/s of the steps after the prompt and the generated ids."""
import json, math, struct, sys, time
import numpy as np
import torch

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/gpt2-bench-124m"
new = int(sys.argv[2]) if len(sys.argv) > 2 else 128
if len(sys.argv) > 3: torch.set_num_threads(int(sys.argv[3]))
torch.set_grad_enabled(False)

t0 = time.perf_counter()
cfg = json.load(open(f"{d}/config.json"))
raw = np.memmap(f"{d}/model.safetensors", dtype=np.uint8, mode="r")
n = struct.unpack("<Q", bytes(raw[:8]))[0]
header = json.loads(bytes(raw[8:8 + n]))
W = {}
for k, v in header.items():
    if k == "__metadata__": continue
    assert v["dtype"] == "F32"
    b, e = v["data_offsets"]
    W[k] = torch.from_numpy(np.array(raw[8 + n + b:8 + n + e]).view(np.float32).reshape(v["shape"]))
load_s = time.perf_counter() - t0

L, H, D, P, EPS = cfg["n_layer"], cfg["n_head"], cfg["n_embd"], cfg["n_positions"], cfg["layer_norm_epsilon"]
hd = D // H
F = torch.nn.functional

def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

def step(ids, cache, pos):
    T = len(ids)
    x = W["wte.weight"][ids] + W["wpe.weight"][pos:pos + T]
    for l in range(L):
        p = f"h.{l}."
        h = F.layer_norm(x, (D,), W[p + "ln_1.weight"], W[p + "ln_1.bias"], EPS)
        qkv = torch.addmm(W[p + "attn.c_attn.bias"], h, W[p + "attn.c_attn.weight"])
        q, k, v = qkv.split(D, dim=-1)
        kc, vc = cache[l]
        kc[pos:pos + T] = k; vc[pos:pos + T] = v
        S = pos + T
        qh = q.view(T, H, hd).transpose(0, 1)
        kh = kc[:S].view(S, H, hd).transpose(0, 1)
        vh = vc[:S].view(S, H, hd).transpose(0, 1)
        att = qh @ kh.transpose(-1, -2) / math.sqrt(hd)
        if T > 1:
            mask = torch.ones(T, S, dtype=torch.bool).triu(pos + 1)
            att = att.masked_fill(mask, float("-inf"))
        y = (att.softmax(-1) @ vh).transpose(0, 1).reshape(T, D)
        x = x + torch.addmm(W[p + "attn.c_proj.bias"], y, W[p + "attn.c_proj.weight"])
        h = F.layer_norm(x, (D,), W[p + "ln_2.weight"], W[p + "ln_2.bias"], EPS)
        h = gelu_new(torch.addmm(W[p + "mlp.c_fc.bias"], h, W[p + "mlp.c_fc.weight"]))
        x = x + torch.addmm(W[p + "mlp.c_proj.bias"], h, W[p + "mlp.c_proj.weight"])
    x = F.layer_norm(x[-1:], (D,), W["ln_f.weight"], W["ln_f.bias"], EPS)
    return (x @ W["wte.weight"].T)[0]

def generate(prompt, count):
    cache = [(torch.zeros(P, D), torch.zeros(P, D)) for _ in range(L)]
    t = time.perf_counter()
    logits = step(torch.tensor(prompt), cache, 0)
    prompt_s = time.perf_counter() - t
    out, pos = [], len(prompt)
    t = time.perf_counter()
    for i in range(count):
        nxt = int(logits.argmax())
        out.append(nxt)
        if i == count - 1: break
        logits = step(torch.tensor([nxt]), cache, pos); pos += 1
    return out, prompt_s, time.perf_counter() - t

prompt = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13, 198, 464, 3290, 318, 257, 922]
generate(prompt, 8)  # warm-up, as the Praxis side
ids, prompt_s, gen_s = generate(prompt, new)
print(f"twin_threads={torch.get_num_threads()} torch={torch.__version__}")
print(f"twin_load_s={load_s:.3f}")
print(f"twin_prompt_s={prompt_s:.3f}")
print(f"twin_tokens_per_s={(len(ids) - 1) / gen_s:.2f}")
print("twin_ids=" + ",".join(map(str, ids)))
