"""Checks build/bcl-loss against PyTorch re-implementations of the authors' losses: BalSCL from
the BCL repository (Zhu et al., CVPR 2022), SupConLoss from the SupContrast repository (Khosla et
al., NeurIPS 2020), balanced softmax (logits + log prior, then cross-entropy) and plain
cross-entropy. For random float64 batches (repeated classes, classes absent from the batch) it
writes the inputs, runs bcl-loss, and compares the loss and every gradient with autograd's.

    /usr/bin/python3 scripts/check_losses_in_pytorch.py [--bin build/bcl-loss] [--trials 20]

PyTorch is only the oracle here, never part of the product. Optional: needs torch and numpy
(Debian: python3-torch), never run by CI. Exits 1 if any difference exceeds 1e-10.
"""

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F


class BalSCL(torch.nn.Module):  # BCL/loss/contrastive.py, as published (device handling trimmed)
    def __init__(self, cls_num_list=None, temperature=0.1):
        super().__init__()
        self.temperature = temperature
        self.cls_num_list = cls_num_list

    def forward(self, centers1, features, targets):
        device = features.device
        batch_size = features.shape[0]
        targets = targets.contiguous().view(-1, 1)
        targets_centers = torch.arange(len(self.cls_num_list), device=device).view(-1, 1)
        targets = torch.cat([targets.repeat(2, 1), targets_centers], dim=0)
        batch_cls_count = torch.eye(len(self.cls_num_list))[targets].sum(dim=0).squeeze()

        mask = torch.eq(targets[:2 * batch_size], targets.T).float().to(device)
        logits_mask = torch.scatter(torch.ones_like(mask), 1,
                                    torch.arange(batch_size * 2).view(-1, 1).to(device), 0)
        mask = mask * logits_mask

        # class-complement
        features = torch.cat(torch.unbind(features, dim=1), dim=0)
        features = torch.cat([features, centers1], dim=0)
        logits = features[:2 * batch_size].mm(features.T)
        logits = torch.div(logits, self.temperature)

        # For numerical stability
        logits_max, _ = torch.max(logits, dim=1, keepdim=True)
        logits = logits - logits_max.detach()

        # class-averaging
        exp_logits = torch.exp(logits) * logits_mask
        per_ins_weight = torch.tensor([batch_cls_count[i] for i in targets], device=device).view(
            1, -1).expand(2 * batch_size, 2 * batch_size + len(self.cls_num_list)) - mask
        exp_logits_sum = exp_logits.div(per_ins_weight).sum(dim=1, keepdim=True)

        log_prob = logits - torch.log(exp_logits_sum)
        mean_log_prob_pos = (mask * log_prob).sum(1) / mask.sum(1)

        loss = - mean_log_prob_pos
        loss = loss.view(2, batch_size).mean()
        return loss


def supcon(features, labels, temperature):  # SupContrast/losses.py, contrast_mode='all'
    base_temperature = temperature  # the published default pairs T = base T = 0.07: factor 1
    batch_size = features.shape[0]
    labels = labels.contiguous().view(-1, 1)
    mask = torch.eq(labels, labels.T).to(features.dtype)
    contrast_count = features.shape[1]
    contrast_feature = torch.cat(torch.unbind(features, dim=1), dim=0)
    anchor_feature, anchor_count = contrast_feature, contrast_count
    anchor_dot_contrast = torch.div(torch.matmul(anchor_feature, contrast_feature.T), temperature)
    logits_max, _ = torch.max(anchor_dot_contrast, dim=1, keepdim=True)
    logits = anchor_dot_contrast - logits_max.detach()
    mask = mask.repeat(anchor_count, contrast_count)
    logits_mask = torch.scatter(torch.ones_like(mask), 1,
                                torch.arange(batch_size * anchor_count).view(-1, 1), 0)
    mask = mask * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
    mean_log_prob_pos = (mask * log_prob).sum(1) / mask.sum(1)
    loss = - (temperature / base_temperature) * mean_log_prob_pos
    return loss.view(anchor_count, batch_size).mean()


