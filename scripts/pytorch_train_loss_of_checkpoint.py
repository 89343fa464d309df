"""The training loss of a bcl-train checkpoint (ResNet-32, ce or bs), measured in PyTorch on the
long-tailed training set: in training mode (BatchNorm on batch statistics, as during training),
once on the crop-flip views of scripts/pytorch_bcl_reference.py and once on the plain images.

Set beside the loss bcl-train logged for its last epoch, whose learning rate is near zero so that
the model hardly moves, the first figure says whether the two pipelines' views are equally hard
for one fixed model. scripts/check_checkpoint_in_pytorch.py checks the same checkpoint's test
accuracy. Optional: needs torch, numpy and Pillow (/usr/bin/python3 here), never run by CI.

    build/bcl-data --data folder:DIR --imbalance 100 --export runs/lt100
    /usr/bin/python3 scripts/pytorch_train_loss_of_checkpoint.py runs/budget/bs/last.safetensors \
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint", help="a bcl-train last.safetensors of resnet32, method ce or bs")
    p.add_argument("data", help="DIR/train/<class>/*.png, e.g. from bcl-data --export")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    tensors, meta = load_checkpoint(args.checkpoint)
    if meta.get("model") != "resnet32" or meta.get("method") not in ("ce", "bs"):
        sys.exit("%s: model %s, method %s; this check takes resnet32 trained with ce or bs"
                 % (args.checkpoint, meta.get("model"), meta.get("method")))
    model = BCLModel(int(meta["num_classes"]), int(meta["head_hidden"]), int(meta["feat_dim"]))
    model.load_state_dict({k: v for k, v in tensors.items() if "/" not in k}, strict=True)
    model.train()
    norm = json.loads(meta["normalize"])
    ref.MEAN = np.array(norm["mean"], np.float32)  # the views normalise with ref.MEAN / ref.STD
    ref.STD = np.array(norm["std"], np.float32)
    counts = json.loads(meta["class_counts"])
    offset = (torch.log(torch.tensor(counts, dtype=torch.float64) / sum(counts)).float()
              if meta["method"] == "bs" else 0)  # balanced softmax: logits + log prior

    _, images, labels = ref.load_split(os.path.join(args.data, "train"))
    labels = torch.tensor(labels)
    rng = random.Random(0)
    order = list(range(len(images)))
    rng.shuffle(order)
    result = {"checkpoint": args.checkpoint, "method": meta["method"], "images": len(images)}
    with torch.no_grad():
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
