"""A PyTorch reference run of Balanced Contrastive Learning on an image-folder dataset, to compare
with what bcl-train does in the same setting (loss curves, test accuracy, projection geometry).

This is an optional oracle, never part of the product: it needs torch (Debian's python3-torch
lives in /usr/bin/python3), numpy and PIL, and is never run by CI or by the C++ build. It does not
need torchvision: the augmentations are re-implemented on PIL images following torchvision's
algorithms.

    /usr/bin/python3 scripts/pytorch_bcl_reference.py --data data/embedded/cifar10-lt-mini \
        --epochs 4 --alpha 0 --beta 1

The CPU budget protocol (docs/results.md) on the very images bcl-train uses: export them with
`build/bcl-data --data folder:DIR --imbalance 100 --export runs/lt100`, then

    /usr/bin/python3 scripts/pytorch_bcl_reference.py --data runs/lt100 --method bcl \
        --epochs 20 --warmup-epochs 1 --lr 0.1 --batch-size 128 --drop-last --threads 2 \
        --normalize auto --json runs/pytorch_bcl.json

(--method ce|bs trains the classifier branch alone, on the CE view only, as bcl-train's do.)

Setting (mirrors bcl-train's BCL recipe):
  * data: DIR/{train,test}/<class>/*.png|jpg, classes sorted alphabetically; CIFAR-10's published
    mean/std, or (--normalize auto) the training images' own, or (--mean, --std) given ones:
    bcl-train's auto takes the statistics of the whole training folder before the long-tailed
    subset is drawn, so `--mean/--std` with the figures it prints reproduce its normalisation;
  * views: view 0 = RandomCrop(32, padding 4) + flip; views 1, 2 = RandomResizedCrop(32,
    scale (0.2, 1)) + flip + ColorJitter(0.4, 0.4, 0.4, 0.1) with p 0.8 + RandomGrayscale(0.2);
  * model: LDAM-DRW's ResNet-32 (tests/golden/make_golden_resnet32.py) + fc Linear(64, C) +
    head / head_fc = Linear(64, 512)-BatchNorm1d-ReLU-Linear(512, 128), L2-normalised; the three
    views go through the network as one batch of 3B (BatchNorm sees all of them);
  * loss: alpha * balanced-softmax CE on view 0 + beta * BalSCL(prototypes, [B, 2, 128], T), the
    official BalSCL (copied in scripts/check_losses_in_pytorch.py);
  * SGD (momentum 0.9, weight decay 5e-4), per-iteration linear warmup then cosine to 0.

At the end, in model.eval(): test accuracy (plain logits, argmax) and the geometry of the unit
test projections: deviation of the class-mean cosines from the simplex's -1/(C-1) (mean, max),
class-mean norms, within-class spread (mean over classes of the mean ||z - mu_c||^2), as
losses/geometry.cpp computes them. As a diagnostic it also prints the same geometry with
BatchNorm in training mode (batch statistics) and the prototypes' cosines.
"""

import argparse
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageEnhance

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "golden"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden_resnet32 import ResNet32Encoder  # noqa: E402  LDAM-DRW's ResNet-32
from check_losses_in_pytorch import BalSCL  # noqa: E402  the official BalSCL

MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2023, 0.1994, 0.2010], dtype=np.float32)


# ---- data -----------------------------------------------------------------------------------

def load_split(root):
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    images, labels = [], []
    for c, name in enumerate(classes):
        folder = os.path.join(root, name)
        for f in sorted(os.listdir(folder)):
            if f.lower().endswith((".png", ".jpg", ".jpeg")):
                with Image.open(os.path.join(folder, f)) as im:
                    images.append(im.convert("RGB").copy())
                labels.append(c)
    return classes, images, labels


def to_tensor(img):
    a = (np.asarray(img, dtype=np.float32) / 255.0 - MEAN) / STD  # MEAN, STD: see main()
    return torch.from_numpy(a.transpose(2, 0, 1).copy())


