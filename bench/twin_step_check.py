"""Step check of the PyTorch twin against the kit: same weights, same views -> same loss,
gradients, AdamW update and batch-norm running statistics, to float32 rounding.

Reads a folder written by cli/twin_step_export.ts (meta.json + raw float32 files), loads the
kit's initial parameters and buffers into `bench/simclr_twin.py`'s `Encoder` (the names mapped
explicitly, kernels HWIO -> OIHW, dense [in, out] -> [out, in]), then replays the kit's steps
with the twin's own code: `recipe_from_config` on the kit's config (temperature, weight
decay), `Encoder` in training mode on the kit's views (NCHW, channels_last as the twin trains),
`nt_xent`, `make_optimizer` (decay groups) with the exported lr. Each step compares

- loss: |twin - kit| / kit,
- gradients: per parameter ||g_twin - g_kit|| / ||g_kit|| (before the update),
- running statistics after the forward pass: max relative error,
- parameters after the AdamW step, the twin's optimizer (decay groups, bias correction, moments
  of earlier steps) fed the kit's gradients: max |p_twin - p_kit| in units of lr (an Adam step
  moves an element by about lr, so a value near 1-2 means a different update).

The twin uses the temperature ITS recipe reads from the config (`methodOptions.temperature`,
default when absent) and the kit the one its method resolved (meta.json `temperature`); a
difference is reported as the first mismatch. When they differ the replay is repeated with
the kit's temperature, to show whether anything else differs.

Usage:
  python3 bench/twin_step_check.py DIR [--tol-loss 1e-4] [--tol-grad 1e-2] [--tol-buffer 1e-4]
                                       [--tol-step 0.01] [--verbose]

Prints a human summary on stderr and ONE JSON line on stdout: {"ok": bool, "firstMismatch":
str|null, "temperature": {...}, "steps": [...], "kitTemperatureReplay": {...}|null}. Exit
status 0 when ok, 1 when something differs beyond the tolerances.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import simclr_twin as twin  # noqa: E402


def log(msg):
    print(f"[twin-step] {msg}", file=sys.stderr, flush=True)


def read_f32(folder, name, entries):
    """Splits `name` (concatenated float32) into arrays of the entries' shapes, by name."""
    flat = np.fromfile(os.path.join(folder, name), dtype="<f4")
    out, off = {}, 0
    for e in entries:
        size = int(np.prod(e["shape"])) if e["shape"] else 1
        out[e["name"]] = flat[off:off + size].reshape(e["shape"])
        off += size
    if off != flat.size:
        sys.exit(f"twin_step_check.py: {name} holds {flat.size} floats, meta.json names {off}")
    return out


def block_indices(blocks):
    """(stage, block) -> index in the twin's flat `stages` Sequential."""
    index, i = {}, 0
    for s, count in enumerate(blocks):
        for b in range(count):
            index[(s, b)] = i
            i += 1
    return index


def torch_name(kit_name, blocks):
    """Kit store name -> twin state_dict name, and how the tensor is laid out on the kit side
    ('conv': HWIO kernel, 'dense': [in, out] weight, 'vec': as is)."""
    leaf_map = {"kernel": "weight", "gamma": "weight", "beta": "bias", "weight": "weight",
                "bias": "bias", "running_mean": "running_mean", "running_var": "running_var"}
    parts = kit_name.split(".")
    leaf = leaf_map[parts[-1]]
    kind = "conv" if parts[-1] == "kernel" else "vec"
    if parts[0] == "head":
        # ProjectionHead(nn.Sequential): 0 fc1, 1 bn, 2 relu, 3 fc2.
        module = {"fc1": "0", "bn": "1", "fc2": "3"}[parts[1]]
        if parts[1] != "bn" and parts[-1] == "weight":
            kind = "dense"
        return f"head.{module}.{leaf}", kind
    assert parts[0] == "backbone", kit_name
    if parts[1] == "stem":  # stem: Sequential(conv, bn, relu)
        return f"backbone.stem.{ {'conv': '0', 'bn': '1'}[parts[2]] }.{leaf}", kind
    stage, block = int(parts[1][len("stage"):]), int(parts[2][len("block"):])
    prefix = f"backbone.stages.{block_indices(blocks)[(stage, block)]}"
    if parts[3] == "shortcut":  # shortcut: Sequential(conv, bn)
        return f"{prefix}.shortcut.{ {'conv': '0', 'bn': '1'}[parts[4]] }.{leaf}", kind
    return f"{prefix}.{parts[3]}.{leaf}", kind


def to_torch(a, kind):
    if kind == "conv":
        a = a.transpose(3, 2, 0, 1)  # HWIO -> OIHW
    elif kind == "dense":
        a = a.T  # [in, out] -> [out, in]
    return torch.from_numpy(np.ascontiguousarray(a))


