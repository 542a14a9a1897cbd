#!/usr/bin/python3
"""Reference trajectories for the optimizers added in issue 15 (Adamax, Nadam, Adagrad, Adadelta, Lion) and the
Keras learning-rate schedules, for OptimizerReferenceTests.

Run once with Debian's PyTorch (apt-get install python3-torch): /usr/bin/python3 make_optimizer_reference_2.py
It writes optimizer_reference_2.json beside itself; CI reads the JSON and never needs PyTorch.

Adamax, NAdam, Adagrad and Adadelta are PyTorch's own (float64). Where Keras and PyTorch place epsilon differently
(Adamax: PyTorch adds it inside the max, Keras to the denominator) epsilon is 0; Adadelta keeps 1e-6 (both put it
inside the square roots; with 0 it would never move). PyTorch 1.13 has no Lion, so it is written out from the paper
(Chen et al. 2023, Algorithm 2 without weight decay), as Keras does. The schedules are Keras 3's formulas
(keras/src/optimizers/schedules/learning_rate_schedule.py) written out in Python floats. Keras 3's Nadam decays its
momentum schedule as 0.96^t, which is PyTorch's NAdam with momentum_decay=1 (PyTorch's default 0.004 is Keras 2's). foreach=True because PyTorch 1.13's single-tensor NAdam multiplies
mu_product_next by mu twice (fixed in later releases); its foreach path has the published formula.
"""
import json
import math
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


def lion(lr, b1, b2):
    w = torch.tensor(w0)
    m = torch.zeros_like(w)
    out = []
    for g in grads:
        g = torch.tensor(g)
        w = w - lr * torch.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
        out.append(w.tolist())
    return out


ref = {
    "w0": w0,
    "grads": grads,
    "adamax": trajectory(lambda p: torch.optim.Adamax(p, lr=0.01, betas=(0.9, 0.999), eps=0.0)),
    "nadam": trajectory(lambda p: torch.optim.NAdam(p, lr=0.01, betas=(0.9, 0.999), eps=0.0, momentum_decay=1.0, foreach=True)),
    "adagrad": trajectory(lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=0.0)),
    "adadelta": trajectory(lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    "lion": lion(0.01, 0.9, 0.99),
    "torch_version": torch.__version__,
}


def exponential(s, staircase):
    p = s / 10
    return 0.1 * 0.5 ** (math.floor(p) if staircase else p)


def piecewise(s):
    return 1.0 if s <= 5 else 0.5 if s <= 12 else 0.1


def polynomial(s, cycle):
    d = 10
    if cycle:
        d = d * (1 if s == 0 else math.ceil(s / d))
    else:
        s = min(s, d)
    return (0.1 - 0.01) * (1 - s / d) ** 2.0 + 0.01


def inverse_time(s, staircase):
    p = s / 10
    return 0.1 / (1 + 0.5 * (math.floor(p) if staircase else p))


def restarts(s, t_mul, m_mul, alpha):
    frac = s / 4
    if t_mul == 1.0:
        i = math.floor(frac)
        frac -= i
    else:
        i = math.floor(math.log(1 - frac * (1 - t_mul)) / math.log(t_mul))
        sum_r = (1 - t_mul ** i) / (1 - t_mul)
        frac = (frac - sum_r) / t_mul ** i
    cos = 0.5 * m_mul ** i * (1 + math.cos(math.pi * frac))
    return 0.1 * ((1 - alpha) * cos + alpha)


steps = list(range(0, 31))
ref["schedule_steps"] = steps
ref["schedules"] = {
    "exponential": [exponential(s, False) for s in steps],
    "exponential_staircase": [exponential(s, True) for s in steps],
    "piecewise": [piecewise(s) for s in steps],
    "polynomial": [polynomial(s, False) for s in steps],
    "polynomial_cycle": [polynomial(s, True) for s in steps],
    "inverse_time": [inverse_time(s, False) for s in steps],
    "inverse_time_staircase": [inverse_time(s, True) for s in steps],
    "restarts": [restarts(s, 2.0, 1.0, 0.0) for s in steps],
    "restarts_tmul1": [restarts(s, 1.0, 0.5, 0.1) for s in steps],
}

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_reference_2.json"), "w") as f:
    json.dump(ref, f, indent=1)