# ---- augmentations (torchvision's algorithms on PIL) ------------------------------------------

def random_crop_pad(img, rng, size=32, pad=4):
    w, h = img.size
    canvas = Image.new("RGB", (w + 2 * pad, h + 2 * pad), (0, 0, 0))
    canvas.paste(img, (pad, pad))
    i = rng.randint(0, h + 2 * pad - size)
    j = rng.randint(0, w + 2 * pad - size)
    return canvas.crop((j, i, j + size, i + size))


def hflip(img, rng):
    return img.transpose(Image.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else img


def random_resized_crop(img, rng, size=32, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)):
    width, height = img.size
    area = width * height
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    box = None
    for _ in range(10):
        target_area = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(*log_ratio))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            i = rng.randint(0, height - h)
            j = rng.randint(0, width - w)
            box = (j, i, j + w, i + h)
            break
    if box is None:  # central crop
        in_ratio = width / height
        if in_ratio < ratio[0]:
            w, h = width, int(round(width / ratio[0]))
        elif in_ratio > ratio[1]:
            h, w = height, int(round(height * ratio[1]))
        else:
            w, h = width, height
        i, j = (height - h) // 2, (width - w) // 2
        box = (j, i, j + w, i + h)
    return img.resize((size, size), Image.BILINEAR, box=box)


def adjust_hue(img, factor):
    h, s, v = img.convert("HSV").split()
    a = np.asarray(h, dtype=np.uint8)
    a = (a.astype(np.int16) + int(round(factor * 255))) % 256
    h = Image.fromarray(a.astype(np.uint8), "L")
    return Image.merge("HSV", (h, s, v)).convert("RGB")


def color_jitter(img, rng, b=0.4, c=0.4, s=0.4, hue=0.1):
    ops = [0, 1, 2, 3]
    rng.shuffle(ops)
    bf, cf, sf = rng.uniform(1 - b, 1 + b), rng.uniform(1 - c, 1 + c), rng.uniform(1 - s, 1 + s)
    hf = rng.uniform(-hue, hue)
    for op in ops:
        if op == 0:
            img = ImageEnhance.Brightness(img).enhance(bf)
        elif op == 1:
            img = ImageEnhance.Contrast(img).enhance(cf)
        elif op == 2:
            img = ImageEnhance.Color(img).enhance(sf)
        else:
            img = adjust_hue(img, hf)
    return img


def view_plain(img, rng):
    return to_tensor(hflip(random_crop_pad(img, rng), rng))


def view_sim(img, rng):
    img = hflip(random_resized_crop(img, rng), rng)
    if rng.random() < 0.8:
        img = color_jitter(img, rng)
    if rng.random() < 0.2:
        img = img.convert("L").convert("RGB")
    return to_tensor(img)


# ---- model ----------------------------------------------------------------------------------

def mlp(dim, hidden, out):
    return nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out))


class BCLNet(nn.Module):
    def __init__(self, num_classes, hidden=512, out=128):
        super().__init__()
        self.encoder = ResNet32Encoder()
        self.fc = nn.Linear(64, num_classes)
        for m in list(self.encoder.modules()) + [self.fc]:  # LDAM's _weights_init
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_normal_(m.weight)
        self.head = mlp(64, hidden, out)
        self.head_fc = mlp(64, hidden, out)

    def forward(self, x):
        feat = self.encoder(x)
        z = F.normalize(self.head(feat), dim=1)
        logits = self.fc(feat)
        centers = F.normalize(self.head_fc(self.fc.weight), dim=1)
        return z, logits, centers


# ---- geometry (losses/geometry.cpp) -------------------------------------------------------

