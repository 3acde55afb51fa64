"""PyTorch twin of the kit's whole SimCLR run (training + evaluation), driven by `deno task parity`.

An independent reference for the kit's accuracy and speed: it reads the kit run's `config.json`
(lib/config/experiment.ts `ExperimentConfig`) and the exact images that run trained on (exported
by cli/parity.ts), trains SimCLR with the same recipe in PyTorch and evaluates it with the same
protocol. What it mirrors, part by part (kit file -> function here):

- data (lib/experiment/run.ts, lib/data/channel_stats.ts, lib/train/trainer.ts):
  the exported train/test split; inputs scaled to [0,1] and normalised with the training split's
  per-channel mean/std (population std, floored at 1e-6 of variance as `channelStats` does);
  a fresh random permutation of the training images each epoch, the last incomplete batch
  dropped (`stepsPerEpoch`) -> `channel_stats`, `train`.
- views (lib/augment/views.ts `simclrCifarRecipe`, random_resized_crop.ts, flip.ts,
  color_jitter.ts, color_matrix.ts, grayscale.ts, normalize.ts): random resized crop with
  torchvision's sampling (10 attempts, area ~ U(scale), log-ratio ~ U(log 3/4, log 4/3), sizes
  rounded half up like JS `Math.round`, centre-crop fallback) and flip p 0.5 in one bilinear
  crop-and-resize that maps the first/last pixel centres of the box to the first/last output
  pixels (`cropBoxesToNormalized`; here `grid_sample(align_corners=True)`); colour jitter
  (0.4, 0.4, 0.4, 0.1) with p 0.8, the four adjustments in a random order per image, each
  clamped to [0,1] (hue: the kit's closed-form HSV rotation); grayscale p 0.2 (BT.601 luma);
  normalisation -> `sample_crop_boxes`, `crop_and_flip`, `color_jitter`, `random_grayscale`,
  `make_view`. Crop scale: `cfg.views.cropScale` when present, else (0.08, 1). 1-channel
  images: jitter is brightness and contrast only and there is no grayscale step (as the kit's
  recipe for 1-channel statistics); the backbone's input channels follow the data.
- network (lib/models/resnet.ts, global_avg_pool.ts, projection_head.ts, lib/nn/layers.ts,
  lib/nn/params.ts): CIFAR ResNet (3x3 stem, no max-pool, basic blocks, stride 2 at the first
  block of stages > 0, 1x1 conv + BN projection shortcuts), convolutions with TensorFlow's
  'same' padding (stride 2: one extra row/column at the bottom/right, as tfjs pads), global
  average pooling, projection head Linear(no bias)-BN-ReLU-Linear. Init: conv kernels
  N(0, 2/(k*k*cout)) (Kaiming normal, fan_out), BN gamma 1 / beta 0 (each block's bn2 gamma 0
  when `encoder.backbone.zeroInitResidual` is true), momentum 0.1, eps 1e-5, Linear weight and
  bias U(+-1/sqrt(fanIn)) -> `CifarResNet`, `ProjectionHead`.
- loss (lib/losses/nt_xent.ts): NT-Xent over the 2N views, rows normalised by max(||z||, 1e-8),
  self-similarity masked with -1e9; tau = `--temperature` (deno task parity passes the value
  the kit's method resolved), else `methodOptions.temperature`, else the kit's default
  `KIT_DEFAULT_TEMPERATURE` (lib/methods/simclr.ts SIMCLR_OPTIONS; the kit writes
  `methodOptions: {}` when the flag is left out); both views in one forward pass so BN sees
  all 2N -> `nt_xent`. The twin's loss, gradients and AdamW update are checked against the
  kit's, step by step, by bench/twin_step_check.py (cli/twin_step_test.ts).
- optimiser (lib/optim/adamw.ts, schedule.ts, lib/train/trainer.ts): AdamW (0.9, 0.999,
  eps 1e-8, decay p <- p (1 - lr wd) before the Adam update, which is torch.optim.AdamW's
  update); no decay for `defaultDecayExclusion` (rank <= 1, or a name with bias/gamma/beta);
  peak lr = `optim.lr` or `baseLr * batch / 256`; per-step linear warm-up over
  round(warmupEpochs * stepsPerEpoch) steps (capped at total - 1) then cosine to
  peak * minLrRatio (`warmupCosine`) -> `lr_schedule`, `make_optimizer`.
- evaluation (lib/eval/protocol.ts, features.ts, knn.ts, topk.ts; probe per the kit's L-BFGS
  logistic regression): features = backbone + GAP in eval mode (running BN statistics) on
  normalised, un-augmented images; weighted kNN (cosine, k = min(knnK, nTrain), votes
  exp(sim / T)); linear probe = scikit-learn multinomial `LogisticRegression` (lbfgs,
  C = `eval.linearC` or 1, max_iter = `eval.linearMaxIter` or 1000) on features standardised
  with the training rows' mean/std (std < 1e-6 -> 1); top-k with ties broken towards the lower
  class index. The same kNN and probe run on the encoder at initialisation (randomInit*).

Usage:
  python3 bench/simclr_twin.py --config runs/x/config.json --data <export dir> [--threads N]
                               [--temperature TAU]
  python3 bench/simclr_twin.py --config runs/x/config.json --train-count 2000 --print-schedule

Progress goes to stderr; the result is ONE JSON line on stdout (accuracies in percent).
The export folder (`--data`) holds meta.json, train_images.u8 / test_images.u8 (NHWC uint8),
train_labels.i32 / test_labels.i32 (int32 little-endian) and, when the kit fits the evaluation
on a subset of the training images, eval_train_index.i32.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LUMA = (0.299, 0.587, 0.114)
# lib/methods/simclr.ts SIMCLR_OPTIONS.temperature's default: what the kit trains with when the
# config's methodOptions has no temperature. cli/twin_step_test.ts fails when the two differ.
KIT_DEFAULT_TEMPERATURE = 0.2


def log(msg):
    print(f"[twin] {msg}", file=sys.stderr, flush=True)


def js_round(x):
    """JavaScript's Math.round (half up), which the kit uses where Python would round to even."""
    return math.floor(x + 0.5)


