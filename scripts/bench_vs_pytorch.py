"""The ResNet-32 training step in PyTorch (CPU) and in bcl, side by side, as one JSON object.

    /usr/bin/python3 scripts/bench_vs_pytorch.py                  # batch 128, 2 threads
    /usr/bin/python3 scripts/bench_vs_pytorch.py --batch-size 256 --threads 2 --steps 20 --rounds 5

A step is the same in both: a synthetic float32 NCHW batch of 32x32 images, LDAM's ResNet-32
(tests/golden/make_golden_resnet32.py) forward to the logits, cross-entropy, backward, and SGD
with momentum 0.9 and weight decay 5e-4. PyTorch runs with torch.set_num_threads(threads), in
NCHW (the comparison) and channels_last (for information); bcl runs build/bcl-bench with the same
batch, threads, warmup and timed steps. The two alternate for --rounds rounds; the printed ratio
is the median of bcl's images/s over the median of PyTorch's NCHW images/s: above 1 means bcl is
faster. Each round's figures are printed too.

Optional: needs torch (Debian: python3-torch in /usr/bin/python3). Nothing in the product uses it.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
from make_golden_resnet32 import Classifier  # noqa: E402  LDAM-DRW's ResNet-32 + Linear


def bench_pytorch(batch, warmup, steps, channels_last):
    torch.manual_seed(0)
    model = Classifier(num_classes=10)
    x = torch.randn(batch, 3, 32, 32)
    y = torch.arange(batch) % 10
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step():
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    return {"img_per_s": round(batch * steps / seconds, 1),
            "ms_per_step": round(1000 * seconds / steps, 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10, help="timed steps per run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each")
    parser.add_argument("--bench", default=os.path.join(ROOT, "build", "bcl-bench"),
                        help="the bcl-bench binary")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    # One epoch of warmup + timed steps, so that both count the same steps.
    command = [args.bench, "--batch-size", str(args.batch_size), "--threads", str(args.threads),
               "--warmup", str(args.warmup), "--epochs", "1",
               "--steps", str(args.warmup + args.steps)]
    # Rounds alternate the two, so that a slow spell of a shared machine hits both alike; the
    # medians are compared.
    rounds = []
    for _ in range(args.rounds):
        nchw = bench_pytorch(args.batch_size, args.warmup, args.steps, channels_last=False)
        channels_last = bench_pytorch(args.batch_size, args.warmup, args.steps, channels_last=True)
        bcl = json.loads(subprocess.run(command, check=True, capture_output=True,
                                        text=True).stdout)
        rounds.append({"pytorch_nchw": nchw["img_per_s"],
                       "pytorch_channels_last": channels_last["img_per_s"],
                       "bcl": bcl["img_per_s"], "bcl_breakdown_ms": bcl["breakdown_ms"],
                       "bcl_peak_rss_mib": bcl["peak_rss_mib"],
                       "ratio": round(bcl["img_per_s"] / nchw["img_per_s"], 3)})

    def median(key):
        return statistics.median(r[key] for r in rounds)

    print(json.dumps({
        "model": "resnet32", "batch": args.batch_size, "threads": args.threads,
        "timed_steps": args.steps, "rounds": args.rounds, "dtype": "float32",
        "pytorch_version": torch.__version__,
        "median_img_per_s": {"pytorch_nchw": median("pytorch_nchw"),
                             "pytorch_channels_last": median("pytorch_channels_last"),
                             "bcl": median("bcl")},
        "ratio_vs_pytorch_nchw": round(median("bcl") / median("pytorch_nchw"), 3),
        "per_round": rounds,
    }, indent=2))


if __name__ == "__main__":
    main()