def geometry(z, labels, c):
    z = z.double()
    mus = torch.stack([z[labels == k].mean(0) for k in range(c)])
    norms = mus.norm(dim=1)
    cos = (mus / norms[:, None]) @ (mus / norms[:, None]).T
    iu = torch.triu_indices(c, c, 1)
    dev = (cos[iu[0], iu[1]] - (-1.0 / (c - 1))).abs()
    within = torch.stack([((z[labels == k] - mus[k]) ** 2).sum(1).mean() for k in range(c)]).mean()
    return dict(dev_mean=dev.mean().item(), dev_max=dev.max().item(), norm_lo=norms.min().item(),
                norm_hi=norms.max().item(), within=within.item(),
                cos_mean=cos[iu[0], iu[1]].mean().item())


def fmt_geo(g):
    return ("simplex deviation mean %.3f max %.3f, mean pair cos %.3f, norms %.2f-%.2f, "
            "within-class %.3f" % (g["dev_mean"], g["dev_max"], g["cos_mean"], g["norm_lo"],
                                   g["norm_hi"], g["within"]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default="data/embedded/cifar10-lt-mini", metavar="DIR")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--alpha", type=float, default=2.0)
    p.add_argument("--beta", type=float, default=0.6)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--warmup-epochs", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--temperature", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--drop-last", action="store_true")
    p.add_argument("--method", choices=["ce", "bs", "bcl"], default="bcl",
                   help="ce / bs: cross-entropy / balanced softmax on the CE view alone; "
                        "bcl: alpha bs + beta BCL")
    p.add_argument("--normalize", choices=["cifar10", "auto"], default="cifar10",
                   help="cifar10: the published mean/std; auto: the training images' own")
    p.add_argument("--mean", type=float, nargs=3, metavar="M",
                   help="per-channel mean (RGB, 0-1); overrides --normalize with --std")
    p.add_argument("--std", type=float, nargs=3, metavar="S",
                   help="per-channel std (RGB, 0-1); overrides --normalize with --mean")
    p.add_argument("--json", metavar="FILE", help="also write the final figures here")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)

    classes, train_x, train_y = load_split(os.path.join(args.data, "train"))
    global MEAN, STD
    if (args.mean is None) != (args.std is None):
        p.error("--mean and --std go together")
    if args.std is not None and min(args.std) <= 0:
        p.error("--std: every channel must be positive")
    if args.mean is not None:
        MEAN = np.array(args.mean, dtype=np.float32)
        STD = np.array(args.std, dtype=np.float32)
        print("normalize given: mean %s std %s" % (np.round(MEAN, 4), np.round(STD, 4)))
    elif args.normalize == "auto":  # per channel over every training pixel of DIR/train
        pixels = np.stack([np.asarray(im, dtype=np.float64) / 255.0 for im in train_x])
        MEAN = pixels.mean(axis=(0, 1, 2)).astype(np.float32)
        STD = pixels.std(axis=(0, 1, 2)).astype(np.float32)
        print("normalize auto: mean %s std %s" % (np.round(MEAN, 4), np.round(STD, 4)))
    _, test_x, test_y = load_split(os.path.join(args.data, "test"))
    c = len(classes)
    counts = np.bincount(train_y, minlength=c)
    print("train %d images, counts %s; test %d" % (len(train_x), counts.tolist(), len(test_x)))
    log_prior = torch.log(torch.tensor(counts / counts.sum(), dtype=torch.float32))
    train_y_t = torch.tensor(train_y)
    test_t = torch.stack([to_tensor(im) for im in test_x])
    test_y_t = torch.tensor(test_y)

    model = BCLNet(c)
    scl = BalSCL(cls_num_list=counts.tolist(), temperature=args.temperature)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)

    n = len(train_x)
    iters = n // args.batch_size if args.drop_last else math.ceil(n / args.batch_size)
    total, warm = args.epochs * iters, args.warmup_epochs * iters

    def lr_at(it):
        if it < warm:
            return args.lr * (it + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * (min(it, total) - warm) / (total - warm)))

    it, t_start = 0, time.time()
    for epoch in range(args.epochs):
        model.train()
        order = list(range(n))
        rng.shuffle(order)
        sums, seen, t0 = np.zeros(3), 0, time.time()
        for b in range(iters):
            idx = order[b * args.batch_size:(b + 1) * args.batch_size]
            v0 = torch.stack([view_plain(train_x[i], rng) for i in idx])
            y = train_y_t[idx]
            bs = len(idx)
            for g in opt.param_groups:
                g["lr"] = lr_at(it)
            if args.method in ("ce", "bs"):
                logits = model.fc(model.encoder(v0))
                ce = F.cross_entropy(logits + (log_prior if args.method == "bs" else 0), y)
                bcl = torch.zeros(())
                loss = ce
            else:
                v1 = torch.stack([view_sim(train_x[i], rng) for i in idx])
                v2 = torch.stack([view_sim(train_x[i], rng) for i in idx])
                z, logits, centers = model(torch.cat([v0, v1, v2]))
                _, f1, f2 = torch.split(z, [bs, bs, bs])
                feats = torch.stack([f1, f2], dim=1)
                ce = F.cross_entropy(logits[:bs] + log_prior, y)
                bcl = scl(centers, feats, y)
                loss = args.alpha * ce + args.beta * bcl
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += np.array([ce.item(), bcl.item(), loss.item()]) * bs
            seen += bs
            it += 1
        m = sums / seen
        print("epoch %d  lr %.4f  ce %.4f  bcl %.4f  total %.4f  (%.0f s)"
              % (epoch + 1, lr_at(it - 1), m[0], m[1], m[2], time.time() - t0), flush=True)

    train_seconds = time.time() - t_start
    with torch.no_grad():
        model.eval()
        zs, preds = [], []
        for s in range(0, len(test_t), 250):
            z, logits, centers = model(test_t[s:s + 250])
            zs.append(z)
            preds.append(logits.argmax(1))
        z, pred = torch.cat(zs), torch.cat(preds)
        acc = (pred == test_y_t).float().mean().item()
        per_class = [(pred[test_y_t == k] == k).float().mean().item() for k in range(c)]
        print("test accuracy %.2f%%  per class %s" % (100 * acc, " ".join("%.2f" % a for a in per_class)))
        # many / medium / few: > 100, 20-100, < 20 training images (data/long_tail.h)
        groups = {"many": [], "medium": [], "few": []}
        for k in range(c):
            groups["many" if counts[k] > 100 else "medium" if counts[k] >= 20 else "few"].append(k)
        correct = pred == test_y_t
        group_acc = {g: (100 * correct[torch.isin(test_y_t, torch.tensor(ks))].float().mean().item()
                         if ks else None) for g, ks in groups.items()}
        print("many %s  medium %s  few %s" % tuple(
            "-" if group_acc[g] is None else "%.2f" % group_acc[g] for g in groups))
        geo = geometry(z, test_y_t, c)
        print("eval geometry:  " + fmt_geo(geo))
        if args.json:
            import json
            with open(args.json, "w") as f:
                json.dump(dict(method=args.method, epochs=args.epochs, seed=args.seed,
                               overall=100 * acc, per_class=[100 * a for a in per_class],
                               train_seconds=train_seconds, geometry=geo, **group_acc), f, indent=2)
        pc = centers @ centers.T
        iu = torch.triu_indices(c, c, 1)
        print("prototypes: mean pair cos %.3f (min %.3f max %.3f)"
              % (pc[iu[0], iu[1]].mean(), pc[iu[0], iu[1]].min(), pc[iu[0], iu[1]].max()))
        # Diagnostic: BatchNorm with batch statistics (a copy, so running stats stay untouched).
        state = {k: v.clone() for k, v in model.state_dict().items()}
        model.train()
        z = torch.cat([model(test_t[s:s + 250])[0] for s in range(0, len(test_t), 250)])
        model.load_state_dict(state)
        print("train-mode BN geometry (diagnostic):  " + fmt_geo(geometry(z, test_y_t, c)))


if __name__ == "__main__":
    main()
