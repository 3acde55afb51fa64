import assert from "node:assert/strict";
import {
  mdeMultiplier,
  minimalDetectableDifference,
  pairedMde,
  seedsForDifference,
} from "./power.ts";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

Deno.test("mdeMultiplier: df 2 has closed-form t quantiles", () => {
  // For df = 2, t_p = (2p - 1) / sqrt(2 p (1 - p)).
  const t2 = (p: number) => (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  close(mdeMultiplier(2), t2(0.975) + t2(0.8), 1e-9, "df 2");
  close(mdeMultiplier(2), 4.30265 + 1.06066, 1e-4, "df 2 table");
  close(mdeMultiplier(2, 0.1, 0.9), t2(0.95) + t2(0.9), 1e-9, "df 2, alpha 0.1, power 0.9");
});

Deno.test("mdeMultiplier matches t-table values and tends to z_0.975 + z_0.8", () => {
  // t_{0.975} and t_{0.80} from published tables.
  close(mdeMultiplier(4), 2.7764 + 0.9410, 2e-4, "df 4");
  close(mdeMultiplier(9), 2.2622 + 0.8834, 2e-4, "df 9");
  close(mdeMultiplier(1e7), 1.95996 + 0.84162, 1e-4, "df -> inf");
  assert.ok(Number.isNaN(mdeMultiplier(0)));
  assert.throws(() => mdeMultiplier(3, 0), /alpha must be in \(0, 1\)/);
  assert.throws(() => mdeMultiplier(3, 0.05, 1), /power must be in \(0, 1\)/);
});

Deno.test("minimalDetectableDifference: known values, scaling and the n < 2 case", () => {
  // n = 3, sd 1: (4.30265 + 1.06066) / sqrt(3) = 3.0965.
  close(minimalDetectableDifference(1, 3), 3.0965, 1e-3, "n 3");
  // n = 5, sd 2: (2.7764 + 0.9410) * 2 / sqrt(5) = 3.3249.
  close(minimalDetectableDifference(2, 5), 3.3249, 1e-3, "n 5");
  // Linear in sd.
  close(minimalDetectableDifference(3, 5), 1.5 * minimalDetectableDifference(2, 5), 1e-12, "x1.5");
  assert.equal(minimalDetectableDifference(0, 4), 0);
  assert.ok(Number.isNaN(minimalDetectableDifference(1, 1)), "one seed: undefined");
  assert.ok(Number.isNaN(minimalDetectableDifference(1, 0)), "no seed: undefined");
  assert.ok(Number.isNaN(minimalDetectableDifference(NaN, 4)));
  assert.throws(() => minimalDetectableDifference(-1, 3), /sdDiff must be >= 0/);
  assert.throws(() => minimalDetectableDifference(1, 2.5), /whole number/);
  // A Welch df replaces n - 1 in the quantiles.
  close(
    minimalDetectableDifference(1, 3, { df: 4 }),
    mdeMultiplier(4) / Math.sqrt(3),
    1e-12,
    "df override",
  );
});

Deno.test("pairedMde uses the sample std (n-1) of the differences", () => {
  const d = [1, 2, 4]; // mean 7/3, sample sd sqrt(7/3) = 1.5275
  close(pairedMde(d), mdeMultiplier(2) * Math.sqrt(7 / 3) / Math.sqrt(3), 1e-12, "paired");
  assert.ok(Number.isNaN(pairedMde([0.5])));
});

Deno.test("the MDE has the power it claims (simulation)", () => {
  // With the true difference equal to the MDE (known sd), a paired t test at
  // 5% should reject about 80% of the time; sd estimated per draw makes the
  // formula approximate, so allow a wide band.
  let state = 12345;
  const uniform = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state + 0.5) / 2147483648;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const n = 6;
  const delta = minimalDetectableDifference(1, n);
  const tCrit = mdeMultiplier(n - 1) - 0.9195; // t_{0.975, 5} = 2.5706; t_{0.8,5} = 0.9195
  close(tCrit, 2.5706, 2e-3, "t_0.975,5");
  let rejects = 0;
  const trials = 4000;
  for (let t = 0; t < trials; t++) {
    const d = Array.from({ length: n }, () => delta + normal());
    const m = d.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
    if (Math.abs(m / (sd / Math.sqrt(n))) > tCrit) rejects++;
  }
  const power = rejects / trials;
  assert.ok(power > 0.7 && power < 0.9, `power ${power}`);
});

Deno.test("seedsForDifference is the smallest n whose MDE reaches delta", () => {
  const n = seedsForDifference(1, 1);
  assert.ok(minimalDetectableDifference(1, n) <= 1);
  assert.ok(minimalDetectableDifference(1, n - 1) > 1);
  assert.equal(seedsForDifference(1, 1), 10); // (t+t)/sqrt(n) <= 1 first at n = 10
  assert.equal(seedsForDifference(1, 100, { maxSeeds: 5 }), Infinity);
  assert.equal(seedsForDifference(1, 0), 2);
});