# ----------------------------------------------------------------------------------------------
# Config: the kit's ExperimentConfig JSON, with the kit's defaults for optional fields
# ----------------------------------------------------------------------------------------------

def recipe_from_config(cfg):
    """The settings the twin needs, read from a kit config.json (fields absent -> kit defaults)."""
    if cfg.get("method") != "simclr":
        sys.exit(f"simclr_twin.py: the config's method is {cfg.get('method')!r}; the twin mirrors "
                 "only simclr (train the kit with --method simclr)")
    enc = cfg["encoder"]
    bb, neck, head = enc["backbone"], enc["neck"], enc.get("head")
    if bb.get("type") != "resnet" or neck.get("type") != "gap" or not head or \
            head.get("type") != "projection":
        sys.exit("simclr_twin.py: the twin mirrors a resnet backbone + gap neck + projection head; "
                 f"got {bb.get('type')} + {neck.get('type')} + {head and head.get('type')}")
    optim, ev = cfg["optim"], cfg["eval"]
    batch = int(optim["batchSize"])
    peak = optim["lr"] if optim.get("lr") is not None else optim["baseLr"] * batch / 256
    views = cfg.get("views") or {}
    temperature = cfg.get("methodOptions", {}).get("temperature")
    return {
        "blocks": [int(b) for b in bb["blocks"]],
        "width": int(bb["width"]),
        "in_channels": bb.get("inChannels"),  # None: follows the data (preflight.ts)
        "zero_init_residual": bool(bb.get("zeroInitResidual", False)),
        "hidden": int(head["hidden"]),
        "out": int(head["out"]),
        "temperature": float(temperature) if temperature is not None else KIT_DEFAULT_TEMPERATURE,
        "crop_scale": tuple(views.get("cropScale", (0.08, 1.0))),
        "crop_ratio": (3 / 4, 4 / 3),
        "flip_prob": 0.5,
        "jitter": {"brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1,
                   "prob": 0.8},
        "grayscale_prob": 0.2,
        "batch": batch,
        "epochs": int(optim["epochs"]),
        "peak_lr": float(peak),
        "weight_decay": float(optim["weightDecay"]),
        "warmup_epochs": float(optim["warmupEpochs"]),
        "min_lr_ratio": float(optim.get("minLrRatio", 0)),
        "knn_k": int(ev["knnK"]),
        "knn_t": float(ev["knnTemperature"]),
        "linear_c": float(ev.get("linearC") if ev.get("linearC") is not None else 1.0),
        "linear_max_iter": int(ev.get("linearMaxIter") or 1000),
    }


# ----------------------------------------------------------------------------------------------
# Data and schedule
# ----------------------------------------------------------------------------------------------

