#!/usr/bin/python3
"""Reference values for Praxis's Conv1D and SeparableConv1D tests, computed with PyTorch (float64).

Run once with Debian's PyTorch:  /usr/bin/python3 make_conv1d_reference.py > conv1d_reference.json
CI never runs this; the tests read the JSON it wrote.

Tensors are written in Keras' layouts: x (N, T, C), Conv1D kernel (K, C/groups, F), depthwise kernel (K, C, M),
pointwise kernel (1, C*M, F). Padding follows Keras/TensorFlow: "same" pads max((out-1)*s + k_eff - T, 0) zeros,
the smaller half in front; "causal" pads (k-1)*d zeros in front. The gradients are of L = sum(y * r).
"""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(20261207)
D = torch.float64


def rnd(*shape):
    return torch.rand(*shape, dtype=D) * 2 - 1


def flat(t):
    return [round(float(v), 12) for v in t.reshape(-1).tolist()]


def pad_amounts(t, k, s, d, padding):
    keff = (k - 1) * d + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return keff - 1, 0
    out = -(-t // s)
    total = max((out - 1) * s + keff - t, 0)
    return total // 2, total - total // 2


def conv1d_case(name, n, t, c, f, k, s, d, padding, groups):
    x = rnd(n, t, c).requires_grad_()
    w = rnd(k, c // groups, f).requires_grad_()
    b = rnd(f).requires_grad_()
    left, right = pad_amounts(t, k, s, d, padding)
    xt = F.pad(x.permute(0, 2, 1), (left, right))
    y = F.conv1d(xt, w.permute(2, 1, 0), b, stride=s, dilation=d, groups=groups).permute(0, 2, 1)
    r = rnd(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "kind": "conv1d", "filters": f, "kernel_size": k, "strides": s, "dilation": d, "padding": padding,
            "groups": groups, "x_shape": list(x.shape), "x": flat(x), "kernel": flat(w), "bias": flat(b),
            "y_shape": list(y.shape), "y": flat(y), "r": flat(r), "dx": flat(x.grad), "dkernel": flat(w.grad), "dbias": flat(b.grad)}


def separable_case(name, n, t, c, m, f, k, s, d, padding):
    x = rnd(n, t, c).requires_grad_()
    dw = rnd(k, c, m).requires_grad_()
    pw = rnd(1, c * m, f).requires_grad_()
    b = rnd(f).requires_grad_()
    left, right = pad_amounts(t, k, s, d, padding)
    xt = F.pad(x.permute(0, 2, 1), (left, right))
    wt = dw.reshape(k, c * m).permute(1, 0).unsqueeze(1)  # out channel c*M + m, as Keras orders them
    z = F.conv1d(xt, wt, None, stride=s, dilation=d, groups=c)
    y = F.conv1d(z, pw.permute(2, 1, 0), b).permute(0, 2, 1)
    r = rnd(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "kind": "separable", "filters": f, "kernel_size": k, "strides": s, "dilation": d, "padding": padding,
            "depth_multiplier": m, "x_shape": list(x.shape), "x": flat(x), "depthwise": flat(dw), "pointwise": flat(pw), "bias": flat(b),
            "y_shape": list(y.shape), "y": flat(y), "r": flat(r), "dx": flat(x.grad), "ddepthwise": flat(dw.grad),
            "dpointwise": flat(pw.grad), "dbias": flat(b.grad)}


cases = [
    conv1d_case("valid_stride2", 2, 9, 3, 4, 3, 2, 1, "valid", 1),
    conv1d_case("same_even_kernel", 2, 7, 2, 3, 4, 1, 1, "same", 1),
    conv1d_case("same_stride3", 1, 10, 2, 2, 3, 3, 1, "same", 1),
    conv1d_case("causal_dilation2", 2, 8, 3, 2, 3, 1, 2, "causal", 1),
    conv1d_case("groups2", 2, 6, 4, 6, 2, 1, 1, "valid", 2),
    separable_case("separable_same", 2, 7, 3, 1, 4, 3, 1, 1, "same"),
    separable_case("separable_multiplier2_stride2", 2, 9, 2, 2, 3, 3, 2, 1, "valid"),
    separable_case("separable_causal_dilation2", 1, 8, 2, 1, 2, 2, 1, 2, "causal"),
]
print(json.dumps({"cases": cases}))
