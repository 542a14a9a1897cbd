#!/usr/bin/python3
"""Reference values and gradients of the Keras losses, computed once in float64 with PyTorch, for LossReferenceTests.

Run with Debian's PyTorch (apt-get install python3-torch): /usr/bin/python3 make_loss_reference.py
It writes loss_reference.json beside itself; CI reads the JSON and never needs PyTorch.

PyTorch's own functions are used where they compute the same thing as Keras (huber_loss, kl_div, cosine_similarity,
poisson_nll_loss, binary_cross_entropy and cross_entropy with label smoothing); the rest (log-cosh, hinge, squared
hinge, the focal losses) follow the formulas of Keras 3's keras/src/losses/losses.py, written out here. Every loss is
reduced the Keras way: per-sample values (the last axis averaged or summed), then sum_over_batch_size / sum / none,
with optional sample weights (one per sample).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
EPS = 1e-7

y_reg = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]])
p_reg = [[0.2, -2.6, 2.1], [0.1, 0.7, 0.9]]
y_prob = torch.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
p_prob = [[0.1, 0.6, 0.3], [0.3, 0.3, 0.4]]
y_bin = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
p_bin = [[0.9, 0.2, 0.6], [0.3, 0.05, 0.7]]
z_bin = [[2.0, -1.0, 0.3], [0.5, -3.0, 1.2]]
y_pm = torch.tensor([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])
p_hinge = [[0.3, -0.4, 1.6], [0.8, 0.2, -0.5]]
y_cat = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
z_cat = [[1.0, 2.0, -0.5], [0.3, -1.0, 0.8]]
y_cnt = torch.tensor([[1.0, 0.0, 3.0], [2.0, 1.0, 0.0]])
p_cnt = [[0.8, 0.3, 2.5], [1.7, 1.2, 0.4]]


def bce_elems(y, p):
    return F.binary_cross_entropy(p.clamp(EPS, 1 - EPS), y, reduction="none")


def per_sample(name, y, p):
    if name == "huber":
        return F.huber_loss(p, y, delta=1.0, reduction="none").mean(-1)
    if name == "log_cosh":
        return torch.log(torch.cosh(p - y)).mean(-1)
    if name == "kl_divergence":
        return F.kl_div(p.clamp(EPS, 1).log(), y.clamp(EPS, 1), reduction="none").sum(-1)
    if name == "cosine_similarity":
        return -F.cosine_similarity(y, p, dim=-1)
    if name == "poisson":
        return F.poisson_nll_loss(p, y, log_input=False, full=False, eps=EPS, reduction="none").mean(-1)
    if name == "hinge":
        return torch.relu(1 - y * p).mean(-1)
    if name == "squared_hinge":
        return torch.relu(1 - y * p).square().mean(-1)
    if name == "binary_crossentropy":
        return bce_elems(y, p).mean(-1)
    if name == "binary_crossentropy_smoothed":
        return bce_elems(y * 0.8 + 0.5 * 0.2, p).mean(-1)
    if name == "binary_crossentropy_logits":
        return F.binary_cross_entropy_with_logits(p, y, reduction="none").mean(-1)
    if name == "categorical_crossentropy_smoothed":
        return F.cross_entropy(p, y, label_smoothing=0.1, reduction="none")
    if name == "sparse_categorical_crossentropy":
        return F.cross_entropy(p, y.argmax(-1), reduction="none")
    if name in ("binary_focal", "binary_focal_balanced", "binary_focal_logits"):
        q = torch.sigmoid(p) if name == "binary_focal_logits" else p
        bce = bce_elems(y, q)
        p_t = y * q + (1 - y) * (1 - q)
        focal = (1 - p_t) ** 2.0 * bce
        if name == "binary_focal_balanced":
            focal = (y * 0.25 + (1 - y) * 0.75) * focal
        return focal.mean(-1)
    if name in ("categorical_focal", "categorical_focal_logits"):
        q = torch.softmax(p, -1) if name == "categorical_focal_logits" else p / p.sum(-1, keepdim=True)
        q = q.clamp(EPS, 1 - EPS)
        return (0.25 * (1 - q) ** 2.0 * (-y * q.log())).sum(-1)
    raise ValueError(name)


cases = {
    "huber": (y_reg, p_reg), "log_cosh": (y_reg, p_reg), "kl_divergence": (y_prob, p_prob),
    "cosine_similarity": (y_reg, p_reg), "poisson": (y_cnt, p_cnt), "hinge": (y_pm, p_hinge),
    "hinge_binary": (y_bin, p_hinge), "squared_hinge": (y_pm, p_hinge), "binary_crossentropy": (y_bin, p_bin),
    "binary_crossentropy_smoothed": (y_bin, p_bin), "binary_crossentropy_logits": (y_bin, z_bin),
    "categorical_crossentropy_smoothed": (y_cat, z_cat), "sparse_categorical_crossentropy": (y_cat, z_cat),
    "binary_focal": (y_bin, p_bin), "binary_focal_balanced": (y_bin, p_bin), "binary_focal_logits": (y_bin, z_bin),
    "categorical_focal": (y_cat, p_prob), "categorical_focal_logits": (y_cat, z_cat),
}
sample_weight = torch.tensor([0.3, 1.7])
ref = {"sample_weight": sample_weight.tolist(), "torch_version": torch.__version__}
for name, (y, pv) in cases.items():
    entry = {"y_true": y.tolist(), "y_pred": pv}
    # Keras' hinge maps all-0/1 targets to -1/1 before the formula.
    yy = 2 * y - 1 if name == "hinge_binary" else y
    fn = "hinge" if name == "hinge_binary" else name
    for reduction in ("sum_over_batch_size", "sum", "none", "weighted"):
        p = torch.tensor(pv, requires_grad=True)
        v = per_sample(fn, yy, p)
        if reduction == "weighted":
            v = v * sample_weight
        out = v.mean() if reduction in ("sum_over_batch_size", "weighted") else v.sum() if reduction == "sum" else v
        out.sum().backward()  # the gradient of the sum of the values for "none"
        entry[reduction] = {"value": out.tolist(), "grad": p.grad.tolist()}
    ref[name] = entry

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "loss_reference.json"), "w") as f:
    json.dump(ref, f, indent=1)
