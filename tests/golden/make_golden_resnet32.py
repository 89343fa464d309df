"""Writes tests/golden/data/resnet32_golden.safetensors for tests/golden/test_golden_resnet32.cpp:
LDAM-DRW's ResNet-32 with a Linear classifier, defined here in PyTorch, its state_dict (named
encoder.* and fc.* like bcl's Classifier), a fixed input batch and PyTorch's logits for it, in
evaluation mode (running statistics) and in training mode (batch statistics).

It also writes resnet32_train_golden.safetensors: from that same state, three training steps of
the bs objective (cross-entropy on logits + log prior) with SGD (lr 0.01, momentum 0.9, weight
decay 5e-4) on fixed batches, PyTorch's loss at each step and the state after the last, so that
the whole backward pass and the optimiser are compared with PyTorch's, not only the forward.

Run it with a Python that has torch (Debian's python3-torch lives in /usr/bin/python3):

    /usr/bin/python3 tests/golden/make_golden_resnet32.py

The file is committed, so the C++ test needs neither this script nor PyTorch. It is written with
make_golden.py's tiny struct + json writer (no `safetensors` package), in float32, which
keeps it under 2 MB.
"""

import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from make_golden import DATA_DIR, save_safetensors  # the shared struct + json writer


# ---- LDAM-DRW's models/resnet_cifar.py (ResNet-32, option-A shortcuts) ----------------------

class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes // 4 if (stride != 1 or in_planes != planes) else 0

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.pad:
            shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad), "constant", 0)
        else:
            shortcut = x
        return F.relu(out + shortcut)


class ResNet32Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, 5, 1)
        self.layer2 = self._make_layer(32, 5, 2)
        self.layer3 = self._make_layer(64, 5, 2)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return F.avg_pool2d(out, out.size()[3]).flatten(1)


class Classifier(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.encoder = ResNet32Encoder()
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():  # LDAM's _weights_init
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):
        return self.fc(self.encoder(x))


def main():
    os.makedirs(DATA_DIR, exist_ok=True)
    torch.manual_seed(0)
    model = Classifier()
    assert sum(p.numel() for p in model.parameters()) == 464154
    # Non-trivial BatchNorm state: random affine parameters, then a few training-mode forwards
    # on shifted and scaled batches to move the running statistics (num_batches_tracked = 3).
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1 + 0.2 * torch.randn_like(m.weight))
                m.bias.copy_(0.2 * torch.randn_like(m.bias))
        model.train()
        for _ in range(3):
            model(1.5 * torch.randn(8, 3, 32, 32) + 0.3)
    x = torch.randn(4, 3, 32, 32)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.eval()
        logits_eval = model(x)
        model.train()  # batch statistics; updates the running ones, hence the clone above
        logits_train = model(x)

    tensors = dict(state)
    tensors.update({"input": x, "logits_eval": logits_eval, "logits_train": logits_train})
    metadata = {"case": "resnet32_golden", "generator": "tests/golden/make_golden_resnet32.py",
                "torch_version": torch.__version__}
    save_safetensors(os.path.join(DATA_DIR, "resnet32_golden.safetensors"), tensors, metadata)
    write_train_golden(state)


def write_train_golden(state, steps=3, batch=16, lr=0.01):
    torch.manual_seed(1)
    model = Classifier()
    model.load_state_dict(state)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    counts = torch.tensor([500.0, 300, 180, 110, 60, 40, 25, 15, 9, 5])
    offset = torch.log(counts / counts.sum())  # balanced softmax: logits + log prior
    xs = torch.randn(steps, batch, 3, 32, 32)
    ys = torch.randint(0, 10, (steps, batch))
    losses = []
    for k in range(steps):
        loss = F.cross_entropy(model(xs[k]) + offset, ys[k])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach())
    tensors = {"after." + k: v.clone() for k, v in model.state_dict().items()}
    tensors.update({"inputs": xs, "labels": ys, "offset": offset, "losses": torch.stack(losses)})
    metadata = {"case": "resnet32_train_golden", "generator": "tests/golden/make_golden_resnet32.py",
                "torch_version": torch.__version__, "steps": str(steps)}
    save_safetensors(os.path.join(DATA_DIR, "resnet32_train_golden.safetensors"), tensors, metadata)


if __name__ == "__main__":
    main()