def load_export(folder):
    """The images and labels the kit trained and evaluated on (written by cli/parity.ts)."""
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    h, w, c = meta["imageShape"]

    def split(name, count):
        imgs = np.fromfile(os.path.join(folder, f"{name}_images.u8"), dtype=np.uint8)
        labels = np.fromfile(os.path.join(folder, f"{name}_labels.i32"), dtype="<i4")
        if imgs.size != count * h * w * c or labels.size != count:
            sys.exit(f"simclr_twin.py: {folder}/{name}_* hold {imgs.size} bytes / {labels.size} "
                     f"labels, meta.json says {count} images of {h}x{w}x{c}; export again")
        return imgs.reshape(count, h, w, c), labels.astype(np.int64)

    train_x, train_y = split("train", meta["trainCount"])
    test_x, test_y = split("test", meta["testCount"])
    eval_idx = None
    if meta.get("evalTrainIndexFile"):
        eval_idx = np.fromfile(os.path.join(folder, meta["evalTrainIndexFile"]), dtype="<i4")
    return meta, (train_x, train_y), (test_x, test_y), eval_idx


def channel_stats(images):
    """Per-channel mean and std in [0,1] units of NHWC uint8 images (lib/data/channel_stats.ts)."""
    c = images.shape[-1]
    px = images.reshape(-1, c).astype(np.float64)
    n = px.shape[0]
    m = px.sum(0) / n
    var = np.maximum((px * px).sum(0) / n - m * m, 1e-12)
    return (m / 255).tolist(), (np.sqrt(var) / 255).tolist()


def steps_per_epoch(count, batch):
    """Full batches per epoch; the last incomplete batch is dropped (trainer.ts stepsPerEpoch)."""
    steps = count // batch
    if steps < 1:
        sys.exit(f"simclr_twin.py: {count} training images are fewer than one batch of {batch}")
    return steps


def lr_schedule(r, train_count):
    """lr of every optimizer step: trainer.ts's warm-up/total/minLr fed to schedule.ts's
    warmupCosine. Returns (list of lr per step, info dict)."""
    per_epoch = steps_per_epoch(train_count, r["batch"])
    total = per_epoch * r["epochs"]
    warmup = min(js_round(r["warmup_epochs"] * per_epoch), total - 1)
    peak, min_lr = r["peak_lr"], r["peak_lr"] * r["min_lr_ratio"]

    def lr_at(step):
        if step < warmup:
            return peak * step / warmup
        if step >= total:
            return min_lr
        progress = (step - warmup) / (total - warmup)
        return min_lr + (peak - min_lr) * 0.5 * (1 + math.cos(math.pi * progress))

    info = {"stepsPerEpoch": per_epoch, "totalSteps": total, "warmupSteps": warmup,
            "peakLr": peak, "minLr": min_lr}
    return [lr_at(s) for s in range(total)], info


# ----------------------------------------------------------------------------------------------
# Views (batched; images NCHW float32 in [0,1])
# ----------------------------------------------------------------------------------------------

