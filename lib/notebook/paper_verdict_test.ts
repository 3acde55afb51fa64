import assert from "node:assert/strict";
import { compareArms } from "../ablation/compare.ts";
import type { AblationRow } from "../ablation/row.ts";
import { Rng } from "../rng.ts";
import { EQUIVALENCE_MARGIN, judgeClaim } from "./paper_verdict.ts";
import { PAPER_CLAIMS } from "./paper_numbers.ts";
import { getAblation } from "../ablation/ablations.ts";

function rows(rng: Rng, shift: number, seeds: number, noise: number): AblationRow[] {
  const out: AblationRow[] = [];
  for (let s = 0; s < seeds; s++) {
    const base = 50 + 5 * rng.gaussian();
    for (const [arm, v] of [["a", base + shift + noise * rng.gaussian()], ["b", base]] as const) {
      out.push({
        ablation: "x",
        profile: "quick",
        arm,
        armLabel: arm,
        seed: s,
        configHash: "h",
        method: "m",
        dataset: "d",
        synthetic: false,
        backend: "cpu",
        metrics: { linearTop1: v },
        trainSeconds: 0,
        evalSeconds: 0,
        seconds: 0,
        runDir: "",
      });
    }
  }
  return out;
}

Deno.test("difference claims: the verdict follows the sign of ours vs the paper and the CI", () => {
  const rng = new Rng(3);
  let tightChecked = 0;
  for (let t = 0; t < 20; t++) {
    const paperDiff = rng.uniform(0.5, 5) * (rng.bernoulli(0.5) ? 1 : -1);
    const shift = rng.uniform(3, 8) * (rng.bernoulli(0.5) ? 1 : -1);
    const cmp = compareArms(rows(rng, shift, 5, 0.3), "a", "b", "linearTop1");
    assert.ok(cmp.excludesZero);
    const v = judgeClaim("difference", paperDiff, cmp, { profile: "quick", synthetic: false });
    assert.equal(v.status, Math.sign(shift) === Math.sign(paperDiff) ? "agrees" : "disagrees");
    // With a huge spread around a zero effect, the interval includes zero.
    const noisy = compareArms(rows(rng, 0, 3, 50), "a", "b", "linearTop1");
    if (!noisy.excludesZero) {
      const v = judgeClaim("difference", paperDiff, noisy);
      assert.equal(v.status, "ci-includes-0");
      assert.ok(v.text.includes(`MDE ${noisy.mde.toFixed(2)}`), v.text);
      // spread 50: the MDE is far above any paper difference drawn here
      assert.match(v.text, /is below what these seeds can detect/);
      // A wide interval around zero is no evidence of equivalence.
      const wide = judgeClaim("no-difference", undefined, noisy);
      assert.equal(wide.status, "ci-includes-0");
      assert.match(wide.text, /no difference detected, but the interval allows differences up to/);
    }
    assert.equal(judgeClaim("no-difference", undefined, cmp).status, "disagrees");
    // A component proposed without a number agrees only when it helps (a - b > 0).
    assert.equal(
      judgeClaim("no-paper-number", undefined, cmp).status,
      shift > 0 ? "agrees" : "disagrees",
    );
    // Small spread around a zero effect: a paper difference of 5 points is above the MDE.
    const tight = compareArms(rows(rng, 0, 5, 0.3), "a", "b", "linearTop1");
    if (!tight.excludesZero) {
      tightChecked++;
      assert.ok(tight.mde < 5);
      // ... and its interval lies within the margin: a no-difference claim agrees.
      assert.ok(Math.max(-tight.low, tight.high) <= EQUIVALENCE_MARGIN);
      assert.equal(judgeClaim("no-difference", undefined, tight).status, "agrees");
      assert.match(
        judgeClaim("difference", 5, tight).text,
        /paper's size \(\+5\.00\) would likely/,
      );
    }
  }
  assert.ok(
    tightChecked > 10,
    `only ${tightChecked} of 20 zero-effect draws had an interval with 0`,
  );
});

Deno.test("not run, one seed, absolute, and the tiny/synthetic caveat", () => {
  const v = judgeClaim("difference", 1, undefined, undefined, "deno task ablate x");
  assert.equal(v.status, "not-run");
  assert.match(v.text, /deno task ablate x/);
  const one = compareArms(rows(new Rng(1), 2, 1, 1), "a", "b", "linearTop1");
  assert.equal(judgeClaim("difference", 1, one).status, "no-interval");
  const cmp = compareArms(rows(new Rng(2), 5, 4, 0.1), "a", "b", "linearTop1");
  assert.equal(judgeClaim("absolute", undefined, cmp).status, "not-comparable");
  assert.match(
    judgeClaim("difference", 1, cmp, { profile: "tiny", synthetic: true }).text,
    /meaningless/,
  );
  assert.doesNotMatch(
    judgeClaim("difference", 1, cmp, { profile: "quick", synthetic: false }).text,
    /meaningless/,
  );
  assert.throws(() => judgeClaim("difference", undefined, cmp), /needs the paper's a - b/);
});

Deno.test("every paper claim is well formed: difference claims carry both values, ids are unique", () => {
  const ids = new Set<string>();
  for (const c of PAPER_CLAIMS) {
    assert.ok(!ids.has(c.id), `duplicate id ${c.id}`);
    ids.add(c.id);
    assert.ok(c.citation.length > 10, c.id);
    assert.ok(c.short.length > 5 && c.short.length <= 40, `${c.id}: axis label "${c.short}"`);
    if (c.kind === "difference") {
      assert.ok(c.paperA && c.paperB && c.paperA.value !== c.paperB.value, c.id);
    }
    if (c.kind === "absolute") assert.ok(c.paperA, c.id);
    assert.ok(c.ours, `${c.id} names no ablation`);
  }
});

Deno.test("a zero-width interval (every seed gave the same difference) is not evidence", () => {
  const rng = new Rng(9);
  const rows1 = rows(rng, 0, 3, 0).map((r) => ({
    ...r,
    metrics: { linearTop1: r.arm === "a" ? 20 : 10 },
  }));
  const cmp = compareArms(rows1, "a", "b", "linearTop1");
  assert.equal(cmp.low, cmp.high);
  assert.equal(judgeClaim("difference", 1, cmp).status, "no-interval");
});

Deno.test("no spread (ArmComparison.evidence) is never agreement or disagreement, for any claim", () => {
  const rng = new Rng(10);
  for (let t = 0; t < 20; t++) {
    const shift = t % 5 === 0 ? 0 : rng.uniform(-5, 5);
    const tied = rows(rng, shift, 2 + rng.int(4), 0);
    const cmp = compareArms(tied, "a", "b", "linearTop1");
    assert.equal(cmp.evidence, "no-spread");
    for (const kind of ["difference", "no-difference", "no-paper-number"] as const) {
      const v = judgeClaim(kind, rng.uniform(-3, 3), cmp);
      assert.equal(v.status, "no-interval", `${kind}: ${v.text}`);
      assert.match(v.text, /no evidence either way/);
    }
  }
});

Deno.test("every paper claim names a declared ablation and arms it has", async () => {
  for (const c of PAPER_CLAIMS) {
    const spec = await getAblation(c.ours!.ablation);
    const arms = new Set(spec.arms.map((a) => a.name));
    assert.ok(arms.has(c.ours!.a), `${c.id}: ${spec.name} has no arm ${c.ours!.a}`);
    if (c.ours!.b) assert.ok(arms.has(c.ours!.b), `${c.id}: ${spec.name} has no arm ${c.ours!.b}`);
  }
});
