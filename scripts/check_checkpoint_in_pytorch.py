"""Loads a bcl-train checkpoint into PyTorch and evaluates it there: the proof that the names,
layouts and values in docs/checkpoints.md are what a PyTorch user gets.

    /usr/bin/python3 scripts/check_checkpoint_in_pytorch.py runs/demo/ce/last.safetensors \
        data/embedded/cifar10-lt-mini

It builds LDAM's ResNet-32 (from tests/golden/make_golden_resnet32.py) with a Linear classifier
and BCL's two MLP heads, loads the checkpoint with the ten lines of docs/checkpoints.md
(strictly: every name and shape must match), normalises the test images of the folder dataset
with the mean and std stored in the checkpoint, and prints PyTorch's accuracy beside the one
bcl-train wrote in metrics.json. Images are decoded by Pillow here and by stb_image in bcl, so a
handful of borderline predictions may differ; the script fails on a gap over 1 point.
Optional: needs torch, numpy and Pillow (Debian: python3-torch, python3-pil), never run by CI.
"""

import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "golden"))
from make_golden_resnet32 import ResNet32Encoder  # noqa: E402


def load_checkpoint(path):  # docs/checkpoints.md, verbatim
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
    tensors = {name: torch.frombuffer(bytearray(data[slice(*h["data_offsets"])]),
                                      dtype=dtypes[h["dtype"]]).reshape(h["shape"])
               for name, h in header.items()}
    return tensors, metadata


def mlp_head(dim, hidden, out):  # BCL's head / head_fc: Linear, BN, ReLU, Linear
    return nn.Sequential(nn.Linear(dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out))


class BCLModel(nn.Module):
    def __init__(self, num_classes, hidden, out):
        super().__init__()
        self.encoder = ResNet32Encoder()
        self.fc = nn.Linear(64, num_classes)
        self.head = mlp_head(64, hidden, out)
        self.head_fc = mlp_head(64, hidden, out)

    def forward(self, x):
        return self.fc(self.encoder(x))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    checkpoint, folder = sys.argv[1], sys.argv[2]
    tensors, metadata = load_checkpoint(checkpoint)
    num_classes = int(metadata["num_classes"])
    model = BCLModel(num_classes, int(metadata["head_hidden"]), int(metadata["feat_dim"]))
    model.load_state_dict({k: v for k, v in tensors.items() if "/" not in k}, strict=True)
    model.eval()

    norm = json.loads(metadata["normalize"])
    mean = np.array(norm["mean"], dtype=np.float32)
    std = np.array(norm["std"], dtype=np.float32)
    class_names = json.loads(metadata["class_names"])
    images, labels = [], []
    for label, name in enumerate(class_names):
        class_dir = os.path.join(folder, "test", name)
        for file in sorted(os.listdir(class_dir)):
            pixels = np.asarray(Image.open(os.path.join(class_dir, file)).convert("RGB"))
            images.append(((pixels / np.float32(255) - mean) / std).transpose(2, 0, 1))
            labels.append(label)
    x = torch.from_numpy(np.stack(images).astype(np.float32))
    with torch.no_grad():
        predicted = torch.cat([model(b).argmax(1) for b in x.split(256)])
    accuracy = 100.0 * (predicted == torch.tensor(labels)).float().mean().item()

    metrics_path = os.path.join(os.path.dirname(checkpoint), "metrics.json")
    with open(metrics_path) as f:
        bcl_accuracy = json.load(f)["overall"]
    print(json.dumps({"checkpoint": checkpoint, "test_images": len(labels),
                      "pytorch_overall": round(accuracy, 2), "bcl_overall": bcl_accuracy}))
    if abs(accuracy - bcl_accuracy) > 1.0:
        sys.exit(f"PyTorch's accuracy {accuracy:.2f} differs from bcl's {bcl_accuracy} by over 1 point")


if __name__ == "__main__":
    main()
