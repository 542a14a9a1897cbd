#!/usr/bin/python3
"""Reference values for Praxis's affine resampler (RandomRotation/Zoom/Translation) and RandomCrop's inference
resize, computed with PyTorch (float64).

Run once with Debian's PyTorch:  /usr/bin/python3 make_augmentation_reference.py > augmentation_reference.json
CI never runs this; the tests read the JSON it wrote.

Transforms are Keras' 8-number rows [a0, a1, a2, b0, b1, b2, 0, 0]: output pixel (x, y) reads the input at
(a0*x + a1*y + a2, b0*x + b1*y + b2), pixel centres at integers. torch.nn.functional.affine_grid/grid_sample with
align_corners=False use normalised coordinates where pixel p of an axis of size L sits at n = (2p + 1)/L - 1, so the
pixel map A·p + t becomes theta = S⁻¹ A S and S⁻¹ (A c + t - c) with S = diag(W/2, H/2), c = ((W-1)/2, (H-1)/2).
Keras' fill modes map to grid_sample's padding modes: constant 0 -> zeros, reflect -> reflection, nearest -> border.
PyTorch has no "wrap" and no constant other than 0: those two cases come from a plain NumPy per-corner reference
(the same definition the Praxis op uses, Keras' map_coordinates per-corner index fixing), marked "numpy".
The gradients are of L = sum(y * g).
"""
import json
import math

import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(20261207)
D = torch.float64
N, H, W, C = 2, 5, 7, 3


def flat(t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else t
    return [round(float(v), 12) for v in np.asarray(a).reshape(-1).tolist()]


def rotation(theta, h, w):
    c, s = math.cos(theta), math.sin(theta)
    return [c, -s, ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2, s, c, ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2, 0, 0]


transforms = [rotation(0.3, H, W), [0.8, 0.23, 0.93, -0.17, 1.3, -0.83, 0, 0]]
x = torch.rand(N, H, W, C, dtype=D)
g = torch.rand(N, H, W, C, dtype=D) * 2 - 1


def theta_of(t, h, w, ho, wo):
    A = np.array([[t[0], t[1]], [t[3], t[4]]])
    tt = np.array([t[2], t[5]])
    Si = np.diag([w / 2, h / 2]); ci = np.array([(w - 1) / 2, (h - 1) / 2])
    So = np.diag([wo / 2, ho / 2]); co = np.array([(wo - 1) / 2, (ho - 1) / 2])
    inv = np.linalg.inv(Si)
    return np.concatenate([inv @ A @ So, (inv @ (A @ co + tt - ci))[:, None]], axis=1)


def torch_case(interp, padding):
    xi = x.clone().permute(0, 3, 1, 2).contiguous().requires_grad_(True)
    theta = torch.tensor(np.stack([theta_of(t, H, W, H, W) for t in transforms]), dtype=D)
    grid = F.affine_grid(theta, [N, C, H, W], align_corners=False)
    y = F.grid_sample(xi, grid, mode=interp, padding_mode=padding, align_corners=False).permute(0, 2, 3, 1)
    (y * g).sum().backward()
    return y, xi.grad.permute(0, 2, 3, 1)


def fix(i, n, mode):
    if 0 <= i < n:
        return i
    if mode == "nearest":
        return min(max(i, 0), n - 1)
    if mode == "wrap":
        return i % n
    if mode == "reflect":
        m = i % (2 * n)
        return m if m < n else 2 * n - 1 - m
    return -1


def numpy_case(interp, mode, fill):
    xs, gs = x.numpy(), g.numpy()
    y = np.zeros_like(xs); gx = np.zeros_like(xs)
    for s, t in enumerate(transforms):
        for oy in range(H):
            for ox in range(W):
                sx = t[0] * ox + t[1] * oy + t[2]; sy = t[3] * ox + t[4] * oy + t[5]
                if interp == "nearest":
                    corners = [(int(np.round(sy)), int(np.round(sx)), 1.0)]
                else:
                    x0, y0 = math.floor(sx), math.floor(sy); fx, fy = sx - x0, sy - y0
                    corners = [(y0, x0, (1 - fy) * (1 - fx)), (y0, x0 + 1, (1 - fy) * fx), (y0 + 1, x0, fy * (1 - fx)), (y0 + 1, x0 + 1, fy * fx)]
                for cy, cx, wgt in corners:
                    iy, ix = fix(cy, H, mode), fix(cx, W, mode)
                    if iy < 0 or ix < 0:
                        y[s, oy, ox] += wgt * fill
                    else:
                        y[s, oy, ox] += wgt * xs[s, iy, ix]
                        gx[s, iy, ix] += wgt * gs[s, oy, ox]
    return y, gx


cases = []
for interp, mode, padding in [("bilinear", "constant", "zeros"), ("bilinear", "reflect", "reflection"), ("bilinear", "nearest", "border"),
                              ("nearest", "constant", "zeros"), ("nearest", "reflect", "reflection"), ("nearest", "nearest", "border")]:
    y, gx = torch_case(interp, padding)
    ny, ngx = numpy_case(interp, mode, 0.0)
    assert np.allclose(ny, y.detach().numpy(), atol=1e-9), (interp, mode)  # the per-corner definition is torch's
    assert np.allclose(ngx, gx.numpy(), atol=1e-9), (interp, mode)
    cases.append({"interpolation": interp, "fill_mode": mode, "fill_value": 0.0, "source": "torch", "y": flat(y), "gx": flat(gx)})
for interp, mode, fill in [("bilinear", "wrap", 0.0), ("nearest", "wrap", 0.0), ("bilinear", "constant", 0.5)]:
    y, gx = numpy_case(interp, mode, fill)
    cases.append({"interpolation": interp, "fill_mode": mode, "fill_value": fill, "source": "numpy", "y": flat(y), "gx": flat(gx)})

# RandomCrop at inference: Keras' smart_resize window, then bilinear resize with half-pixel centres (no antialias).
crops = []
for (h, w, th, tw) in [(6, 9, 4, 4), (5, 5, 8, 6)]:
    xc = torch.rand(1, h, w, 2, dtype=D)
    ch = min(h, int(w * th / tw)); cw = min(w, int(h * tw / th))
    top, left = (h - ch) // 2, (w - cw) // 2
    win = xc[:, top:top + ch, left:left + cw].permute(0, 3, 1, 2)
    y = F.interpolate(win, size=(th, tw), mode="bilinear", align_corners=False).permute(0, 2, 3, 1)
    crops.append({"shape": [1, h, w, 2], "target": [th, tw], "x": flat(xc), "y": flat(y)})

print(json.dumps({"shape": [N, H, W, C], "transforms": transforms, "x": flat(x), "g": flat(g), "cases": cases, "crops": crops}))
