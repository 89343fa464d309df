"""The training loss of a bcl-train checkpoint (ResNet-32, ce, bs, scl or bcl), measured in PyTorch
on the long-tailed training set: in training mode (BatchNorm on batch statistics, as during
training), on the views of scripts/pytorch_bcl_reference.py. ce and bs: once on the crop-flip
views, once on the plain images. scl and bcl: the three views of a training batch (crop-flip, and
two sim views: random resized crop, flip, colour jitter, grayscale) through the network as one
batch, giving the CE term, the contrastive term (SupCon, or the official BalSCL with the
prototypes) and alpha * CE + beta * contrastive with bcl-train's alpha 2, beta 0.6, T 0.1.

Set beside the loss bcl-train logged for its last epoch, whose learning rate is near zero so that
the model hardly moves, the first figure says whether the two pipelines' views are equally hard
for one fixed model. scripts/check_checkpoint_in_pytorch.py checks the same checkpoint's test
accuracy. Optional: needs torch, numpy and Pillow (/usr/bin/python3 here), never run by CI.

    build/bcl-data --data folder:DIR --imbalance 100 --export runs/lt100
    /usr/bin/python3 scripts/pytorch_train_loss_of_checkpoint.py runs/budget/bs/last.safetensors \
        runs/lt100
    /usr/bin/python3 scripts/pytorch_train_loss_of_checkpoint.py runs/budget/bcl/last.safetensors \
        runs/lt100
"""

import argparse
import json
import os
import random
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytorch_bcl_reference as ref  # noqa: E402  the views and the folder reader
from check_checkpoint_in_pytorch import BCLModel, load_checkpoint  # noqa: E402
from check_losses_in_pytorch import BalSCL  # noqa: E402  the official BalSCL

ALPHA, BETA, TEMPERATURE = 2.0, 0.6, 0.1  # the CPU budget protocol's (configs/)


def supcon(features, labels, temperature):
    """SupCon (Khosla et al. 2020) over [B, 2, D] unit features: positives are the anchor's
    class's other views, the denominator every other view."""
    z = torch.cat([features[:, 0], features[:, 1]])
    y = labels.repeat(2)
    n = len(y)
    logits = z @ z.T / temperature
    self_mask = torch.eye(n, dtype=torch.bool)
    logits = logits.masked_fill(self_mask, float("-inf"))
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    pos = (y[:, None] == y[None, :]) & ~self_mask
    return -(log_prob.masked_fill(~pos, 0).sum(1) / pos.sum(1)).mean()


def contrastive_losses(model, images, labels, order, batch_size, offset, method, counts, rng):
    """Mean CE, contrastive and total loss over full batches of three views."""
    bal = BalSCL(cls_num_list=counts, temperature=TEMPERATURE)
    sums, seen = [0.0, 0.0, 0.0], 0
    for b in range(len(order) // batch_size):
        idx = order[b * batch_size:(b + 1) * batch_size]
        y = labels[idx]
        views = [torch.stack([view(images[i], rng) for i in idx])
                 for view in (ref.view_plain, ref.view_sim, ref.view_sim)]
        feat = model.encoder(torch.cat(views))
        z = F.normalize(model.head(feat), dim=1)
        logits = model.fc(feat)
        _, f1, f2 = torch.split(z, [len(idx)] * 3)
        features = torch.stack([f1, f2], dim=1)
        ce = F.cross_entropy(logits[:len(idx)] + offset, y)
        if method == "bcl":
            centers = F.normalize(model.head_fc(model.fc.weight), dim=1)
            cl = bal(centers, features, y)
        else:
            cl = supcon(features, y, TEMPERATURE)
        for k, v in enumerate((ce, cl, ALPHA * ce + BETA * cl)):
            sums[k] += v.item() * len(idx)
        seen += len(idx)
    return [round(v / seen, 4) for v in sums]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", help="a bcl-train last.safetensors of resnet32")
    p.add_argument("data", help="DIR/train/<class>/*.png, e.g. from bcl-data --export")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    tensors, meta = load_checkpoint(args.checkpoint)
    if meta.get("model") != "resnet32" or meta.get("method") not in ("ce", "bs", "scl", "bcl"):
        sys.exit("%s: model %s, method %s; this check takes resnet32 trained with ce, bs, scl or "
                 "bcl" % (args.checkpoint, meta.get("model"), meta.get("method")))
    model = BCLModel(int(meta["num_classes"]), int(meta["head_hidden"]), int(meta["feat_dim"]))
    model.load_state_dict({k: v for k, v in tensors.items() if "/" not in k}, strict=True)
    model.train()
    norm = json.loads(meta["normalize"])
    ref.MEAN = np.array(norm["mean"], np.float32)  # the views normalise with ref.MEAN / ref.STD
    ref.STD = np.array(norm["std"], np.float32)
    counts = json.loads(meta["class_counts"])
    offset = (torch.log(torch.tensor(counts, dtype=torch.float64) / sum(counts)).float()
              if meta["method"] != "ce" else 0)  # balanced softmax: logits + log prior

    _, images, labels = ref.load_split(os.path.join(args.data, "train"))
    labels = torch.tensor(labels)
    rng = random.Random(0)
    order = list(range(len(images)))
    rng.shuffle(order)
    result = {"checkpoint": args.checkpoint, "method": meta["method"], "images": len(images)}
    with torch.no_grad():
        if meta["method"] in ("scl", "bcl"):
            ce, cl, total = contrastive_losses(model, images, labels, order, args.batch_size,
                                               offset, meta["method"], counts, rng)
            result.update(train_ce=ce, train_contrastive=cl, train_loss=total)
            print(json.dumps(result))
            return
        for name, view in [("crop_flip", lambda im: ref.view_plain(im, rng)),
                           ("plain", ref.to_tensor)]:
            total, seen = 0.0, 0
            for b in range(len(order) // args.batch_size):  # full batches, as drop_last
                idx = order[b * args.batch_size:(b + 1) * args.batch_size]
                x = torch.stack([view(images[i]) for i in idx])
                total += F.cross_entropy(model(x) + offset, labels[idx]).item() * len(idx)
                seen += len(idx)
            result["train_loss_" + name] = round(total / seen, 4)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