def save_safetensors(path, tensors):
    codes = {np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("int64"): "I64"}
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().numpy())
        header[name] = {"dtype": codes[a.dtype], "shape": list(a.shape),
                        "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_safetensors(path):
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        data = f.read()
    header.pop("__metadata__", None)
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    return {name: torch.frombuffer(bytearray(data[slice(*h["data_offsets"])]),
                                   dtype=dtypes[h["dtype"]]).reshape(h["shape"])
            for name, h in header.items()}


def make_case(loss, gen):
    """Random inputs for `loss` and PyTorch's value of it on them, as a function of the inputs."""
    b = int(torch.randint(1, 13, (1,), generator=gen))
    # C >= 2: with one class the official BalSCL's batch_cls_count.squeeze() is 0-dim and fails.
    c = int(torch.randint(2, 9, (1,), generator=gen))
    used = int(torch.randint(1, c + 1, (1,), generator=gen))  # classes above `used` are absent
    d = int(torch.randint(2, 17, (1,), generator=gen))
    labels = torch.randint(0, used, (b,), generator=gen)
    t = float(torch.tensor([0.05, 0.07, 0.1, 0.5, 1.0])[torch.randint(0, 5, (1,), generator=gen)])

    def unit(*shape):
        return F.normalize(torch.randn(*shape, generator=gen, dtype=torch.float64), dim=-1)

    if loss == "bcl":
        inputs = {"features": unit(b, 2, d), "prototypes": unit(c, d), "labels": labels}
        return inputs, t, lambda x: BalSCL([1] * c, t)(x["prototypes"], x["features"], x["labels"])
    if loss == "supcon":
        v = int(torch.randint(2, 4, (1,), generator=gen))  # every anchor has a positive
        inputs = {"features": unit(b, v, d), "labels": labels}
        return inputs, t, lambda x: supcon(x["features"], x["labels"], t)
    logits = torch.randn(b, c, generator=gen, dtype=torch.float64) * 3
    inputs = {"logits": logits, "labels": labels}
    if loss == "ce":
        return inputs, t, lambda x: F.cross_entropy(x["logits"], x["labels"])
    counts = torch.randint(1, 1000, (c,), generator=gen)
    inputs["class_counts"] = counts
    prior = torch.log(counts.double() / counts.sum())
    return inputs, t, lambda x: F.cross_entropy(x["logits"] + prior, x["labels"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default="build/bcl-loss")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    gen = torch.Generator().manual_seed(args.seed)
    worst_all = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for loss in ["bcl", "supcon", "ce", "bs"]:
            worst = {"loss": 0.0}
            for _ in range(args.trials):
                inputs, t, torch_loss = make_case(loss, gen)
                src, dst = os.path.join(tmp, "in.safetensors"), os.path.join(tmp, "out.safetensors")
                save_safetensors(src, inputs)
                subprocess.run([args.bin, "--method", "scl" if loss == "supcon" else loss, "--in", src, "--out", dst,
                                "--temperature", repr(t)], check=True, capture_output=True)
                out = load_safetensors(dst)
                x = {k: v.clone().requires_grad_(v.is_floating_point() and k != "class_counts")
                     for k, v in inputs.items()}
                value = torch_loss(x)
                value.backward()
                worst["loss"] = max(worst["loss"], abs(float(out["loss"]) - float(value)))
                for name, v in x.items():
                    if v.requires_grad:
                        diff = float((out["grad." + name] - v.grad).abs().max())
                        worst["grad." + name] = max(worst.get("grad." + name, 0.0), diff)
            print(f"{loss:7s} " + "  ".join(f"max |diff| {k} {v:.2e}" for k, v in worst.items()))
            worst_all = max(worst_all, *worst.values())
    print(f"worst {worst_all:.2e} over {args.trials} random float64 batches per loss")
    return 0 if worst_all <= 1e-10 else 1


if __name__ == "__main__":
    sys.exit(main())
