#!/usr/bin/python3
"""Reference for Praxis's regularized Conv2D (RegularizerTests), computed with PyTorch (float64).

Run once with Debian's PyTorch:  /usr/bin/python3 make_regularizer_reference.py > regularizer_reference.json
CI never runs this; the tests read the JSON it wrote.

One Keras-style training step of Conv2D(3, 3, "valid") on channels-last input with kernel_regularizer L2(0.05),
bias_regularizer L1(0.1) and activity_regularizer L1(0.01):
loss = mean((y - t)^2) + 0.05 * sum(kernel^2) + 0.1 * sum(|bias|) + 0.01 * sum(|y|)
(Keras 3 sums each penalty and does not divide the activity penalty by the batch), then SGD(lr = 0.1).
Tensors are in Keras' layouts: x (N, H, W, C), kernel (kh, kw, C, F).
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


n, h, w, c, f, k = 2, 5, 4, 2, 3, 3
x = rnd(n, h, w, c)
kernel = rnd(k, k, c, f).requires_grad_()
bias = rnd(f).requires_grad_()
y = F.conv2d(x.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), bias).permute(0, 2, 3, 1)
t = rnd(*y.shape)
mse = ((y - t) ** 2).mean()
penalty = 0.05 * (kernel ** 2).sum() + 0.1 * bias.abs().sum() + 0.01 * y.abs().sum()
loss = mse + penalty
loss.backward()
lr = 0.1
print(json.dumps({
    "x_shape": list(x.shape), "x": flat(x), "kernel": flat(kernel), "bias": flat(bias),
    "t_shape": list(t.shape), "t": flat(t), "mse": float(mse), "penalty": float(penalty), "loss": float(loss),
    "kernel_after": flat(kernel - lr * kernel.grad), "bias_after": flat(bias - lr * bias.grad),
}))
