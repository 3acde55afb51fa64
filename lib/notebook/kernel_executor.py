#!/usr/bin/env python3
"""Executes Jupyter notebooks headless over jupyter_client, losing no output.

Why not nbclient: the Deno kernel reports `status: idle` before it has sent
all of a cell's outputs (stdout lines, displays, even the execute_result go
through one queue that is drained after idle), and it stamps each queued
message with the request that is current *when the message is sent*.
nbclient stops listening at idle and so drops late outputs (up to 80% of a
cell that logs a lot).

What this does instead, per code cell:
  1. send the cell's execute_request and wait for its execute_reply;
  2. send a sentinel request that prints a unique marker on stdout and stderr;
  3. collect every output message of the cell *and* of the sentinel request
     until both markers have arrived. The kernel's output queue is FIFO, so
     everything the cell produced arrives before the markers; text before a
     marker belongs to the cell.

Usage: kernel_executor.py --out OUT.ipynb [--kernel smag-kit] [--timeout S] IN.ipynb
Progress goes to stderr; the last stdout line is a JSON summary.
Needs only python3 with jupyter_client (Debian: python3-jupyter-client).
"""
import argparse
import json
import os
import queue
import sys
import time
import uuid

from jupyter_client.manager import KernelManager

OUTPUT_TYPES = {"stream", "display_data", "update_display_data", "execute_result", "error",
                "clear_output"}


def log(text):
    print(text, file=sys.stderr, flush=True)


def cell_source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


class CellRun:
    """Outputs of one cell as nbformat output dicts, built from iopub messages."""

    def __init__(self, displays):
        self.outputs = []
        self.displays = displays  # display_id -> list of output dicts (notebook-wide)
        self.clear_pending = False

    def _append(self, out):
        if self.clear_pending:
            self.outputs.clear()
            self.clear_pending = False
        self.outputs.append(out)

    def stream(self, name, text):
        if not text:
            return
        last = self.outputs[-1] if self.outputs and not self.clear_pending else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self._append({"output_type": "stream", "name": name, "text": text})

    def handle(self, msg):
        kind = msg["msg_type"]
        c = msg["content"]
        if kind == "display_data":
            out = {"output_type": "display_data", "data": c.get("data", {}),
                   "metadata": c.get("metadata", {})}
            self._append(out)
            display_id = (c.get("transient") or {}).get("display_id")
            if display_id:
                self.displays.setdefault(display_id, []).append(out)
        elif kind == "update_display_data":
            display_id = (c.get("transient") or {}).get("display_id")
            for out in self.displays.get(display_id, []):
                out["data"] = c.get("data", {})
                out["metadata"] = c.get("metadata", {})
        elif kind == "execute_result":
            self._append({"output_type": "execute_result", "data": c.get("data", {}),
                          "metadata": c.get("metadata", {}),
                          "execution_count": c.get("execution_count")})
        elif kind == "error":
            self._append({"output_type": "error", "ename": c.get("ename", "Error"),
                          "evalue": c.get("evalue", ""), "traceback": c.get("traceback", [])})
        elif kind == "clear_output":
            if c.get("wait"):
                self.clear_pending = True
            else:
                self.outputs.clear()


def run_cell(kc, code, displays, timeout, flush_timeout):
    """Runs one cell; returns (CellRun, reply content)."""
    run = CellRun(displays)
    cell_id = kc.execute(code, store_history=True, allow_stdin=False, stop_on_error=True)
    marker = "KIT-FLUSH-" + uuid.uuid4().hex
    sentinel_id = None
    reply = None
    marks = set()
    deadline = time.monotonic() + timeout
    while True:
        now = time.monotonic()
        if reply is None and now > deadline:
            raise TimeoutError(f"cell did not finish within {timeout} s (raise --timeout)")
        if reply is not None and now > deadline:
            raise TimeoutError(
                f"the kernel did not flush the cell's outputs within {flush_timeout} s")
        if reply is None:
            try:
                msg = kc.get_shell_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == cell_id:
                    reply = msg["content"]
                    sentinel_id = kc.execute(
                        f'console.log("{marker}"); console.error("{marker}");',
                        silent=False, store_history=False, allow_stdin=False)
                    deadline = time.monotonic() + flush_timeout
            except queue.Empty:
                pass
        try:
            msg = kc.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            continue
        if msg["msg_type"] not in OUTPUT_TYPES:
            continue
        parent = msg["parent_header"].get("msg_id")
        if parent not in (cell_id, sentinel_id) or parent is None:
            continue
        if msg["msg_type"] == "stream":
            name = msg["content"].get("name", "stdout")
            text = msg["content"].get("text", "")
            if marker in text:
                before = text[: text.index(marker)]
                run.stream(name, before)
                marks.add(name)
                if marks >= {"stdout", "stderr"}:
                    return run, reply
                continue
            if name in marks:
                continue  # after this stream's marker: output of the sentinel itself
            run.stream(name, text)
        else:
            run.handle(msg)


