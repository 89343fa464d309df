#!/usr/bin/env python3
"""Times one conv2d layer, forward + backward, in PyTorch and in bcl on the same cores.

Optional, outside the product: needs a Python with torch (Debian: /usr/bin/python3 with
python3-torch) and a built build/bcl-conv-bench. Prints one JSON object with both figures.

    /usr/bin/python3 scripts/bench_conv_vs_pytorch.py --threads 2
"""
import argparse
import json
import os
import subprocess
import time

import torch


def time_torch(batch, channels, size, reps, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(batch, channels, size, size, requires_grad=True)
    w = torch.randn(channels, channels, 3, 3, requires_grad=True)
    g = torch.randn(batch, channels, size, size)

    def step():
        t0 = time.perf_counter()
        y = torch.nn.functional.conv2d(x, w, padding=1)
        t1 = time.perf_counter()
        x.grad = None
        w.grad = None
        y.backward(g)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1

    for _ in range(3):
        step()
    fwd = bwd = 0.0
    for _ in range(reps):
        f, b = step()
        fwd += f
        bwd += b
    return {"ms_forward": 1e3 * fwd / reps, "ms_backward": 1e3 * bwd / reps,
            "ms_total": 1e3 * (fwd + bwd) / reps, "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--image-size", type=int, default=8)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bcl", default="build/bcl-conv-bench")
    args = ap.parse_args()
    torch_result = time_torch(args.batch_size, args.channels, args.image_size, args.reps, args.threads)
    out = subprocess.run(
        [args.bcl, "--batch-size", str(args.batch_size), "--channels", str(args.channels), "--image-size",
         str(args.image_size), "--reps", str(args.reps)],
        check=True, capture_output=True, text=True,
        env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
    bcl_result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({"layer": f"conv3x3 {args.channels}->{args.channels} {args.image_size}x{args.image_size} "
                               f"batch {args.batch_size}", "threads": args.threads,
                      "pytorch": torch_result, "bcl": bcl_result,
                      "bcl_over_pytorch_time": bcl_result["ms_total"] / torch_result["ms_total"]},
                     indent=2))


if __name__ == "__main__":
    main()