def sample_crop_boxes(n, height, width, scale, ratio, gen):
    """torchvision RandomResizedCrop.get_params for n images at once (random_resized_crop.ts
    sampleCropBox): returns int tensors top, left, h, w of shape [n]."""
    attempts = 10
    u_area = torch.rand(n, attempts, generator=gen, dtype=torch.float64)
    u_ratio = torch.rand(n, attempts, generator=gen, dtype=torch.float64)
    target = height * width * (scale[0] + (scale[1] - scale[0]) * u_area)
    lo, hi = math.log(ratio[0]), math.log(ratio[1])
    aspect = torch.exp(lo + (hi - lo) * u_ratio)
    w = torch.floor(torch.sqrt(target * aspect) + 0.5)
    h = torch.floor(torch.sqrt(target / aspect) + 0.5)
    ok = (w > 0) & (h > 0) & (w <= width) & (h <= height)
    first = ok.to(torch.uint8).argmax(1, keepdim=True)  # first attempt that fits
    w = w.gather(1, first).squeeze(1)
    h = h.gather(1, first).squeeze(1)
    found = ok.any(1)
    # Fallback: central crop with the aspect ratio clamped into `ratio`.
    in_ratio = width / height
    if in_ratio < ratio[0]:
        fw, fh = width, js_round(width / ratio[0])
    elif in_ratio > ratio[1]:
        fh, fw = height, js_round(height * ratio[1])
    else:
        fw, fh = width, height
    fh, fw = max(1, min(fh, height)), max(1, min(fw, width))
    h = torch.where(found, h, torch.full_like(h, fh))
    w = torch.where(found, w, torch.full_like(w, fw))
    u_top = torch.rand(n, generator=gen, dtype=torch.float64)
    u_left = torch.rand(n, generator=gen, dtype=torch.float64)
    top = torch.where(found, torch.floor(u_top * (height - h + 1)),
                      torch.full_like(h, (height - fh) // 2))
    left = torch.where(found, torch.floor(u_left * (width - w + 1)),
                       torch.full_like(w, (width - fw) // 2))
    return top, left, h, w


def crop_and_flip(x, boxes, flips, out_size):
    """Bilinear crop-and-resize of box i out of image i, mirrored where flips[i]: the first and
    last pixel centres of the box land on the first and last output pixels (the mapping of
    random_resized_crop.ts cropBoxesToNormalized + tf.image.cropAndResize)."""
    n, _, height, width = x.shape
    top, left, h, w = (b.to(torch.float64) for b in boxes)
    oh, ow = out_size
    # Output pixel i samples at fraction i / (size - 1) of the box (0.5 for a 1-pixel output).
    ty = torch.linspace(0, 1, oh, dtype=torch.float64) if oh > 1 else torch.full((1,), 0.5)
    tx = torch.linspace(0, 1, ow, dtype=torch.float64) if ow > 1 else torch.full((1,), 0.5)
    ys = top[:, None] + ty[None, :] * (h - 1)[:, None]  # [n, oh] source rows (pixel centres)
    x1, x2 = left, left + w - 1
    flip = flips.to(torch.bool)
    xa, xb = torch.where(flip, x2, x1), torch.where(flip, x1, x2)
    xs = xa[:, None] + tx[None, :] * (xb - xa)[:, None]  # [n, ow]
    # align_corners=True: -1 is the centre of pixel 0, +1 the centre of pixel size-1.
    gy = ys * (2 / max(height - 1, 1)) - 1
    gx = xs * (2 / max(width - 1, 1)) - 1
    grid = torch.stack([gx[:, None, :].expand(n, oh, ow), gy[:, :, None].expand(n, oh, ow)], -1)
    return F.grid_sample(x, grid.to(x.dtype).to(x.device), mode="bilinear",
                         padding_mode="zeros", align_corners=True)


def luma(x):
    """BT.601 luma of NCHW RGB images, [n,1,H,W] (grayscale.ts); a 1-channel image is its own."""
    if x.shape[1] == 1:
        return x
    return LUMA[0] * x[:, 0:1] + LUMA[1] * x[:, 1:2] + LUMA[2] * x[:, 2:3]


def per_image(v):
    return v.to(torch.float32)[:, None, None, None]


def adjust_brightness(x, f):
    return (x * per_image(f)).clamp(0, 1)


def adjust_contrast(x, f):
    mean = luma(x).mean((1, 2, 3))
    return (x * per_image(f) + per_image((1 - f) * mean)).clamp(0, 1)


def adjust_saturation(x, f):
    return (x * per_image(f) + per_image(1 - f) * luma(x)).clamp(0, 1)


def adjust_hue(x, shift):
    """Rotates the HSV hue by `shift` turns, keeping value and saturation: the closed form of
    color_jitter.ts adjustHue (first maximum channel wins ties: r > g > b)."""
    maxc, argmax = x.max(1, keepdim=True)
    delta = maxc - x.min(1, keepdim=True)[0]
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    diffs = torch.cat([g - b, b - r, r - g], 1)
    cand = diffs / delta.clamp_min(1e-12) + x.new_tensor([0, 2, 4])[None, :, None, None]
    hue = cand.gather(1, argmax)
    a = hue + per_image(shift) * 6 + x.new_tensor([5, 3, 1])[None, :, None, None]
    k = a - torch.floor(a / 6) * 6
    ramp = torch.minimum(k, 4 - k).clamp(0, 1)
    return maxc - delta * ramp


JITTER_OPS = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)


def color_jitter(x, gen, opts):
    """torchvision ColorJitter per image with probability `prob`, the four adjustments in a
    random order per image (color_jitter.ts sampleColorJitter + applyColorJitter); an adjustment
    of strength 0 is the identity and is skipped."""
    n = x.shape[0]
    apply = torch.rand(n, generator=gen) < opts["prob"]
    order = torch.argsort(torch.rand(n, 4, generator=gen), 1)  # a uniform permutation per image

    def uniform(lo, hi):
        return lo + (hi - lo) * torch.rand(n, generator=gen, dtype=torch.float64)

    b, c, s, h = opts["brightness"], opts["contrast"], opts["saturation"], opts["hue"]
    strengths = (b, c, s, h)
    factors = [uniform(max(0, 1 - b), 1 + b), uniform(max(0, 1 - c), 1 + c),
               uniform(max(0, 1 - s), 1 + s), uniform(-h, h)]
    factors = [f.to(x.device) for f in factors]
    apply, order = apply.to(x.device), order.to(x.device)
    for step in range(4):
        y = x.clone()
        for op, fn in enumerate(JITTER_OPS):
            if strengths[op] == 0:
                continue
            sel = apply & (order[:, step] == op)
            if sel.any():
                y[sel] = fn(x[sel], factors[op][sel])
        x = y
    return x


def random_grayscale(x, gen, p):
    """Replaces each image by its luma (three equal channels) with probability p (grayscale.ts)."""
    sel = (torch.rand(x.shape[0], generator=gen) < p).to(x.device)
    if sel.any():
        x = x.clone()
        x[sel] = luma(x[sel]).expand(-1, 3, -1, -1)
    return x


def make_view(x, r, mean, std, gen):
    """One random view of every image (views.ts makeView with simclrCifarRecipe)."""
    n, c, height, width = x.shape
    boxes = sample_crop_boxes(n, height, width, r["crop_scale"], r["crop_ratio"], gen)
    flips = torch.rand(n, generator=gen) < r["flip_prob"]
    x = crop_and_flip(x, boxes, flips, (height, width))
    x = color_jitter(x, gen, r["jitter"])
    if r["grayscale_prob"] > 0:
        x = random_grayscale(x, gen, r["grayscale_prob"])
    return (x - mean) / std


# ----------------------------------------------------------------------------------------------
# Network
# ----------------------------------------------------------------------------------------------

def same_padding(size, k, stride):
    """TensorFlow 'same' padding (before, after) along one axis: the extra goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


class Conv(nn.Conv2d):
    """Bias-free conv, tfjs 'same' padding, Kaiming-normal fan_out init (layers.ts Conv2d)."""

    def __init__(self, cin, cout, k, stride=1):
        super().__init__(cin, cout, k, stride, padding=0, bias=False)
        nn.init.normal_(self.weight, 0.0, math.sqrt(2.0 / (k * k * cout)))

    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]
        pt, pb = same_padding(x.shape[2], k, s)
        pl, pr = same_padding(x.shape[3], k, s)
        if pt == pb and pl == pr:
            return F.conv2d(x, self.weight, None, s, (pt, pl))
        return F.conv2d(F.pad(x, (pl, pr, pt, pb)), self.weight, None, s)


def batch_norm(cls, c, zero_gamma=False):
    """BN with the kit's defaults (momentum 0.1, eps 1e-5, gamma 1 or 0, beta 0)."""
    bn = cls(c, eps=1e-5, momentum=0.1)
    nn.init.constant_(bn.weight, 0.0 if zero_gamma else 1.0)
    nn.init.zeros_(bn.bias)
    return bn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, zero_init_residual):
        super().__init__()
        self.conv1 = Conv(cin, cout, 3, stride)
        self.bn1 = batch_norm(nn.BatchNorm2d, cout)
        self.conv2 = Conv(cout, cout, 3)
        self.bn2 = batch_norm(nn.BatchNorm2d, cout, zero_init_residual)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(Conv(cin, cout, 1, stride),
                                          batch_norm(nn.BatchNorm2d, cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(h))
        return F.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class CifarResNet(nn.Module):
    """lib/models/resnet.ts: 3x3 stem, no max-pool, stages of basic blocks."""

    def __init__(self, blocks, width, in_channels, zero_init_residual):
        super().__init__()
        self.stem = nn.Sequential(Conv(in_channels, width, 3), batch_norm(nn.BatchNorm2d, width),
                                  nn.ReLU())
        layers, cin = [], width
        for s, count in enumerate(blocks):
            cout = width * 2 ** s
            for b in range(count):
                layers.append(BasicBlock(cin, cout, 2 if s > 0 and b == 0 else 1,
                                         zero_init_residual))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.out_channels = cin

    def forward(self, x):
        return self.stages(self.stem(x))


def linear(fan_in, fan_out, bias=True):
    """Linear with weight and bias ~ U(+-1/sqrt(fanIn)) (params.ts fanInUniform)."""
    layer = nn.Linear(fan_in, fan_out, bias=bias)
    bound = 1 / math.sqrt(fan_in)
    nn.init.uniform_(layer.weight, -bound, bound)
    if bias:
        nn.init.uniform_(layer.bias, -bound, bound)
    return layer


class ProjectionHead(nn.Sequential):
    """lib/models/projection_head.ts: Linear(no bias) -> BN -> ReLU -> Linear."""

    def __init__(self, fan_in, hidden, out):
        super().__init__(linear(fan_in, hidden, bias=False), batch_norm(nn.BatchNorm1d, hidden),
                         nn.ReLU(), linear(hidden, out))


class Encoder(nn.Module):
    def __init__(self, r):
        super().__init__()
        self.backbone = CifarResNet(r["blocks"], r["width"], r["in_channels"],
                                    r["zero_init_residual"])
        self.head = ProjectionHead(self.backbone.out_channels, r["hidden"], r["out"])

    def embed(self, x):
        """Backbone + global average pooling: the representation that is evaluated."""
        return self.backbone(x).mean((2, 3))

    def forward(self, x):
        return self.head(self.embed(x))


def nt_xent(z1, z2, tau):
    """lib/losses/nt_xent.ts: mean over the 2N anchors of CE against the other view."""
    u = F.normalize(torch.cat([z1, z2]), dim=1, eps=1e-8)
    sim = (u @ u.t()) / tau
    n2 = u.shape[0]
    sim = sim.masked_fill(torch.eye(n2, dtype=torch.bool, device=u.device), -1e9)
    n = n2 // 2
    target = torch.cat([torch.arange(n, n2), torch.arange(0, n)]).to(u.device)
    return F.cross_entropy(sim, target)


def excluded_from_decay(name, shape):
    """lib/optim/adamw.ts defaultDecayExclusion."""
    lower = name.lower()
    return len(shape) <= 1 or "bias" in lower or "gamma" in lower or "beta" in lower


def make_optimizer(model, r):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if excluded_from_decay(name, p.shape) else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": r["weight_decay"]},
                              {"params": no_decay, "weight_decay": 0.0}],
                             lr=r["peak_lr"], betas=(0.9, 0.999), eps=1e-8)


# ----------------------------------------------------------------------------------------------
# Evaluation (lib/eval/protocol.ts)
# ----------------------------------------------------------------------------------------------

def to_float(images_u8, device):
    """NHWC uint8 -> NCHW float32 in [0,1] (toFloatBatch)."""
    x = torch.from_numpy(images_u8).to(device).permute(0, 3, 1, 2).to(torch.float32) / 255
    return x


@torch.no_grad()
def extract_features(model, images, mean, std, device, batch=256):
    model.eval()
    out = []
    for start in range(0, images.shape[0], batch):
        x = (to_float(images[start:start + batch], device) - mean) / std
        out.append(model.embed(x.contiguous(memory_format=torch.channels_last)).float().cpu())
    return torch.cat(out).numpy()


def topk_accuracies(scores, labels, ks):
    """Fraction of rows whose label ranks within the top k; ties go to the lower class index
    (lib/eval/topk.ts)."""
    s = scores[np.arange(len(labels)), labels][:, None]
    cols = np.arange(scores.shape[1])[None, :]
    rank = (scores > s).sum(1) + ((scores == s) & (cols < labels[:, None])).sum(1)
    rank = np.where(np.isnan(s[:, 0]), scores.shape[1], rank)
    return [float((rank < k).mean()) for k in ks]


def knn_classify(train_f, train_y, test_f, test_y, k, t, num_classes, chunk=256):
    """Weighted kNN on cosine similarity, votes exp(sim / T) (lib/eval/knn.ts)."""
    def unit(a):
        a = torch.from_numpy(a)
        return a / a.norm(dim=1, keepdim=True).clamp_min(1e-12)

    bank, bank_y = unit(train_f), torch.from_numpy(train_y)
    q_all = unit(test_f)
    k = min(k, bank.shape[0])
    scores = []
    for start in range(0, q_all.shape[0], chunk):
        values, idx = (q_all[start:start + chunk] @ bank.t()).topk(k, dim=1)
        votes = F.one_hot(bank_y[idx], num_classes).float() * torch.exp(values / t)[..., None]
        scores.append(votes.sum(1))
    return topk_accuracies(torch.cat(scores).numpy(), test_y, (1, 5))


def linear_probe(train_f, train_y, test_f, test_y, c, max_iter, num_classes):
    """Multinomial logistic regression (L-BFGS) on standardised features."""
    import warnings
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    mean = train_f.astype(np.float64).mean(0)
    std = train_f.astype(np.float64).std(0)
    std = np.where(std < 1e-6, 1.0, std)
    xtr = (train_f - mean) / std
    xte = (test_f - mean) / std
    clf = LogisticRegression(C=c, max_iter=max_iter, multi_class="multinomial", solver="lbfgs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(xtr, train_y)
    converged = bool(np.all(clf.n_iter_ < max_iter))
    if not converged:
        log(f"linear probe: L-BFGS stopped at max_iter={max_iter} before converging")
    part = clf.decision_function(xte)
    if part.ndim == 1:  # two classes present: sklearn returns one column
        part = np.stack([-part, part], 1)
    scores = np.full((len(test_y), num_classes), -np.inf)
    scores[:, clf.classes_] = part
    return topk_accuracies(scores, test_y, (1, 5)), converged


def evaluate(model, data, mean, std, r, device, num_classes):
    (train_x, train_y), (test_x, test_y), eval_idx = data
    if eval_idx is not None:
        train_x, train_y = train_x[eval_idx], train_y[eval_idx]
    ftr = extract_features(model, train_x, mean, std, device)
    fte = extract_features(model, test_x, mean, std, device)
    knn = knn_classify(ftr, train_y, fte, test_y, r["knn_k"], r["knn_t"], num_classes)
    lin, converged = linear_probe(ftr, train_y, fte, test_y, r["linear_c"], r["linear_max_iter"],
                                  num_classes)
    return {"knnTop1": knn[0], "knnTop5": knn[1], "linearTop1": lin[0], "linearTop5": lin[1],
            "linearConverged": converged}


def device_name(device):
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def pct(v):
    return round(v * 10000) / 100


# ----------------------------------------------------------------------------------------------
# Training (lib/train/trainer.ts with lib/methods/simclr.ts)
# ----------------------------------------------------------------------------------------------

def train(model, train_x, r, mean, std, device, gen):
    lrs, info = lr_schedule(r, train_x.shape[0])
    per_epoch, batch = info["stepsPerEpoch"], r["batch"]
    opt = make_optimizer(model, r)
    images = torch.from_numpy(train_x)
    history, epoch_secs, step = [], [], 0
    # Wall seconds per phase, named as the kit's trainer names them (lib/train/trainer.ts).
    phases = dict.fromkeys(("batch", "views", "forward", "backward", "optimizer", "read-back"), 0.0)
    start = time.perf_counter()
    for epoch in range(r["epochs"]):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=gen)
        epoch_start, loss_sum = time.perf_counter(), 0.0
        for s in range(per_epoch):
            t0 = time.perf_counter()
            idx = order[s * batch:(s + 1) * batch]
            x = images[idx].to(device).permute(0, 3, 1, 2).to(torch.float32) / 255
            t1 = time.perf_counter()
            v1 = make_view(x, r, mean, std, gen)
            v2 = make_view(x, r, mean, std, gen)
            views = torch.cat([v1, v2]).contiguous(memory_format=torch.channels_last)
            t2 = time.perf_counter()
            for group in opt.param_groups:
                group["lr"] = lrs[step]
            opt.zero_grad(set_to_none=True)
            z = model(views)
            loss = nt_xent(z[:batch], z[batch:], r["temperature"])
            t3 = time.perf_counter()
            loss.backward()
            t4 = time.perf_counter()
            opt.step()
            t5 = time.perf_counter()
            value = loss.item()
            t6 = time.perf_counter()
            for name, secs in (("batch", t1 - t0), ("views", t2 - t1), ("forward", t3 - t2),
                               ("backward", t4 - t3), ("optimizer", t5 - t4),
                               ("read-back", t6 - t5)):
                phases[name] += secs
            if not math.isfinite(value):
                sys.exit(f"simclr_twin.py: loss became {value} at step {step}")
            loss_sum += value
            step += 1
        secs = time.perf_counter() - epoch_start
        epoch_secs.append(secs)
        history.append(loss_sum / per_epoch)
        log(f"epoch {epoch + 1}/{r['epochs']} loss {history[-1]:.4f} lr {lrs[step - 1]:.2e} "
            f"{per_epoch * batch / secs:.0f} img/s")
    return history, time.perf_counter() - start, info, phases, epoch_secs


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True, help="the kit run's config.json")
    p.add_argument("--data", help="folder exported by cli/parity.ts (meta.json + raw arrays)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, help="torch seed (default: the config's seed)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    p.add_argument("--print-schedule", action="store_true",
                   help="print the lr of every step as JSON and exit "
                   "(needs --data or --train-count)")
    p.add_argument("--train-count", type=int, help="training images, for --print-schedule")
    p.add_argument("--train-only", action="store_true",
                   help="train, print the training seconds (total and per phase) and stop: no "
                   "evaluation (deno task bench --e2e)")
    p.add_argument("--temperature", type=float,
                   help="NT-Xent tau (default: the config's methodOptions.temperature, else the "
                   f"kit's default {KIT_DEFAULT_TEMPERATURE})")
    a = p.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)
    r = recipe_from_config(cfg)
    if a.temperature is not None:
        r["temperature"] = a.temperature

    if a.print_schedule:
        count = a.train_count
        if count is None and a.data:
            with open(os.path.join(a.data, "meta.json")) as f:
                count = json.load(f)["trainCount"]
        if count is None:
            sys.exit("simclr_twin.py: --print-schedule needs --train-count N or --data DIR")
        lrs, info = lr_schedule(r, count)
        print(json.dumps({**info, "lr": lrs}))
        return
    if not a.data:
        sys.exit("simclr_twin.py: --data DIR is required (the images exported by deno task parity)")
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"simclr_twin.py: --device {a.device} but torch.cuda.is_available() is False")

    torch.set_num_threads(a.threads)
    seed = cfg.get("seed", 0) if a.seed is None else a.seed
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)  # data order and views
    device = torch.device(a.device)

    meta, (train_x, train_y), (test_x, test_y), eval_idx = load_export(a.data)
    channels = meta["imageShape"][2]
    if r["in_channels"] is None:
        r["in_channels"] = channels
    elif r["in_channels"] != channels:
        sys.exit(f"simclr_twin.py: images have {channels} channels, the backbone expects "
                 f"{r['in_channels']}")
    if channels == 1:
        # views.ts simclrCifarRecipe on 1-channel stats: jitter brightness and contrast only.
        r["jitter"] = {**r["jitter"], "saturation": 0, "hue": 0}
        r["grayscale_prob"] = 0
    num_classes = int(meta["numClasses"])
    m, s = channel_stats(train_x)
    mean = torch.tensor(m, dtype=torch.float32, device=device)[None, :, None, None]
    std = torch.tensor(s, dtype=torch.float32, device=device)[None, :, None, None]
    log(f"{meta.get('dataset')}: {train_x.shape[0]} train / {test_x.shape[0]} test images; "
        f"torch {torch.__version__}, {a.threads} thread(s), {a.device}; "
        f"NT-Xent tau {r['temperature']}")

    model = Encoder(r).to(device, memory_format=torch.channels_last)
    data = ((train_x, train_y), (test_x, test_y), eval_idx)
    if a.train_only:
        history, train_secs, info, phases, epoch_secs = train(model, train_x, r, mean, std,
                                                              device, gen)
        print(json.dumps({
            "trainSeconds": round(train_secs, 3), "finalLoss": history[-1],
            "epochSeconds": [round(v, 3) for v in epoch_secs],
            "phaseSeconds": {k: round(v, 3) for k, v in phases.items()},
            "epochs": r["epochs"], "trainImages": int(train_x.shape[0]),
            "steps": info["totalSteps"], "threads": torch.get_num_threads(),
            "torch": torch.__version__, "device": device_name(device), "seed": seed,
        }), flush=True)
        return

    t0 = time.perf_counter()
    init = evaluate(model, data, mean, std, r, device, num_classes)
    init_secs = time.perf_counter() - t0
    log(f"random init: linear {pct(init['linearTop1'])} % kNN {pct(init['knnTop1'])} %")

    history, train_secs, info, phases, _ = train(model, train_x, r, mean, std, device, gen)

    t0 = time.perf_counter()
    final = evaluate(model, data, mean, std, r, device, num_classes)
    eval_secs = time.perf_counter() - t0
    log(f"trained: linear {pct(final['linearTop1'])} % kNN {pct(final['knnTop1'])} %")
    print(json.dumps({
        "linearTop1": pct(final["linearTop1"]), "linearTop5": pct(final["linearTop5"]),
        "knnTop1": pct(final["knnTop1"]), "knnTop5": pct(final["knnTop5"]),
        "randomInitLinearTop1": pct(init["linearTop1"]),
        "randomInitLinearTop5": pct(init["linearTop5"]),
        "randomInitKnnTop1": pct(init["knnTop1"]), "randomInitKnnTop5": pct(init["knnTop5"]),
        "linearConverged": final["linearConverged"],
        "finalLoss": history[-1], "lossHistory": history,
        # evalSeconds covers both evaluations, as the kit's does (lib/experiment/run.ts).
        "trainSeconds": round(train_secs, 1), "evalSeconds": round(eval_secs + init_secs, 1),
        "randomInitEvalSeconds": round(init_secs, 1),
        "epochs": r["epochs"], "trainImages": int(train_x.shape[0]),
        "testImages": int(test_x.shape[0]), "steps": info["totalSteps"],
        "threads": torch.get_num_threads(), "torch": torch.__version__,
        "device": device_name(device), "phaseSeconds": {k: round(v, 3) for k, v in phases.items()},
        "seed": seed, "temperature": r["temperature"], "channelMean": m, "channelStd": s,
    }), flush=True)


if __name__ == "__main__":
    main()
