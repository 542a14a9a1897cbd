#!/usr/bin/python3
"""Reference values for Praxis's image-layer tests (DepthwiseConv2D, SeparableConv2D, GroupNormalization, Resizing),
computed with PyTorch (float64).

Run once with Debian's PyTorch:  /usr/bin/python3 make_image_reference.py > image_reference.json
CI never runs this; the tests read the JSON it wrote.

Tensors are in Keras' layouts: x (N, H, W, C), depthwise kernel (KH, KW, C, M), pointwise kernel (1, 1, C*M, F).
Depthwise convolution is torch conv2d with groups=C (output channel c*M + m, as Keras orders them); "same" pads as
TensorFlow (max((out-1)*s + k_eff - in, 0), the smaller half first). Group norm is F.group_norm on the NCHW view.
Resizing is F.interpolate with align_corners=False, antialias=False: "bilinear" is Keras 3's (TensorFlow's
half-pixel) bilinear for up- and downsampling alike, and "nearest-exact" is its nearest, floor((o + 0.5) * in / out).
The gradients are of L = sum(y * r).
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


def same_pads(n, k, s, d):
    keff = (k - 1) * d + 1
    out = -(-n // s)
    total = max((out - 1) * s + keff - n, 0)
    return total // 2, total - total // 2


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def depthwise(x, dw, s, d, padding):
    kh, kw, c, m = dw.shape
    xt = nchw(x)
    if padding == "same":
        t, b = same_pads(x.shape[1], kh, s[0], d[0])
        l, r = same_pads(x.shape[2], kw, s[1], d[1])
        xt = F.pad(xt, (l, r, t, b))
    w = dw.reshape(kh, kw, c * m).permute(2, 0, 1).unsqueeze(1)  # (C*M, 1, KH, KW)
    return F.conv2d(xt, w, None, stride=s, dilation=d, groups=c)


def depthwise_case(name, n, h, w, c, m, k, s, d, padding):
    x = rnd(n, h, w, c).requires_grad_()
    dw = rnd(k[0], k[1], c, m).requires_grad_()
    b = rnd(c * m).requires_grad_()
    y = nhwc(depthwise(x, dw, s, d, padding)) + b
    r = rnd(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "kind": "depthwise", "kernel_size": list(k), "strides": list(s), "dilation": list(d), "padding": padding,
            "depth_multiplier": m, "x_shape": list(x.shape), "x": flat(x), "kernel": flat(dw), "bias": flat(b),
            "y_shape": list(y.shape), "y": flat(y), "r": flat(r), "dx": flat(x.grad), "dkernel": flat(dw.grad), "dbias": flat(b.grad)}


def separable_case(name, n, h, w, c, m, f, k, s, d, padding):
    x = rnd(n, h, w, c).requires_grad_()
    dw = rnd(k[0], k[1], c, m).requires_grad_()
    pw = rnd(1, 1, c * m, f).requires_grad_()
    b = rnd(f).requires_grad_()
    z = depthwise(x, dw, s, d, padding)
    y = nhwc(F.conv2d(z, pw.permute(3, 2, 0, 1), b))
    r = rnd(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "kind": "separable", "filters": f, "kernel_size": list(k), "strides": list(s), "dilation": list(d), "padding": padding,
            "depth_multiplier": m, "x_shape": list(x.shape), "x": flat(x), "depthwise_kernel": flat(dw), "pointwise_kernel": flat(pw),
            "bias": flat(b), "y_shape": list(y.shape), "y": flat(y), "r": flat(r), "dx": flat(x.grad),
            "ddepthwise_kernel": flat(dw.grad), "dpointwise_kernel": flat(pw.grad), "dbias": flat(b.grad)}


def group_norm_case(name, shape, groups, eps):
    x = (rnd(*shape) * 3 + 1.5).requires_grad_()
    c = shape[-1]
    gamma = rnd(c).requires_grad_()
    beta = rnd(c).requires_grad_()
    xt = x.permute(0, len(shape) - 1, *range(1, len(shape) - 1))  # channels to axis 1
    yt = F.group_norm(xt, groups, gamma, beta, eps)
    y = yt.permute(0, *range(2, len(shape)), 1)
    r = rnd(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "kind": "group_norm", "groups": groups, "epsilon": eps, "x_shape": list(x.shape), "x": flat(x),
            "gamma": flat(gamma), "beta": flat(beta), "y_shape": list(y.shape), "y": flat(y), "r": flat(r),
            "dx": flat(x.grad), "dgamma": flat(gamma.grad), "dbeta": flat(beta.grad)}


def resize_case(name, shape, size, mode, crop=None, pad=None, fill=0.0):
    x = rnd(*shape).requires_grad_()
    xt = nchw(x)
    if crop is not None:  # (top, left, height, width)
        t, l, ch, cw = crop
        xt = xt[:, :, t:t + ch, l:l + cw]
    if pad is not None:  # (rows, cols) on each side
        rows, cols = pad
        xt = F.pad(xt, (cols, cols, rows, rows), value=fill)
    torch_mode = "bilinear" if mode == "bilinear" else "nearest-exact"
    kwargs = {"align_corners": False, "antialias": False} if mode == "bilinear" else {}
    y = nhwc(F.interpolate(xt, size=size, mode=torch_mode, **kwargs))
    r = rnd(*y.shape)
    (y * r).sum().backward()
    return {"name": name, "kind": "resize", "interpolation": mode, "height": size[0], "width": size[1],
            "crop_to_aspect_ratio": crop is not None, "pad_to_aspect_ratio": pad is not None, "fill_value": fill,
            "x_shape": list(x.shape), "x": flat(x), "y_shape": list(y.shape), "y": flat(y), "r": flat(r), "dx": flat(x.grad)}


cases = [
    depthwise_case("depthwise_valid_stride2", 2, 7, 6, 3, 1, (3, 3), (2, 2), (1, 1), "valid"),
    depthwise_case("depthwise_same_even_kernel_m2", 2, 5, 6, 2, 2, (2, 4), (1, 1), (1, 1), "same"),
    depthwise_case("depthwise_same_dilation2_stride_hw", 1, 8, 7, 3, 3, (3, 2), (1, 2), (2, 2), "same"),
    separable_case("separable_same", 2, 6, 5, 3, 1, 4, (3, 3), (1, 1), (1, 1), "same"),
    separable_case("separable_m2_stride2_valid", 2, 7, 7, 2, 2, 3, (3, 2), (2, 2), (1, 1), "valid"),
    group_norm_case("group_norm_2_of_6", (2, 3, 4, 6), 2, 1e-3),
    group_norm_case("group_norm_instance", (2, 4, 3, 4), 4, 1e-3),
    group_norm_case("group_norm_one_group_seq", (3, 5, 4), 1, 1e-5),
    resize_case("bilinear_up", (2, 3, 5, 2), (7, 8), "bilinear"),
    resize_case("bilinear_down", (2, 9, 7, 3), (4, 3), "bilinear"),
    resize_case("bilinear_mixed", (1, 4, 9, 2), (6, 5), "bilinear"),
    resize_case("nearest_up", (2, 3, 4, 2), (7, 6), "nearest"),
    resize_case("nearest_down", (1, 9, 8, 2), (4, 3), "nearest"),
    # Keras' crop_to_aspect_ratio for 6x9 -> 4x4: crop height min(6, 9*4/4) = 6, width min(9, 6*4/4) = 6, start (0, 1).
    resize_case("bilinear_crop_to_aspect", (2, 6, 9, 2), (4, 4), "bilinear", crop=(0, 1, 6, 6)),
    # pad_to_aspect_ratio for 4x8 -> 4x4: pad height max(4, 8*4/4) = 8, so (8-4)//2 = 2 rows each side.
    resize_case("bilinear_pad_to_aspect", (1, 4, 8, 2), (4, 4), "bilinear", pad=(2, 0), fill=0.5),
]
print(json.dumps({"torch": torch.__version__, "cases": cases}, indent=None))