def execute(path, out_path, kernel_name, timeout, flush_timeout):
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    if nb.get("nbformat") != 4:
        raise SystemExit(f"{path}: nbformat {nb.get('nbformat')} is not supported; save as v4")
    cells = nb.get("cells", [])
    code_cells = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    for i in code_cells:
        cells[i]["outputs"] = []
        cells[i]["execution_count"] = None
    env = dict(os.environ)
    env.setdefault("NO_COLOR", "1")
    km = KernelManager(kernel_name=kernel_name)
    started = time.monotonic()
    km.start_kernel(cwd=os.path.dirname(os.path.abspath(path)), env=env)
    kc = km.client()
    kc.start_channels()
    summary = {"notebook": path, "out": out_path, "ok": True, "cells": len(code_cells),
               "executed": 0}
    displays = {}
    try:
        kc.wait_for_ready(timeout=120)
        for n, i in enumerate(code_cells):
            cell = cells[i]
            code = cell_source(cell)
            t0 = time.monotonic()
            try:
                run, reply = run_cell(kc, code, displays, timeout, flush_timeout)
            except TimeoutError as err:
                km.interrupt_kernel()
                cell["outputs"] = [{"output_type": "error", "ename": "TimeoutError",
                                    "evalue": str(err), "traceback": [str(err)]}]
                summary.update(ok=False, failedCell=i, ename="TimeoutError", evalue=str(err))
                log(f"[{os.path.basename(path)}] cell {i} TIMEOUT: {err}")
                break
            cell["outputs"] = run.outputs
            cell["execution_count"] = reply.get("execution_count")
            summary["executed"] = n + 1
            status = reply.get("status", "ok")
            secs = time.monotonic() - t0
            if status != "ok":
                errs = [o for o in run.outputs if o["output_type"] == "error"]
                ename = reply.get("ename") or (errs[0]["ename"] if errs else "Error")
                evalue = reply.get("evalue") or (errs[0]["evalue"] if errs else status)
                if not errs:
                    cell["outputs"].append({"output_type": "error", "ename": ename,
                                            "evalue": evalue,
                                            "traceback": reply.get("traceback", [])})
                first = code.strip().splitlines()[0] if code.strip() else ""
                summary.update(ok=False, failedCell=i, ename=ename, evalue=evalue,
                               firstLine=first[:120])
                log(f"[{os.path.basename(path)}] cell {i} FAILED after {secs:.1f} s: "
                    f"{ename}: {evalue}")
                break
            log(f"[{os.path.basename(path)}] cell {i} ok ({secs:.1f} s, "
                f"{len(run.outputs)} outputs)")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    summary["seconds"] = round(time.monotonic() - started, 2)
    nb.setdefault("metadata", {})
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, out_path)
    return summary


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebook")
    ap.add_argument("--out", required=True, help="where the executed notebook is written")
    ap.add_argument("--kernel", default="smag-kit", help="kernelspec name (default smag-kit)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per cell")
    ap.add_argument("--flush-timeout", type=float, default=120,
                    help="seconds to wait for a cell's outputs after it finished")
    a = ap.parse_args()
    summary = execute(a.notebook, a.out, a.kernel, a.timeout, a.flush_timeout)
    print(json.dumps(summary), flush=True)
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
