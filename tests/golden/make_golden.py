"""Writes the golden data of tests/golden/test_golden.cpp: PyTorch's outputs and gradients for a few
ops, saved as small safetensors files in tests/golden/data/.

Run it from anywhere with a Python that has torch (Debian's python3-torch lives in /usr/bin/python3;
a python3 earlier on the PATH may lack it):

    /usr/bin/python3 tests/golden/make_golden.py

The files are committed, so the C++ tests never need this script or PyTorch. Seeds are fixed and the
computations run in float32 on the CPU, so a rerun reproduces the same files up to PyTorch's own
rounding differences between versions. The files are written with the tiny writer below (struct +
json), so the `safetensors` package is not needed either.
"""

import json
import os
import struct

import torch
import torch.nn.functional as F

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_safetensors(path, tensors, metadata):
    """The safetensors layout: an 8-byte little-endian header length, the JSON header (padded with
    spaces to a multiple of 8 bytes), then each tensor's little-endian bytes back to back."""
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        array = t.numpy()
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)
    print(f"wrote {path} ({8 + len(text) + offset} bytes)")


def base_metadata(case):
    return {"case": case, "generator": "tests/golden/make_golden.py",
            "torch_version": torch.__version__}


def conv2d_case(name, seed, x_shape, w_shape, stride, padding, groups):
    """conv2d with bias; grads for a fixed random upstream gradient grad_out."""
    torch.manual_seed(seed)
    x = torch.randn(x_shape, requires_grad=True)
    w = torch.randn(w_shape, requires_grad=True)
    b = torch.randn(w_shape[0], requires_grad=True)
    out = F.conv2d(x, w, b, stride=stride, padding=padding, groups=groups)
    grad_out = torch.randn(out.shape)
    out.backward(grad_out)
    metadata = base_metadata(name)
    metadata.update(stride=str(stride), padding=str(padding), groups=str(groups))
    save_safetensors(os.path.join(DATA_DIR, name + ".safetensors"),
                     {"input": x, "weight": w, "bias": b, "output": out, "grad_output": grad_out,
                      "grad_input": x.grad, "grad_weight": w.grad, "grad_bias": b.grad},
                     metadata)


def batch_norm_case(seed):
    """batch_norm in training mode: batch statistics, running stats updated with momentum 0.1."""
    torch.manual_seed(seed)
    n, c, h, w = 3, 4, 3, 2
    x = torch.randn(n, c, h, w, requires_grad=True)
    gamma = (1 + 0.2 * torch.randn(c)).requires_grad_()
    beta = (0.3 * torch.randn(c)).requires_grad_()
    running_mean = 0.5 * torch.randn(c)
    running_var = 0.5 + torch.rand(c)
    mean_before, var_before = running_mean.clone(), running_var.clone()
    momentum, eps = 0.1, 1e-5
    out = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True,
                       momentum=momentum, eps=eps)
    grad_out = torch.randn(out.shape)
    out.backward(grad_out)
    metadata = base_metadata("batch_norm_train")
    metadata.update(momentum=repr(momentum), eps=repr(eps))
    save_safetensors(os.path.join(DATA_DIR, "batch_norm_train.safetensors"),
                     {"input": x, "weight": gamma, "bias": beta,
                      "running_mean_before": mean_before, "running_var_before": var_before,
                      "running_mean_after": running_mean, "running_var_after": running_var,
                      "output": out, "grad_output": grad_out, "grad_input": x.grad,
                      "grad_weight": gamma.grad, "grad_bias": beta.grad},
                     metadata)


def cross_entropy_offset_case(seed):
    """Mean cross-entropy of logits + offset, the offset being tau * log(prior) as in logit
    adjustment (Menon et al., 2021) for a long-tailed prior; the gradient of the scalar loss."""
    torch.manual_seed(seed)
    n, c = 6, 5
    logits = torch.randn(n, c, requires_grad=True)
    labels = torch.randint(0, c, (n,), dtype=torch.int64)
    counts = torch.tensor([100.0, 40.0, 15.0, 6.0, 2.0])
    tau = 1.0
    offset = tau * torch.log(counts / counts.sum())
    loss = F.cross_entropy(logits + offset, labels)
    loss.backward()
    metadata = base_metadata("cross_entropy_offset")
    metadata.update(tau=repr(tau))
    save_safetensors(os.path.join(DATA_DIR, "cross_entropy_offset.safetensors"),
                     {"logits": logits, "labels": labels, "offset": offset, "loss": loss,
                      "grad_logits": logits.grad},
                     metadata)


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    conv2d_case("conv2d_grouped_strided", seed=1, x_shape=(2, 4, 5, 5), w_shape=(6, 2, 3, 3),
                stride=2, padding=1, groups=2)
    conv2d_case("conv2d", seed=2, x_shape=(2, 3, 4, 4), w_shape=(4, 3, 3, 3), stride=1, padding=1,
                groups=1)
    batch_norm_case(seed=3)
    cross_entropy_offset_case(seed=4)


if __name__ == "__main__":
    main()
