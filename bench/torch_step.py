"""PyTorch twin of the kit's SimCLR training step, driven by `deno task bench` (cli/bench.ts).

Same network as the kit's standard quick encoder: CIFAR ResNet-10 (blocks [1,1,1,1], width 32,
3x3 stem without max-pool, BasicBlocks with 1x1 projection shortcuts), global average pool,
projection head Linear(no bias)-BatchNorm1d-ReLU-Linear (hidden 256, out 256), NT-Xent
(tau 0.5) over the 2N views, AdamW (weight decay 0.05). Tensors are channels_last (NHWC), the
kit's layout. `--device cuda` runs it on the GPU (timed to completion: `loss.item()` waits for the
device), for comparing with the kit's webgpu backend on the same card.

Protocol (line based, stdin/stdout): prints one JSON line {"ready": ..., "threads": ...} after
building; then for each input line "run K" it runs K steps and prints {"seconds": [...]} with
the wall time of each; "quit" exits.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        nn.init.zeros_(self.bn2.weight)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(h))
        skip = x if self.shortcut is None else self.shortcut(x)
        return F.relu(y + skip)


class Encoder(nn.Module):
    def __init__(self, blocks, width, hidden, out):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        layers, cin = [], width
        for s, n in enumerate(blocks):
            cout = width * 2 ** s
            for b in range(n):
                layers.append(BasicBlock(cin, cout, 2 if s > 0 and b == 0 else 1))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Linear(cin, hidden, bias=False), nn.BatchNorm1d(hidden),
                                  nn.ReLU(), nn.Linear(hidden, out))

    def forward(self, x):
        f = self.stages(self.stem(x))
        return self.head(f.mean((2, 3)))


def nt_xent(z1, z2, tau):
    u = F.normalize(torch.cat([z1, z2]), dim=1, eps=1e-8)
    sim = u @ u.t() / tau
    n2 = u.shape[0]
    sim = sim.masked_fill(torch.eye(n2, dtype=torch.bool, device=u.device), -1e9)
    n = n2 // 2
    target = torch.cat([torch.arange(n, n2), torch.arange(0, n)]).to(u.device)
    return F.cross_entropy(sim, target)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    a = p.parse_args()
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"torch_step.py: --device {a.device} but torch.cuda.is_available() is False; "
                 "install a CUDA build of torch (pip install torch) or use --device cpu")
    device = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Encoder([1, 1, 1, 1], a.width, 256, 256).to(device, memory_format=torch.channels_last)
    decay = [q for n, q in model.named_parameters() if q.ndim > 1]
    no_decay = [q for n, q in model.named_parameters() if q.ndim <= 1]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                             {"params": no_decay, "weight_decay": 0.0}], lr=2.5e-4)
    views = torch.randn(2 * a.batch, 3, a.size, a.size).to(device,
                                                           memory_format=torch.channels_last)

    def step():
        opt.zero_grad(set_to_none=True)
        z = model(views)
        loss = nt_xent(z[:a.batch], z[a.batch:], 0.5)
        loss.backward()
        opt.step()
        return loss.item()

    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "device": name}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd or cmd[0] == "quit":
            break
        if cmd[0] == "run":
            secs = []
            for _ in range(int(cmd[1])):
                t0 = time.perf_counter()
                step()
                secs.append(time.perf_counter() - t0)
            print(json.dumps({"seconds": secs}), flush=True)


if __name__ == "__main__":
    main()
