#!/usr/bin/python3
"""Reference trajectories and losses from PyTorch (float64) for OptimizerReferenceTests.

Run once with Debian's PyTorch (apt-get install python3-torch): /usr/bin/python3 make_optimizer_reference.py
It writes optimizer_reference.json beside itself; CI reads the JSON and never needs PyTorch.

Where Keras and PyTorch place epsilon differently (Adam's ε-hat, RMSprop's ε inside the square root) epsilon is 0 in
both, so the recurrences themselves are compared. SGD momentum/Nesterov, Adam, AdamW (decoupled decay) and RMSprop
are then the same maths in both libraries, written independently.
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)
w0 = [0.5, -1.0, 2.0, 0.25, -0.75]
grads = [
    [0.1, -0.2, 0.3, 0.01, 1.0],
    [0.05, 0.4, -1.0, 0.2, -0.3],
    [-0.3, 0.1, 0.2, -0.5, 0.6],
    [0.2, -0.1, 0.05, 0.4, -0.2],
]


def trajectory(make):
    w = torch.tensor(w0, requires_grad=True)
    opt = make([w])
    out = []
    for g in grads:
        opt.zero_grad()
        w.grad = torch.tensor(g)
        opt.step()
        out.append(w.detach().tolist())
    return out


ref = {
    "w0": w0,
    "grads": grads,
    "sgd_momentum": trajectory(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "sgd_nesterov": trajectory(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    "adam": trajectory(lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=0.0)),
    "adamw": trajectory(lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.999), eps=0.0, weight_decay=0.1)),
    "rmsprop": trajectory(lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=0.0)),
}

# Losses (mean over all elements) and their gradients with respect to the predictions.
y_true = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
p = torch.tensor([[0.9, 0.2, 0.6], [0.3, 0.05, 0.7]], requires_grad=True)
bce = torch.nn.functional.binary_cross_entropy(p, y_true)
bce.backward()
ref["bce"] = {"y_true": y_true.tolist(), "y_pred": p.detach().tolist(), "loss": bce.item(), "grad": p.grad.tolist()}
p2 = torch.tensor([[0.9, -0.2, 1.6], [0.3, 0.05, -0.7]], requires_grad=True)
mae = torch.nn.functional.l1_loss(p2, y_true)
mae.backward()
ref["mae"] = {"y_true": y_true.tolist(), "y_pred": p2.detach().tolist(), "loss": mae.item(), "grad": p2.grad.tolist()}
ref["torch_version"] = torch.__version__

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_reference.json"), "w") as f:
    json.dump(ref, f, indent=1)