def to_kit(t, kind):
    a = t.detach().cpu().numpy()
    if kind == "conv":
        return a.transpose(2, 3, 1, 0)  # OIHW -> HWIO
    if kind == "dense":
        return a.T
    return a


def rel(a, b):
    """||a - b|| / ||b|| (0 when both are 0)."""
    den = float(np.linalg.norm(b))
    num = float(np.linalg.norm(a.astype(np.float64) - b.astype(np.float64)))
    return num / den if den > 0 else num


def replay(folder, meta, r, tau, tols, verbose):
    """Replays the kit's steps on the twin with temperature `tau`; returns per-step records and
    the first mismatch (str) or None."""
    torch.manual_seed(0)
    model = twin.Encoder(r)
    names = {e["name"]: torch_name(e["name"], r["blocks"]) for e in meta["params"]}
    bnames = {e["name"]: torch_name(e["name"], r["blocks"]) for e in meta["buffers"]}
    sd = model.state_dict()
    kit_torch = set(t for t, _ in list(names.values()) + list(bnames.values()))
    torch_side = set(k for k in sd if not k.endswith("num_batches_tracked"))
    if kit_torch != torch_side:
        sys.exit("twin_step_check.py: name map incomplete: kit-only "
                 f"{sorted(kit_torch - torch_side)}, twin-only {sorted(torch_side - kit_torch)}")
    params = read_f32(folder, "params.f32", meta["params"])
    buffers = read_f32(folder, "buffers.f32", meta["buffers"])
    new_sd = {}
    for src, table in ((params, names), (buffers, bnames)):
        for k, a in src.items():
            tname, kind = table[k]
            t = to_torch(a, kind)
            if tuple(t.shape) != tuple(sd[tname].shape):
                sys.exit(f"twin_step_check.py: {k} -> {tname}: kit {list(t.shape)} vs twin "
                         f"{list(sd[tname].shape)}")
            new_sd[tname] = t
    for k in sd:
        if k.endswith("num_batches_tracked"):
            new_sd[k] = sd[k]
    model.load_state_dict(new_sd)
    model = model.to(memory_format=torch.channels_last)
    model.train()
    # The twin's optimizer: its decay groups must be the kit's.
    torch_params = dict(model.named_parameters())
    for e in meta["params"]:
        tname, _ = names[e["name"]]
        if twin.excluded_from_decay(tname, torch_params[tname].shape) == e["decay"]:
            return [], (f"weight-decay grouping: kit {'decays' if e['decay'] else 'exempts'} "
                        f"{e['name']}, the twin does not")
    opt = twin.make_optimizer(model, r)
    for group in opt.param_groups:
        group["lr"] = meta["lr"]
    n = meta["batch"]
    h, w, c = meta["imageShape"]
    records, first = [], None
    for s in range(meta["steps"]):
        views = np.fromfile(os.path.join(folder, f"step{s}_views.f32"), dtype="<f4")
        x = torch.from_numpy(views.reshape(2 * n, h, w, c)).permute(0, 3, 1, 2)
        x = x.contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        z = model(x)
        loss = twin.nt_xent(z[:n], z[n:], tau)
        loss.backward()
        kit_loss = meta["losses"][s]
        rec = {"step": s, "lossKit": kit_loss, "lossTwin": loss.item(),
               "lossRel": abs(loss.item() - kit_loss) / abs(kit_loss)}
        bad = []
        if rec["lossRel"] > tols["loss"]:
            bad.append(f"loss {loss.item():.6f} vs kit {kit_loss:.6f}")
        kit_grads = read_f32(folder, f"step{s}_grads.f32", meta["params"])
        grad_rel = {}
        for k, g in kit_grads.items():
            tname, kind = names[k]
            grad_rel[k] = rel(to_kit(torch_params[tname].grad, kind), g)
        worst = max(grad_rel, key=grad_rel.get)
        rec["gradRelMax"], rec["gradRelWorst"] = grad_rel[worst], worst
        bad += [f"grad {k} rel {v:.2e}" for k, v in grad_rel.items() if v > tols["grad"]]
        kit_bufs = read_f32(folder, f"step{s}_buffers.f32", meta["buffers"])
        tsd = model.state_dict()
        buf_rel = {}
        for k, b in kit_bufs.items():
            tname, kind = bnames[k]
            t = to_kit(tsd[tname], kind)
            buf_rel[k] = float(np.max(np.abs(t - b) / np.maximum(np.abs(b), 1e-3)))
        worst = max(buf_rel, key=buf_rel.get)
        rec["bufferRelMax"], rec["bufferRelWorst"] = buf_rel[worst], worst
        bad += [f"buffer {k} rel {v:.2e}" for k, v in buf_rel.items() if v > tols["buffer"]]
        # The optimizer on the kit's gradients: the update itself is compared, not the
        # gradient's rounding (Adam's first step is lr * g / (|g| + eps), so an element with
        # |g| ~ eps moves by a fraction of lr that a 1e-6 relative gradient error can change).
        for k, g in kit_grads.items():
            tname, kind = names[k]
            torch_params[tname].grad = to_torch(g, kind).to(
                memory_format=torch.channels_last if kind == "conv" else torch.contiguous_format)
        opt.step()
        kit_after = read_f32(folder, f"step{s}_params.f32", meta["params"])
        step_err = {}
        for k, p in kit_after.items():
            tname, kind = names[k]
            step_err[k] = float(np.max(np.abs(to_kit(torch_params[tname], kind) - p))) / meta["lr"]
        worst = max(step_err, key=step_err.get)
        rec["paramErrMaxInLr"], rec["paramErrWorst"] = step_err[worst], worst
        bad += [f"param after step {k}: {v:.3f} lr" for k, v in step_err.items()
                if v > tols["step"]]
        records.append(rec)
        log(f"tau {tau}: step {s}: loss twin {rec['lossTwin']:.6f} kit {kit_loss:.6f} "
            f"(rel {rec['lossRel']:.1e}); grad rel max {rec['gradRelMax']:.1e} "
            f"({rec['gradRelWorst']}); buffers rel max {rec['bufferRelMax']:.1e}; "
            f"params after step max err {rec['paramErrMaxInLr']:.3f} lr")
        if verbose:
            for k in grad_rel:
                log(f"  {k:48s} grad rel {grad_rel[k]:.2e}  after-step err "
                    f"{step_err[k]:.3f} lr")
        if bad and first is None:
            first = f"step {s}: " + "; ".join(bad[:6]) + (" ..." if len(bad) > 6 else "")
    return records, first


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folder", help="written by cli/twin_step_export.ts")
    p.add_argument("--tol-loss", type=float, default=1e-4, help="relative")
    p.add_argument("--tol-grad", type=float, default=1e-2,
                   help="relative L2 per parameter (float32 noise after a few steps: ~2e-3)")
    p.add_argument("--tol-buffer", type=float, default=1e-4, help="max relative")
    p.add_argument("--tol-step", type=float, default=0.01,
                   help="max abs difference of a parameter after the step, in units of lr")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--verbose", action="store_true", help="every parameter's errors")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.folder, "meta.json")) as f:
        meta = json.load(f)
    r = twin.recipe_from_config(meta["config"])
    if r["in_channels"] is None:
        r["in_channels"] = meta["imageShape"][2]
    tols = {"loss": a.tol_loss, "grad": a.tol_grad, "buffer": a.tol_buffer, "step": a.tol_step}
    kit_tau, twin_tau = float(meta["temperature"]), float(r["temperature"])
    log(f"{meta['steps']} step(s), {meta['batch']} images, kit backend {meta['backend']}, "
        f"lr {meta['lr']}, weight decay kit {meta['weightDecay']} twin {r['weight_decay']}; "
        f"temperature kit {kit_tau} twin {twin_tau} (config methodOptions "
        f"{meta['config'].get('methodOptions')})")
    first = None
    if abs(kit_tau - twin_tau) > 1e-12:
        first = (f"temperature: the kit trains with tau {kit_tau} (its method's resolved options "
                 f"{meta['methodOptions']}), the twin's recipe reads tau {twin_tau} from config "
                 f"methodOptions {meta['config'].get('methodOptions')}")
    if abs(meta["weightDecay"] - r["weight_decay"]) > 1e-15 and first is None:
        first = f"weight decay: kit {meta['weightDecay']} twin {r['weight_decay']}"
    steps, step_first = replay(a.folder, meta, r, twin_tau, tols, a.verbose)
    first = first or step_first
    kit_replay = None
    if abs(kit_tau - twin_tau) > 1e-12:
        log(f"replaying with the kit's temperature {kit_tau} to see whether anything else differs")
        ksteps, kfirst = replay(a.folder, meta, {**r, "temperature": kit_tau}, kit_tau, tols,
                                a.verbose)
        kit_replay = {"temperature": kit_tau, "steps": ksteps, "firstMismatch": kfirst}
    ok = first is None
    log("OK: loss, gradients, running statistics and AdamW update agree" if ok
        else f"FIRST MISMATCH: {first}")
    print(json.dumps({"ok": ok, "firstMismatch": first,
                      "temperature": {"kit": kit_tau, "twin": twin_tau},
                      "backend": meta["backend"], "steps": steps,
                      "kitTemperatureReplay": kit_replay, "tolerances": tols}), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
