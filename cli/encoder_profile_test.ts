import assert from "node:assert/strict";
import { main } from "./encoder_profile.ts";
import { capturedLines } from "./capture_log.ts";

/** Runs `main` with console.log captured; returns the printed lines. */
const captured = (args: string[]) => capturedLines(main, args);

Deno.test("encoder-profile times an encoder with each neck and lists its kernels", async () => {
  for (const neck of ["gap", "hsagm"]) {
    const out = await captured([
      "--neck",
      neck,
      "--width",
      "4",
      "--batch",
      "4",
      "--reps",
      "1",
      "--backend",
      "cpu",
    ]);
    assert.match(out[0], new RegExp(`width 4 \\+ ${neck}, 4 images of 32x32, 4x4 tokens`));
    assert.match(out[1], /^forward \+ backward: median \d+ ms/);
    assert.ok(out.some((l) => /^\s+Conv2D\s+[\d.]+ ms \d+ calls$/.test(l)), out.join("\n"));
    if (neck === "hsagm") assert.ok(out.some((l) => /^\s+BatchMatMul /.test(l)));
  }
});

Deno.test("encoder-profile names the necks it knows when given another", async () => {
  await assert.rejects(() => main(["--neck", "lstm"]), /--neck lstm: use one of gap, sam, gam/);
});
