"""The training step bcl-bench times, in PyTorch eager, as one line of JSON (the speed peer).

    python3 scripts/bench_gpu_vs_pytorch.py --method ce  --batch-size 256            # on CUDA
    python3 scripts/bench_gpu_vs_pytorch.py --method bcl --batch-size 256 --channels-last
    python3 scripts/bench_gpu_vs_pytorch.py --device cpu --batch-size 32 --steps 3   # a smoke test

A step is the one `bcl-bench --model resnet32 --method M` times, on synthetic float32 32x32 images
and labels i % 10 (bcl-bench's synthetic data), SGD with momentum 0.9 and weight decay 5e-4:
  ce:  LDAM-DRW's ResNet-32 + Linear, cross-entropy on B images (1 view);
  bcl: the same encoder with the authors' heads (BCLNet of scripts/pytorch_bcl_reference.py),
       3 views of B images as one batch of 3B, 2 * balanced-softmax CE on view 0
       + 0.6 * BalSCL(prototypes, views 1 and 2, T = 0.1).
BalSCL is the official loss with its per-column class count gathered by one indexing op rather
than a Python loop over the columns (the same values; the loop would measure Python, not the GPU).
img_per_s counts images, views_per_s images x views. The clock is read after
torch.cuda.synchronize(). Optional: nothing in the product uses PyTorch.
"""

import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "golden"))
from make_golden_resnet32 import Classifier  # noqa: E402  LDAM-DRW's ResNet-32 + Linear
from pytorch_bcl_reference import BCLNet  # noqa: E402  ResNet-32 + fc + head + head_fc


def bal_scl(centers, features, targets, num_classes, temperature):
    """BalSCL (BCL/loss/contrastive.py): features [B, 2, D] unit, centers [C, D] unit."""
    device = features.device
    b = features.shape[0]
    targets = torch.cat([targets.repeat(2), torch.arange(num_classes, device=device)]).view(-1, 1)
    batch_cls_count = torch.bincount(targets.view(-1), minlength=num_classes).float()
    mask = torch.eq(targets[:2 * b], targets.T).float()
    logits_mask = torch.scatter(torch.ones_like(mask), 1, torch.arange(2 * b, device=device).view(-1, 1), 0)
    mask = mask * logits_mask
    features = torch.cat([torch.cat(torch.unbind(features, dim=1), dim=0), centers], dim=0)
    logits = features[:2 * b].mm(features.T) / temperature
    logits = logits - logits.max(dim=1, keepdim=True)[0].detach()
    exp_logits = torch.exp(logits) * logits_mask
    per_ins_weight = batch_cls_count[targets.view(-1)].view(1, -1).expand_as(mask) - mask
    log_prob = logits - torch.log(exp_logits.div(per_ins_weight).sum(dim=1, keepdim=True))
    return (-(mask * log_prob).sum(1) / mask.sum(1)).mean()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--method", choices=["ce", "bcl"], default="ce")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--bf16", action="store_true", help="autocast to bfloat16 (CUDA)")
    args = ap.parse_args()
    dev = torch.device(args.device)
    torch.manual_seed(0)
    c, views = 10, (3 if args.method == "bcl" else 1)
    model = (BCLNet(c) if args.method == "bcl" else Classifier(num_classes=c)).to(dev)
    x = torch.randn(args.batch_size * views, 3, 32, 32, device=dev)
    y = torch.arange(args.batch_size, device=dev) % c
    log_prior = torch.log(torch.full((c,), 1.0 / c, device=dev))
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step():
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=args.bf16):
            if args.method == "ce":
                loss = F.cross_entropy(model(x), y)
            else:
                z, logits, centers = model(x)
                b = args.batch_size
                ce = F.cross_entropy(logits[:b].float() + log_prior, y)
                feats = torch.stack([z[b:2 * b], z[2 * b:]], dim=1).float()
                loss = 2.0 * ce + 0.6 * bal_scl(centers.float(), feats, y, c, 0.1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    sync()
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    sync()
    seconds = time.perf_counter() - start
    img_per_s = args.batch_size * args.steps / seconds
    print(json.dumps({"framework": "pytorch " + torch.__version__, "device": str(dev),
                      "method": args.method, "batch": args.batch_size, "views": views,
                      "channels_last": args.channels_last, "bf16": args.bf16,
                      "img_per_s": round(img_per_s, 1), "views_per_s": round(img_per_s * views, 1),
                      "ms_per_step": round(1000 * seconds / args.steps, 3)}))


if __name__ == "__main__":
    main()
